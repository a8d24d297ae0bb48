#!/usr/bin/env python3
"""RunInstances with block devices, subnets, private addresses and network interfaces, and what
DescribeInstances shows of them, against the all-in-one cloud (boto3 and awscli)."""
import json
import os
import random
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

D = None
WAIT = {"Delay": 3, "MaxAttempts": 60}


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


def instances_of(resp):
    return [i for r in resp["Reservations"] for i in r["Instances"]]


class Devices(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ec2 = harness.boto3_client(D)
        imgs = cls.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
        cls.ami = imgs[0]["ImageId"]
        cls.tag = "devices-" + uuid.uuid4().hex[:8]
        cls.ids = []

    @classmethod
    def tearDownClass(cls):
        if cls.ids:
            cls.ec2.terminate_instances(InstanceIds=cls.ids)

    def launch(self, **kw):
        kw.setdefault("InstanceType", "m1.tiny")
        kw.setdefault("MinCount", 1)
        kw.setdefault("MaxCount", 1)
        kw["TagSpecifications"] = [{"ResourceType": "instance",
                                    "Tags": [{"Key": "run", "Value": self.tag}]}]
        ids = [i["InstanceId"] for i in self.ec2.run_instances(ImageId=self.ami, **kw)["Instances"]]
        self.ids.extend(ids)
        return ids

    def test_devices_and_interfaces(self):
        ec2 = self.ec2
        # 1. an extra blank EBS volume: Nova creates it in Cinder and attaches it at boot
        first, = self.launch(BlockDeviceMappings=[
            {"DeviceName": "/dev/vdb", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}])
        ec2.get_waiter("instance_running").wait(InstanceIds=[first], WaiterConfig=WAIT)
        inst, = instances_of(ec2.describe_instances(InstanceIds=[first]))
        bdm = inst["BlockDeviceMappings"]
        self.assertEqual(len(bdm), 1, bdm)
        self.assertEqual(bdm[0]["DeviceName"], "/dev/vdb")
        self.assertTrue(bdm[0]["Ebs"]["VolumeId"].startswith("vol-"))
        self.assertEqual(bdm[0]["Ebs"]["Status"], "attached")
        self.assertTrue(bdm[0]["Ebs"]["DeleteOnTermination"])
        self.assertEqual(inst["RootDeviceType"], "instance-store")
        self.assertTrue(inst["RootDeviceName"].startswith("/dev/"))
        nic, = inst["NetworkInterfaces"]
        subnet = inst["SubnetId"]
        self.assertTrue(subnet.startswith("subnet-"))
        self.assertEqual(nic["SubnetId"], subnet)
        self.assertTrue(nic["NetworkInterfaceId"].startswith("eni-"))
        self.assertEqual(nic["PrivateIpAddress"], inst["PrivateIpAddress"])
        self.assertEqual(nic["Attachment"]["DeviceIndex"], 0)
        self.assertTrue(nic["SourceDestCheck"])
        self.assertEqual([g["GroupName"] for g in nic["Groups"]], ["default"])
        self.assertTrue(inst["SecurityGroups"][0]["GroupId"].startswith("sg-"))

        # 2. filters on the new views find it, and only it
        for flt in (("block-device-mapping.volume-id", bdm[0]["Ebs"]["VolumeId"]),
                    ("block-device-mapping.device-name", "/dev/vdb"),
                    ("network-interface.network-interface-id", nic["NetworkInterfaceId"])):
            found = instances_of(ec2.describe_instances(
                Filters=[{"Name": flt[0], "Values": [flt[1]]},
                         {"Name": "tag:run", "Values": [self.tag]}]))
            self.assertEqual([i["InstanceId"] for i in found], [first], flt)

        # 3. the subnet id it showed places the next instance, at a chosen address (awscli)
        prefix = inst["PrivateIpAddress"].rsplit(".", 1)[0]
        used = {i.get("PrivateIpAddress") for i in instances_of(ec2.describe_instances())}
        ip = random.choice(["%s.%d" % (prefix, k) for k in range(150, 251)
                            if "%s.%d" % (prefix, k) not in used])
        out = harness.aws_cli(D, "ec2", "run-instances", "--image-id", self.ami,
                              "--instance-type", "m1.tiny", "--subnet-id", subnet,
                              "--private-ip-address", ip, "--output", "json")
        self.assertEqual(out.returncode, 0, out.stderr)
        second = json.loads(out.stdout)["Instances"][0]["InstanceId"]
        self.ids.append(second)
        ec2.create_tags(Resources=[second], Tags=[{"Key": "run", "Value": self.tag}])
        ec2.get_waiter("instance_running").wait(InstanceIds=[second], WaiterConfig=WAIT)
        inst2, = instances_of(ec2.describe_instances(InstanceIds=[second]))
        self.assertEqual(inst2["PrivateIpAddress"], ip)
        self.assertEqual(inst2["SubnetId"], subnet)
        found = instances_of(ec2.describe_instances(
            Filters=[{"Name": "private-ip-address", "Values": [ip]}]))
        self.assertEqual([i["InstanceId"] for i in found], [second])

        # 4. the same through NetworkInterface.N with device index 0
        third, = self.launch(NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet,
                                                 "DeleteOnTermination": True}])
        ec2.get_waiter("instance_running").wait(InstanceIds=[third], WaiterConfig=WAIT)
        inst3, = instances_of(ec2.describe_instances(InstanceIds=[third]))
        self.assertEqual(inst3["NetworkInterfaces"][0]["SubnetId"], subnet)
        found = instances_of(ec2.describe_instances(
            Filters=[{"Name": "network-interface.subnet-id", "Values": [subnet]},
                     {"Name": "tag:run", "Values": [self.tag]}]))
        self.assertEqual(sorted(i["InstanceId"] for i in found), sorted([first, second, third]))

        # 5. terminate: all end as terminated, the volume went with the first one
        ec2.terminate_instances(InstanceIds=[first, second, third])
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[first, second, third],
                                                   WaiterConfig=WAIT)
        self.ids = []

    def test_bad_input(self):
        ec2 = self.ec2
        base = dict(ImageId=self.ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny")
        before = len(instances_of(ec2.describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])))
        cases = [
            (dict(SubnetId="subnet-0123abcd"), "InvalidSubnetID.NotFound"),
            (dict(SubnetId="bogus"), "InvalidSubnetID.Malformed"),
            (dict(PrivateIpAddress="10.0.0.5", MaxCount=2), "InvalidParameterCombination"),
            (dict(PrivateIpAddress="192.168.77.5"), "InvalidParameterValue"),
            (dict(NetworkInterfaces=[{"DeviceIndex": 1}]), "InvalidParameterValue"),
            # a public IP is mapped only in a VPC subnet (test_compute_vpc.py)
            (dict(NetworkInterfaces=[{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]),
             "InvalidParameterCombination"),
            (dict(BlockDeviceMappings=[{"DeviceName": "/dev/vdb", "Ebs": {}}]),
             "InvalidBlockDeviceMapping"),
            (dict(BlockDeviceMappings=[{"DeviceName": "/dev/vdb",
                                        "Ebs": {"VolumeSize": 1, "Encrypted": True}}]),
             "UnsupportedOperation"),
            (dict(BlockDeviceMappings=[{"DeviceName": "/dev/vdb",
                                        "Ebs": {"SnapshotId": "snap-0123abcd"}}]),
             "InvalidSnapshot.NotFound"),
        ]
        for extra, want in cases:
            kw = dict(base)
            kw.update(extra)
            got = code_of(ec2.run_instances, **kw)
            self.assertEqual(got, want, extra)
        after = len(instances_of(ec2.describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])))
        self.assertEqual(before, after, "a refused RunInstances left a server behind")


class Attributes(unittest.TestCase):
    """ModifyInstanceAttribute on Neutron ports, stored flags and a Nova resize."""

    def test_modify(self):
        ec2 = harness.boto3_client(D)
        ami = ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"][0]["ImageId"]
        iid = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                InstanceType="m1.tiny")["Instances"][0]["InstanceId"]
        try:
            ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=WAIT)
            # sourceDestCheck: off on the port, seen by DescribeInstances, reset to on
            ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
            inst, = instances_of(ec2.describe_instances(InstanceIds=[iid]))
            self.assertFalse(inst["SourceDestCheck"])
            self.assertFalse(ec2.describe_instance_attribute(
                InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"])
            ec2.reset_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")
            inst, = instances_of(ec2.describe_instances(InstanceIds=[iid]))
            self.assertTrue(inst["SourceDestCheck"])
            # groupSet: the port's groups replaced, by id
            sg = inst["SecurityGroups"][0]["GroupId"]
            ec2.modify_instance_attribute(InstanceId=iid, Groups=[sg])
            got = ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")["Groups"]
            self.assertEqual([g["GroupId"] for g in got], [sg])
            self.assertEqual(code_of(ec2.modify_instance_attribute, InstanceId=iid,
                                     Groups=["sg-0123abcd"]), "InvalidGroup.NotFound")
            # disableApiStop: stored, enforced, cleared
            ec2.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": True})
            self.assertTrue(ec2.describe_instance_attribute(
                InstanceId=iid, Attribute="disableApiStop")["DisableApiStop"]["Value"])
            self.assertEqual(code_of(ec2.stop_instances, InstanceIds=[iid]),
                             "OperationNotPermitted")
            ec2.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": False})
            # instanceType: only when stopped; then Nova resizes and the gateway confirms
            self.assertEqual(code_of(ec2.modify_instance_attribute, InstanceId=iid,
                                     InstanceType={"Value": "m1.small"}),
                             "IncorrectInstanceState")
            ec2.stop_instances(InstanceIds=[iid])
            ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=WAIT)
            ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "m1.small"})
            inst, = instances_of(ec2.describe_instances(InstanceIds=[iid]))
            self.assertEqual(inst["InstanceType"], "m1.small")
            ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=WAIT)
            self.assertEqual(ec2.describe_instance_attribute(
                InstanceId=iid, Attribute="instanceType")["InstanceType"]["Value"], "m1.small")
            # refused with a named reason, nothing changed
            self.assertEqual(code_of(ec2.modify_instance_attribute, InstanceId=iid,
                                     UserData={"Value": b"x"}), "UnsupportedOperation")
            self.assertEqual(code_of(ec2.modify_instance_attribute, InstanceId=iid,
                                     InstanceType={"Value": "x9.huge"}), "InvalidParameterValue")
        finally:
            ec2.terminate_instances(InstanceIds=[iid])


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
