#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, with real accounting, for testing the Slurm profile.
#
#   tests/slurm/cluster.sh install        apt-get the Debian packages (root; once per machine)
#   tests/slurm/cluster.sh start DIR      start the daemons with every file they use in DIR
#   tests/slurm/cluster.sh stop DIR       stop them (by the pids recorded in DIR)
#
# The daemons: munged (authentication), mariadbd + slurmdbd (the accounting database that
# `sacct` reads; the Slurm executor plugin polls job states with sacct, and Slurm 22.05 has
# no file-based accounting: with AccountingStorageType=accounting_storage/none, sacct only
# answers "Slurm accounting storage is disabled"), slurmctld and slurmd (one node, localhost).
#
# Clients need `export SLURM_CONF=DIR/slurm.conf`, which `start` prints. One file outside DIR:
# /etc/slurm/slurm.conf becomes a symlink to DIR/slurm.conf while the cluster runs, because the
# Snakemake job step (snakemake-executor-plugin-slurm-jobstep 0.6) drops SLURM_CONF from the
# environment of the `srun` it starts inside each job, so srun reads the default path. `start`
# refuses if a real slurm.conf is there; `stop` removes the symlink. So: one cluster at a time.
#
# Runs as root (a sandbox has no other user): SlurmUser and SlurmdUser are root, no cgroups,
# job processes tracked through /proc. Ports: $SLURMCTLD_PORT (6817),
# $SLURMD_PORT (6818), $SLURMDBD_PORT (6819); MariaDB listens on a socket in DIR only.
# The cluster has one account, `makemore`, with root as its user.
set -euo pipefail

APT_PACKAGES=(slurm-wlm slurmdbd munge mariadb-server)
ACCOUNT=makemore
ETC_CONF=/etc/slurm/slurm.conf

die() { echo "cluster.sh: $*" >&2; exit 1; }

install() {
    command -v apt-get >/dev/null || die "apt-get not found: install ${APT_PACKAGES[*]} yourself"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
}

wait_for() {  # wait_for SECONDS COMMAND...: retry COMMAND until it succeeds
    local t=$1; shift
    for _ in $(seq $((t * 5))); do
        timeout 20 "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

start() {
    local dir; dir=$(realpath -m "$1")
    [[ $(id -u) == 0 ]] || die "must run as root (SlurmUser=root; slurmd runs jobs as their submitter)"
    for b in munged mungekey mariadbd mariadb-install-db slurmdbd slurmctld slurmd sinfo sacct sacctmgr; do
        command -v "$b" >/dev/null || die "$b not found: run '$0 install' first"
    done
    mkdir -p "$dir"/{munge,spool,state,log}
    chmod 700 "$dir/munge"
    local cpus mem ctld_port slurmd_port dbd_port
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.85)}' /proc/meminfo)  # MB; the rest for the OS
    ctld_port=${SLURMCTLD_PORT:-6817} slurmd_port=${SLURMD_PORT:-6818} dbd_port=${SLURMDBD_PORT:-6819}
    export SLURM_CONF="$dir/slurm.conf"     # slurmdbd reads slurmdbd.conf beside it
    export MYSQL_UNIX_PORT="$dir/mysql.sock"  # where slurmdbd's MariaDB client connects

    # ---- munge: slurm's authentication, with its own key and socket ----
    mungekey --create --keyfile "$dir/munge/munge.key" --force
    chmod 600 "$dir/munge/munge.key"
    munged --force --key-file "$dir/munge/munge.key" --socket "$dir/munge/munge.socket" \
        --pid-file "$dir/munge/munged.pid" --log-file "$dir/log/munged.log" \
        --seed-file "$dir/munge/munged.seed"
    wait_for 10 test -S "$dir/munge/munge.socket" || die "munged did not start: $(cat "$dir/log/munged.log")"

    # ---- MariaDB: a private server on a unix socket, root authenticated by the socket ----
    mariadb-install-db --no-defaults --user=root --datadir="$dir/mysql" --skip-test-db \
        --auth-root-authentication-method=socket > "$dir/log/mariadb-install-db.log" 2>&1 \
        || die "mariadb-install-db failed: $(tail -20 "$dir/log/mariadb-install-db.log")"
    setsid mariadbd --no-defaults --user=root --datadir="$dir/mysql" --socket="$MYSQL_UNIX_PORT" \
        --skip-networking --pid-file="$dir/mysql.pid" --log-error="$dir/log/mariadb.log" \
        --innodb-buffer-pool-size=128M --innodb-lock-wait-timeout=900 < /dev/null > /dev/null 2>&1 &
    wait_for 60 mariadb --no-defaults --socket="$MYSQL_UNIX_PORT" -e "select 1" \
        || die "mariadbd did not start: $(tail -20 "$dir/log/mariadb.log")"

    # ---- slurmdbd: the accounting daemon sacct talks to ----
    cat > "$dir/slurmdbd.conf" <<CONF
# written by tests/slurm/cluster.sh
DbdHost=localhost
DbdPort=$dbd_port
SlurmUser=root
PidFile=$dir/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
DebugLevel=info
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
CONF
    chmod 600 "$dir/slurmdbd.conf"

    cat > "$SLURM_CONF" <<CONF
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
# accounting: every job is recorded by slurmdbd, which sacct reads
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd_port
AccountingStoragePass=$dir/munge/munge.socket
AccountingStorageEnforce=associations
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

    # the default path, for clients that lose SLURM_CONF (see the top of this file)
    if [[ -e $ETC_CONF && ! -L $ETC_CONF ]]; then
        die "$ETC_CONF exists and is not ours: this machine has a Slurm of its own"
    fi
    mkdir -p "$(dirname "$ETC_CONF")"
    ln -sfn "$SLURM_CONF" "$ETC_CONF"

    slurmdbd || die "slurmdbd failed: $(tail -20 "$dir/log/slurmdbd.log")"
    wait_for 60 sacctmgr -n list cluster || die "slurmdbd does not answer: $(tail -20 "$dir/log/slurmdbd.log")"
    sacctmgr -i add cluster localcluster >/dev/null
    sacctmgr -i add account "$ACCOUNT" cluster=localcluster description=tests organization=tests >/dev/null
    sacctmgr -i add user root account="$ACCOUNT" defaultaccount="$ACCOUNT" cluster=localcluster >/dev/null

    # ---- slurmctld and slurmd ----
    slurmctld || die "slurmctld failed: $(tail -20 "$dir/log/slurmctld.log")"
    slurmd -N localhost || die "slurmd failed: $(tail -20 "$dir/log/slurmd.log")"
    wait_for 60 sh -c 'sinfo -h -N -o %T | grep -qE "^(idle|mixed|allocated)"' \
        || die "the node never became idle: $(sinfo -N 2>&1); $(tail -20 "$dir/log/slurmctld.log")"
    echo "export SLURM_CONF=$SLURM_CONF"
}

stop() {
    local dir; dir=$(realpath -m "$1")
    local f pid
    if [[ -L $ETC_CONF && $(readlink "$ETC_CONF") == "$dir/slurm.conf" ]]; then
        rm -f "$ETC_CONF"
    fi
    # reverse order of start; a daemon that is already gone is fine
    for f in "$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/slurmdbd.pid" "$dir/mysql.pid" \
             "$dir/munge/munged.pid"; do
        [[ -f $f ]] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

case "${1:-}" in
    install) install ;;
    start) [[ $# == 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [[ $# == 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
