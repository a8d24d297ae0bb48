#!/bin/bash
# tests/cloud/cloud.sh - a real all-in-one OpenStack (Debian 12 / Zed packages)
# on 127.0.0.1, for the EC2 gateway's integration tests. See README.md.
#
#   cloud.sh up              install missing packages, start everything, seed (idempotent)
#   cloud.sh down [--purge]  stop what `up` started (by pid file); --purge also wipes the state dir
#   cloud.sh status          service, pid, port, up/down; exit 0 only if all are up
#   cloud.sh env [--admin]   export lines (demo OS_*, EC2 keys of demo and demo2, gateway service user;
#                            --admin: OS_* of the cloud admin)
#   cloud.sh ec2rc [URL]     an ec2rc.sh for the demo user (default endpoint http://127.0.0.1:8788)
#   cloud.sh smoke           smoke test; last line "N passed, N failed"
#   cloud.sh stress [N] [R]  boot N servers at once and delete them at once, R rounds (default 5, 3)
#   cloud.sh packages        the Debian packages `up` installs (tests/fresh/fresh.sh downloads them)
#
# State: $CLOUD_STATE_DIR (default /var/lib/ec2gw-cloud): databases, images,
# keys, logs ($STATE/log), pid files ($STATE/run), generated env.sh.
set -eEuo pipefail    # lib/common.sh installs the ERR trap (tools/lib/errtrap.sh)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cloud/lib/common.sh
. "$HERE/lib/common.sh"
for f in install mariadb rabbitmq keystone placement glance neutron nova ceph cinder; do
    # shellcheck source=/dev/null # each lib/*.sh is checked on its own
    . "$HERE/lib/$f.sh"
done

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; }

need_root() { [ "$(id -u)" = 0 ] || { PHASE=$1; die "cloud.sh $1: must run as root"; }; }

# one up/down at a time
take_lock() {
    mkdir -p "$STATE"
    exec 9> "$STATE/.lock"
    flock -w 1200 9 || die "another cloud.sh up/down holds $STATE/.lock for 20 min"
}

cmd_up() {
    need_root up
    take_lock
    # if up fails, no background db sync may outlive it
    # shellcheck disable=SC2016 # expanded at exit
    ec2gw_at_exit 'for p in "${SYNC_PID[@]}"; do kill $(tree_of "$p") 2>/dev/null; done'
    mkdir -p "$RUN" "$LOG" "$ETC"
    chmod 755 "$STATE" "$LOG"
    log "state dir $STATE"
    install_packages
    for u in keystone placement glance neutron nova cinder rabbitmq mysql ceph; do
        id "$u" > /dev/null 2>&1 || die "system user $u missing: are the packages installed?"
    done
    # MariaDB and RabbitMQ start together; schema syncs of the other
    # services run in the background (they need only MariaDB) while Keystone
    # comes up; then every other service starts at once, and we wait for each.
    local t_db t_mq
    setup_mariadb;  t_db=$PHASE_T0
    setup_rabbitmq; t_mq=$PHASE_T0
    PHASE=mariadb;  PHASE_T0=$t_db; wait_mariadb
    # a daemon that runs but is wedged (no answer, no heartbeat) is restarted
    local d why
    for d in $ALL_DAEMONS; do
        running "$d" || continue
        case " $STARTED " in *" $d "*) continue;; esac    # just started: not up yet
        why=$(health "$d")
        [ -z "$why" ] || { warn "$d (pid $(pid_of "$d")) runs but is unhealthy: $why; restarting it"; stop_one "$d"; }
    done
    conf_placement; conf_glance; conf_neutron; conf_nova; conf_cinder
    # Ceph needs nothing else: it comes up in the background, and Cinder waits for it
    local ceph_bg=
    if [ "$VOLUME_BACKEND" = ceph ]; then
        conf_ceph
        ( setup_ceph ) & ceph_bg=$!
    else
        for d in $CEPH_DAEMONS; do stop_one "$d"; done    # a switch back to the fake backend
    fi
    echo "$VOLUME_BACKEND" > "$STATE/volume-backend"
    local s need=
    for s in neutron nova cinder placement glance; do stamp_ok $s-db "$(pkg_version $s-common)" || need="$need $s"; done
    # shellcheck disable=SC2086 # a list of service names
    if [ -n "$need" ]; then log "db syncs in the background:$need"; bg_sync $need; fi
    setup_keystone
    PHASE=rabbitmq; PHASE_T0=$t_mq; wait_rabbitmq
    declare -A t0
    for s in placement glance neutron nova cinder; do
        if [ $s = cinder ] && [ -n "$ceph_bg" ]; then
            wait "$ceph_bg" || { PHASE=ceph; die "Ceph did not come up (see above); read $LOG/ceph-*.log"; }
        fi
        setup_$s; t0[$s]=$PHASE_T0
    done
    PHASE=placement; PHASE_T0=${t0[placement]}; wait_http placement-api http://127.0.0.1:8778/; phase_done
    PHASE=glance;    PHASE_T0=${t0[glance]};    wait_http glance-api http://127.0.0.1:9292/;    phase_done
    PHASE=neutron;   PHASE_T0=${t0[neutron]};   wait_http neutron-server http://127.0.0.1:9696/; phase_done
    PHASE=cinder;    PHASE_T0=${t0[cinder]};    wait_http cinder-api http://127.0.0.1:8776/;    phase_done
    PHASE=nova;      PHASE_T0=${t0[nova]};      wait_http nova-api http://127.0.0.1:8774/;      phase_done
    phase "compute/volume services"
    local t=$PHASE_T0
    for s in nova-conductor nova-scheduler nova-compute; do wait_heartbeat $s nova; done
    for s in cinder-scheduler cinder-volume; do wait_heartbeat $s cinder; done
    [ "$(date +%s)" -gt "$t" ] && phase_done
    nova_discover
    phase seed; seed resources; phase_done
    # a daemon that died after answering once (bad config, crash) must not go unnoticed
    local bad=
    for d in $ALL_DAEMONS; do running "$d" || bad="$bad $d"; done
    [ -z "$bad" ] || { PHASE=final; die "not running:$bad; read $LOG/<name>.log and $LOG/<name>.out"; }
    log "cloud up in $(( $(date +%s) - T_START ))s${STARTED:+ (started:$STARTED)}; eval \"\$($0 env)\" for credentials"
}

cmd_down() {
    need_root down
    take_lock
    local d f
    # the OpenStack services all at once, then RabbitMQ, epmd, MariaDB
    for d in $ALL_DAEMONS; do
        case $d in mariadb|epmd|rabbitmq|ceph-*) ;; *) stop_one "$d" & ;; esac
    done
    wait
    for d in ceph-osd ceph-mgr ceph-mon rabbitmq epmd mariadb; do stop_one "$d"; done
    for f in "$RUN"/*.pid; do [ -e "$f" ] && stop_one "$(basename "$f" .pid)"; done
    # anything left running as a service user (not started by us, or a lost pid file)?
    local left
    left=$(ps -e -o user=,pid=,args= | awk '$1 ~ /^(keystone|placement|glance|neutron|nova|cinder|rabbitmq|mysql|ceph)$/' || true)
    [ -z "$left" ] || warn "processes of service users still running (not ours; left alone):
$left"
    if [ "${1:-}" = --purge ]; then
        rm -rf "$STATE"
        log "purged $STATE"
    fi
    log "down"
}

cmd_status() {
    local d pid port st why all=0
    printf '%-16s %-8s %-6s %s\n' SERVICE PID PORT STATE
    for d in $ALL_DAEMONS; do
        pid=$(pid_of "$d" 2>/dev/null || true); port=$(port_of "$d"); st=up
        if ! running "$d"; then st=down
        else why=$(health "$d"); [ -z "$why" ] || st="DOWN ($why)"
        fi
        [ "$st" = up ] || all=1
        printf '%-16s %-8s %-6s %s\n' "$d" "${pid:--}" "$port" "$st"
    done
    return $all
}

cmd_env() {
    [ -s "$STATE/env.sh" ] || { PHASE='env'; die "$STATE/env.sh missing; run cloud.sh up first"; }
    if [ "${1:-}" = --admin ]; then cat "$STATE/admin.env"; else cat "$STATE/env.sh"; fi
}

cmd_ec2rc() {
    local ep=${1:-http://127.0.0.1:8788}
    [ -s "$STATE/env.sh" ] || { PHASE=ec2rc; die "$STATE/env.sh missing; run cloud.sh up first"; }
    # shellcheck source=/dev/null # generated by up
    ( . "$STATE/env.sh"
      cat <<EOF
# ec2rc.sh - EC2 credentials of user 'demo' in project 'demo' (like Horizon's
# "Download EC2 Credentials"). Use:  . ec2rc.sh
#   alias ec2='aws --endpoint-url "\$EC2_URL" ec2'    # e.g.  ec2 describe-instances
export EC2_URL=$ep
export EC2_ACCESS_KEY=$EC2_ACCESS_KEY
export EC2_SECRET_KEY=$EC2_SECRET_KEY
export AWS_ACCESS_KEY_ID=$EC2_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$EC2_SECRET_KEY
export AWS_DEFAULT_REGION=RegionOne
export AWS_ENDPOINT_URL_EC2=$ep
EOF
    )
}

run_py_tests() {
    [ -s "$STATE/env.sh" ] || { PHASE=tests; die "$STATE/env.sh missing; run cloud.sh up first"; }
    set -a
    # shellcheck source=/dev/null # generated by up
    . "$STATE/env.sh"
    set +a
    export CLOUD_ADMIN_PASSWORD=$ADMIN_PW
    exec timeout -k 10 1800 $PY "$HERE/smoke.py" "$@"
}

# One line runs it all: bash has read it whole before running it, so an edit of this file
# during a long `up` cannot make bash read a shifted, half-edited rest.
main() {
    case "${1:-}" in
        up) cmd_up ;;
        down) shift; cmd_down "${1:-}" ;;
        status) rc=0; cmd_status || rc=$?; ERR_REPORTED=1; exit $rc ;;    # non-zero is the answer
        env) shift; cmd_env "${1:-}" ;;
        ec2rc) shift; cmd_ec2rc "${1:-}" ;;
        smoke) run_py_tests smoke ;;
        stress) shift; run_py_tests stress "${1:-5}" "${2:-3}" ;;
        packages) echo "${PKGS//$'\n'/ }" ;;
        -h|--help|help) usage ;;
        *) usage >&2; ERR_REPORTED=1; exit 2 ;;
    esac
}
main "$@"; exit
