#!/bin/bash
# tools/run.sh - build ec2gwd, bring up the project's all-in-one OpenStack when no other cloud
# is configured, and run ec2gwd in the foreground on 127.0.0.1:8788.
#
# To use your own cloud instead, export EC2GW_CONF_DIR=/path/to/conf.d (with your Keystone
# URL and service user) and EC2GW_SERVICE_PASSWORD; the all-in-one cloud is then not started.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/lib/errtrap.sh
. tools/lib/errtrap.sh
ec2gw_errtrap tools/run.sh
t0=$(date +%s)
# one line per phase (tests/fresh/fresh.sh times them)
phase() { PHASE=$1; ERR_LOG=${2:-}; echo "== [run +$(($(date +%s) - t0))s] $1"; }

phase packages /var/log/ec2gw-deps.log
bash tools/deps.sh
phase build "the compiler output above"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEC2GW_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
CONF=${EC2GW_CONF_DIR:-}
if [ -z "$CONF" ]; then
    phase cloud "the [cloud] lines above"
    bash tests/cloud/cloud.sh up
    eval "$(bash tests/cloud/cloud.sh env)"
    export EC2GW_SERVICE_PASSWORD
    # The checkout's conf.d plus one drop-in that keeps this run's database in the checkout
    # ($ROOT/var, git-ignored): /var/lib/ec2gw belongs to the ec2gw package, whose daemon runs
    # as user ec2gw and could not write a database this root-run daemon made there.
    CONF=$ROOT/var/conf.d
    rm -rf "$CONF"
    mkdir -p "$CONF"
    ln -s "$ROOT"/conf.d/*.yaml "$CONF/"
    printf 'paths:\n  database: %s/var/ec2gw.sqlite\n' "$ROOT" > "$CONF/90-tools-run.yaml"
    bash tests/cloud/cloud.sh ec2rc http://127.0.0.1:8788 > "$ROOT/ec2rc.sh"
    cat <<TXT

ec2gwd is starting on http://127.0.0.1:8788 against the all-in-one cloud. In another shell:

    source $ROOT/ec2rc.sh
    aws --endpoint-url http://127.0.0.1:8788 ec2 describe-regions

TXT
fi
phase daemon "the ec2gwd output above"
build-release/daemon/ec2gwd -c "$CONF" --check-config --plugin-dir build-release/plugins
exec build-release/daemon/ec2gwd -c "$CONF" --plugin-dir build-release/plugins
