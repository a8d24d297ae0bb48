#!/usr/bin/env python3
"""Integration tests of the nova-v2.1 compute plugin against the all-in-one cloud."""
import base64
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

D = None


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    if D is not None:
        D.stop()
        D.cleanup()


def code_of(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def image_id(ec2):
    """The ami- id of cirros-fake via the image plugin, or None."""
    try:
        imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    except ClientError as e:
        print("describe_images failed: %s" % e)
        return None
    return imgs[0]["ImageId"] if imgs else None


class Zones(unittest.TestCase):
    def test_zones(self):
        ec2 = harness.boto3_client(D)
        zones = ec2.describe_availability_zones()["AvailabilityZones"]
        self.assertIn("nova", [z["ZoneName"] for z in zones])
        self.assertTrue(all(z["State"] == "available" for z in zones))
        self.assertEqual(code_of(ec2.describe_availability_zones, ZoneNames=["nope"]),
                         "InvalidParameterValue")

    def test_instance_types(self):
        ec2 = harness.boto3_client(D)
        types = ec2.describe_instance_types()["InstanceTypes"]
        names = [t["InstanceType"] for t in types]
        self.assertIn("m1.small", names)
        one = ec2.describe_instance_types(InstanceTypes=["t2.micro"])["InstanceTypes"][0]
        self.assertEqual(one["VCpuInfo"]["DefaultVCpus"], 1)
        self.assertEqual(one["MemoryInfo"]["SizeInMiB"], 1024)


class KeyPairs(unittest.TestCase):
    def setUp(self):
        self.names = []
        self.ec2 = harness.boto3_client(D)

    def tearDown(self):
        for n in self.names:
            self.ec2.delete_key_pair(KeyName=n)

    def test_key_pairs(self):
        ec2 = self.ec2
        n1, n2 = "it-rsa-" + uuid.uuid4().hex[:8], "it-imp-" + uuid.uuid4().hex[:8]
        self.names += [n1, n2]
        kp = ec2.create_key_pair(KeyName=n1)
        self.assertIn("BEGIN RSA PRIVATE KEY", kp["KeyMaterial"])
        self.assertTrue(kp["KeyPairId"].startswith("key-"))
        self.assertEqual(code_of(ec2.create_key_pair, KeyName=n1), "InvalidKeyPair.Duplicate")
        pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0SQ1/b5qx5JDVc+kSgsx0JeN+mWZ0hUuvmFa5CnEX it"
        imp = ec2.import_key_pair(KeyName=n2, PublicKeyMaterial=pub.encode())
        self.assertEqual(imp["KeyName"], n2)
        got = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [n2]}])["KeyPairs"]
        self.assertEqual([k["KeyName"] for k in got], [n2])
        self.assertEqual(got[0]["KeyType"], "ed25519")
        # the second tenant sees neither key
        ec2b = harness.boto3_client(D, which=2)
        names_b = [k["KeyName"] for k in ec2b.describe_key_pairs()["KeyPairs"]]
        self.assertNotIn(n1, names_b)
        ec2.delete_key_pair(KeyName=n1)
        self.assertEqual(code_of(ec2.describe_key_pairs, KeyNames=[n1]),
                         "InvalidKeyPair.NotFound")
        ed = ec2.create_key_pair(KeyName=n1 + "e", KeyType="ed25519")
        self.names.append(n1 + "e")
        self.assertIn("OPENSSH PRIVATE KEY", ed["KeyMaterial"])

    def test_cli(self):
        n = "it-cli-" + uuid.uuid4().hex[:8]
        self.names.append(n)
        r = harness.aws_cli(D, "ec2", "create-key-pair", "--key-name", n)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = harness.aws_cli(D, "ec2", "describe-key-pairs", "--key-names", n)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(n, r.stdout)

    def test_ppk(self):
        """--key-format ppk (awscli, boto3): PuTTY v3 key material; puttygen reads it if here."""
        import shutil
        import subprocess
        import tempfile
        n = "it-ppk-" + uuid.uuid4().hex[:8]
        self.names += [n, n + "e"]
        r = harness.aws_cli(D, "ec2", "create-key-pair", "--key-name", n, "--key-format", "ppk",
                            "--query", "KeyMaterial", "--output", "text")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("PuTTY-User-Key-File-3: ssh-rsa\n"), r.stdout[:80])
        self.assertIn("\nEncryption: none\n", r.stdout)
        ed = self.ec2.create_key_pair(KeyName=n + "e", KeyType="ed25519", KeyFormat="ppk")
        self.assertTrue(ed["KeyMaterial"].startswith("PuTTY-User-Key-File-3: ssh-ed25519\n"))
        # tests/run.sh installs putty-tools: its absence is a failure, not a silent skip
        self.assertIsNotNone(shutil.which("puttygen"), "puttygen missing (apt-get install putty-tools)")
        # the private key puttygen reads has the public key Nova stores
        pub = self.ec2.describe_key_pairs(KeyNames=[n + "e"], IncludePublicKey=True)[
            "KeyPairs"][0]["PublicKey"]
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "k.ppk"), "w") as f:
                f.write(ed["KeyMaterial"])
            subprocess.run(["puttygen", "k.ppk", "-O", "private-openssh", "-o", "k.pem"],
                           cwd=d, check=True, stdin=subprocess.DEVNULL)
            out = subprocess.run(["puttygen", "k.pem", "-O", "public-openssh"], cwd=d,
                                 check=True, capture_output=True, text=True,
                                 stdin=subprocess.DEVNULL).stdout
        self.assertEqual(out.split()[:2], pub.split()[:2])
        r = harness.aws_cli(D, "ec2", "delete-key-pair", "--key-name", n)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ec2.delete_key_pair(KeyName=n + "e")
        names = [k["KeyName"] for k in self.ec2.describe_key_pairs()["KeyPairs"]]
        self.assertNotIn(n, names)
        self.assertNotIn(n + "e", names)


class Instances(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D)
        self.ids = []

    def tearDown(self):
        if self.ids:
            try:
                self.ec2.terminate_instances(InstanceIds=self.ids)
            except ClientError as e:
                print("cleanup: %s" % e)

    def test_bad_input(self):
        ec2 = self.ec2
        self.assertEqual(code_of(ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"]),
                         "InvalidInstanceID.NotFound")
        self.assertEqual(code_of(ec2.describe_instances, InstanceIds=["bogus"]),
                         "InvalidInstanceID.Malformed")
        ami = image_id(ec2) or "ami-00000001"
        self.assertEqual(code_of(ec2.run_instances, ImageId=ami, MinCount=3, MaxCount=1),
                         "InvalidParameterValue")
        img = image_id(ec2)
        if img:
            self.assertEqual(code_of(ec2.run_instances, ImageId=img, MinCount=1, MaxCount=1,
                                     InstanceType="x9.huge"), "InvalidParameterValue")

    def test_lifecycle(self):
        ec2 = self.ec2
        ami = image_id(ec2)
        if ami is None:
            self.skipTest("no ami- id: the image plugin (DescribeImages) is not available")
        tag = "it-" + uuid.uuid4().hex[:8]
        res = ec2.run_instances(
            ImageId=ami, MinCount=3, MaxCount=3, InstanceType="m1.tiny",
            UserData=base64.b64encode(b"#!/bin/sh\necho hi\n").decode(),
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "Name", "Value": tag}]}])
        self.ids = [i["InstanceId"] for i in res["Instances"]]
        self.assertEqual(len(self.ids), 3)
        ec2.get_waiter("instance_running").wait(
            InstanceIds=self.ids, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        got = ec2.describe_instances(Filters=[
            {"Name": "tag:Name", "Values": [tag]},
            {"Name": "instance-state-name", "Values": ["running"]}])
        found = [i["InstanceId"] for r in got["Reservations"] for i in r["Instances"]]
        self.assertEqual(sorted(found), sorted(self.ids))
        # paging: MaxResults 5 over every instance of the project
        seen, token = [], None
        while True:
            kw = {"MaxResults": 5}
            if token:
                kw["NextToken"] = token
            page = ec2.describe_instances(**kw)
            seen += [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertTrue(set(self.ids) <= set(seen))
        self.assertEqual(len(seen), len(set(seen)))
        out = ec2.get_console_output(InstanceId=self.ids[0])
        self.assertIn("FAKE CONSOLE OUTPUT", out.get("Output", ""))
        ec2.stop_instances(InstanceIds=[self.ids[0]])
        ec2.get_waiter("instance_stopped").wait(
            InstanceIds=[self.ids[0]], WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        ec2.start_instances(InstanceIds=[self.ids[0]])
        ec2.get_waiter("instance_running").wait(
            InstanceIds=[self.ids[0]], WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        ec2.reboot_instances(InstanceIds=[self.ids[1]])
        # the second tenant sees none of them
        ec2b = harness.boto3_client(D, which=2)
        other = ec2b.describe_instances()
        ids_b = [i["InstanceId"] for r in other["Reservations"] for i in r["Instances"]]
        self.assertFalse(set(ids_b) & set(self.ids))
        self.assertEqual(code_of(ec2b.describe_instances, InstanceIds=[self.ids[0]]),
                         "InvalidInstanceID.NotFound")
        t = ec2.terminate_instances(InstanceIds=self.ids)["TerminatingInstances"]
        self.assertEqual(len(t), 3)
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=self.ids, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        self.ids = []


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
