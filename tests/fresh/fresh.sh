#!/bin/bash
# tests/fresh/fresh.sh - the README's set-up command on a fresh Debian 12 machine (issue 10).
#
#   tests/fresh/fresh.sh                         prove it; on success write tests/fresh/proven.sha256
#   tests/fresh/fresh.sh --tests                 also run the README's second command,
#       tests/run.sh, in the same machine once ec2gwd answers, and print its phases' times
#   tests/fresh/fresh.sh --break-package [deps|cloud]
#       misspell a package name in the copy's tools/deps.sh (deps, the default) or
#       tests/cloud/lib/install.sh (cloud) and check that the run fails naming the phase and the log
#
# As root. Phases:
#  1. debootstrap  a minbase Debian 12 root under /var/tmp, from this machine's Debian mirror; the
#                  downloaded .debs are cached as a tarball in $CACHE (rebuilt after 30 days), and
#                  the root debootstrap made of them as a tar (re-made with the tarball)
#  2. copy         the checkout as git sees it: tracked and untracked files, not ignored ones
#  3. download     chrooted WITH network: apt-get update, and `install --download-only` of what
#                  tools/deps.sh (--test with --tests) and cloud.sh list, into $CACHE/archives.
#                  Nothing is installed. With --tests, also the npm packages of
#                  tests/integration/js into $CACHE/npm (once per package-lock.json: `npm ci`
#                  in a throwaway second root with Debian's nodejs and npm), for its `npm ci`.
#  4. run          `tools/run.sh` chrooted in new net, pid, mount, uts and ipc namespaces
#                  (tests/fresh/ns_init.sh is their pid 1): its own loopback, so its cloud cannot
#                  meet a cloud running on this machine, and no network: its apt-get update keeps
#                  the lists of 3 and its apt-get install installs every package from the
#                  downloaded archives. Then `aws ec2 describe-regions` through ec2gwd, inside.
#                  Then the README's "Install from packages" (tests/fresh/packages.sh: both
#                  package formats built, the .deb installed, its daemon run as its unit
#                  would, purged). With --tests, then `tests/run.sh` inside (npm: $CACHE/npm).
#  5. teardown     pid 1 exits: the kernel kills every process of the namespace, and its mounts
#                  go with the mount namespace. Checks that no process and no mount is left, then
#                  removes the root (the cache stays).
# Prints the time of each phase and the disk used. Logs: $CACHE/last-run/.
# Knobs: EC2GW_FRESH_CACHE (/var/cache/ec2gw-fresh), EC2GW_FRESH_TIMEOUT (3600 s for step 4),
# EC2GW_FRESH_TESTS_TIMEOUT (7200 s for tests/run.sh; @EPOCH: until then), EC2GW_FRESH_MIRROR (default: the first
# bookworm mirror of /etc/apt/sources*), EC2GW_FRESH_REV (copy this commit, e.g. HEAD, instead
# of the working tree: a checkout others are editing).
{ # bash reads all of it before running it: an edit during a run cannot derail the run
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/lib/errtrap.sh
. "$ROOT/tools/lib/errtrap.sh"
ec2gw_errtrap tests/fresh/fresh.sh

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; }
BREAK='' TESTS=0
case ${1:-} in
    "") ;;
    --tests) TESTS=1 ;;
    --break-package)
        BREAK=${2:-deps}
        case $BREAK in deps | cloud) ;; *) usage >&2; ERR_REPORTED=1; exit 2 ;; esac
        ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; ERR_REPORTED=1; exit 2 ;;
esac

PHASE=setup
[ "$(id -u)" = 0 ] || ec2gw_fail "must run as root"
CACHE=${EC2GW_FRESH_CACHE:-/var/cache/ec2gw-fresh}
TIMEOUT=${EC2GW_FRESH_TIMEOUT:-3600}
TESTS_TIMEOUT=0
[ $TESTS = 0 ] || TESTS_TIMEOUT=${EC2GW_FRESH_TESTS_TIMEOUT:-7200}
REV=${EC2GW_FRESH_REV:-}
SUITE=bookworm
LOGS=$CACHE/last-run
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$CACHE/archives/partial"
exec 8> "$CACHE/.lock"
flock -w 7200 8 || ec2gw_fail "another fresh.sh holds $CACHE/.lock"
rm -rf "$LOGS"
mkdir -p "$LOGS"

T0=$(date +%s)
declare -A SECS=()
phase() { PHASE=$1; ERR_LOG=${2:-}; PT0=$(date +%s); echo "== [fresh +$((PT0 - T0))s] $1"; }
phase_done() { SECS[$PHASE]=$(($(date +%s) - PT0)); }

WORK=$(mktemp -d /var/tmp/ec2gw-fresh.XXXXXX)
R=$WORK/root
NS_PID=

# processes whose root, cwd or pid namespace is the fresh machine's
leftovers() {
    local p r ns
    ns=$(head -1 "$LOGS/ns" 2> /dev/null || true)
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2> /dev/null) || continue
        case $r in "$R" | "$R"/*) echo "${p#/proc/}"; continue ;; esac
        r=$(readlink "$p/cwd" 2> /dev/null) || continue
        case $r in "$WORK" | "$WORK"/*) echo "${p#/proc/}"; continue ;; esac
        [ -n "$ns" ] && [ "$(readlink "$p/ns/pid" 2> /dev/null)" = "$ns" ] && echo "${p#/proc/}"
    done
    return 0
}
mounts() { awk -v r="$WORK" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo; }

# Runs on every exit: the namespace dies with its pid 1 (--kill-child kills that when unshare
# dies); the root is removed only when nothing runs in it and nothing is mounted under it.
# shellcheck disable=SC2317 # called by ec2gw_at_exit
teardown() {
    local left mnt i
    [ -n "$NS_PID" ] && kill -KILL "$NS_PID" 2> /dev/null
    for i in $(seq 1 50); do
        left=$(leftovers)
        mnt=$(mounts)
        [ -z "$left$mnt" ] && break
        sleep 0.2
    done
    if [ -n "$left$mnt" ]; then
        echo "ERROR in tests/fresh/fresh.sh, phase 'teardown': left behind: processes [$left] mounts [$mnt]; $WORK kept" >&2
        return 1
    fi
    rm -rf --one-file-system "$WORK"
    echo "teardown: no process, no mount left; $WORK removed"
}
ec2gw_at_exit teardown

# The first bookworm mirror of this machine's apt sources (deb822 or one-line style).
host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s=$SUITE 'function out() { if (ok && u != "") print u; u = ""; ok = 0 }
            /^[[:space:]]*$/ { out() } /^URIs:/ { u = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 } END { out() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v s=$SUITE '$1 == "deb" { sub(/\[[^]]*\] */, ""); if ($3 == s) print $2 }' "$f"
    done
}
MIRROR=${EC2GW_FRESH_MIRROR:-$(host_mirror | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# -------------------------------------------------------------------------- debootstrap --
phase debootstrap "$LOGS/debootstrap.log"
if ! command -v debootstrap > /dev/null; then
    echo "installing debootstrap"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap; } \
        >> "$LOGS/debootstrap.log" 2>&1 || ec2gw_fail "apt-get install debootstrap failed"
fi
TARBALL=$CACHE/$SUITE-minbase-$(echo "$MIRROR" | sha256sum | cut -c1-12).tgz
ROOTTAR=${TARBALL%.tgz}.root.tar # what debootstrap made of TARBALL, before anything else
if [ ! -s "$TARBALL" ] || [ -n "$(find "$TARBALL" -mtime +30)" ]; then
    echo "downloading the base system from $MIRROR into $TARBALL"
    rm -f "$CACHE/new.tgz" "$ROOTTAR"
    debootstrap --variant=minbase --make-tarball="$CACHE/new.tgz" $SUITE "$WORK/tarball" "$MIRROR" \
        >> "$LOGS/debootstrap.log" 2>&1
    mv "$CACHE/new.tgz" "$TARBALL"
    rm -rf "$WORK/tarball"
fi
if [ -s "$ROOTTAR" ] && [ "$ROOTTAR" -nt "$TARBALL" ]; then
    echo "unpacking the debootstrapped root $ROOTTAR"
    mkdir "$R"
    tar -C "$R" --numeric-owner -xpf "$ROOTTAR"
else
    echo "debootstrap --unpack-tarball $TARBALL"
    # in its own mount namespace: whatever debootstrap mounts goes away with it
    unshare --mount --fork -- debootstrap --variant=minbase --unpack-tarball="$TARBALL" $SUITE "$R" "$MIRROR" \
        >> "$LOGS/debootstrap.log" 2>&1
    tar -C "$R" --numeric-owner -cf "$CACHE/new.root.tar" . && mv "$CACHE/new.root.tar" "$ROOTTAR"
fi
phase_done

# ---------------------------------------------------------------------------------- copy --
phase copy
mkdir -p "$R/root/ec2gw"
if [ -n "$REV" ]; then
    echo "copying commit $(git -C "$ROOT" rev-parse --short "$REV") ($REV), not the working tree"
    git -C "$ROOT" archive "$REV" | tar -C "$R/root/ec2gw" -xf -
else
    (cd "$ROOT" && git ls-files -z -co --exclude-standard |
        while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -C "$R/root/ec2gw" -xf -
fi
# what fresh.sh proves is the copy: hash it now, not after a run others may edit during
HASH=$(bash "$ROOT/tests/fresh/install_path_hash.sh" "$R/root/ec2gw")
# the machine's name and hosts, as a Debian install sets them; the same Debian sources as here
echo ec2gw-fresh > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tec2gw-fresh\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
cp /etc/resolv.conf "$R/etc/resolv.conf"
copied=0
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    grep -qE '^(URIs:|deb )' "$f" || continue
    grep -E '^(URIs:|deb )' "$f" | grep -qv debian && continue # not Debian's archive
    mkdir -p "$R$(dirname "$f")"
    cp "$f" "$R$f"
    copied=1
done
if [ $copied = 1 ] && [ ! -e /etc/apt/sources.list ]; then rm -f "$R/etc/apt/sources.list"; fi
phase_done

# ------------------------------------------------------------------------------ download --
phase download "$LOGS/download.log"
DEPS_ARGS=(--list)
[ $TESTS = 0 ] || DEPS_ARGS+=(--test)
PKGS_DEPS=$(bash "$R/root/ec2gw/tools/deps.sh" "${DEPS_ARGS[@]}")
PKGS_CLOUD=$(bash "$R/root/ec2gw/tests/cloud/cloud.sh" packages)
PKGS_CLOUD="$PKGS_CLOUD $(bash "$R/root/ec2gw/tests/fresh/packages.sh" --list)"
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --pid --fork --kill-child -- bash -c '
    set -eu
    mount -t proc proc "$1/proc"
    mount --bind "$2" "$1/var/cache/apt/archives"
    chroot "$1" /usr/bin/env -i PATH="$5" HOME=/root DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 bash -c "
        set -eu
        apt-get update -q
        apt-get install -y -q --no-install-recommends --download-only $3
        apt-get install -y -q --no-install-recommends --download-only $4
        apt-get autoclean -q"' _ "$R" "$CACHE/archives" "$PKGS_DEPS" "$PKGS_CLOUD" "$SYSPATH" \
    >> "$LOGS/download.log" 2>&1 || ec2gw_fail "downloading the packages failed"
NPM_CACHE=
if [ $TESTS = 1 ]; then
    # tests/run.sh's `npm ci --prefer-offline` inside reads root's npm cache; filled by the same
    # `npm ci` with network in a second, throwaway root (the fresh one must stay without node)
    js=$R/root/ec2gw/tests/integration/js
    NPM_CACHE=$CACHE/npm
    key=$(cat "$js/package.json" "$js/package-lock.json" | sha256sum | cut -c1-16)
    if [ ! -e "$NPM_CACHE/.filled-$key" ]; then
        echo "filling $NPM_CACHE for tests/integration/js/package-lock.json"
        N=$WORK/npmroot
        mkdir -p "$N" "$NPM_CACHE"
        tar -C "$N" --numeric-owner -xpf "$ROOTTAR"
        mkdir -p "$N/root/js" "$N/root/.npm"
        cp "$js/package.json" "$js/package-lock.json" "$N/root/js/"
        cp /etc/resolv.conf "$N/etc/resolv.conf"
        cp -r "$R/etc/apt/." "$N/etc/apt/"
        # this machine's CAs: npm's registry may be reached through an inspecting proxy here
        cafile=
        if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
            cp /etc/ssl/certs/ca-certificates.crt "$N/root/host-ca.crt"
            cafile=/root/host-ca.crt
        fi
        # shellcheck disable=SC2016 # expanded by the inner shell
        unshare --mount --pid --fork --kill-child -- bash -c '
            set -eu
            mount -t proc proc "$1/proc"
            mount --bind "$2" "$1/var/cache/apt/archives"
            mount --bind "$3" "$1/root/.npm"
            chroot "$1" /usr/bin/env -i PATH="$4" HOME=/root DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8                 npm_config_cafile="$5" bash -c "
                set -eu
                [ -n \"\$npm_config_cafile\" ] || unset npm_config_cafile
                apt-get update -q
                apt-get install -y -q --no-install-recommends nodejs npm
                cd /root/js && npm ci --no-audit --no-fund"' _ "$N" "$CACHE/archives" "$NPM_CACHE" "$SYSPATH" "$cafile" \
            >> "$LOGS/download.log" 2>&1 || ec2gw_fail "downloading the npm packages failed"
        rm -rf --one-file-system "$N"
        touch "$NPM_CACHE/.filled-$key"
    fi
fi
phase_done

# ----------------------------------------------------------------------------------- run --
phase "run tools/run.sh" "$LOGS/run.log"
# after the download: only the README's own install step meets the misspelt name
if [ -n "$BREAK" ]; then
    case $BREAK in deps) f=tools/deps.sh ;; cloud) f=tests/cloud/lib/install.sh ;; esac
    sed -i '0,/^PKGS="/s//PKGS="ec2gw-no-such-packge /' "$R/root/ec2gw/$f"
    grep -q 'ec2gw-no-such-packge' "$R/root/ec2gw/$f" || ec2gw_fail "no PKGS= line in $f to break"
    echo "broke $f: PKGS starts with ec2gw-no-such-packge"
fi
unshare --net --pid --mount --uts --ipc --fork --kill-child -- \
    bash "$ROOT/tests/fresh/ns_init.sh" "$R" "$CACHE/archives" "$LOGS" "$TIMEOUT" "$BREAK" "$TESTS_TIMEOUT" "$NPM_CACHE" &
NS_PID=$!
wait "$NS_PID" || ec2gw_fail "the namespace's pid 1 failed"
NS_PID=
phase_done
read -r result rc_or_t t_fail < "$LOGS/result" || ec2gw_fail "no result from ns_init.sh"

# ------------------------------------------------------------------------------ teardown --
phase teardown
# The namespace's pid 1 has exited: the kernel has killed the rest. Nothing may be left.
for i in $(seq 1 50); do
    left=$(leftovers)
    mnt=$(mounts)
    [ -z "$left$mnt" ] && break
    sleep 0.2
done
[ -z "$left$mnt" ] || ec2gw_fail "left behind after ${i} tries: processes [$left] mounts [$mnt]"
echo "no process and no mount of the fresh machine left"
DISK_ROOT=$(du -sm "$R" | cut -f1)
DISK_DEBS=$(du -sm "$CACHE/archives" | cut -f1)
phase_done

if [ -n "$BREAK" ]; then
    PHASE="check the broken run"
    case $BREAK in
        deps) want_log=/var/log/ec2gw-deps.log ;;
        cloud) want_log=/var/lib/ec2gw-cloud/log/apt-install.log ;;
    esac
    [ "$result" = failed ] || ec2gw_fail "the run with a misspelt package did not fail ($result)"
    echo "tools/run.sh exited with status $rc_or_t; its error lines:"
    grep -E 'ERROR|read' "$LOGS/run.log" | cut -d' ' -f2- | sed 's/^/  | /'
    grep -q "phase 'packages'" "$LOGS/run.log" || ec2gw_fail "the error does not name the phase 'packages'"
    grep -qF "read: $want_log" "$LOGS/run.log" || grep -qF "read $want_log" "$LOGS/run.log" ||
        ec2gw_fail "the error does not name the log $want_log"
    grep -q 'Unable to locate package ec2gw-no-such-packge' "$R$want_log" ||
        ec2gw_fail "$want_log does not say which package is missing"
    echo "PASS: a misspelt package in $BREAK fails the README's command in phase 'packages', naming $want_log"
    exit 0
fi

# --------------------------------------------------------------------------------- report --
PHASE=report
case $result in
    answered) ;;
    failed) ec2gw_fail "tools/run.sh exited with status $rc_or_t before ec2gwd answered" ;;
    *) ec2gw_fail "no answer from ec2gwd within ${TIMEOUT}s" ;;
esac
t_answer=$rc_or_t
: "${t_fail:=}"
read -r presult _ < "$LOGS/packages_result" 2> /dev/null || presult=none
case $presult in
    passed) ;;
    failed) PHASE=packages ERR_LOG=$LOGS/packages.log ec2gw_fail "tests/fresh/packages.sh (README \"Install from packages\") failed" ;;
    *) PHASE=packages ERR_LOG=$LOGS/packages.log ec2gw_fail "tests/fresh/packages.sh did not finish within ${TIMEOUT}s" ;;
esac
pnote=$(sed -n 's/^[0-9]* packages: //p' "$LOGS/packages.log" | tail -1)
# phase boundaries from run.log: "<epoch> == [run +Ns] <phase>" and cloud.sh's
# "[cloud +Ns] packages up (Ms) - installed: ..."
at() { awk -v p="$1" '$2 == "==" && $5 == p { print $1; exit }' "$LOGS/run.log"; }
t_start=$(head -1 "$LOGS/run.log" | cut -d' ' -f1)
t_build=$(at build)
t_cloud=$(at cloud)
t_daemon=$(at daemon)
cloud_pkgs=$(sed -n 's/.*\[cloud +[0-9]*s\] packages up (\([0-9]*\)s).*/\1/p' "$LOGS/run.log" | head -1)
cloud_pkgs=${cloud_pkgs:-0}
if [ -z "$t_start" ] || [ -z "$t_build" ] || [ -z "$t_cloud" ] || [ -z "$t_daemon" ]; then
    ec2gw_fail "phase lines missing in $LOGS/run.log"
fi
SECS[packages]=$((t_build - t_start + cloud_pkgs))
SECS[build]=$((t_cloud - t_build))
SECS[cloud]=$((t_daemon - t_cloud - cloud_pkgs))
SECS[first answer]=$((t_answer - t_daemon))
total=$(($(date +%s) - T0))
echo "ec2gwd answered inside the fresh machine:"
sed 's/^/  | /' "$LOGS/answer.txt"
note="debootstrap ${SECS[debootstrap]}s, copy ${SECS[copy]}s, download ${SECS[download]}s,"
note="$note packages ${SECS[packages]}s (installed by tools/run.sh: deps.sh $((t_build - t_start))s + cloud.sh ${cloud_pkgs}s),"
note="$note build ${SECS[build]}s, cloud ${SECS[cloud]}s, first answer ${SECS[first answer]}s,"
note="$note teardown ${SECS[teardown]}s, total ${total}s; disk: root ${DISK_ROOT} MB + downloaded packages ${DISK_DEBS} MB"
echo "PASS: $note"
echo "README \"Install from packages\": $pnote"
tnote=
if [ $TESTS = 1 ]; then
    # tests/run.sh's phases from tests.log: "<epoch> == [tests +Ns] <phase>"; each lasts until
    # the next one (the last, "done", or the end of the log when it failed)
    read -r tresult trc_or_t _ < "$LOGS/tests_result" 2> /dev/null || tresult=none
    t_last=$(tail -1 "$LOGS/tests.log" | cut -d' ' -f1)
    case $tresult in passed) how="" ;; failed) how=" (failed)" ;; *) how=" (cut off)" ;; esac
    tnote=$(awk -v end="$t_last" -v how="$how" '$2 == "==" && $3 == "[tests" {
            if (name != "") out = out sprintf("%s %ds, ", name, $1 - t)
            name = $5; for (i = 6; i <= NF; i++) name = name " " $i; t = $1; first = first ? first : $1 }
        END { if (name != "done" && name != "") out = out sprintf("%s %ds%s, ", name, end - t, how)
              printf "%stotal %ds", out, end - first }' "$LOGS/tests.log")
    case $tresult in
        passed) tnote="tests/run.sh passed inside: $tnote" ;;
        failed) tnote="tests/run.sh FAILED inside (exit status $trc_or_t): $tnote" ;;
        *) tnote="tests/run.sh did not finish in time (EC2GW_FRESH_TESTS_TIMEOUT=$TESTS_TIMEOUT): $tnote" ;;
    esac
    echo "$tnote"
    if [ "$tresult" != passed ]; then
        echo "its error lines and failed tests (whole log: $LOGS/tests.log):"
        grep -E 'ERROR in|\*\*\*Failed|\*\*\*Timeout|FAILED|^[0-9]+ (ERROR|FAIL):' "$LOGS/tests.log" | cut -d' ' -f2- | sed 's/^/  | /' | head -40
    fi
fi
{
    echo "$HASH"
    echo "# tests/fresh/fresh.sh passed $(date -u '+%F %T') UTC on $(uname -r), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg):"
    echo "# $note"
    echo "# README \"Install from packages\": $pnote"
    if [ -n "$tnote" ]; then echo "# $tnote"; fi
} > "$ROOT/tests/fresh/proven.sha256"
echo "wrote tests/fresh/proven.sha256 (commit it with the change it proves)"
[ "$(bash "$ROOT/tests/fresh/install_path_hash.sh")" = "$HASH" ] ||
    echo "NOTE: the install path changed in this checkout during the run; the proof is for the copied state"
if [ $TESTS = 1 ] && [ "$tresult" != passed ]; then
    PHASE="tests/run.sh" ERR_LOG=$LOGS/tests.log
    ec2gw_fail "the set-up command is proven, but the README's tests/run.sh did not pass on the fresh machine"
fi
exit
}
