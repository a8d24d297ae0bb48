#!/usr/bin/python3
"""Seed the test cloud (run by cloud.sh with Debian's /usr/bin/python3).

  seed.py identity   projects, roles, users, service catalog
  seed.py resources  flavors, images, networks, routers, volume type, quotas,
                     EC2 credentials; writes $CLOUD_STATE_DIR/env.sh

Every step is find-or-create, so re-running changes nothing that exists.
Admin credentials come from the OS_* environment (admin.env).
"""
import io
import os
import shlex
import sys
import time
import warnings

warnings.filterwarnings('ignore')
import openstack  # noqa: E402

E = os.environ
STATE = E.get('CLOUD_STATE_DIR', '/var/lib/ec2gw-cloud')
KS = E['OS_AUTH_URL']


def connect(user, pw, project):
    return openstack.connect(
        auth_url=KS, username=user, password=pw, project_name=project,
        user_domain_name='Default', project_domain_name='Default',
        region_name='RegionOne', identity_api_version='3', api_timeout=120)


def say(msg):
    print('[seed] ' + msg, flush=True)


conn = connect('admin', E['OS_PASSWORD'], 'admin')
idc = conn.identity


def project(name):
    return (idc.find_project(name, domain_id='default') or
            idc.create_project(name=name, domain_id='default', description=name))


def user(name, pw, proj):
    u = idc.find_user(name, domain_id='default')
    if u:
        idc.update_user(u, password=pw)
        return u
    say('creating user ' + name)
    return idc.create_user(name=name, password=pw, domain_id='default', default_project_id=proj.id)


def role(name):
    return idc.find_role(name) or idc.create_role(name=name)


def identity():
    service, demo, demo2 = project('service'), project('demo'), project('demo2')
    admin_r, member_r, service_r = role('admin'), role('member'), role('service')
    role('reader')
    idc.assign_project_role_to_user(demo, user('demo', E['CLOUD_DEMO_PASSWORD'], demo), member_r)
    idc.assign_project_role_to_user(demo2, user('demo2', E['CLOUD_DEMO2_PASSWORD'], demo2), member_r)
    pw = E['CLOUD_SERVICE_PASSWORD']
    for s in ['nova', 'placement', 'glance', 'neutron', 'cinder']:
        u = user(s, pw, service)
        idc.assign_project_role_to_user(service, u, admin_r)
        idc.assign_project_role_to_user(service, u, service_r)
    # The EC2 gateway's service user. 'service' suffices for POST /v3/ec2tokens
    # (identity:ec2tokens_validate = rule:service_or_admin), but reading other
    # users' EC2 credentials (GET /v3/credentials/<id>) needs 'admin'.
    gw = user('ec2gw', E['CLOUD_EC2GW_PASSWORD'], service)
    idc.assign_project_role_to_user(service, gw, service_r)
    idc.assign_project_role_to_user(service, gw, admin_r)
    cat = [('nova', 'compute', 'http://127.0.0.1:8774/v2.1'),
           ('placement', 'placement', 'http://127.0.0.1:8778'),
           ('glance', 'image', 'http://127.0.0.1:9292'),
           ('neutron', 'network', 'http://127.0.0.1:9696'),
           ('cinderv3', 'volumev3', 'http://127.0.0.1:8776/v3/%(project_id)s'),
           ('cinder', 'block-storage', 'http://127.0.0.1:8776/v3/%(project_id)s')]
    services = list(idc.services())
    for name, stype, url in cat:
        svc = (next((s for s in services if s.type == stype), None) or
               idc.create_service(name=name, type=stype, is_enabled=True))
        eps = list(idc.endpoints(service_id=svc.id))
        for iface in ('public', 'internal', 'admin'):
            e = next((e for e in eps if e.interface == iface), None)
            if e is None:
                idc.create_endpoint(service_id=svc.id, interface=iface, url=url, region_id='RegionOne')
            elif e.url != url:
                idc.update_endpoint(e, url=url)
    say('identity ok')


def image(name, disk_format, container_format, data):
    img = conn.image.find_image(name)
    if img is not None and img.status == 'active':
        return img
    if img is not None:
        conn.image.delete_image(img)
    say('uploading image ' + name)
    img = conn.image.create_image(name=name, data=io.BytesIO(data), disk_format=disk_format,
                                  container_format=container_format, visibility='public')
    return img


def tenant_network(proj, ext):
    net = conn.network.find_network('private', project_id=proj.id)
    if net is None:
        net = conn.network.create_network(name='private', project_id=proj.id)
    sub = conn.network.find_subnet('private-subnet', network_id=net.id)
    if sub is None:
        sub = conn.network.create_subnet(
            name='private-subnet', network_id=net.id, project_id=proj.id, ip_version=4,
            cidr='10.0.0.0/24', gateway_ip='10.0.0.1', dns_nameservers=[])
    rtr = conn.network.find_router('router1', project_id=proj.id)
    if rtr is None:
        rtr = conn.network.create_router(name='router1', project_id=proj.id,
                                         external_gateway_info={'network_id': ext.id})
    if not any(p.fixed_ips and p.fixed_ips[0]['subnet_id'] == sub.id
               for p in conn.network.ports(device_id=rtr.id)):
        conn.network.add_interface_to_router(rtr, subnet_id=sub.id)


def unlimited_quotas(proj):
    conn.set_compute_quotas(proj.id, instances=-1, cores=-1, ram=-1, key_pairs=-1,
                            server_groups=-1, server_group_members=-1)
    conn.set_volume_quotas(proj.id, volumes=-1, snapshots=-1, gigabytes=-1,
                           backups=-1, backup_gigabytes=-1, per_volume_gigabytes=-1)
    conn.set_network_quotas(proj.id, network=-1, subnet=-1, port=-1, router=-1, floatingip=-1,
                            security_group=-1, security_group_rule=-1)


def ec2_credentials(u, proj):
    """First EC2 credential pair of user u for proj; created if none."""
    path = '/users/%s/credentials/OS-EC2' % u.id
    creds = [c for c in conn.identity.get(path).json()['credentials'] if c['tenant_id'] == proj.id]
    if not creds:
        say('creating EC2 credentials for ' + u.name)
        r = conn.identity.post(path, json={'tenant_id': proj.id})
        r.raise_for_status()
        creds = [r.json()['credential']]
    return creds[0]['access'], creds[0]['secret']


def resources():
    for name, ram, vcpus, disk in [('m1.tiny', 512, 1, 1), ('m1.small', 2048, 1, 20),
                                   ('m1.medium', 4096, 2, 40), ('t2.micro', 1024, 1, 8),
                                   ('t2.small', 2048, 1, 8)]:
        if not conn.compute.find_flavor(name, ignore_missing=True):
            conn.compute.create_flavor(name=name, ram=ram, vcpus=vcpus, disk=disk, is_public=True)
    # tiny public images: the fake virt driver never reads them
    image('cirros-fake', 'raw', 'bare', b'not really a disk image\n')
    image('cirros-fake-kernel', 'aki', 'aki', b'not really a kernel\n')
    image('cirros-fake-ramdisk', 'ari', 'ari', b'not really a ramdisk\n')
    # external network with a floating-IP range (TEST-NET-3, never routed)
    ext = conn.network.find_network('public')
    if ext is None:
        ext = conn.network.create_network(name='public', is_router_external=True, is_shared=False,
                                          provider_network_type='flat',
                                          provider_physical_network='physnet1')
    if not conn.network.find_subnet('public-subnet'):
        conn.network.create_subnet(name='public-subnet', network_id=ext.id, ip_version=4,
                                   cidr='203.0.113.0/24', gateway_ip='203.0.113.1', enable_dhcp=False,
                                   allocation_pools=[{'start': '203.0.113.10', 'end': '203.0.113.250'}])
    demo, demo2 = project('demo'), project('demo2')
    for p in (demo, demo2):
        tenant_network(p, ext)
        unlimited_quotas(p)
    # one type per Cinder backend (lib/cinder.sh); cinder.conf names the default
    for backend in ('fake', 'ceph'):
        if not conn.block_storage.find_type(backend):
            conn.block_storage.create_type(name=backend, is_public=True,
                                           extra_specs={'volume_backend_name': backend})
    ak1, sk1 = ec2_credentials(idc.find_user('demo', domain_id='default'), demo)
    ak2, sk2 = ec2_credentials(idc.find_user('demo2', domain_id='default'), demo2)
    env = [
        ('OS_AUTH_URL', KS), ('OS_IDENTITY_API_VERSION', '3'),
        ('OS_USERNAME', 'demo'), ('OS_PASSWORD', E['CLOUD_DEMO_PASSWORD']),
        ('OS_PROJECT_NAME', 'demo'), ('OS_USER_DOMAIN_NAME', 'Default'),
        ('OS_PROJECT_DOMAIN_NAME', 'Default'), ('OS_REGION_NAME', 'RegionOne'),
        ('EC2_ACCESS_KEY', ak1), ('EC2_SECRET_KEY', sk1), ('EC2_PROJECT_ID', demo.id),
        ('EC2_ACCESS_KEY_2', ak2), ('EC2_SECRET_KEY_2', sk2), ('EC2_PROJECT_ID_2', demo2.id),
        ('DEMO2_USERNAME', 'demo2'), ('DEMO2_PASSWORD', E['CLOUD_DEMO2_PASSWORD']),
        ('DEMO2_PROJECT_NAME', 'demo2'),
        ('EC2GW_KEYSTONE_URL', KS),
        ('EC2GW_SERVICE_USER', 'ec2gw'), ('EC2GW_SERVICE_PASSWORD', E['CLOUD_EC2GW_PASSWORD']),
        ('EC2GW_SERVICE_PROJECT', 'service'), ('EC2GW_SERVICE_USER_DOMAIN', 'Default'),
        ('EC2GW_SERVICE_PROJECT_DOMAIN', 'Default'),
    ]
    path = os.path.join(STATE, 'env.sh')
    with open(path + '.tmp', 'w') as f:
        for k, v in env:
            f.write('export %s=%s\n' % (k, shlex.quote(v)))
    os.chmod(path + '.tmp', 0o600)
    os.replace(path + '.tmp', path)
    say('resources ok; wrote ' + path)


if __name__ == '__main__':
    t = time.time()
    {'identity': identity, 'resources': resources}[sys.argv[1]]()
    say('%s took %.1fs' % (sys.argv[1], time.time() - t))
