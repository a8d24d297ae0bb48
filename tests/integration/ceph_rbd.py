"""The test cloud's RBD images seen directly, through Debian's python3-rbd (librbd in userspace,
as Cinder does): what a volume really holds, and what is left in the pool. Needs root and
/etc/ceph/ceph.client.admin.keyring (tests/cloud/lib/ceph.sh)."""
import json
import subprocess

POOL = "volumes"  # tests/cloud/lib/ceph.sh CEPH_POOL

# Runs under /usr/bin/python3 (Debian's, which has rados and rbd): argv = op pool [args...].
_PROBE = r"""
import json, sys, rados, rbd
op, pool = sys.argv[1], sys.argv[2]
c = rados.Rados(conffile="/etc/ceph/ceph.conf", name="client.admin")
c.connect(timeout=20)
io = c.open_ioctx(pool)
if op == "ls":
    print(json.dumps(rbd.RBD().list(io)))
elif op == "write":
    with rbd.Image(io, sys.argv[3]) as im:
        data = bytes.fromhex(sys.argv[4])
        for o in sys.argv[5:]:
            im.write(data, int(o))
        im.flush()
    print("{}")
else:
    with rbd.Image(io, sys.argv[3], read_only=True) as im:
        try:
            parent = "%s/%s@%s" % im.parent_info()
        except rbd.ImageNotFound:
            parent = None
        n = int(sys.argv[4])
        print(json.dumps({"size": im.size(), "parent": parent,
                          "snaps": [x["name"] for x in im.list_snaps()],
                          "bytes": [im.read(int(o), n).hex() for o in sys.argv[5:]]}))
io.close()
c.shutdown()
"""


def _probe(op, *args):
    p = subprocess.run(["/usr/bin/python3", "-c", _PROBE, op, POOL, *map(str, args)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("Ceph pool %s: %s failed (root and /etc/ceph/ceph.client.admin."
                             "keyring needed): %s" % (POOL, op, p.stderr[-800:]))
    return json.loads(p.stdout)


def ls():
    """The names of every image in the pool."""
    return _probe("ls")


def write(image, hex_data, *offsets):
    """Write the bytes @hex_data at each offset of @image."""
    return _probe("write", image, hex_data, *offsets)


def read(image, length, *offsets):
    """{"size", "parent" (pool/image@snap or None), "snaps", "bytes": [hex of @length bytes at
    each offset]} of @image."""
    return _probe("read", image, length, *offsets)
