#!/bin/bash
# tests/fresh/packages.sh [--list] - the README's "Install from packages", on the fresh machine.
#
# Run by tests/fresh/ns_init.sh inside the fresh machine, in the checkout's copy, once the
# README's tools/run.sh has its ec2gwd answering (so the all-in-one cloud is up). Follows the
# README's section step by step:
#   apt-get install debhelper rpm            the build tools beyond tools/deps.sh's
#   contrib/deb/build.sh /tmp/ec2gw-debs     and contrib/rpm/build.sh /tmp/ec2gw-rpms
#   apt-get install ./ec2gw_*.deb
#   the site's settings in a drop-in, 50-site.yaml (Keystone URL, service user, listener on port
#   8790: tools/run.sh's ec2gwd holds 8788, 8789 is the metadata port; the conffiles stay as
#   shipped: dpkg --verify), the password in ec2gw.env
#   /usr/sbin/ec2gwd started as the unit starts it (no systemd runs here): its ExecStart=, as
#   its User=, with its EnvironmentFile=, in its WorkingDirectory (StateDirectory)
#   its first answer: /healthz, then awscli describe-regions with the README's ec2rc.sh
# then stops that daemon and purges the package, leaving the machine as tools/run.sh left it
# (tests/run.sh's it_test_package wants ec2gw not installed). The last line reads
# "packages: <figures>" for fresh.sh's report.
# --list prints the packages it installs (fresh.sh downloads them beforehand: no network here).
{ # bash reads all of it before running it
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lib/errtrap.sh
. tools/lib/errtrap.sh
ec2gw_errtrap tests/fresh/packages.sh
PKGS="debhelper rpm"
if [ "${1:-}" = --list ]; then
    echo "$PKGS"
    exit 0
fi
PORT=${EC2GW_FRESH_PKG_PORT:-8790}
OUT=/tmp/ec2gw-fresh-packages
LOG=$OUT/ec2gwd.log
rm -rf "$OUT"
mkdir -p "$OUT"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
kib() { du -k "$1" | cut -f1; }

PHASE="apt-get install $PKGS" ERR_LOG=$OUT/apt.log
t=$(now)
# shellcheck disable=SC2086 # a list of package names
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS > "$ERR_LOG" 2>&1
t_tools=$(secs "$t" "$(now)")

PHASE="contrib/deb/build.sh" ERR_LOG=$OUT/deb-build.log
t=$(now)
bash contrib/deb/build.sh "$OUT/debs" > "$ERR_LOG" 2>&1
t_deb=$(secs "$t" "$(now)")
deb=$(ls "$OUT"/debs/ec2gw_*_amd64.deb)
sdk=$(ls "$OUT"/debs/ec2gw-sdk-dev_*_amd64.deb)

PHASE="contrib/rpm/build.sh" ERR_LOG=$OUT/rpm-build.log
t=$(now)
bash contrib/rpm/build.sh "$OUT/rpms" > "$ERR_LOG" 2>&1
t_rpm=$(secs "$t" "$(now)")
rpm_main=$(ls "$OUT"/rpms/ec2gw-0*.rpm)
rpm -qp --requires "$rpm_main" > /dev/null

PHASE="apt-get install ./ec2gw.deb" ERR_LOG=$OUT/apt.log
t_install0=$(now)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" >> "$ERR_LOG" 2>&1
t_install=$(secs "$t_install0" "$(now)")
getent passwd ec2gw > /dev/null || ec2gw_fail "the package made no system user ec2gw"
[ "$(stat -c %a /etc/ec2gw/ec2gw.env)" = 600 ] || ec2gw_fail "/etc/ec2gw/ec2gw.env is not 0600"

PHASE="site settings" ERR_LOG=
eval "$(bash tests/cloud/cloud.sh env)"
# as the README says: a drop-in of the site's own; the packaged conffiles stay as shipped
site=/etc/ec2gw/conf.d/50-site.yaml
printf 'listen:\n  port: %s\nkeystone:\n  url: %s\n  service_user: %s\n' \
    "$PORT" "$EC2GW_KEYSTONE_URL" "$EC2GW_SERVICE_USER" > "$site"
echo "EC2GW_SERVICE_PASSWORD=$EC2GW_SERVICE_PASSWORD" >> /etc/ec2gw/ec2gw.env
[ -z "$(dpkg --verify ec2gw)" ] || ec2gw_fail "dpkg --verify ec2gw: $(dpkg --verify ec2gw)"

PHASE="start the installed daemon as its unit does" ERR_LOG=$LOG
unit=/lib/systemd/system/ec2gwd.service
[ -f "$unit" ] || unit=/usr/lib/systemd/system/ec2gwd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
if [ -z "$exec_start" ] || [ -z "$user" ]; then ec2gw_fail "$unit has no ExecStart= or User="; fi
envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
[ "$envfile" = /etc/ec2gw/ec2gw.env ] || ec2gw_fail "$unit reads $envfile, not /etc/ec2gw/ec2gw.env"
# shellcheck disable=SC2046 # KEY=VALUE words, as systemd's EnvironmentFile= gives them
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 $(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$envfile") \
    /usr/sbin/ec2gwd --check-config -c /etc/ec2gw/conf.d > "$LOG" 2>&1
t_start0=$(now)
# shellcheck disable=SC2046,SC2086 # as above; ExecStart= is split into words as systemd does
(cd /var/lib/ec2gw && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    $(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$envfile") \
    setpriv --reuid="$user" --regid="$user" --init-groups -- $exec_start) >> "$LOG" 2>&1 &
pid=$!
stop_daemon() { kill -TERM "$pid" 2> /dev/null && wait "$pid" 2> /dev/null; return 0; }
ec2gw_at_exit stop_daemon

PHASE="first answer of the installed daemon" ERR_LOG=$LOG
for _ in $(seq 1 600); do
    kill -0 "$pid" 2> /dev/null || ec2gw_fail "the installed ec2gwd exited"
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2).read()" \
        "http://127.0.0.1:$PORT/healthz" 2> /dev/null && break
    sleep 0.1
done
# shellcheck source=/dev/null # written by tools/run.sh
. ./ec2rc.sh
aws --endpoint-url "http://127.0.0.1:$PORT" ec2 describe-regions --output text > "$OUT/answer.txt"
grep -q RegionOne "$OUT/answer.txt" || ec2gw_fail "describe-regions through the installed ec2gwd: $(cat "$OUT/answer.txt")"
t_answer=$(now)
# the process that answered is the installed binary, running as the unit's user
[ "$(readlink "/proc/$pid/exe")" = /usr/sbin/ec2gwd ] || ec2gw_fail "pid $pid is $(readlink "/proc/$pid/exe"), not /usr/sbin/ec2gwd"
[ "$(stat -c %U "/proc/$pid")" = "$user" ] || ec2gw_fail "ec2gwd runs as $(stat -c %U "/proc/$pid"), not $user"
db=/var/lib/ec2gw/ec2gw.sqlite
[ "$(stat -c %U "$db" 2> /dev/null)" = "$user" ] ||
    ec2gw_fail "the database is not owned by $user: $(find /var/lib/ec2gw -maxdepth 1 -printf '%u %m %p; ')"
# ... and the daemon can write it: an id made and kept (DescribeImages names each image ami-...)
aws --endpoint-url "http://127.0.0.1:$PORT" ec2 describe-images --output text > "$OUT/images.txt"
grep -q 'ami-' "$OUT/images.txt" || ec2gw_fail "describe-images through the installed ec2gwd: $(head -c 300 "$OUT/images.txt")"
[ "$(sqlite3 "$db" "SELECT count(*) FROM items WHERE id LIKE 'ami-%'")" -gt 0 ] ||
    ec2gw_fail "no ami- id kept in $db after DescribeImages"

PHASE="stop and purge" ERR_LOG=$OUT/apt.log
stop_daemon
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ec2gw >> "$ERR_LOG" 2>&1
# the site's drop-in is the admin's file, not the package's: purge leaves it, and only it
left=$(find /etc/ec2gw -type f)
[ "$left" = "$site" ] || ec2gw_fail "after purge /etc/ec2gw holds [$left], not just $site"
rm -f "$site"
rmdir /etc/ec2gw/conf.d /etc/ec2gw
for f in /usr/sbin/ec2gwd /etc/ec2gw /var/lib/ec2gw; do
    [ ! -e "$f" ] || ec2gw_fail "$f left after purge"
done
echo "packages: apt-get install $PKGS ${t_tools}s, deb build ${t_deb}s (ec2gw $(kib "$deb") kB, ec2gw-sdk-dev $(kib "$sdk") kB)," \
    "rpm build ${t_rpm}s ($(basename "$rpm_main") $(kib "$rpm_main") kB), apt-get install ${t_install}s," \
    "install to first answer $(secs "$t_install0" "$t_answer")s (start to first answer $(secs "$t_start0" "$t_answer")s), purged"
exit 0
}
