#!/usr/bin/env python3
"""EBS volumes and snapshots on Cinder through the cinder-v3 plugin, against the all-in-one
cloud with awscli and boto3: create, tag, attach to a running instance as /dev/sdf, see it in
DescribeVolumes and DescribeInstances, snapshot it in use, detach, volume from the snapshot,
ModifyVolume, delete everything and find nothing left in Cinder (asked directly); isolation
between demo and demo2; bad input with AWS's codes and nothing half-made in Cinder."""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

D = None
WAIT = {"Delay": 2, "MaxAttempts": 90}


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


code_of = harness.error_code


class Cinder(harness.OpenStackAs):
    """Cinder's own view, as demo, to check what the gateway left behind."""

    def __init__(self, env):
        super().__init__(env, "volumev3", timeout=60)

    def volume_ids(self):
        return {v["id"] for v in self.get("/volumes")["volumes"]}

    def snapshot_ids(self):
        return {s["id"] for s in self.get("/snapshots")["snapshots"]}


class Volumes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ec2 = harness.boto3_client(D)
        cls.ec2b = harness.boto3_client(D, which=2)
        cls.cinder = Cinder(D.env)
        cls.ami = cls.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"][0]["ImageId"]
        cls.tag = "vols-" + uuid.uuid4().hex[:8]
        cls.iid = cls.ec2.run_instances(
            ImageId=cls.ami, InstanceType="m1.tiny", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "run", "Value": cls.tag}]}],
        )["Instances"][0]["InstanceId"]
        cls.ec2.get_waiter("instance_running").wait(InstanceIds=[cls.iid], WaiterConfig=WAIT)
        cls.volumes, cls.snapshots = [], []

    @classmethod
    def tearDownClass(cls):
        # whatever a failed test left: snapshots first (Cinder keeps them on their volumes)
        for s in cls.snapshots:
            code_of(cls.ec2.delete_snapshot, SnapshotId=s)
        for v in cls.volumes:
            code_of(cls.ec2.detach_volume, VolumeId=v, Force=True)
        for v in cls.volumes:
            for _ in range(60):
                if code_of(cls.ec2.delete_volume, VolumeId=v) in (None, "InvalidVolume.NotFound"):
                    break
                time.sleep(2)
        cls.ec2.terminate_instances(InstanceIds=[cls.iid])

    def gone(self, describe, key, **kw):
        """Wait until a deleted volume or snapshot is no longer listed."""
        for _ in range(90):
            try:
                if not describe(**kw)[key]:
                    return True
            except ClientError as e:
                if e.response["Error"]["Code"].endswith(".NotFound"):
                    return True
                raise
            time.sleep(2)
        return False

    def test_lifecycle(self):
        ec2 = self.ec2
        # 1. awscli: create and tag
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1", "--availability-zone",
                              "nova", "--tag-specifications",
                              "ResourceType=volume,Tags=[{Key=Name,Value=%s}]" % self.tag)
        self.assertEqual(out.returncode, 0, out.stderr)
        vol = json.loads(out.stdout)
        vid = vol["VolumeId"]
        self.volumes.append(vid)
        self.assertTrue(vid.startswith("vol-"))
        self.assertEqual((vol["Size"], vol["State"], vol["AvailabilityZone"]), (1, "creating", "nova"))
        self.assertEqual(vol["Tags"], [{"Key": "Name", "Value": self.tag}])
        ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=WAIT)
        ec2.create_tags(Resources=[vid], Tags=[{"Key": "stage", "Value": "one"}])
        got = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [self.tag]}])["Volumes"]
        self.assertEqual([v["VolumeId"] for v in got], [vid])
        self.assertIn({"Key": "stage", "Value": "one"}, got[0]["Tags"])
        # 2. attach to the running instance as /dev/sdf
        att = ec2.attach_volume(VolumeId=vid, InstanceId=self.iid, Device="/dev/sdf")
        self.assertEqual((att["State"], att["Device"], att["InstanceId"]),
                         ("attaching", "/dev/sdf", self.iid))
        ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid], WaiterConfig=WAIT)
        for _ in range(60):
            v = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
            if v["Attachments"] and v["Attachments"][0]["State"] == "attached":
                break
            time.sleep(2)
        a = v["Attachments"][0]
        self.assertEqual((v["State"], a["InstanceId"], a["Device"], a["State"], a["VolumeId"]),
                         ("in-use", self.iid, "/dev/sdf", "attached", vid))
        self.assertFalse(a["DeleteOnTermination"])
        got = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id",
                                             "Values": [self.iid]}])["Volumes"]
        self.assertEqual([x["VolumeId"] for x in got], [vid])
        # ... and in DescribeInstances, with the same vol- id
        inst = ec2.describe_instances(InstanceIds=[self.iid])["Reservations"][0]["Instances"][0]
        bdm = {m["Ebs"]["VolumeId"]: m for m in inst.get("BlockDeviceMappings", [])}
        self.assertIn(vid, bdm)
        self.assertEqual(bdm[vid]["DeviceName"], "/dev/sdf")
        # 3. in use: no delete; snapshot it anyway (awscli), as EBS does
        self.assertEqual(code_of(ec2.delete_volume, VolumeId=vid), "VolumeInUse")
        out = harness.aws_cli(D, "ec2", "create-snapshot", "--volume-id", vid,
                              "--description", "before upgrade", "--tag-specifications",
                              "ResourceType=snapshot,Tags=[{Key=run,Value=%s}]" % self.tag)
        self.assertEqual(out.returncode, 0, out.stderr)
        snap = json.loads(out.stdout)
        sid = snap["SnapshotId"]
        self.snapshots.append(sid)
        self.assertEqual((snap["VolumeId"], snap["State"], snap["Description"], snap["VolumeSize"]),
                         (vid, "pending", "before upgrade", 1))
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=WAIT)
        mine = ec2.describe_snapshots(OwnerIds=["self"],
                                      Filters=[{"Name": "tag:run", "Values": [self.tag]}])
        s = mine["Snapshots"][0]
        self.assertEqual((s["SnapshotId"], s["State"], s["Progress"], s["VolumeId"]),
                         (sid, "completed", "100%", vid))
        self.assertEqual(s["OwnerId"], D.env["EC2_PROJECT_ID"])
        self.assertEqual(ec2.describe_snapshots(OwnerIds=["amazon"])["Snapshots"], [])
        self.assertEqual(ec2.describe_snapshots(RestorableByUserIds=["all"])["Snapshots"], [])
        # 4. detach (awscli), device and instance checked
        self.assertEqual(code_of(ec2.detach_volume, VolumeId=vid, InstanceId="i-12345678"),
                         "InvalidInstanceID.NotFound")
        out = harness.aws_cli(D, "ec2", "detach-volume", "--volume-id", vid, "--instance-id",
                              self.iid, "--device", "/dev/sdf")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["State"], "detaching")
        ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=WAIT)
        self.assertEqual(code_of(ec2.detach_volume, VolumeId=vid), "IncorrectState")
        # 5. a second volume from the snapshot, bigger; then grow it with ModifyVolume
        v2 = ec2.create_volume(SnapshotId=sid, Size=2, AvailabilityZone="nova",
                               TagSpecifications=[{"ResourceType": "volume", "Tags": [
                                   {"Key": "Name", "Value": self.tag + "-2"}]}])
        self.volumes.append(v2["VolumeId"])
        self.assertEqual((v2["SnapshotId"], v2["Size"]), (sid, 2))
        ec2.get_waiter("volume_available").wait(VolumeIds=[v2["VolumeId"]], WaiterConfig=WAIT)
        got = ec2.describe_volumes(Filters=[{"Name": "snapshot-id", "Values": [sid]}])["Volumes"]
        self.assertEqual([x["VolumeId"] for x in got], [v2["VolumeId"]])
        mod = ec2.modify_volume(VolumeId=v2["VolumeId"], Size=3)["VolumeModification"]
        self.assertEqual((mod["ModificationState"], mod["OriginalSize"], mod["TargetSize"]),
                         ("modifying", 2, 3))
        for _ in range(60):
            m = ec2.describe_volumes_modifications(
                VolumeIds=[v2["VolumeId"]])["VolumesModifications"][0]
            if m["ModificationState"] != "modifying":
                break
            time.sleep(2)
        size = ec2.describe_volumes(VolumeIds=[v2["VolumeId"]])["Volumes"][0]["Size"]
        # On the test cloud's Ceph backend (RBD) extend really completes; only its fallback, the
        # fake driver (CLOUD_VOLUME_BACKEND=fake), cannot extend (error_extending): "failed".
        # The Name tag is the Cinder volume's name: Cinder says which backend holds it.
        vtype, = [v["volume_type"] for v in self.cinder.get("/volumes/detail")["volumes"]
                  if v["name"] == self.tag + "-2"]
        if vtype == "fake":
            self.assertEqual((m["ModificationState"], size), ("failed", 2))
        else:
            self.assertEqual((vtype, m["ModificationState"], size), ("ceph", "completed", 3))
        # 6. the other tenant sees none of it
        self.assertEqual(code_of(self.ec2b.describe_volumes, VolumeIds=[vid]),
                         "InvalidVolume.NotFound")
        self.assertNotIn(vid, [x["VolumeId"] for x in self.ec2b.describe_volumes()["Volumes"]])
        self.assertEqual(code_of(self.ec2b.delete_volume, VolumeId=vid), "InvalidVolume.NotFound")
        self.assertEqual(code_of(self.ec2b.describe_snapshots, SnapshotIds=[sid]),
                         "InvalidSnapshot.NotFound")
        self.assertEqual(code_of(self.ec2b.create_volume, SnapshotId=sid,
                                 AvailabilityZone="nova"), "InvalidSnapshot.NotFound")
        self.assertEqual(code_of(self.ec2b.attach_volume, VolumeId=vid, InstanceId=self.iid,
                                 Device="/dev/sdg"), "InvalidVolume.NotFound")
        # 7. delete all and find nothing left in Cinder
        # the Name tag is the Cinder volume's name: that is how Cinder is asked below
        names = {self.tag, self.tag + "-2"}
        self.assertEqual(len([v for v in self.cinder.get("/volumes")["volumes"]
                              if v["name"] in names]), 2)
        self.assertEqual(code_of(ec2.delete_volume, VolumeId=vid), "IncorrectState")  # has a snapshot
        ec2.delete_snapshot(SnapshotId=sid)
        self.assertTrue(self.gone(ec2.describe_snapshots, "Snapshots", SnapshotIds=[sid]))
        for v in (vid, v2["VolumeId"]):
            for _ in range(30):  # the volume may still be settling after the failed extend
                if code_of(ec2.delete_volume, VolumeId=v) is None:
                    break
                time.sleep(2)
        for v in (vid, v2["VolumeId"]):
            self.assertTrue(self.gone(ec2.describe_volumes, "Volumes", VolumeIds=[v]))
        self.assertEqual([v for v in self.cinder.get("/volumes")["volumes"]
                          if v["name"] in names], [])
        self.volumes.clear()
        self.snapshots.clear()

    def test_js_sdk(self):
        """The JS SDK v3 (strictest XML parser) through js/volume_workflow.mjs."""
        node = shutil.which("node")
        js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
        self.assertIsNotNone(node, "node is not installed (Debian 12: apt-get install nodejs npm)")
        self.assertTrue(os.path.isdir(os.path.join(js, "node_modules", "@aws-sdk", "client-ec2")),
                        "run (cd tests/integration/js && npm ci --no-audit --no-fund)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"EC2GW_URL": D.url, "EC2GW_INSTANCE": self.iid,
                    "AWS_ACCESS_KEY_ID": D.env["EC2_ACCESS_KEY"],
                    "AWS_SECRET_ACCESS_KEY": D.env["EC2_SECRET_KEY"],
                    "AWS_ACCESS_KEY_ID_2": D.env["EC2_ACCESS_KEY_2"],
                    "AWS_SECRET_ACCESS_KEY_2": D.env["EC2_SECRET_KEY_2"]})
        p = subprocess.run([node, "volume_workflow.mjs"], cwd=js, env=env, capture_output=True,
                           text=True, timeout=900)
        print(p.stdout, end="")
        print(p.stderr, end="", file=sys.stderr)
        self.assertEqual(p.returncode, 0, "volume_workflow.mjs failed: see the \"ok\":false lines")

    def test_client_token(self):
        ec2 = self.ec2
        tok = uuid.uuid4().hex
        a = ec2.create_volume(Size=1, AvailabilityZone="nova", ClientToken=tok)
        self.volumes.append(a["VolumeId"])
        b = ec2.create_volume(Size=1, AvailabilityZone="nova", ClientToken=tok)
        self.assertEqual(a["VolumeId"], b["VolumeId"])
        # other parameters with the same token: refused, nothing made
        self.assertEqual(code_of(ec2.create_volume, Size=2, AvailabilityZone="nova",
                                 ClientToken=tok), "IdempotentParameterMismatch")
        made = [v for v in self.cinder.get("/volumes/detail")["volumes"]
                if v.get("metadata", {}).get("ec2_client_token") == tok]
        self.assertEqual(len(made), 1)
        got = ec2.describe_volumes(Filters=[{"Name": "client-token", "Values": [tok]}])["Volumes"]
        self.assertEqual([v["VolumeId"] for v in got], [a["VolumeId"]])
        ec2.get_waiter("volume_available").wait(VolumeIds=[a["VolumeId"]], WaiterConfig=WAIT)
        ec2.delete_volume(VolumeId=a["VolumeId"])
        self.assertTrue(self.gone(ec2.describe_volumes, "Volumes", VolumeIds=[a["VolumeId"]]))
        self.volumes.remove(a["VolumeId"])

    def test_bad_input(self):
        ec2 = self.ec2
        before_v, before_s = self.cinder.volume_ids(), self.cinder.snapshot_ids()
        cases = [
            (ec2.create_volume, {"Size": 0, "AvailabilityZone": "nova"}, "InvalidParameterValue"),
            (ec2.create_volume, {"AvailabilityZone": "nova"}, "MissingParameter"),
            (ec2.create_volume, {"SnapshotId": "snap-12345678", "AvailabilityZone": "nova"},
             "InvalidSnapshot.NotFound"),
            # the default type backs neither (test_volume_types.py: types that do)
            (ec2.create_volume, {"Size": 1, "AvailabilityZone": "nova", "Iops": 3000},
             "InvalidParameterValue"),
            (ec2.create_volume, {"Size": 1, "AvailabilityZone": "nova", "Encrypted": True},
             "InvalidParameterValue"),
            (ec2.create_volume, {"Size": 1, "AvailabilityZone": "mars"}, "InvalidZone.NotFound"),
            (ec2.create_volume, {"Size": 1, "AvailabilityZone": "nova", "VolumeType": "io9"},
             "InvalidParameterValue"),
            (ec2.delete_volume, {"VolumeId": "vol-12345678"}, "InvalidVolume.NotFound"),
            (ec2.delete_volume, {"VolumeId": "i-12345678"}, "InvalidVolumeID.Malformed"),
            (ec2.attach_volume, {"VolumeId": "vol-12345678", "InstanceId": self.iid,
                                 "Device": "/dev/sdf"}, "InvalidVolume.NotFound"),
            (ec2.create_snapshot, {"VolumeId": "vol-12345678"}, "InvalidVolume.NotFound"),
            (ec2.delete_snapshot, {"SnapshotId": "snap-12345678"}, "InvalidSnapshot.NotFound"),
            (ec2.describe_snapshots, {"SnapshotIds": ["snap-12345678"]},
             "InvalidSnapshot.NotFound"),
            (ec2.describe_volumes, {"Filters": [{"Name": "bogus", "Values": ["x"]}]},
             "InvalidParameterValue"),
            (ec2.copy_snapshot, {"SourceSnapshotId": "snap-12345678", "SourceRegion": "RegionOne"},
             "InvalidSnapshot.NotFound"),
        ]
        for fn, kw, want in cases:
            with self.subTest(fn=fn.__name__, kw=kw):
                self.assertEqual(code_of(fn, **kw), want)
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "0",
                              "--availability-zone", "nova")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("InvalidParameterValue", out.stderr)
        self.assertEqual(self.cinder.volume_ids(), before_v)
        self.assertEqual(self.cinder.snapshot_ids(), before_s)

    def test_z_terminated_instance(self):
        """Runs last: attaching to a terminated instance is refused, the volume stays free."""
        ec2 = self.ec2
        v = ec2.create_volume(Size=1, AvailabilityZone="nova")["VolumeId"]
        self.volumes.append(v)
        ec2.get_waiter("volume_available").wait(VolumeIds=[v], WaiterConfig=WAIT)
        iid = ec2.run_instances(ImageId=self.ami, InstanceType="m1.tiny", MinCount=1,
                                MaxCount=1)["Instances"][0]["InstanceId"]
        ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=WAIT)
        ec2.terminate_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=WAIT)
        self.assertIn(code_of(ec2.attach_volume, VolumeId=v, InstanceId=iid, Device="/dev/sdh"),
                      ("InvalidInstanceID.NotFound", "IncorrectInstanceState"))
        self.assertEqual(ec2.describe_volumes(VolumeIds=[v])["Volumes"][0]["State"], "available")
        ec2.delete_volume(VolumeId=v)
        self.assertTrue(self.gone(ec2.describe_volumes, "Volumes", VolumeIds=[v]))
        self.volumes.remove(v)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
