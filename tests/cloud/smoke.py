#!/usr/bin/python3
"""Smoke and stress tests of the test cloud, making the calls the EC2 gateway
makes. Run through `cloud.sh smoke` / `cloud.sh stress [N] [ROUNDS]`, which
export env.sh; needs Debian's /usr/bin/python3 (openstacksdk, botocore).

The last line printed is "N passed, N failed"; the exit code is 1 on failure.
"""
import concurrent.futures
import hashlib
import io
import json
import os
import sys
import time
import urllib.error
import urllib.request
import warnings
from urllib.parse import parse_qsl, urlsplit

warnings.filterwarnings('ignore')
import openstack  # noqa: E402
from botocore.auth import SigV4Auth, SigV4QueryAuth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

E = os.environ
KS = E['EC2GW_KEYSTONE_URL']
GW_HOST = '127.0.0.1:8788'    # the gateway's address as seen by the client (only signed, never called)
PREFIX = 'smoke-'
T0 = time.time()
results = []


def step(name):
    def deco(fn):
        t = time.time()
        try:
            out = fn()
            ok, msg = True, '' if out is None else str(out)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            ok, msg = False, '%s: %s' % (type(e).__name__, str(e)[:400])
        results.append((name, ok))
        print('%s %-55s %5.1fs %s' % ('PASS' if ok else 'FAIL', name, time.time() - t, msg), flush=True)
        return fn
    return deco


# Deadlines are generous (x SMOKE_TIMEOUT_SCALE, default 2) so that a loaded
# 2-core machine never turns into a failure; a stuck resource still fails.
SCALE = float(E.get('SMOKE_TIMEOUT_SCALE', '2'))


def wait(fn, pred, timeout, what):
    timeout *= SCALE
    end = time.time() + timeout
    while True:
        v = fn()
        if pred(v):
            return v
        if time.time() > end:
            raise TimeoutError('%s: not reached in %ss (last status %s)'
                               % (what, timeout, getattr(v, 'status', v)))
        time.sleep(1)


def sdk(user, pw, project):
    return openstack.connect(
        auth_url=KS, username=user, password=pw, project_name=project,
        user_domain_name='Default', project_domain_name='Default', region_name='RegionOne',
        identity_api_version='3', compute_api_version='2.79', api_timeout=120)


demo = sdk('demo', E['OS_PASSWORD'], 'demo')
adm = sdk('admin', E['CLOUD_ADMIN_PASSWORD'], 'admin')
gw = sdk(E['EC2GW_SERVICE_USER'], E['EC2GW_SERVICE_PASSWORD'], E['EC2GW_SERVICE_PROJECT'])


def keystone(method, path, token=None, body=None):
    hdr = {'Content-Type': 'application/json'}
    if token:
        hdr['X-Auth-Token'] = token
    r = urllib.request.Request(KS + path, method=method, headers=hdr,
                               data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as e:
        return e.code, None


# ---------------------------------------------------------------- keystone --
def signed_post(ak, sk):
    """What the gateway receives for a SigV4 form POST, turned into the
    ec2tokens credentials body."""
    body = 'Action=DescribeInstances&Version=2016-11-15'
    req = AWSRequest(method='POST', url='http://%s/' % GW_HOST, data=body,
                     headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    SigV4Auth(Credentials(ak, sk), 'ec2', 'RegionOne').add_auth(req)
    h = dict(req.headers.items())
    return {'access': ak, 'signature': h['Authorization'].split('Signature=')[1],
            'host': GW_HOST, 'verb': 'POST', 'path': '/',
            'params': {'Action': 'DescribeInstances', 'Version': '2016-11-15'},
            'headers': dict(h, Host=GW_HOST), 'body_hash': hashlib.sha256(body.encode()).hexdigest()}


def presigned_get(ak, sk):
    req = AWSRequest(method='GET', url='http://%s/?Action=DescribeRegions&Version=2016-11-15' % GW_HOST)
    SigV4QueryAuth(Credentials(ak, sk), 'ec2', 'RegionOne', expires=300).add_auth(req)
    params = dict(parse_qsl(urlsplit(req.url).query))
    sig = params.pop('X-Amz-Signature')
    return {'access': ak, 'signature': sig, 'host': GW_HOST, 'verb': 'GET', 'path': '/',
            'params': params, 'headers': {'Host': GW_HOST},
            'body_hash': hashlib.sha256(b'').hexdigest()}


def ec2tokens(creds, token):
    return keystone('POST', '/ec2tokens', token, {'credentials': creds})


AK, SK, PID = E['EC2_ACCESS_KEY'], E['EC2_SECRET_KEY'], E['EC2_PROJECT_ID']
AK2, SK2, PID2 = E['EC2_ACCESS_KEY_2'], E['EC2_SECRET_KEY_2'], E['EC2_PROJECT_ID_2']


def smoke():
    svc_token = gw.session.get_token()

    @step('ec2tokens: SigV4 POST (demo), service token')
    def _():
        code, tok = ec2tokens(signed_post(AK, SK), svc_token)
        assert code == 200, code
        tok = tok['token']
        assert tok['project']['id'] == PID and tok['user']['name'] == 'demo', tok['project']
        return 'roles=%s' % [r['name'] for r in tok['roles']]

    @step('ec2tokens: SigV4 POST (demo2), service token')
    def _():
        code, tok = ec2tokens(signed_post(AK2, SK2), svc_token)
        assert code == 200, code
        assert tok['token']['project']['id'] == PID2 and tok['token']['user']['name'] == 'demo2'

    @step('ec2tokens: presigned GET (query auth)')
    def _():
        code, _ = ec2tokens(presigned_get(AK, SK), svc_token)
        assert code == 200, code

    @step('ec2tokens: wrong secret -> 401')
    def _():
        code, _ = ec2tokens(signed_post(AK, 'wrong-secret'), svc_token)
        assert code == 401, code

    @step('ec2tokens: no service token -> 401')
    def _():
        code, _ = ec2tokens(signed_post(AK, SK), None)
        assert code in (401, 403), code
        return code

    @step('credentials: service user reads EC2 secrets by id')
    def _():
        for ak, sk, pid in ((AK, SK, PID), (AK2, SK2, PID2)):
            cid = hashlib.sha256(ak.encode()).hexdigest()
            code, body = keystone('GET', '/credentials/' + cid, svc_token)
            assert code == 200, 'GET /v3/credentials/%s -> %s' % (cid, code)
            c = body['credential']
            blob = json.loads(c['blob'])
            assert c['type'] == 'ec2' and blob['secret'] == sk and c['project_id'] == pid, c
        # a user without admin cannot read someone else's credential
        cid = hashlib.sha256(AK2.encode()).hexdigest()
        code, _ = keystone('GET', '/credentials/' + cid, demo.session.get_token())
        assert code in (403, 404), 'demo read demo2 credential: %s' % code

    # ------------------------------------------------------------ glance --
    @step('glance: image list / upload / download / delete')
    def _():
        imgs = {i.name: i for i in demo.image.images()}
        for n, fmt in (('cirros-fake', 'raw'), ('cirros-fake-kernel', 'aki'), ('cirros-fake-ramdisk', 'ari')):
            assert n in imgs and imgs[n].disk_format == fmt and imgs[n].visibility == 'public', n
        im = demo.image.create_image(name=PREFIX + 'img', data=io.BytesIO(b'hello image'),
                                     disk_format='raw', container_format='bare')
        im = wait(lambda: demo.image.get_image(im.id), lambda i: i.status == 'active', 30, 'image active')
        data = demo.image.download_image(im).content
        demo.image.delete_image(im)
        assert data == b'hello image', data
        return sorted(imgs)

    img = demo.image.find_image('cirros-fake')
    flv = demo.compute.find_flavor('m1.tiny')
    net = demo.network.find_network('private')
    servers, vols = {}, {}

    # -------------------------------------------------------------- nova --
    @step('nova: flavors present')
    def _():
        names = {f.name for f in demo.compute.flavors()}
        want = {'m1.tiny', 'm1.small', 'm1.medium', 't2.micro', 't2.small'}
        assert want <= names, names

    @step('nova: keypair create / import / list / delete')
    def _():
        kp = demo.compute.create_keypair(name=PREFIX + 'kp')
        assert kp.private_key and PREFIX + 'kp' in [k.name for k in demo.compute.keypairs()]
        demo.compute.delete_keypair(kp)
        kp2 = demo.compute.create_keypair(name=PREFIX + 'kp2', public_key=kp.public_key)
        assert kp2.fingerprint == kp.fingerprint
        demo.compute.delete_keypair(kp2)

    def boot(name, **kw):
        s = demo.compute.create_server(name=PREFIX + name, image_id=img.id, flavor_id=flv.id, **kw)
        s = wait(lambda: demo.compute.get_server(s.id), lambda s: s.status in ('ACTIVE', 'ERROR'),
                 120, 'server ' + name)
        servers[name] = s
        assert s.status == 'ACTIVE', (s.status, s.fault)
        return s

    @step("nova: boot with networks='none'")
    def _():
        boot('nonet', networks='none')

    @step('nova: boot on private network (port bound via fake OVS agent)')
    def _():
        s = boot('vm', networks=[{'uuid': net.id}])
        p = adm.network.get_port(next(demo.network.ports(device_id=s.id)).id)
        assert p.binding_vif_type == 'ovs', p.binding_vif_type
        return s.addresses

    @step('nova: stop / start / soft+hard reboot')
    def _():
        s = servers['vm']
        get = lambda: demo.compute.get_server(s.id)  # noqa: E731
        demo.compute.stop_server(s)
        wait(get, lambda s: s.status == 'SHUTOFF' and not s.task_state, 60, 'SHUTOFF')
        demo.compute.start_server(s)
        wait(get, lambda s: s.status == 'ACTIVE' and not s.task_state, 60, 'ACTIVE')
        for kind in ('SOFT', 'HARD'):
            demo.compute.reboot_server(s, kind)
            wait(get, lambda s: s.status == 'ACTIVE' and not s.task_state, 60, kind + ' reboot')

    @step('nova: console output')
    def _():
        out = demo.compute.get_server_console_output(servers['vm'])['output']
        assert out, out
        return repr(out[:30])

    # ----------------------------------------------------------- neutron --
    @step('neutron: network/subnet/router/port CRUD')
    def _():
        n = demo.network.create_network(name=PREFIX + 'net')
        sn = demo.network.create_subnet(network_id=n.id, ip_version=4, cidr='10.9.0.0/24', name=PREFIX + 'sub')
        r = demo.network.create_router(name=PREFIX + 'router', external_gateway_info={
            'network_id': demo.network.find_network('public').id})
        demo.network.add_interface_to_router(r, subnet_id=sn.id)
        p = demo.network.create_port(network_id=n.id, name=PREFIX + 'port')
        demo.network.update_port(p, name=PREFIX + 'port2')
        assert demo.network.get_port(p.id).name == PREFIX + 'port2'
        demo.network.delete_port(p)
        demo.network.remove_interface_from_router(r, subnet_id=sn.id)
        demo.network.delete_router(r)
        demo.network.delete_subnet(sn)
        demo.network.delete_network(n)

    @step('neutron: security group + rules, add to server')
    def _():
        sg = demo.network.create_security_group(name=PREFIX + 'sg', description='smoke')
        servers['sg'] = sg
        r = demo.network.create_security_group_rule(
            security_group_id=sg.id, direction='ingress', protocol='tcp',
            port_range_min=22, port_range_max=22, remote_ip_prefix='0.0.0.0/0')
        demo.network.create_security_group_rule(security_group_id=sg.id, direction='ingress', protocol='icmp')
        demo.network.delete_security_group_rule(r)
        demo.compute.add_security_group_to_server(servers['vm'], sg)
        demo.compute.remove_security_group_from_server(servers['vm'], sg)
        return '%d rules' % len(list(demo.network.security_group_rules(security_group_id=sg.id)))

    @step('neutron: floating IP allocate / associate / disassociate / release')
    def _():
        ext = demo.network.find_network('public')
        port = next(demo.network.ports(device_id=servers['vm'].id))
        fip = demo.network.create_ip(floating_network_id=ext.id)
        try:
            demo.network.update_ip(fip, port_id=port.id)
            assert demo.network.get_ip(fip.id).port_id == port.id
            wait(lambda: demo.compute.get_server(servers['vm'].id),
                 lambda s: any(a.get('OS-EXT-IPS:type') == 'floating'
                               for n in s.addresses.values() for a in n), 60, 'floating IP in nova addresses')
            demo.network.update_ip(fip, port_id=None)
        finally:
            demo.network.delete_ip(fip)
        return fip.floating_ip_address

    # ------------------------------------------------------------ cinder --
    @step('cinder: volume + snapshot + volume from snapshot')
    def _():
        v = demo.block_storage.create_volume(size=1, name=PREFIX + 'vol')
        vols['v'] = v
        v = wait(lambda: demo.block_storage.get_volume(v.id), lambda v: v.status in ('available', 'error'),
                 60, 'volume')
        assert v.status == 'available', v.status
        sn = demo.block_storage.create_snapshot(volume_id=v.id, name=PREFIX + 'snap')
        vols['sn'] = sn
        sn = wait(lambda: demo.block_storage.get_snapshot(sn.id), lambda s: s.status in ('available', 'error'),
                  60, 'snapshot')
        assert sn.status == 'available', sn.status
        v2 = demo.block_storage.create_volume(size=1, snapshot_id=sn.id, name=PREFIX + 'vol2')
        vols['v2'] = v2
        v2 = wait(lambda: demo.block_storage.get_volume(v2.id), lambda v: v.status in ('available', 'error'),
                  60, 'volume from snapshot')
        assert v2.status == 'available', v2.status

    @step('nova+cinder: attach / detach volume')
    def _():
        v, s = vols['v'], servers['vm']
        demo.compute.create_volume_attachment(s, volume_id=v.id)
        v = wait(lambda: demo.block_storage.get_volume(v.id),
                 lambda v: v.status in ('in-use', 'error', 'available', 'error_attaching'), 90, 'in-use')
        assert v.status == 'in-use', v.status
        dev = v.attachments[0]['device']
        demo.compute.delete_volume_attachment(v.id, s)
        wait(lambda: demo.block_storage.get_volume(v.id), lambda v: v.status == 'available', 90, 'detached')
        return 'device ' + dev

    @step('cinder: delete snapshot and volumes')
    def _():
        bs = demo.block_storage
        bs.delete_volume(vols.pop('v2'))
        bs.delete_snapshot(vols.pop('sn'))
        wait(lambda: list(bs.snapshots(volume_id=vols['v'].id)), lambda l: not l, 60, 'snapshot deleted')
        bs.delete_volume(vols.pop('v'))
        wait(lambda: [v for v in bs.volumes() if v.name and v.name.startswith(PREFIX)], lambda l: not l,
             60, 'volumes deleted')

    @step('nova: delete servers')
    def _():
        for k in ('vm', 'nonet'):
            if k in servers:
                demo.compute.delete_server(servers[k])
        for k in ('vm', 'nonet'):
            if k in servers:
                demo.compute.wait_for_delete(servers.pop(k), wait=int(120 * SCALE))
        if 'sg' in servers:
            demo.network.delete_security_group(servers.pop('sg'))

    stress_round(5, 'smoke')


def stress_round(n, tag):
    @step('stress: boot %d servers at once, delete them at once' % n)
    def _():
        img = demo.image.find_image('cirros-fake')
        flv = demo.compute.find_flavor('m1.tiny')
        net = demo.network.find_network('private')
        names = ['%sstress-%s-%d' % (PREFIX, tag, i) for i in range(n)]
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            created = list(ex.map(lambda nm: demo.compute.create_server(
                name=nm, image_id=img.id, flavor_id=flv.id, networks=[{'uuid': net.id}]), names))
        ids = [s.id for s in created]
        t = time.time()
        final = wait(lambda: [demo.compute.get_server(i) for i in ids],
                     lambda l: all(s.status in ('ACTIVE', 'ERROR') for s in l), 180, 'all ACTIVE')
        boot_s = time.time() - t
        bad = [(s.name, s.status, s.fault) for s in final if s.status != 'ACTIVE']
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            list(ex.map(demo.compute.delete_server, ids))
        t = time.time()

        def remaining():
            left = [s for s in demo.compute.servers() if s.id in ids]
            errs = [(s.name, s.status) for s in left if s.status == 'ERROR']
            assert not errs, 'servers in ERROR while deleting: %s' % errs
            return left
        wait(remaining, lambda l: not l, 180, 'all deleted')
        del_s = time.time() - t
        # no leftover ports of these servers
        wait(lambda: [p for p in demo.network.ports() if p.device_id in ids], lambda l: not l, 60, 'ports gone')
        assert not bad, bad
        return 'ACTIVE in %.1fs, gone in %.1fs' % (boot_s, del_s)


def cleanup_leftovers():
    """Remove what an interrupted earlier run left behind (names start with smoke-)."""
    left = [s for s in demo.compute.servers() if s.name.startswith(PREFIX)]
    for s in left:
        demo.compute.delete_server(s)
    for s in left:
        demo.compute.wait_for_delete(s, wait=120)
    for v in demo.block_storage.volumes():
        if v.name and v.name.startswith(PREFIX):
            for sn in demo.block_storage.snapshots(volume_id=v.id):
                demo.block_storage.delete_snapshot(sn)
                demo.block_storage.wait_for_delete(sn, wait=60)
            adm.block_storage.delete_volume(v, force=True)
    for kp in demo.compute.keypairs():
        if kp.name.startswith(PREFIX):
            demo.compute.delete_keypair(kp)
    for p in demo.network.ports():
        if p.name and p.name.startswith(PREFIX):
            demo.network.delete_port(p)
    for sg in demo.network.security_groups():
        if sg.name.startswith(PREFIX):
            demo.network.delete_security_group(sg)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'smoke'
    try:
        cleanup_leftovers()
    except Exception as e:  # noqa: BLE001
        print('WARNING: cleanup of leftovers failed: %s' % e, flush=True)
    try:
        if mode == 'smoke':
            smoke()
        elif mode == 'stress':
            n, rounds = int(sys.argv[2]), int(sys.argv[3])
            for r in range(rounds):
                stress_round(n, 'r%d' % r)
    except Exception as e:  # noqa: BLE001 - e.g. a service not answering between steps
        results.append(('fatal', False))
        print('FAIL fatal: %s: %s' % (type(e).__name__, str(e)[:400]), flush=True)
    failed = sum(1 for _, ok in results if not ok)
    print('%s total %.1fs' % (mode, time.time() - T0))
    print('%d passed, %d failed' % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
