#!/usr/bin/env bash
# The one definition of "set up and run the tests", on a fresh Debian machine or an existing
# checkout: the README's test command and CI (.ci/run) both run this file, with the same arguments.
#
#   bash scripts/test.sh --names=path/to/names.txt [more pytest arguments]
#
# 1. System packages, with apt-get (as root, or through sudo), each for the tests that need it:
#      graphviz        `dot`: the site's pipeline graph (every site test)
#      chromium        the browser tests of the site and its widgets (tests/test_site.py)
#      nodejs          the BatchNorm widget's logic run outside a browser (tests/test_extras.py)
#      npm             installs axe-core (step 3); only if there is no `npm` command (a Node.js
#                      that ships its own npm, such as NodeSource's nodejs, has one)
#      slurm-wlm slurmdbd munge mariadb-server
#                      a one-node Slurm cluster with accounting (tests/test_slurm.py); its
#                      daemons are started by the test itself and need root
#    Already installed packages are left alone; without apt-get the step is skipped (install the
#    equivalents yourself), and the tests whose tool is missing fail, naming it.
# 2. A virtual environment .venv (created if missing) with the project and its test extras.
# 3. The JavaScript the browser tests inject into the site's pages, from the npm registry at the
#    versions package.json pins (axe-core: WCAG 2.1 AA on every page, tests/test_site.py), into
#    node_modules/ (gitignored; never copied into the repository).
# 4. pytest, with the arguments given here.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

APT_PACKAGES=(graphviz chromium nodejs slurm-wlm slurmdbd munge mariadb-server)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "scripts/test.sh: no apt-get here; install ${missing[*]} (or their equivalents) yourself" >&2
    else
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        echo "scripts/test.sh: installing ${missing[*]} with ${SUDO:-root} apt-get" >&2
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

PY=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[test]"

# exact versions (package.json), no lock file written; a second run finds them installed
npm install --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null

exec pytest "$@"
