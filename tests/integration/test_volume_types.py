#!/usr/bin/env python3
"""CreateVolume's Iops, Throughput, Encrypted, KmsKeyId and MultiAttachEnabled against what the
Cinder volume type backs, on the all-in-one cloud with boto3 and awscli. As the cloud admin the
test makes, with unique names: a QoS spec (3000 IOPS, 125 MiB/s) on a type, an encrypted type
(LUKS; the test cloud's Cinder runs the fixed-key ConfKeyManager) and a multiattach type, all on
the default type's backend (Ceph RBD takes both; the fake driver cannot schedule multiattach, so
with CLOUD_VOLUME_BACKEND=fake that part is skipped). Volumes made on them show the members in
the answer and in DescribeVolumes; the default type refuses each parameter, naming it, with
nothing made; everything is deleted at the end (types, spec, volumes)."""
import json
import os
import sys
import time
import unittest
import urllib.error
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog_common  # noqa: E402
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

D = None
WAIT = {"Delay": 2, "MaxAttempts": 90}
MIB = 1048576
LUKS = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256,
        "control_location": "front-end"}


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


def error_of(fn, **kw):
    """(code, message) of the EC2 error fn(**kw) raises; (None, None) when it succeeds."""
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None, None


class VolumeTypes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ec2 = harness.boto3_client(D)
        cls.demo = harness.OpenStackAs(D.env, "volumev3", timeout=60)
        cls.admin = harness.OpenStackAs(catalog_common.admin_env(), "volumev3", timeout=60)
        uid = uuid.uuid4().hex[:8]
        cls.types, cls.qos, cls.volumes = [], None, []
        default = cls.admin.get("/types/default")["volume_type"]
        cls.default = default["name"]
        cls.backend = default.get("extra_specs", {}).get("volume_backend_name", cls.default)
        cls.qos = cls.admin.post("/qos-specs", {"qos_specs": {
            "name": "ec2gw-it-qos-" + uid, "consumer": "front-end", "total_iops_sec": "3000",
            "total_bytes_sec": str(125 * MIB)}})["qos_specs"]["id"]
        cls.gold = cls.make_type("ec2gw-it-gold-" + uid, {})
        cls.admin.get("/qos-specs/%s/associate?vol_type_id=%s" % (cls.qos, cls.gold["id"]))
        cls.luks = cls.make_type("ec2gw-it-luks-" + uid, {})
        cls.admin.post("/types/%s/encryption" % cls.luks["id"], {"encryption": LUKS})
        cls.shared = cls.make_type("ec2gw-it-shared-" + uid, {"multiattach": "<is> True"})

    @classmethod
    def make_type(cls, name, specs):
        specs = dict(specs, volume_backend_name=cls.backend)
        t = cls.admin.post("/types", {"volume_type": {"name": name, "extra_specs": specs}})
        cls.types.append(t["volume_type"]["id"])
        return t["volume_type"]

    @classmethod
    def tearDownClass(cls):
        for v in cls.volumes:
            for _ in range(60):
                if harness.error_code(cls.ec2.delete_volume, VolumeId=v) in (
                        None, "InvalidVolume.NotFound"):
                    break
                time.sleep(2)
        # a type in use cannot go: wait until Cinder has deleted the volumes
        for _ in range(90):
            used = {v["volume_type"] for v in cls.demo.get("/volumes/detail")["volumes"]}
            if not used & {t for t in (cls.gold["name"], cls.luks["name"], cls.shared["name"])}:
                break
            time.sleep(2)
        for t in cls.types:
            try:
                enc = cls.admin.get("/types/%s/encryption" % t) or {}
                if enc.get("encryption_id"):
                    cls.admin.delete("/types/%s/encryption/%s" % (t, enc["encryption_id"]))
                if t == cls.gold["id"]:
                    cls.admin.get("/qos-specs/%s/disassociate_all" % cls.qos)
                cls.admin.delete("/types/%s" % t)
            except urllib.error.HTTPError as e:
                print("type %s not deleted: %s %s" % (t, e, e.read()), file=sys.stderr)
        if cls.qos:
            cls.admin.delete("/qos-specs/%s?force=True" % cls.qos)
        left = [t for t in cls.admin.get("/types?is_public=None")["volume_types"]
                if t["id"] in cls.types]
        assert not left, "volume types left behind: %s" % left

    def created(self, vol):
        self.volumes.append(vol["VolumeId"])
        return vol

    def cinder_volume(self, vid_name):
        """The Cinder volume named @p vid_name (the Name tag is the Cinder name)."""
        got = [v for v in self.demo.get("/volumes/detail")["volumes"] if v["name"] == vid_name]
        self.assertEqual(len(got), 1)
        return got[0]

    def test_accepted_boto3(self):
        ec2 = self.ec2
        name = "it-types-" + uuid.uuid4().hex[:6]
        tags = [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name + "-gold"}]}]
        gold = self.created(ec2.create_volume(Size=2, AvailabilityZone="nova",
                                              VolumeType=self.gold["name"], Iops=3000,
                                              Throughput=125, TagSpecifications=tags))
        self.assertEqual((gold["VolumeType"], gold["Iops"], gold["Throughput"]),
                         (self.gold["name"], 3000, 125))
        tags[0]["Tags"][0]["Value"] = name + "-luks"
        luks = self.created(ec2.create_volume(Size=1, AvailabilityZone="nova",
                                              VolumeType=self.luks["name"], Encrypted=True,
                                              KmsKeyId="alias/aws/ebs", TagSpecifications=tags))
        self.assertTrue(luks["Encrypted"])
        ids = [gold["VolumeId"], luks["VolumeId"]]
        if self.backend == "fake":  # said, not silent: CLOUD_VOLUME_BACKEND=fake only
            print("MultiAttachEnabled not exercised: the fake driver cannot make multiattach "
                  "volumes (the default Ceph backend can)")
        else:
            shared = self.created(ec2.create_volume(Size=1, AvailabilityZone="nova",
                                                    VolumeType=self.shared["name"],
                                                    MultiAttachEnabled=True))
            self.assertTrue(shared["MultiAttachEnabled"])
            ids.append(shared["VolumeId"])
        ec2.get_waiter("volume_available").wait(VolumeIds=ids, WaiterConfig=WAIT)
        got = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=ids)["Volumes"]}
        self.assertEqual((got[ids[0]]["Iops"], got[ids[0]]["Throughput"]), (3000, 125))
        self.assertFalse(got[ids[0]]["Encrypted"])
        self.assertTrue(got[ids[1]]["Encrypted"])
        self.assertNotIn("Iops", got[ids[1]])
        self.assertFalse(got[ids[1]]["MultiAttachEnabled"])
        # Cinder agrees: the volume is encrypted (its key from the key manager)
        self.assertTrue(self.cinder_volume(name + "-luks")["encrypted"])
        self.assertEqual(self.cinder_volume(name + "-gold")["volume_type"], self.gold["name"])
        # what the types back is cached (type_cache_ttl 60 s): after one CreateVolume that may
        # read the catalog, two more checked ones and an encrypted one cost their POSTs only
        self.created(ec2.create_volume(Size=1, AvailabilityZone="nova",
                                       VolumeType=self.luks["name"], Encrypted=True))
        calls = D.backend_calls("volumev3")
        for _ in range(2):
            self.created(ec2.create_volume(Size=2, AvailabilityZone="nova",
                                           VolumeType=self.gold["name"], Iops=3000))
        self.created(ec2.create_volume(Size=1, AvailabilityZone="nova",
                                       VolumeType=self.luks["name"], Encrypted=True))
        self.assertEqual(D.backend_calls("volumev3") - calls, 3)
        enc = ec2.describe_volumes(Filters=[{"Name": "encrypted", "Values": ["true"]}])["Volumes"]
        self.assertIn(ids[1], [v["VolumeId"] for v in enc])
        self.assertNotIn(ids[0], [v["VolumeId"] for v in enc])
        if len(ids) == 3:
            self.assertTrue(got[ids[2]]["MultiAttachEnabled"])
            ma = ec2.describe_volumes(
                Filters=[{"Name": "multi-attach-enabled", "Values": ["true"]}])["Volumes"]
            self.assertIn(ids[2], [v["VolumeId"] for v in ma])

    def test_accepted_awscli(self):
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1", "--availability-zone",
                              "nova", "--volume-type", self.gold["name"], "--iops", "3000",
                              "--throughput", "125")
        self.assertEqual(out.returncode, 0, out.stderr)
        vol = self.created(json.loads(out.stdout))
        self.assertEqual((vol["Iops"], vol["Throughput"]), (3000, 125))
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1", "--availability-zone",
                              "nova", "--volume-type", self.luks["name"], "--encrypted")
        self.assertEqual(out.returncode, 0, out.stderr)
        vol2 = self.created(json.loads(out.stdout))
        self.assertTrue(vol2["Encrypted"])
        # Encrypted=false on an encrypted type: encrypted anyway, as with EBS encryption by default
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1", "--availability-zone",
                              "nova", "--volume-type", self.luks["name"], "--no-encrypted")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(self.created(json.loads(out.stdout))["Encrypted"])
        out = harness.aws_cli(D, "ec2", "describe-volumes", "--volume-ids", vol["VolumeId"])
        self.assertEqual(out.returncode, 0, out.stderr)
        v = json.loads(out.stdout)["Volumes"][0]
        self.assertEqual((v["Iops"], v["Throughput"], v["VolumeType"]),
                         (3000, 125, self.gold["name"]))
        if self.backend != "fake":
            out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1",
                                  "--availability-zone", "nova", "--volume-type",
                                  self.shared["name"], "--multi-attach-enabled")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(self.created(json.loads(out.stdout))["MultiAttachEnabled"])
        ids = [x for x in self.volumes]
        self.ec2.get_waiter("volume_available").wait(VolumeIds=ids, WaiterConfig=WAIT)

    def test_refused(self):
        ec2 = self.ec2
        before = {v["id"] for v in self.demo.get("/volumes")["volumes"]}
        cases = [
            ({"Iops": 3000}, "Iops", "sets no IOPS limit"),
            ({"Throughput": 125}, "Throughput", "sets no throughput limit"),
            ({"Encrypted": True}, "Encrypted", "has no encryption"),
            ({"KmsKeyId": "alias/aws/ebs"}, "KmsKeyId", "has no encryption"),
            ({"MultiAttachEnabled": True}, "MultiAttachEnabled", "not a multiattach type"),
            ({"VolumeType": self.gold["name"], "Iops": 2000}, "Iops", "gives 3000 IOPS"),
            ({"VolumeType": self.gold["name"], "Throughput": 250}, "Throughput",
             "gives 125 MiB/s"),
            ({"VolumeType": self.luks["name"], "Encrypted": True,
              "KmsKeyId": "arn:aws:kms:RegionOne:123456789012:key/1234abcd"}, "KmsKeyId",
             "cannot be honoured"),
        ]
        for kw, param, why in cases:
            with self.subTest(kw=kw):
                code, msg = error_of(ec2.create_volume, Size=1, AvailabilityZone="nova", **kw)
                self.assertEqual(code, "InvalidParameterValue", msg)
                self.assertTrue(msg.startswith(param + ":") or msg.startswith(param + " "), msg)
                self.assertIn(why, msg)
                if "VolumeType" not in kw:  # the default type is named
                    self.assertIn("'%s'" % self.default, msg)
        # which types set IOPS / multiattach is said (the public ones)
        _, msg = error_of(ec2.create_volume, Size=1, AvailabilityZone="nova", Iops=3000)
        self.assertIn(self.gold["name"], msg)
        _, msg = error_of(ec2.create_volume, Size=1, AvailabilityZone="nova",
                          MultiAttachEnabled=True)
        self.assertIn(self.shared["name"], msg)
        out = harness.aws_cli(D, "ec2", "create-volume", "--size", "1", "--availability-zone",
                              "nova", "--iops", "100")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("InvalidParameterValue", out.stderr)
        self.assertIn("Iops", out.stderr)
        # nothing made (other tests share the tenant: only new volumes count)
        self.assertEqual({v["id"] for v in self.demo.get("/volumes")["volumes"]} - before, set())


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
