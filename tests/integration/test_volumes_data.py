#!/usr/bin/env python3
"""EBS volumes that hold data (issue 14), on the test cloud's Ceph-backed Cinder (RBD), with
boto3 and awscli: an image with known bytes → RunInstances with an EBS root made from it → the
root volume holds the image's bytes in Ceph → CreateSnapshot of that in-use root → RegisterImage
with the snapshot as root (EBS-backed AMI) → RunInstances from it (boto3 and awscli) →
DescribeInstances shows an EBS root whose volume holds the same bytes → deregister and delete
the snapshot while those run, terminate: nothing left in Cinder or Ceph (rbd ls).

Ceph is read as root with the admin keyring that tests/cloud/cloud.sh installs; the gateway's
vol-/snap-/i- ids are mapped to OpenStack ids through the daemon's own database."""
import json
import os
import sqlite3
import sys
import time
import unittest
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceph_rbd  # noqa: E402
import harness  # noqa: E402

D = None
WAIT = {"Delay": 3, "MaxAttempts": 80}
MiB = 1024 * 1024
code_of = harness.error_code


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


class DataVolumes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ec2 = harness.boto3_client(D)
        cls.cinder = harness.OpenStackAs(D.env, "volumev3", timeout=60)
        cls.glance = harness.OpenStackAs(D.env, "image", timeout=60)
        cls.tag = "vdata-" + uuid.uuid4().hex[:8]
        cls.instances, cls.snapshots, cls.images, cls.glance_ids = [], [], [], []
        # a 1 MiB raw image with a random marker at its start and at its end
        cls.marker = os.urandom(32).hex()
        data = bytearray(MiB)
        m = bytes.fromhex(cls.marker)
        data[0:32] = m
        data[MiB - 64:MiB - 32] = m
        img = cls.glance.post("/v2/images", {
            "name": cls.tag, "disk_format": "raw", "container_format": "bare",
            "visibility": "private", "root_device_name": "/dev/vda"})
        cls.glance_ids.append(img["id"])
        req = urllib.request.Request(cls.glance.url + "/v2/images/%s/file" % img["id"],
                                     data=bytes(data), method="PUT",
                                     headers={"X-Auth-Token": cls.glance.token,
                                              "Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req, timeout=120).close()
        cls.ami = None
        for _ in range(60):
            got = cls.ec2.describe_images(Filters=[{"Name": "name", "Values": [cls.tag]}])["Images"]
            if got and got[0]["State"] == "available":
                cls.ami = got[0]["ImageId"]
                break
            time.sleep(2)
        assert cls.ami, "the uploaded image %s never became available" % cls.tag

    @classmethod
    def tearDownClass(cls):
        # whatever a failed test left, in dependency order
        if cls.instances:
            code_of(cls.ec2.terminate_instances, InstanceIds=cls.instances)
            try:
                cls.ec2.get_waiter("instance_terminated").wait(InstanceIds=cls.instances,
                                                                WaiterConfig=WAIT)
            except Exception as e:  # noqa: BLE001 - cleanup goes on
                print("cleanup: instances not terminated: %s" % e, file=sys.stderr)
        for i in cls.images:
            code_of(cls.ec2.deregister_image, ImageId=i)
        for s in cls.snapshots:
            for _ in range(30):
                if code_of(cls.ec2.delete_snapshot, SnapshotId=s) in (None,
                                                                        "InvalidSnapshot.NotFound"):
                    break
                time.sleep(2)
        for g in cls.glance_ids:
            try:
                cls.glance.delete("/v2/images/" + g)
            except Exception:  # noqa: BLE001 - already gone
                pass

    # -- helpers --------------------------------------------------------------------------------

    def os_id(self, ec2_id):
        """The OpenStack id the gateway maps @ec2_id to (its own database)."""
        db = sqlite3.connect(os.path.join(D.dir, "db.sqlite"), timeout=30)
        try:
            row = db.execute("SELECT os_id FROM items WHERE id = ?", (ec2_id,)).fetchone()
        finally:
            db.close()
        self.assertIsNotNone(row, "no OpenStack id for %s in the gateway's database" % ec2_id)
        return row[0]

    def instance(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

    def ebs_root(self, inst):
        """The vol- id of the instance's EBS root, after checking how DescribeInstances shows it."""
        self.assertEqual((inst["RootDeviceType"], inst["RootDeviceName"]), ("ebs", "/dev/vda"))
        root = [m for m in inst["BlockDeviceMappings"] if m["DeviceName"] == "/dev/vda"]
        self.assertEqual(len(root), 1, inst["BlockDeviceMappings"])
        ebs = root[0]["Ebs"]
        self.assertTrue(ebs["VolumeId"].startswith("vol-"), ebs)
        self.assertEqual(ebs["Status"], "attached")
        self.assertTrue(ebs["DeleteOnTermination"])
        return ebs["VolumeId"]

    def assert_holds_image(self, vol_uuid, parent=None):
        """Cinder's volume is on the Ceph backend and its RBD image holds the marker bytes."""
        cv = self.cinder.get("/volumes/" + vol_uuid)["volume"]
        self.assertEqual((cv["volume_type"], cv["status"]), ("ceph", "in-use"))
        got = ceph_rbd.read("volume-" + vol_uuid, 64, 0, MiB - 64, MiB)
        self.assertEqual(got["size"], 1024 * MiB)
        self.assertEqual(got["bytes"][0][:64], self.marker)
        self.assertEqual(got["bytes"][1][:64], self.marker)
        self.assertEqual(got["bytes"][2], "00" * 64)  # past the image: the volume's own zeros
        if parent is not None:
            self.assertEqual(got["parent"], parent)
        return got

    def wait_gone(self, fn, **kw):
        for _ in range(90):
            if fn(**kw):
                return True
            time.sleep(2)
        return False

    def cinder_volume_gone(self, u):
        try:
            v = self.cinder.get("/volumes/" + u)["volume"]
            return v["status"] == "deleted"
        except urllib.error.HTTPError as e:
            return e.code == 404

    # -- the chain ------------------------------------------------------------------------------

    def test_image_volume_snapshot_ami_instance(self):
        ec2 = self.ec2
        # 1. boto3: an instance whose EBS root Nova makes from the image (a Cinder volume)
        iid = ec2.run_instances(
            ImageId=self.ami, InstanceType="m1.tiny", MinCount=1, MaxCount=1,
            BlockDeviceMappings=[{"DeviceName": "/dev/vda",
                                  "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}],
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "run", "Value": self.tag}]}],
        )["Instances"][0]["InstanceId"]
        self.instances.append(iid)
        ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=WAIT)
        root = self.ebs_root(self.instance(iid))
        root_os = self.os_id(root)
        v = ec2.describe_volumes(VolumeIds=[root])["Volumes"][0]
        self.assertEqual((v["State"], v["Size"], v["Attachments"][0]["InstanceId"]),
                         ("in-use", 1, iid))
        self.assert_holds_image(root_os, parent=None)

        # 2. awscli: snapshot the in-use root; it is an RBD snapshot of that volume
        out = harness.aws_cli(D, "ec2", "create-snapshot", "--volume-id", root,
                              "--description", "root of " + iid)
        self.assertEqual(out.returncode, 0, out.stderr)
        sid = json.loads(out.stdout)["SnapshotId"]
        self.snapshots.append(sid)
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=WAIT)
        snap_os = self.os_id(sid)
        s = ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]
        self.assertEqual((s["VolumeId"], s["State"], s["VolumeSize"]), (root, "completed", 1))
        self.assertEqual(self.assert_holds_image(root_os)["snaps"], ["snapshot-" + snap_os])

        # 3. awscli: an EBS-backed AMI whose root is that snapshot
        out = harness.aws_cli(
            D, "ec2", "register-image", "--name", self.tag + "-ebs", "--root-device-name",
            "/dev/vda", "--block-device-mappings",
            json.dumps([{"DeviceName": "/dev/vda",
                         "Ebs": {"SnapshotId": sid, "DeleteOnTermination": True}}]))
        self.assertEqual(out.returncode, 0, out.stderr)
        ami2 = json.loads(out.stdout)["ImageId"]
        self.images.append(ami2)
        im = ec2.describe_images(ImageIds=[ami2])["Images"][0]
        self.assertEqual((im["RootDeviceType"], im["RootDeviceName"], im["State"]),
                         ("ebs", "/dev/vda", "available"))
        self.assertEqual([(m["DeviceName"], m["Ebs"]["SnapshotId"]) for m in im["BlockDeviceMappings"]],
                         [("/dev/vda", sid)])

        # 4. RunInstances from the EBS AMI, with boto3 and with awscli: each root is made from
        #    the snapshot in Ceph (a clone, flattened: it does not pin the snapshot, as on EBS)
        #    and holds the image's bytes
        b = ec2.run_instances(ImageId=ami2, InstanceType="m1.tiny", MinCount=1,
                              MaxCount=1)["Instances"][0]["InstanceId"]
        self.instances.append(b)
        out = harness.aws_cli(D, "ec2", "run-instances", "--image-id", ami2,
                              "--instance-type", "m1.tiny")
        self.assertEqual(out.returncode, 0, out.stderr)
        c = json.loads(out.stdout)["Instances"][0]["InstanceId"]
        self.instances.append(c)
        ec2.get_waiter("instance_running").wait(InstanceIds=[b, c], WaiterConfig=WAIT)
        out = harness.aws_cli(D, "ec2", "describe-instances", "--instance-ids", c)
        self.assertEqual(out.returncode, 0, out.stderr)
        clone_roots = [self.ebs_root(self.instance(b)),
                       self.ebs_root(json.loads(out.stdout)["Reservations"][0]["Instances"][0])]
        self.assertEqual(len({root, *clone_roots}), 3)
        clones_os = [self.os_id(r) for r in clone_roots]
        for u in clones_os:
            self.assert_holds_image(u, parent=None)
        for r in clone_roots:
            self.assertEqual(ec2.describe_volumes(VolumeIds=[r])["Volumes"][0]["SnapshotId"], sid)

        # 5. the AMI and its snapshot go while instances made from them still run (EBS allows
        #    it); then all three are terminated and DeleteOnTermination deletes their roots
        ec2.deregister_image(ImageId=ami2)
        self.images.remove(ami2)
        ec2.delete_snapshot(SnapshotId=sid)
        self.assertTrue(self.wait_gone(
            lambda: code_of(ec2.describe_snapshots, SnapshotIds=[sid]) ==
            "InvalidSnapshot.NotFound"))
        self.snapshots.remove(sid)
        for u in clones_os:
            self.assert_holds_image(u, parent=None)
        ec2.terminate_instances(InstanceIds=[iid, b])
        out = harness.aws_cli(D, "ec2", "terminate-instances", "--instance-ids", c)
        self.assertEqual(out.returncode, 0, out.stderr)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid, b, c], WaiterConfig=WAIT)
        self.instances.clear()
        for u in [root_os, *clones_os]:
            self.assertTrue(self.wait_gone(self.cinder_volume_gone, u=u), u)

        # 6. nothing left: not in EC2, not in Cinder, not in Ceph
        for r in [root, *clone_roots]:
            self.assertEqual(code_of(ec2.describe_volumes, VolumeIds=[r]), "InvalidVolume.NotFound")
        snaps = {x["id"] for x in self.cinder.get("/snapshots")["snapshots"]}
        self.assertNotIn(snap_os, snaps)
        left = [n for n in ceph_rbd.ls() if any(u in n for u in [root_os, *clones_os])]
        self.assertEqual(left, [], "RBD images left in pool %s" % ceph_rbd.POOL)

    def test_volume_types(self):
        """CreateVolume with VolumeType ceph: DescribeVolumes shows it, its RBD image comes and goes."""
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1", "--availability-zone",
                              "nova", "--volume-type", "ceph")
        self.assertEqual(out.returncode, 0, out.stderr)
        vid = json.loads(out.stdout)["VolumeId"]
        u = self.os_id(vid)
        try:
            self.ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=WAIT)
            v = self.ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
            self.assertEqual(v["VolumeType"], "ceph")
            self.assertIn("volume-" + u, ceph_rbd.ls())
        finally:
            self.ec2.delete_volume(VolumeId=vid)
        self.assertTrue(self.wait_gone(self.cinder_volume_gone, u=u))
        self.assertNotIn("volume-" + u, ceph_rbd.ls())


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
