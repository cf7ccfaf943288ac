#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for testing the Slurm profile against a real Slurm.
#
#   tests/slurm/cluster.sh install        apt-get the Debian packages (root; once per machine)
#   tests/slurm/cluster.sh start DIR      start munged, slurmctld, slurmd with all state in DIR
#   tests/slurm/cluster.sh stop DIR       stop them (by the pids recorded in DIR)
#
# Everything lives in DIR: slurm.conf, the munge key and socket, spool, state, logs, the
# job-completion and accounting records. Nothing under /etc is touched, so clients need
#   export SLURM_CONF=DIR/slurm.conf
# `start` prints that line. Runs as root (the sandbox has no other user): SlurmUser and
# SlurmdUser are root, no cgroups, processes tracked through /proc.
set -euo pipefail

APT_PACKAGES=(slurm-wlm munge)

die() { echo "cluster.sh: $*" >&2; exit 1; }

install() {
    command -v apt-get >/dev/null || die "apt-get not found: install ${APT_PACKAGES[*]} yourself"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
    # the packages start nothing in a container; if systemd did start them, stop them:
    # this script runs its own daemons on its own ports
    for s in slurmctld slurmd munge; do
        command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null || true
    done
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local t=$1 what=$2; shift 2
    for _ in $(seq $((t * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

start() {
    local dir; dir=$(realpath -m "$1")
    [[ $(id -u) == 0 ]] || die "must run as root (slurmd runs jobs as the submitting user)"
    for b in munged mungekey slurmctld slurmd sinfo sacct; do
        command -v "$b" >/dev/null || die "$b not found: run '$0 install' first"
    done
    mkdir -p "$dir"/{munge,spool,state,log}
    chmod 700 "$dir/munge"

    local cpus mem ctld_port slurmd_port
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.85)}' /proc/meminfo)  # MB, leave some for the OS
    ctld_port=${SLURMCTLD_PORT:-6817}
    slurmd_port=${SLURMD_PORT:-6818}

    # ---- munge: slurm's authentication, with its own key and socket ----
    mungekey --create --keyfile "$dir/munge/munge.key" --force 2>/dev/null \
        || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 600 "$dir/munge/munge.key"
    munged --force --key-file "$dir/munge/munge.key" --socket "$dir/munge/munge.socket" \
        --pid-file "$dir/munge/munged.pid" --log-file "$dir/log/munged.log" \
        --seed-file "$dir/munge/munged.seed"
    wait_for 10 munged test -S "$dir/munge/munge.socket" || die "munged did not start: $(cat "$dir/log/munged.log")"

    cat > "$dir/slurm.conf" <<CONF
# one node, localhost; written by tests/slurm/cluster.sh
ClusterName=localcluster
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups in a sandbox: track job processes through /proc, no task confinement
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
# the record of finished jobs
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
AccountingStorageType=${ACCOUNTING_STORAGE_TYPE:-accounting_storage/none}
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
MpiDefault=none
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF" || die "slurmctld failed: $(tail -20 "$dir/log/slurmctld.log")"
    slurmd -f "$SLURM_CONF" -N localhost || die "slurmd failed: $(tail -20 "$dir/log/slurmd.log")"
    wait_for 30 "the node" sh -c 'sinfo -h -N -o %T | grep -qE "^(idle|mixed|allocated)"' \
        || die "the node never became idle: $(sinfo -N 2>&1); $(tail -20 "$dir/log/slurmctld.log")"
    echo "export SLURM_CONF=$dir/slurm.conf"
}

stop() {
    local dir; dir=$(realpath -m "$1")
    local f pid
    for f in "$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [[ -f $f ]] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

case "${1:-}" in
    install) install ;;
    start) [[ $# == 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [[ $# == 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
