# lib/common.sh - settings and helpers shared by every phase of cloud.sh.
# Sourced, never executed.
# shellcheck disable=SC2034 # the settings here are used by the other lib/*.sh

# The OpenStack tools are Debian's: no pyenv/venv python3 may shadow /usr/bin/python3.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV PYENV_VERSION 2>/dev/null || true
export PYTHONWARNINGS=ignore
export LC_ALL=C.UTF-8

STATE=${CLOUD_STATE_DIR:-/var/lib/ec2gw-cloud}
RUN=$STATE/run            # pid files (one per daemon; pid == session id == process group id)
LOG=$STATE/log            # every service log and daemon stdout
ETC=$STATE/etc            # generated uwsgi ini files, my.cnf
STAMPS=$STATE/stamps      # "db synced for package version X" markers
ADMIN_PW=${CLOUD_ADMIN_PASSWORD:-adminpw}
DEMO_PW=${CLOUD_DEMO_PASSWORD:-demopw}
DEMO2_PW=${CLOUD_DEMO2_PASSWORD:-demo2pw}
SVC_PW=${CLOUD_SERVICE_PASSWORD:-servicepw}
EC2GW_PW=${CLOUD_EC2GW_PASSWORD:-ec2gwpw}
RABBIT_PW=${CLOUD_RABBIT_PASSWORD:-rabbitpw}
DB_PW=${CLOUD_DB_PASSWORD:-dbpw}
KS=http://127.0.0.1:5000
TRANSPORT=rabbit://openstack:${RABBIT_PW}@127.0.0.1:5672/
DB_SOCK=$STATE/mysqld/mysqld.sock
NOVA_HOST=aio-compute
# Cinder's volume backend (lib/cinder.sh): ceph (default, stores data) or fake. The choice of
# the last `up` is kept in $STATE/volume-backend, so status/down/up without the setting follow it.
VOLUME_BACKEND=${CLOUD_VOLUME_BACKEND:-$(cat "$STATE/volume-backend" 2>/dev/null || echo ceph)}
case $VOLUME_BACKEND in ceph|fake) ;; *) echo "CLOUD_VOLUME_BACKEND=$VOLUME_BACKEND: must be ceph or fake" >&2; exit 2;; esac
PY=/usr/bin/python3
UWSGI=/usr/bin/uwsgi_python311
[ -x "$UWSGI" ] || UWSGI=/usr/bin/uwsgi_python3

# Deadlines (seconds). Every wait in this script has one.
T_HTTP=${CLOUD_HTTP_TIMEOUT:-120}
T_CMD=${CLOUD_CMD_TIMEOUT:-900}
T_STOP=${CLOUD_STOP_TIMEOUT:-20}

# Every failing command is reported with the phase and the log to read (issue 10).
# shellcheck source=tools/lib/errtrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../tools/lib/errtrap.sh"
ec2gw_errtrap cloud.sh
LOGS_HINT="$LOG/<service>.log and .out"
ERR_LOG=$LOGS_HINT

T_START=$(date +%s)
log()  { echo "[cloud +$(( $(date +%s) - T_START ))s] $*"; }
warn() { echo "[cloud +$(( $(date +%s) - T_START ))s] WARNING: $*" >&2; }
die()  { echo "[cloud +$(( $(date +%s) - T_START ))s] ERROR in phase '${PHASE:-?}': $*" >&2; ERR_REPORTED=1; exit 1; }

PHASE=
PHASE_T0=0
phase() { PHASE=$1; PHASE_T0=$(date +%s); ERR_LOG=$LOGS_HINT; }
phase_done() { log "$PHASE up ($(( $(date +%s) - PHASE_T0 ))s)${1:+ - $1}"; }

# run_logged LOGFILE CMD... : run with a deadline, output appended to LOGFILE;
# on failure show its tail and die naming the phase and the log.
run_logged() {
    local lf=$1; shift
    echo "=== $(date -Is) $*" >> "$lf"
    if [ "$1" = as_user ]; then
        local u=$2; shift 2
        chown "$u" "$lf"
        set -- env HOME="/var/lib/$u" setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
    fi
    if ! timeout -k 10 "$T_CMD" "$@" >> "$lf" 2>&1; then
        echo "----- tail of $lf -----" >&2; tail -25 "$lf" >&2
        die "'$*' failed or timed out (${T_CMD}s); read $lf"
    fi
}

# user_log USER NAME... : $LOG/NAME.log exists and USER may write it
user_log() { local u=$1 n; shift; for n in "$@"; do touch "$LOG/$n.log"; chown "$u" "$LOG/$n.log"; done; }

as_user() { local u=$1; shift; env HOME="/var/lib/$u" setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; }

pid_of() { [ -f "$RUN/$1.pid" ] && cat "$RUN/$1.pid"; }
# is_ours NAME PID : PID still runs the program we started (not a recycled pid);
# $RUN/NAME.sig holds the basename of that program
is_ours() {
    local sig; sig=$(cat "$RUN/$1.sig" 2>/dev/null) || return 0
    tr '\0' ' ' < "/proc/$2/cmdline" 2>/dev/null | grep -qF "$sig"
}
running() { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null && is_ours "$1" "$p"; }
# save_pid NAME PID PROGRAM
save_pid() { echo "$2" > "$RUN/$1.pid"; basename "$3" > "$RUN/$1.sig"; }

# write_if_changed FILE [OWNER] < content : returns 0 if the file changed.
# Keeps configs byte-identical on re-runs, so a warm `up` changes nothing.
write_if_changed() {
    local f=$1 owner=${2:-} tmp
    tmp=$(mktemp)
    cat > "$tmp"
    if [ -f "$f" ] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; return 1; fi
    [ -f "$f" ] && [ ! -e "$f.dpkg-orig" ] && [ "${f#/etc/}" != "$f" ] && cp -p "$f" "$f.dpkg-orig"
    mkdir -p "$(dirname "$f")"
    mv "$tmp" "$f"; chmod 640 "$f"
    [ -n "$owner" ] && chown "root:$owner" "$f"
    return 0
}

# CHANGED holds the names of the services whose config changed during this run;
# a running one is restarted by start_* so the change takes effect.
CHANGED=" "
mark_changed() { local s; for s in "$@"; do CHANGED="$CHANGED$s "; done; }
is_changed() { case "$CHANGED" in *" $1 "*) return 0;; esac; return 1; }

# start_daemon NAME USER CMD... : CMD runs as USER in a new session (setsid),
# so pid == sid == pgid and `down` can kill the whole group and find strays.
start_daemon() {
    local name=$1 user=$2; shift 2
    if running "$name"; then
        if is_changed "$name"; then log "$name: config changed, restarting"; stop_one "$name"
        else return 0; fi
    fi
    touch "$LOG/$name.log" "$LOG/$name.out"
    [ "$user" = root ] || chown "$user" "$LOG/$name.log" "$LOG/$name.out"
    echo "=== $(date -Is) start" >> "$LOG/$name.out"
    ( cd /; exec setsid setpriv --reuid="$user" --regid="$user" --init-groups -- \
        env HOME="$(getent passwd "$user" | cut -d: -f6)" "$@" >> "$LOG/$name.out" 2>&1 < /dev/null 9>&- ) &
    save_pid "$name" $! "$1"
    START_UTC[$name]=$(date -u '+%F %T')
    STARTED="$STARTED $name"
    log "started $name (pid $!)"
}
STARTED=
declare -A START_UTC=()

# n_services NAME : rows NAME writes in the services table (cinder-volume: one per backend)
n_services() { if [ "$1" = cinder-volume ] && [ "$VOLUME_BACKEND" = ceph ]; then echo 2; else echo 1; fi; }

# wait_heartbeat NAME DB : a daemon started in this run has reported its
# service state (rows in DB.services written since it started)
wait_heartbeat() {
    local name=$1 db=$2 since=${START_UTC[$1]:-} end n
    [ -n "$since" ] || return 0
    end=$(( $(date +%s) + T_HTTP ))
    while :; do
        n=$(echo "SELECT COUNT(*) FROM services WHERE \`binary\` = '$name' AND deleted = 0
                  AND COALESCE(updated_at, created_at) >= '$since'" | sql "$db" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$(n_services "$name")" ] && return 0
        running "$name" || die "$name exited; read $LOG/$name.log and $LOG/$name.out"
        [ "$(date +%s)" -lt "$end" ] || die "$name did not report its state within ${T_HTTP}s; read $LOG/$name.log"
        sleep 1
    done
}

# start_uwsgi NAME USER PORT WSGI_SCRIPT [PROCESSES] [extra ini lines] : 127.0.0.1 only.
# One thread per process: with several threads, Keystone deadlocked at a
# restart under concurrent logins (eventlet "greenlet.error: cannot switch to
# a different thread", then every request hung). harakiri recycles a worker
# whose request runs longer than 300 s, so a stuck request cannot wedge it.
start_uwsgi() {
    local name=$1 user=$2 port=$3 wsgi=$4 procs=${5:-1} extra=${6:-}
    write_if_changed "$ETC/$name-uwsgi.ini" <<EOF && mark_changed "$name"
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$port
master = true
processes = $procs
threads = 1
harakiri = 300
lazy-apps = true
enable-threads = true
die-on-term = true
no-orphans = true
buffer-size = 65535
add-header = Connection: close
uid = $user
gid = $user
chdir = /var/lib/$user
wsgi-file = $wsgi
logto = $LOG/$name.log
$extra
EOF
    chmod 644 "$ETC/$name-uwsgi.ini"
    touch "$LOG/$name.log"; chown "$user" "$LOG/$name.log"
    start_daemon "$name" root "$UWSGI" --ini "$ETC/$name-uwsgi.ini"
}

# wait_http NAME URL [SECONDS] : any HTTP answer counts; dies naming the log.
wait_http() {
    local name=$1 url=$2 secs=${3:-$T_HTTP} end
    end=$(( $(date +%s) + secs ))
    while ! curl -s -o /dev/null -m 3 "$url"; do
        if ! running "$name"; then
            echo "----- tail of $LOG/$name.out -----" >&2; tail -15 "$LOG/$name.out" >&2
            die "$name exited before answering on $url; read $LOG/$name.log and $LOG/$name.out"
        fi
        [ "$(date +%s)" -lt "$end" ] || die "$name did not answer on $url within ${secs}s; read $LOG/$name.log"
        sleep 0.5
    done
}

# stamp NAME : "db sync of NAME done for this package version" marker.
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
stamp_ok()  { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }

# DB schema syncs only need MariaDB: cold starts run them in the background
# (bg_sync) while Keystone comes up; setup_X then waits for its own (await_sync).
declare -A SYNC_PID=()
bg_sync() { local s; for s in "$@"; do ( "sync_$s" ) & SYNC_PID[$s]=$!; done; }
await_sync() {
    if [ -n "${SYNC_PID[$1]:-}" ]; then
        wait "${SYNC_PID[$1]}" || die "db sync of $1 failed (see above; logs in $LOG/*manage*.log)"
        unset "SYNC_PID[$1]"
    else
        "sync_$1"
    fi
}

# ------------------------------------------------------------- stopping --
# tree_of PID : the session/process group PID leads (every daemon is started
# with setsid) plus all descendants of its members. Descendants matter:
# some daemons' children start their own session (erlang's erl_child_setup).
tree_of() {
    ps -e -o pid=,ppid=,sid=,pgid= | awk -v s="$1" '
        { pid[NR] = $1; pp[NR] = $2; if ($3 == s || $4 == s || $1 == s) mark[$1] = 1 }
        END { do { n = 0
                   for (i = 1; i <= NR; i++) if (!(pid[i] in mark) && (pp[i] in mark)) { mark[pid[i]] = 1; n++ }
              } while (n)
              for (p in mark) print p }'
}

alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && echo "$p"; done; return 0; }

# stop_one NAME : SIGTERM the daemon's whole tree, SIGKILL what is left after T_STOP.
# shellcheck disable=SC2086,SC2046 # $procs and tree_of are lists of pids
stop_one() {
    local name=$1 pid procs end
    pid=$(pid_of "$name") || return 0
    [ -n "$pid" ] || { rm -f "$RUN/$name.pid"; return 0; }
    if kill -0 "$pid" 2>/dev/null && ! is_ours "$name" "$pid"; then
        warn "$name: pid $pid now runs something else (recycled pid); not touching it"
        rm -f "$RUN/$name.pid" "$RUN/$name.sig"; return 0
    fi
    procs=$(tree_of "$pid")
    if [ -n "$procs" ]; then
        if [ "$name" = rabbitmq ]; then timeout 30 rabbitmqctl -q stop > /dev/null 2>&1 || true; fi
        kill -TERM -- "-$pid" 2>/dev/null; kill -TERM $procs 2>/dev/null
        end=$(( $(date +%s) + T_STOP ))
        while :; do
            procs=$(alive $procs $(tree_of "$pid") | sort -u)
            if [ -z "$procs" ] || [ "$(date +%s)" -ge "$end" ]; then break; fi
            sleep 0.3
        done
        if [ -n "$procs" ]; then
            warn "$name (pid $pid): $(echo $procs | wc -w) process(es) left after ${T_STOP}s, SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null; kill -KILL $procs 2>/dev/null
            sleep 0.5
        fi
        log "stopped $name (pid $pid)"
    fi
    rm -f "$RUN/$name.pid" "$RUN/$name.sig"
}

# All daemons, in start order (down stops them in reverse).
ALL_DAEMONS="mariadb epmd rabbitmq keystone placement-api glance-api neutron-server
nova-api nova-conductor nova-scheduler nova-compute cinder-api cinder-scheduler cinder-volume"
CEPH_DAEMONS="ceph-mon ceph-mgr ceph-osd"
[ "$VOLUME_BACKEND" != ceph ] || ALL_DAEMONS="$ALL_DAEMONS $CEPH_DAEMONS"

port_of() {
    case $1 in
        mariadb) echo 3306;; epmd) echo 4369;; rabbitmq) echo 5672;; keystone) echo 5000;;
        placement-api) echo 8778;; glance-api) echo 9292;; neutron-server) echo 9696;;
        nova-api) echo 8774;; cinder-api) echo 8776;; ceph-mon) echo 3300;; *) echo -;;
    esac
}

# health NAME : "" if healthy, else why not. APIs must answer HTTP within 10 s;
# RPC workers must have reported their service state within the last 90 s.
health() {
    local name=$1 port db n
    running "$name" || { echo "not running"; return; }
    port=$(port_of "$name")
    case $name in
        mariadb|epmd|rabbitmq|ceph-mon|ceph-mgr)
            [ "$port" = - ] || ss -Hltn "sport = :$port" | grep -q 127.0.0.1 || echo "not listening on $port";;
        ceph-osd)    # the mon's view needs the admin key (root); else running is all we know
            [ ! -r /etc/ceph/ceph.client.admin.keyring ] || ceph_osd_up || echo "osd.0 not up in the osd map";;
        nova-conductor|nova-scheduler|nova-compute|cinder-scheduler|cinder-volume)
            db=${name%%-*}
            n=$(echo "SELECT COUNT(*) FROM services WHERE \`binary\` = '$name' AND deleted = 0
                 AND TIMESTAMPDIFF(SECOND, COALESCE(updated_at, created_at), UTC_TIMESTAMP()) < 90" \
                 | sql "$db" 2>/dev/null || true)
            # at least: a backend dropped by a switch keeps a fresh row for 90 s
            [ "${n:-0}" -ge "$(n_services "$name")" ] || echo "no service heartbeat in 90 s";;
        *)
            [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" != 000 ] \
                || echo "not answering on 127.0.0.1:$port";;
    esac
}

# authtoken SERVICE_USER : [keystone_authtoken] section
authtoken() {
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SVC_PW
region_name = RegionOne
service_token_roles = service
service_token_roles_required = true
memcached_servers =
EOF
}

# svc_auth SECTION USER : keystoneauth password plugin section
svc_auth() {
    cat <<EOF
[$1]
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $SVC_PW
region_name = RegionOne
EOF
}

# db_url DBNAME : SQLAlchemy URL (one MariaDB user per database, same name)
db_url() { echo "mysql+pymysql://$1:$DB_PW@127.0.0.1:3306/$1?charset=utf8"; }
