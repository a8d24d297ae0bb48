# lib/install.sh - Debian packages (installed only when missing).

PKGS="mariadb-server mariadb-client python3-pymysql rabbitmq-server
keystone placement-api nova-api nova-conductor nova-scheduler nova-compute nova-compute-ironic
glance-api neutron-server cinder-api cinder-scheduler cinder-volume
ceph-mon ceph-mgr ceph-osd ceph-common python3-rbd python3-rados
python3-openstackclient python3-openstacksdk python3-botocore uwsgi-plugin-python3
curl procps iproute2 util-linux"

install_packages() {
    phase packages
    local missing="" p made_policy=0
    local installed
    # dpkg-query exits 1 when any package is unknown or missing: that is the
    # answer we want, not a failure (under pipefail it ended the script silently).
    # shellcheck disable=SC2086 # a list of package names
    installed=" $( { dpkg-query -W -f='${Status} ${Package}\n' $PKGS 2>/dev/null || true; } | awk '/^install ok installed /{print $4}' | tr '\n' ' ') "
    for p in $PKGS; do
        case "$installed" in *" $p "*) ;; *) missing="$missing $p";; esac
    done
    if [ -z "$missing" ]; then return 0; fi
    log "installing:$missing"
    # shellcheck disable=SC2034 # read by tools/lib/errtrap.sh
    ERR_LOG=$LOG/apt-install.log
    # No systemd here: keep the packages' maintainer scripts from starting
    # daemons (we start everything ourselves, on 127.0.0.1 only).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1
    fi
    # The dbconfig/ksat/endpoint questions of Debian's OpenStack packages
    # default to false; pin them anyway.
    debconf-set-selections <<'SEL'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
placement-common placement/configure_db boolean false
placement-common placement/configure_ksat boolean false
nova-common nova/configure_db boolean false
nova-common nova/configure_ksat boolean false
nova-common nova/configure_rabbit boolean false
nova-api novaapi/configure_db boolean false
nova-api nova/configure_api-endpoint boolean false
glance-common glance/configure_db boolean false
glance-common glance/configure_ksat boolean false
neutron-common neutron/configure_db boolean false
neutron-common neutron/configure_ksat boolean false
cinder-common cinder/configure_db boolean false
cinder-common cinder/configure_ksat boolean false
SEL
    local rc=0
    # shellcheck disable=SC2086 # a list of package names
    {
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get install -y -q --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing
    } >> "$LOG/apt-install.log" 2>&1 || rc=$?
    [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ $rc != 0 ]; then tail -30 "$LOG/apt-install.log" >&2; die "apt-get failed (rc=$rc); read $LOG/apt-install.log"; fi
    phase_done "installed:$missing"
}
