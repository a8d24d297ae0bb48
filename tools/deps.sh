#!/bin/bash
# tools/deps.sh - install the Debian 12 packages ec2gw needs to build and test (as root).
# Idempotent: installs only what is missing.
#   deps.sh [--test]           build dependencies and awscli (for the README's first request);
#                              --test: also what the tests need
#   deps.sh --list [--test]    print the package names, install nothing
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/lib/errtrap.sh
. "$ROOT/tools/lib/errtrap.sh"
ec2gw_errtrap tools/deps.sh
PHASE=packages
TEST=0 LIST=0
for a in "$@"; do
    case $a in
        --test) TEST=1 ;;
        --list) LIST=1 ;;
        *) echo "usage: tools/deps.sh [--list] [--test]" >&2; ERR_REPORTED=1; exit 2 ;;
    esac
done
PKGS="build-essential cmake pkg-config clang-format libevent-dev libcurl4-openssl-dev
libjansson-dev libyaml-dev libsqlite3-dev libxml2-dev libssl-dev libcmocka-dev sqlite3 curl
libmariadb-dev"
PKGS="$PKGS awscli"
[ $TEST = 1 ] && PKGS="$PKGS python3 python3-boto3 putty-tools shellcheck clang libclang-rt-14-dev"
# the clients of tests/integration/test_client_*.py (issue 18)
[ $TEST = 1 ] && PKGS="$PKGS python3-libcloud python3-boto libnet-amazon-ec2-perl libvm-ec2-perl golang-go golang-github-aws-aws-sdk-go-dev"
# the AWS SDK for JavaScript (tests/integration/js, npm ci): Debian 12's node 18 and npm 9
[ $TEST = 1 ] && PKGS="$PKGS nodejs npm"
# cloud-init's EC2 datasource, the real client of the metadata tests; inert (see below)
[ $TEST = 1 ] && PKGS="$PKGS cloud-init"
# issue 17: the packages (dpkg-buildpackage, lintian, rpmbuild), the unit file's
# `systemd-analyze verify`, the real logrotate, and the two-node test's HAProxy (its MariaDB
# is the all-in-one cloud's package, tests/cloud/lib/install.sh)
[ $TEST = 1 ] && PKGS="$PKGS debhelper lintian rpm systemd logrotate haproxy"
# issue 20: the Puppet module's rspec-puppet, puppet-lint and `puppet apply` tests; the Rally
# plugin's `rally task start` (Debian's python3, so boto3 from Debian's package too)
[ $TEST = 1 ] && PKGS="$PKGS puppet puppet-lint ruby-rspec-puppet puppet-module-puppetlabs-stdlib"
[ $TEST = 1 ] && PKGS="$PKGS rally python3-rally-openstack"
# shellcheck disable=SC2086 # one line
if [ $LIST = 1 ]; then echo $PKGS; exit 0; fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# The python3 on PATH may be another Python that already has boto3 and awscli.
drop=()
command -v aws >/dev/null && drop+=(-e awscli)
[ $TEST = 1 ] && python3 -c 'import boto3' 2>/dev/null && drop+=(-e python3)
# A node >= 18 with npm (nodesource's, nvm's) does for the JS tests.
node_ok() {
    local major
    command -v npm >/dev/null || return 1
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
    [ "$major" -ge 18 ] 2>/dev/null
}
[ $TEST = 1 ] && node_ok && drop+=(-e nodejs -e npm)
if [ ${#drop[@]} != 0 ]; then
    missing=$(echo "$missing" | tr ' ' '\n' | { grep -vx "${drop[@]}" || true; } | tr '\n' ' ')
fi
if [ -n "${missing// /}" ]; then
    echo "[deps] installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    ERR_LOG=/var/log/ec2gw-deps.log
    echo "=== $(date -Is) apt-get install$missing" >> "$ERR_LOG"
    apt-get update -q >> "$ERR_LOG" 2>&1
    # cloud-init's documented off switch, before its package exists: a machine that runs the
    # tests must not hand its next boot (network, users, ssh keys) to cloud-init.
    case " $missing " in *" cloud-init "*)
        mkdir -p /etc/cloud
        touch /etc/cloud/cloud-init.disabled
        echo "[deps] cloud-init installed inert: /etc/cloud/cloud-init.disabled (remove it to enable cloud-init at boot)"
        ;;
    esac
    # No package may start its daemon (haproxy, puppet's agent): the tests start what they
    # need themselves, on 127.0.0.1, with their own configuration (as tests/cloud does).
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
        ec2gw_at_exit "rm -f /usr/sbin/policy-rc.d"
    fi
    rc=0
    # shellcheck disable=SC2086 # a list of package names
    apt-get install -y -q --no-install-recommends $missing >> "$ERR_LOG" 2>&1 || rc=$?
    [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ $rc != 0 ]; then
        tail -15 "$ERR_LOG" >&2
        ec2gw_fail "apt-get install failed"
    fi
fi
echo "[deps] build dependencies present"
