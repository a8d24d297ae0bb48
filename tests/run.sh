#!/bin/bash
# tests/run.sh - every test of ec2gw on a fresh Debian 12 machine (run as root):
# packages, a sanitizer build, the unit tests, the all-in-one OpenStack, its smoke test, and
# the integration tests of the daemon against it with real clients.
{ # bash reads all of it before running it: an edit during a run cannot derail the run
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/lib/errtrap.sh
. tools/lib/errtrap.sh
ec2gw_errtrap tests/run.sh
t0=$(date +%s)
phase() { PHASE=$*; echo "== [tests +$(( $(date +%s) - t0 ))s] $*"; }

phase "dependencies"
bash tools/deps.sh --test
phase "build (ASan + UBSan, -Werror)"
cmake -S . -B build -DEC2GW_SANITIZE=ON -DEC2GW_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
phase "unit tests"
(cd build && ctest -L unit --output-on-failure -j2)
phase "fuzz smoke (libFuzzer + ASan/UBSan, 20 s per harness)"; bash tests/fuzz/run.sh 20
phase "all-in-one OpenStack"
bash tests/cloud/cloud.sh up
bash tests/cloud/cloud.sh smoke
phase "JS SDK for the integration tests"
# --prefer-offline: the npm cache first (tests/fresh/fresh.sh --tests fills it; its machine has no network)
(cd tests/integration/js && npm ci --no-audit --no-fund --prefer-offline)
phase "integration tests"
(cd build && ctest -L integration -V)
phase "done"
exit
}
