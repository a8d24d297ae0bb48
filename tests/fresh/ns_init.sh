#!/bin/bash
# tests/fresh/ns_init.sh ROOT ARCHIVES LOGS TIMEOUT BREAK [TESTS_TIMEOUT NPM_CACHE]
# - pid 1 of the fresh machine.
# Run by fresh.sh as `unshare --net --pid --mount --uts --ipc --fork --kill-child`, with this
# machine's /: it mounts what the chroot needs (all in the private mount namespace, so they
# vanish with it), brings up the namespace's own loopback, runs the README's `tools/run.sh`
# chrooted in ROOT, and waits until `aws ec2 describe-regions` through ec2gwd answers (or, with
# BREAK set, until the run fails). Then tests/fresh/packages.sh (the README's "Install from
# packages"; within the same TIMEOUT). With TESTS_TIMEOUT > 0 it then runs the README's second
# command, `tests/run.sh`, in the same machine (ec2gwd of tools/run.sh still running, as in
# the README), with NPM_CACHE as root's npm cache, for at most TESTS_TIMEOUT seconds (or until
# the epoch second N when it is @N).
# When this script exits, the kernel kills every process of the namespace. Results go to LOGS:
# run.log, packages.log and tests.log (each line prefixed with its epoch second), answer.txt,
# result ("answered T", "failed RC T" or "timeout T"), packages_result and tests_result
# ("passed T", "failed RC T" or "timeout T"), ns (namespace ids).
{ # bash reads all of it before running it: an edit during a run cannot derail the run
R=$1 ARCHIVES=$2 LOGS=$3 TIMEOUT=$4 BREAK=${5:-} TESTS_TIMEOUT=${6:-0} NPM_CACHE=${7:-}
# shellcheck source=tools/lib/errtrap.sh
. "$(dirname "$0")/../../tools/lib/errtrap.sh"
ec2gw_errtrap tests/fresh/ns_init.sh
ERR_LOG=$LOGS/run.log
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

PHASE=namespace
{ readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; readlink /proc/self/ns/net; } > "$LOGS/ns"
hostname ec2gw-fresh
ip link set lo up
mount --make-rprivate /
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
# a minimal /dev of our own, like a container's: no host disks, a private pts and shm
mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"
for d in null zero full random urandom tty; do
    touch "$R/dev/$d"
    mount --bind "/dev/$d" "$R/dev/$d"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
# the packages fresh.sh downloaded (apt-get install still installs them)
mount --bind "$ARCHIVES" "$R/var/cache/apt/archives"
# the npm packages fresh.sh downloaded for tests/run.sh's `npm ci` (no network here)
if [ -n "$NPM_CACHE" ]; then
    mkdir -p "$R/root/.npm"
    mount --bind "$NPM_CACHE" "$R/root/.npm"
fi

inside() {
    chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# run_logged LOG CMD: run the shell command CMD in /root/ec2gw inside, in the background ($!),
# each output line to LOG with its epoch second and to stdout indented
run_logged() {
    echo "$(date +%s) start" > "$1"
    (
        set +e
        inside /bin/bash -c "cd /root/ec2gw && exec $2" < /dev/null 2>&1 |
            while IFS= read -r l; do
                printf '%(%s)T %s\n' -1 "$l" >> "$1"
                printf '  | %s\n' "$l"
            done
        exit "${PIPESTATUS[0]}"
    ) &
}

PHASE="tools/run.sh"
run_logged "$LOGS/run.log" tools/run.sh
run=$!

PHASE="first answer"
end=$(($(date +%s) + TIMEOUT))
while :; do
    if ! kill -0 "$run" 2> /dev/null; then
        rc=0
        wait "$run" || rc=$?
        echo "failed $rc $(date +%s)" > "$LOGS/result"
        exit 0
    fi
    if [ -z "$BREAK" ] && [ -s "$R/root/ec2gw/ec2rc.sh" ] && grep -q '^[0-9]* == \[run .*\] daemon$' "$LOGS/run.log" &&
        inside /bin/bash -c '. /root/ec2gw/ec2rc.sh &&
            timeout 60 aws --endpoint-url http://127.0.0.1:8788 ec2 describe-regions --output text' \
            > "$LOGS/answer.txt" 2>&1 && grep -q RegionOne "$LOGS/answer.txt"; then
        echo "answered $(date +%s)" > "$LOGS/result"
        break
    fi
    if [ "$(date +%s)" -ge "$end" ]; then
        echo "timeout $(date +%s)" > "$LOGS/result"
        exit 0
    fi
    sleep 3
done

# await PID END RESULT: wait for the background run PID until the epoch second END, then write
# "passed T", "failed RC T" or "timeout T" to RESULT; true only when it passed
await() {
    local rc=0
    while kill -0 "$1" 2> /dev/null; do
        if [ "$(date +%s)" -ge "$2" ]; then
            echo "timeout $(date +%s)" > "$3"
            return 1
        fi
        sleep 3
    done
    wait "$1" || rc=$?
    if [ $rc = 0 ]; then
        echo "passed $(date +%s)" > "$3"
        return 0
    fi
    echo "failed $rc $(date +%s)" > "$3"
    return 1
}

# The README's "Install from packages", on the same machine (its cloud is up): build both
# formats, install the .deb, run the installed daemon as its unit would, purge.
PHASE="tests/fresh/packages.sh"
run_logged "$LOGS/packages.log" "bash tests/fresh/packages.sh"
pkgs_ok=1
await $! "$end" "$LOGS/packages_result" || pkgs_ok=0
# its logs (not the packages) outlive the machine's root, which teardown removes
mkdir -p "$LOGS/packages"
cp "$R"/tmp/ec2gw-fresh-packages/*.log "$R"/tmp/ec2gw-fresh-packages/*.txt "$LOGS/packages/" 2> /dev/null || true
[ $pkgs_ok = 1 ] || exit 0
[ "$TESTS_TIMEOUT" != 0 ] || exit 0

PHASE="tests/run.sh"
case $TESTS_TIMEOUT in
    @*) end=${TESTS_TIMEOUT#@} ;;
    *) end=$(($(date +%s) + TESTS_TIMEOUT)) ;;
esac
run_logged "$LOGS/tests.log" tests/run.sh
await $! "$end" "$LOGS/tests_result" || true
exit 0
}
