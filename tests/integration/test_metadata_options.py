#!/usr/bin/env python3
"""Instance metadata options on the all-in-one cloud (issue 19, compute side): RunInstances'
MetadataOptions with awscli, DescribeInstances' MetadataOptions and metadata-options.* filters,
ModifyInstanceMetadataOptions with boto3 (merged, DryRun stores nothing), bad values refused
with InvalidParameterValue before anything is made (no server in Nova), another tenant's
instance not found. The metadata listener that enforces them is tested in test_metadata.py."""
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = None
code_of = harness.error_code


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


def options(ec2, iid):
    return ec2.describe_instances(
        InstanceIds=[iid])["Reservations"][0]["Instances"][0]["MetadataOptions"]


class MetadataOptions(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D)
        self.nova = harness.OpenStackAs(D.env, "compute")
        imgs = self.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
        self.assertTrue(imgs, "the cloud's seeded image cirros-fake is missing")
        self.ami = imgs[0]["ImageId"]
        self.instances = []

    def tearDown(self):
        if self.instances:
            self.ec2.terminate_instances(InstanceIds=self.instances)
            self.ec2.get_waiter("instance_terminated").wait(
                InstanceIds=self.instances, WaiterConfig={"Delay": 2, "MaxAttempts": 60})

    def servers_with_key(self, key):
        return [s["id"] for s in self.nova.get("/servers/detail")["servers"]
                if s.get("key_name") == key]

    def test_run_describe_modify(self):
        p = harness.aws_cli(D, "ec2", "run-instances", "--image-id", self.ami, "--instance-type",
                            "m1.tiny", "--metadata-options",
                            "HttpTokens=required,HttpPutResponseHopLimit=2", "--output", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        inst = json.loads(p.stdout)["Instances"][0]
        iid = inst["InstanceId"]
        self.instances.append(iid)
        want = {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                "InstanceMetadataTags": "disabled"}
        self.assertEqual(inst["MetadataOptions"], want)
        self.assertEqual(options(self.ec2, iid), want)
        got = self.ec2.describe_instances(Filters=[
            {"Name": "metadata-options.http-tokens", "Values": ["required"]},
            {"Name": "instance-id", "Values": [iid]}])["Reservations"]
        self.assertEqual(len(got), 1)
        # one option changed, the others kept; the answer is pending as on AWS
        out = self.ec2.modify_instance_metadata_options(InstanceId=iid, HttpEndpoint="disabled")
        self.assertEqual(out["InstanceId"], iid)
        self.assertEqual(out["InstanceMetadataOptions"]["State"], "pending")
        self.assertEqual(out["InstanceMetadataOptions"]["HttpTokens"], "required")
        self.assertEqual(out["InstanceMetadataOptions"]["HttpEndpoint"], "disabled")
        self.assertEqual(options(self.ec2, iid), dict(want, HttpEndpoint="disabled"))
        # DryRun checks and stores nothing
        self.assertEqual(code_of(self.ec2.modify_instance_metadata_options, InstanceId=iid,
                                 HttpTokens="optional", DryRun=True), "DryRunOperation")
        self.assertEqual(options(self.ec2, iid)["HttpTokens"], "required")
        # bad values: the parameter named, nothing changed
        for kw in ({"HttpTokens": "maybe"}, {"HttpPutResponseHopLimit": 65},
                   {"HttpPutResponseHopLimit": 0}, {"HttpEndpoint": "off"}):
            self.assertEqual(code_of(self.ec2.modify_instance_metadata_options, InstanceId=iid,
                                     **kw), "InvalidParameterValue", kw)
        self.assertEqual(code_of(self.ec2.modify_instance_metadata_options, InstanceId=iid,
                                 HttpProtocolIpv6="enabled"), "UnsupportedOperation")
        self.assertEqual(options(self.ec2, iid), dict(want, HttpEndpoint="disabled"))
        # another tenant does not see the instance
        other = harness.boto3_client(D, which=2)
        self.assertEqual(code_of(other.modify_instance_metadata_options, InstanceId=iid,
                                 HttpTokens="optional"), "InvalidInstanceID.NotFound")
        self.assertEqual(options(self.ec2, iid)["HttpTokens"], "required")
        # defaults when launched without options (boto3)
        res = self.ec2.run_instances(ImageId=self.ami, InstanceType="m1.tiny", MinCount=1,
                                     MaxCount=1)
        iid2 = res["Instances"][0]["InstanceId"]
        self.instances.append(iid2)
        self.assertEqual(options(self.ec2, iid2),
                         dict(want, HttpTokens="optional", HttpPutResponseHopLimit=1))

    def test_bad_options_launch_nothing(self):
        # a key of this test only: any server booted with it would be one of these runs
        key = "it-mdo-" + uuid.uuid4().hex[:8]
        self.ec2.create_key_pair(KeyName=key)
        self.addCleanup(self.ec2.delete_key_pair, KeyName=key)
        for opts, code in ((["HttpTokens=sometimes"], "InvalidParameterValue"),
                           (["HttpPutResponseHopLimit=100"], "InvalidParameterValue"),
                           (["HttpEndpoint=maybe"], "InvalidParameterValue"),
                           (["InstanceMetadataTags=enabled"], "UnsupportedOperation")):
            p = harness.aws_cli(D, "ec2", "run-instances", "--image-id", self.ami,
                                "--instance-type", "m1.tiny", "--key-name", key,
                                "--metadata-options", *opts)
            self.assertNotEqual(p.returncode, 0, opts)
            self.assertIn("(%s)" % code, p.stderr, opts)
        self.assertEqual(self.servers_with_key(key), [])

if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
