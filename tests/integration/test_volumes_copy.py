#!/usr/bin/env python3
"""CopySnapshot (issue 14) on the test cloud's Ceph-backed Cinder, with boto3 and awscli: markers
written into a volume's RBD image → CreateSnapshot → CopySnapshot (pending at once, then the
snapshot_completed waiter) → the source snapshot and its volume deleted → CreateVolume from the
copy → its RBD image holds the markers → all deleted → nothing of the copy left in Cinder or in
Ceph (rbd ls). The copy's hidden volume never shows in DescribeVolumes nor gets a vol- id; the
other tenant can neither see nor copy it; a pending copy can be deleted.

Ceph is written and read as root with the admin keyring tests/cloud/cloud.sh installs; the
gateway's ids are mapped to OpenStack ids through the daemon's own database."""
import json
import os
import sqlite3
import sys
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceph_rbd  # noqa: E402
import harness  # noqa: E402

D = None
WAIT = {"Delay": 3, "MaxAttempts": 100}
GiB = 1024 * 1024 * 1024
code_of = harness.error_code


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


class CopySnapshot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ec2 = harness.boto3_client(D)
        cls.ec2b = harness.boto3_client(D, which=2)
        cls.cinder = harness.OpenStackAs(D.env, "volumev3", timeout=60)
        cls.volumes, cls.snapshots = [], []

    @classmethod
    def tearDownClass(cls):
        # whatever a failed test left: snapshots (copies first), then volumes
        for s in reversed(cls.snapshots):
            for _ in range(30):
                if code_of(cls.ec2.delete_snapshot, SnapshotId=s) in (None,
                                                                        "InvalidSnapshot.NotFound"):
                    break
                time.sleep(2)
        for v in cls.volumes:
            for _ in range(30):
                if code_of(cls.ec2.delete_volume, VolumeId=v) in (None, "InvalidVolume.NotFound"):
                    break
                time.sleep(2)

    # -- helpers --------------------------------------------------------------------------------

    def db(self, sql, *args):
        db = sqlite3.connect(os.path.join(D.dir, "db.sqlite"), timeout=30)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def os_id(self, ec2_id):
        rows = self.db("SELECT os_id FROM items WHERE id = ?", ec2_id)
        self.assertTrue(rows and rows[0][0], "no OpenStack id for %s in the gateway's db" % ec2_id)
        return rows[0][0]

    def copy_parts(self, x):
        """Cinder's volumes and snapshots that carry copy @x's mark (H and S)."""
        vols = [v for v in self.cinder.get("/volumes/detail")["volumes"]
                if v.get("metadata", {}).get("ec2gw_copy") == x]
        snaps = [s for s in self.cinder.get("/snapshots/detail")["snapshots"]
                 if s.get("metadata", {}).get("ec2gw_copy") == x]
        return vols, snaps

    def wait(self, fn, what, tries=90):
        for _ in range(tries):
            if fn():
                return
            time.sleep(2)
        self.fail("never: " + what)

    def cinder_gone(self, kind, u):
        try:
            o = self.cinder.get("/%s/%s" % (kind, u))[kind[:-1]]
            return o["status"] == "deleted"
        except urllib.error.HTTPError as e:
            return e.code == 404

    def completed_snapshot(self, vid, desc):
        sid = self.ec2.create_snapshot(VolumeId=vid, Description=desc)["SnapshotId"]
        self.snapshots.append(sid)
        self.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=WAIT)
        return sid

    def new_volume(self, **kw):
        vid = self.ec2.create_volume(AvailabilityZone="nova", VolumeType="ceph", **kw)["VolumeId"]
        self.volumes.append(vid)
        self.ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=WAIT)
        return vid

    # -- the chain ------------------------------------------------------------------------------

    def test_copy_holds_the_data(self):
        ec2 = self.ec2
        marker = os.urandom(32).hex()
        src_vol = self.new_volume(Size=1)
        src_vol_os = self.os_id(src_vol)
        ceph_rbd.write("volume-" + src_vol_os, marker, 0, GiB - 32)
        src = self.completed_snapshot(src_vol, "source of a copy")
        src_os = self.os_id(src)

        # boto3 (which adds DestinationRegion and a PresignedUrl): answered at once, pending
        x = ec2.copy_snapshot(SourceSnapshotId=src, SourceRegion="RegionOne",
                              Description="copy of " + src, TagSpecifications=[
                                  {"ResourceType": "snapshot",
                                   "Tags": [{"Key": "Name", "Value": "copied"}]}])["SnapshotId"]
        self.snapshots.append(x)
        self.assertRegex(x, r"^snap-[0-9a-f]{8,17}$")
        self.assertNotEqual(x, src)
        t0 = time.monotonic()
        first = ec2.describe_snapshots(SnapshotIds=[x])["Snapshots"][0]
        self.assertEqual(first["State"], "pending")
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[x], WaiterConfig=WAIT)
        print("\ncopy of a 1 GiB snapshot completed after %.1f s (waiter delay %d s)"
              % (time.monotonic() - t0, WAIT["Delay"]), file=sys.stderr)
        c = ec2.describe_snapshots(SnapshotIds=[x])["Snapshots"][0]
        self.assertEqual((c["State"], c["Progress"], c["VolumeId"], c["VolumeSize"]),
                         ("completed", "100%", "vol-ffffffff", 1))
        self.assertEqual(c["Description"], "copy of " + src)
        self.assertEqual(c["Tags"], [{"Key": "Name", "Value": "copied"}])
        self.assertEqual(c["OwnerId"], ec2.describe_snapshots(SnapshotIds=[src])["Snapshots"][0]
                         ["OwnerId"])

        # in Cinder: one hidden volume H from the source and one snapshot S of it, no more;
        # snap-X is S, and H has no vol- id nor shows in DescribeVolumes
        vols, snaps = self.copy_parts(x)
        self.assertEqual(len(vols), 1, vols)
        self.assertEqual(len(snaps), 1, snaps)
        h, s = vols[0], snaps[0]
        self.assertEqual((h["snapshot_id"], s["volume_id"]), (src_os, h["id"]))
        self.assertEqual(self.os_id(x), s["id"])
        self.assertEqual(self.db("SELECT id FROM items WHERE os_id = ?", h["id"]), [])
        shown = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
        self.assertNotIn(h["id"], {self.db("SELECT os_id FROM items WHERE id = ?", v)[0][0]
                                   for v in shown})
        self.assertEqual(len([sn for sn in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
                              if sn["SnapshotId"] == x]), 1)

        # the other tenant: cannot see, copy or delete either snapshot
        self.assertEqual(code_of(self.ec2b.describe_snapshots, SnapshotIds=[x]),
                         "InvalidSnapshot.NotFound")
        self.assertEqual(code_of(self.ec2b.copy_snapshot, SourceSnapshotId=x,
                                 SourceRegion="RegionOne"), "InvalidSnapshot.NotFound")
        self.assertEqual(code_of(self.ec2b.copy_snapshot, SourceSnapshotId=src,
                                 SourceRegion="RegionOne"), "InvalidSnapshot.NotFound")
        self.assertEqual(code_of(self.ec2b.delete_snapshot, SnapshotId=x),
                         "InvalidSnapshot.NotFound")
        self.assertNotIn(x, {sn["SnapshotId"] for sn in
                             self.ec2b.describe_snapshots(OwnerIds=["self"])["Snapshots"]})

        # the source goes (snapshot, then its volume): the copy does not depend on it
        ec2.delete_snapshot(SnapshotId=src)
        self.snapshots.remove(src)
        self.wait(lambda: code_of(ec2.describe_snapshots, SnapshotIds=[src]) ==
                  "InvalidSnapshot.NotFound", "source snapshot gone")
        self.wait(lambda: code_of(ec2.delete_volume, VolumeId=src_vol) in
                  (None, "InvalidVolume.NotFound"), "source volume deleted")
        self.volumes.remove(src_vol)
        self.wait(lambda: self.cinder_gone("volumes", src_vol_os), "source volume gone")

        # awscli: a volume from the copy holds the markers
        out = harness.aws_cli(D, "ec2", "create-volume", "--snapshot-id", x,
                              "--availability-zone", "nova")
        self.assertEqual(out.returncode, 0, out.stderr)
        v2 = json.loads(out.stdout)
        self.volumes.append(v2["VolumeId"])
        self.assertEqual((v2["SnapshotId"], v2["Size"]), (x, 1))
        ec2.get_waiter("volume_available").wait(VolumeIds=[v2["VolumeId"]], WaiterConfig=WAIT)
        v2_os = self.os_id(v2["VolumeId"])
        got = ceph_rbd.read("volume-" + v2_os, 32, 0, GiB - 32, 4096)
        self.assertEqual(got["bytes"], [marker, marker, "00" * 32])
        self.assertEqual(ec2.describe_volumes(VolumeIds=[v2["VolumeId"]])["Volumes"][0]
                         ["SnapshotId"], x)

        # awscli deletes the copy, boto3 the volume: nothing left in Cinder nor Ceph
        t0 = time.monotonic()
        out = harness.aws_cli(D, "ec2", "delete-snapshot", "--snapshot-id", x)
        self.assertEqual(out.returncode, 0, out.stderr)
        print("delete-snapshot of the completed copy answered in %.1f s (awscli)"
              % (time.monotonic() - t0), file=sys.stderr)
        self.snapshots.remove(x)
        self.wait(lambda: code_of(ec2.describe_snapshots, SnapshotIds=[x]) ==
                  "InvalidSnapshot.NotFound", "copy gone from DescribeSnapshots")
        ec2.delete_volume(VolumeId=v2["VolumeId"])
        self.volumes.remove(v2["VolumeId"])
        for u in (h["id"], v2_os):
            self.wait(lambda u=u: self.cinder_gone("volumes", u), "volume %s gone" % u)
        self.wait(lambda: self.cinder_gone("snapshots", s["id"]), "S gone")
        self.assertEqual(self.copy_parts(x), ([], []))
        left = [n for n in ceph_rbd.ls() if any(u in n for u in (src_vol_os, h["id"], v2_os))]
        self.assertEqual(left, [], "RBD images left in pool %s" % ceph_rbd.POOL)
        self.assertEqual(self.db("SELECT id FROM items WHERE id = ?", x), [])

    def test_racing_describes(self):
        """Eight clients poll DescribeSnapshots at once while the copy's H becomes available:
        each may make an S of H; one copy shows, snap-X stays on one S, the others are deleted
        (nothing leaks)."""
        import threading
        ec2 = self.ec2
        vid = self.new_volume(Size=1)
        src = self.completed_snapshot(vid, "source of a raced copy")
        x = ec2.copy_snapshot(SourceSnapshotId=src, SourceRegion="RegionOne")["SnapshotId"]
        self.snapshots.append(x)
        states, errors, done = [], [], []

        def poll():
            c = harness.boto3_client(D)
            try:
                for _ in range(600):
                    got = c.describe_snapshots(SnapshotIds=[x])["Snapshots"]
                    states.append((len(got), got[0]["State"]))
                    if got[0]["State"] == "completed":
                        done.append(1)
                        return
                    time.sleep(0.1)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=poll) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(errors, [])
        self.assertTrue(states and all(n == 1 for n, _ in states))
        self.assertEqual({st for _, st in states} - {"pending", "completed"}, set())
        self.assertEqual(len(done), 8, "every client saw the copy completed")
        made = len({s["id"] for s in self.copy_parts(x)[1]})
        print("\n%d DescribeSnapshots by 8 clients; S made of H: %d at once"
              % (len(states), made), file=sys.stderr)

        def one_s():
            ec2.describe_snapshots(SnapshotIds=[x])
            live = [s for s in self.copy_parts(x)[1] if s["status"] != "deleting"]
            return len(live) == 1 and live[0]["id"] == self.os_id(x)
        self.wait(one_s, "one S of the copy left, the one snap-X maps to")
        ec2.delete_snapshot(SnapshotId=x)
        self.snapshots.remove(x)
        self.wait(lambda: (ec2.describe_snapshots(OwnerIds=["self"]) and
                           self.copy_parts(x) == ([], [])), "the raced copy gone from Cinder")
        ec2.delete_snapshot(SnapshotId=src)
        self.snapshots.remove(src)

    def test_delete_pending_copy_and_refusals(self):
        """awscli copies and deletes a copy at once (still pending): H and S go all the same.
        Bad input gets its code and leaves nothing."""
        ec2 = self.ec2
        vid = self.new_volume(Size=1)
        src = self.completed_snapshot(vid, "source of a pending copy")
        before = {v["id"] for v in self.cinder.get("/volumes")["volumes"]}
        for kw, code in (
                ({"SourceSnapshotId": "snap-12345678"}, "InvalidSnapshot.NotFound"),
                ({"SourceSnapshotId": "vol-12345678"}, "InvalidSnapshotID.Malformed"),
                ({"SourceSnapshotId": src, "SourceRegion": "us-east-1"}, "UnsupportedOperation"),
                ({"SourceSnapshotId": src, "Encrypted": True}, "UnsupportedOperation"),
                ({"SourceSnapshotId": src, "KmsKeyId": "alias/x"}, "UnsupportedOperation")):
            kw.setdefault("SourceRegion", "RegionOne")
            self.assertEqual(code_of(ec2.copy_snapshot, **kw), code, kw)
        self.assertEqual({v["id"] for v in self.cinder.get("/volumes")["volumes"]}, before)

        out = harness.aws_cli(D, "ec2", "copy-snapshot", "--source-snapshot-id", src,
                              "--source-region", "RegionOne", "--description", "to delete")
        self.assertEqual(out.returncode, 0, out.stderr)
        x = json.loads(out.stdout)["SnapshotId"]
        self.snapshots.append(x)
        vols, _ = self.copy_parts(x)
        self.assertEqual(len(vols), 1)
        t0 = time.monotonic()
        out = harness.aws_cli(D, "ec2", "delete-snapshot", "--snapshot-id", x)
        self.assertEqual(out.returncode, 0, out.stderr)
        print("\ndelete-snapshot of the pending copy answered in %.1f s (awscli)"
              % (time.monotonic() - t0), file=sys.stderr)
        self.snapshots.remove(x)
        # gone for EC2 at once; DescribeSnapshots finishes what the delete left to it
        self.assertEqual(code_of(ec2.describe_snapshots, SnapshotIds=[x]),
                         "InvalidSnapshot.NotFound")

        def nothing_left():
            ec2.describe_snapshots(OwnerIds=["self"])
            return self.copy_parts(x) == ([], []) and \
                self.db("SELECT id FROM items WHERE id = ?", x) == []
        self.wait(nothing_left, "the pending copy's H and row gone")
        self.assertEqual([n for n in ceph_rbd.ls() if vols[0]["id"] in n], [])
        ec2.delete_snapshot(SnapshotId=src)
        self.snapshots.remove(src)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
