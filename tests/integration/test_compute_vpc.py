#!/usr/bin/env python3
"""The compute side of the VPC family (issue 13) against the all-in-one cloud, with boto3:
RunInstances in a VPC subnet boots on that subnet's Neutron network with the asked private
IP and the VPC's default group (checked with Neutron's own API), DescribeInstances shows VpcId
and SubnetId on the instance and its interface and filters by vpc-id, an instance on the
classic network keeps no VpcId, groups of another VPC are refused before anything boots, and
a subnet that maps public IPs on launch gets a floating IP associated with the instance's
port, released by TerminateInstances; with `default_vpc: true`, RunInstances without a subnet
lands in the default subnet with a public IP. The two-tier workflow itself is test_vpc.py's."""
import os
import random
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_vpc  # noqa: E402  (default-VPC configuration and clean-up helpers)

from botocore.exceptions import ClientError  # noqa: E402

D = None
code_of = harness.error_code


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


class Neutron(harness.OpenStackAs):
    """Neutron's own view, as the tenant."""

    def __init__(self):
        super().__init__(D.env, "network", tenant=1)

    def list(self, what, query=""):
        return self.get("/v2.0/%s%s" % (what, query))[what.replace("-", "_")]


def image_id(ec2):
    imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    assert imgs, "the cloud seeds cirros-fake"
    return imgs[0]["ImageId"]


def instances(ec2, **kw):
    return [i for r in ec2.describe_instances(**kw)["Reservations"] for i in r["Instances"]]


class ComputeVpc(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D)
        self.neutron = Neutron()
        self.ami = image_id(self.ec2)
        self.run = "it-%s" % uuid.uuid4().hex[:8]
        self.cidr = "10.%d.0.0/16" % random.randint(100, 250)
        self.undo = []
        self.servers = []

    def tearDown(self):
        ec2 = self.ec2
        if self.servers:
            ec2.terminate_instances(InstanceIds=self.servers)
            self.wait(self.servers, "terminated", gone_ok=True)
        for fn, kw in reversed(self.undo):
            for _ in range(60):
                try:
                    fn(**kw)
                    break
                except ClientError as e:
                    if e.response["Error"]["Code"] != "DependencyViolation":
                        print("cleanup %s: %s" % (fn.__name__, e))
                        break
                    time.sleep(2)

    def vpc(self):
        v = self.ec2.create_vpc(CidrBlock=self.cidr)["Vpc"]["VpcId"]
        self.undo.append((self.ec2.delete_vpc, {"VpcId": v}))
        return v

    def subnet(self, vpc, third):
        cidr = self.cidr.replace(".0.0/16", ".%d.0/24" % third)
        s = self.ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        self.undo.append((self.ec2.delete_subnet, {"SubnetId": s}))
        return s

    def igw(self, vpc):
        g = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.undo.append((self.ec2.delete_internet_gateway, {"InternetGatewayId": g}))
        self.ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=vpc)
        self.undo.append((self.ec2.detach_internet_gateway, {"InternetGatewayId": g,
                                                              "VpcId": vpc}))
        return g

    def launch(self, **kw):
        r = self.ec2.run_instances(ImageId=self.ami, MinCount=1, MaxCount=1,
                                   InstanceType="m1.tiny", TagSpecifications=[{
                                       "ResourceType": "instance",
                                       "Tags": [{"Key": "run", "Value": self.run}]}], **kw)
        ids = [i["InstanceId"] for i in r["Instances"]]
        self.servers += ids
        return r["Instances"][0]

    def wait(self, ids, state, gone_ok=False):
        for _ in range(150):
            try:
                got = instances(self.ec2, InstanceIds=ids)
            except ClientError as e:
                if gone_ok and e.response["Error"]["Code"] == "InvalidInstanceID.NotFound":
                    return
                raise
            if all(i["State"]["Name"] == state for i in got):
                return got
            time.sleep(2)
        self.fail("instances %s never %s" % (ids, state))

    def group(self, vpc):
        g = self.ec2.create_security_group(VpcId=vpc, GroupName=self.run + "-sg",
                                           Description="test_compute_vpc")["GroupId"]
        self.undo.append((self.ec2.delete_security_group, {"GroupId": g}))
        return g

    def test_run_in_subnet(self):
        ec2, n = self.ec2, self.neutron
        vpc = self.vpc()
        sub = self.subnet(vpc, 1)
        ip = self.cidr.replace(".0.0/16", ".1.20")
        inst = self.launch(SubnetId=sub, PrivateIpAddress=ip)
        iid = inst["InstanceId"]
        self.assertEqual((inst["VpcId"], inst["SubnetId"]), (vpc, sub))
        # a classic instance next to it (the project's own network, as before)
        classic = self.launch()["InstanceId"]
        self.wait([iid, classic], "running")
        # Neutron: the port on the subnet's network, the fixed IP asked, the VPC's default group
        nsub = n.list("subnets", "?name=" + sub)
        self.assertEqual(len(nsub), 1)
        ports = [p for p in n.list("ports", "?network_id=" + nsub[0]["network_id"])
                 if p["device_owner"].startswith("compute:")]
        self.assertEqual(len(ports), 1)
        self.assertEqual([f["ip_address"] for f in ports[0]["fixed_ips"]], [ip])
        nsg = n.list("security-groups", "?name=default-" + vpc)
        self.assertEqual(ports[0]["security_groups"], [nsg[0]["id"]])
        # DescribeInstances: VpcId and SubnetId on the instance and its interface
        got = {i["InstanceId"]: i for i in instances(
            ec2, Filters=[{"Name": "tag:run", "Values": [self.run]}])}
        v = got[iid]
        self.assertEqual((v["VpcId"], v["SubnetId"], v["PrivateIpAddress"]), (vpc, sub, ip))
        nic = v["NetworkInterfaces"][0]
        self.assertEqual((nic["VpcId"], nic["SubnetId"]), (vpc, sub))
        self.assertEqual([g["GroupName"] for g in v["SecurityGroups"]], ["default"])
        self.assertRegex(v["SecurityGroups"][0]["GroupId"], r"^sg-[0-9a-f]{8,17}$")
        self.assertNotIn("VpcId", got[classic])
        self.assertNotIn("VpcId", got[classic]["NetworkInterfaces"][0])
        # the filters
        by_vpc = instances(ec2, Filters=[{"Name": "vpc-id", "Values": [vpc]}])
        self.assertEqual([i["InstanceId"] for i in by_vpc], [iid])
        by_nic = instances(ec2, Filters=[{"Name": "network-interface.vpc-id", "Values": [vpc]},
                                         {"Name": "tag:run", "Values": [self.run]}])
        self.assertEqual([i["InstanceId"] for i in by_nic], [iid])

    def test_groups_of_another_vpc(self):
        ec2 = self.ec2
        vpc, other = self.vpc(), None
        sub = self.subnet(vpc, 1)
        self.cidr = "10.%d.0.0/16" % random.randint(100, 250)
        other = self.vpc()
        foreign = self.group(other)
        before = len(instances(ec2, Filters=[{"Name": "tag:run", "Values": [self.run]}]))
        self.assertEqual(code_of(ec2.run_instances, ImageId=self.ami, MinCount=1, MaxCount=1,
                                 SubnetId=sub, SecurityGroupIds=[foreign]), "InvalidParameter")
        # names with the subnet of a non-default VPC, as AWS refuses them
        self.assertEqual(code_of(ec2.run_instances, ImageId=self.ami, MinCount=1, MaxCount=1,
                                 SubnetId=sub, SecurityGroups=["default"]),
                         "InvalidParameterCombination")
        # nothing was booted
        self.assertEqual(len(instances(ec2, Filters=[{"Name": "tag:run", "Values": [self.run]}])),
                         before)
        self.assertEqual(self.neutron.list("ports", "?network_id=" + self.neutron.list(
            "subnets", "?name=" + sub)[0]["network_id"] + "&device_owner=compute:nova"), [])

    def test_public_ip_on_launch(self):
        ec2, n = self.ec2, self.neutron
        vpc = self.vpc()
        sub = self.subnet(vpc, 1)
        # no internet gateway yet: refused before anything boots
        ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
        self.assertEqual(code_of(ec2.run_instances, ImageId=self.ami, MinCount=1, MaxCount=1,
                                 SubnetId=sub), "InvalidParameterCombination")
        self.igw(vpc)
        inst = self.launch(SubnetId=sub)
        iid, pub = inst["InstanceId"], inst.get("PublicIpAddress")
        self.assertTrue(pub, "the answer shows the public IP")
        fips = n.list("floatingips", "?floating_ip_address=" + pub)
        self.assertEqual(len(fips), 1)
        self.assertEqual(fips[0]["description"], "ec2gw-public-ip " + iid)
        net = n.list("subnets", "?name=" + sub)[0]["network_id"]
        ports = [p for p in n.list("ports", "?network_id=" + net)
                 if p["device_owner"].startswith("compute:")]
        self.assertEqual([p["id"] for p in ports], [fips[0]["port_id"]])
        self.wait([iid], "running")
        # AssociatePublicIpAddress=false overrides the subnet
        none = self.launch(NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": sub,
                                               "AssociatePublicIpAddress": False}])
        self.assertNotIn("PublicIpAddress", none)
        # TerminateInstances releases the floating IP with the instance
        ec2.terminate_instances(InstanceIds=[iid])
        self.assertEqual(n.list("floatingips", "?floating_ip_address=" + pub), [])


class DefaultSubnet(unittest.TestCase):
    """Tenant 2 with `default_vpc: true` (a fresh database: a project without one yet)."""

    def setUp(self):
        self.d = harness.Daemon(plugins=test_vpc.default_vpc_conf()).start()
        self.ec2 = harness.boto3_client(self.d, which=2)
        self.neutron = test_vpc.Neutron(which=2, daemon=self.d)
        self.vid = None
        self.iid = None

    def tearDown(self):
        try:
            if self.iid:
                self.ec2.terminate_instances(InstanceIds=[self.iid])
                for _ in range(60):  # Nova deletes the port with the server
                    if not self.neutron.list("ports", "?device_owner=compute:nova&fixed_ips="
                                             "subnet_id=" + self.neutron.list(
                                                 "subnets", "?name=" + self.sub)[0]["id"]):
                        break
                    time.sleep(2)
            if self.vid:
                test_vpc.delete_default_vpc(self.ec2, self.vid)
                wiped = test_vpc.neutron_wipe_vpc(self.neutron, self.vid)
                if wiped:
                    print("cleanup: wiped %s" % wiped)
        finally:
            harness.stop_daemon(self.d)

    def test_run_without_subnet(self):
        ec2, n = self.ec2, self.neutron
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
        self.assertEqual(len(vpcs), 1)
        self.vid = vpcs[0]["VpcId"]
        subs = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [self.vid]},
                                             {"Name": "default-for-az", "Values": ["true"]}])
        self.assertTrue(subs["Subnets"])
        r = ec2.run_instances(ImageId=image_id(ec2), MinCount=1, MaxCount=1,
                              InstanceType="m1.tiny")
        inst = r["Instances"][0]
        self.iid, self.sub = inst["InstanceId"], inst.get("SubnetId")
        self.assertEqual(inst.get("VpcId"), self.vid)
        self.assertIn(self.sub, [s["SubnetId"] for s in subs["Subnets"]])
        # the default subnet maps a public IP on launch (the default VPC has its gateway)
        pub = inst.get("PublicIpAddress")
        self.assertTrue(pub)
        self.assertEqual(n.list("floatingips", "?floating_ip_address=" + pub)[0]["description"],
                         "ec2gw-public-ip " + self.iid)
        got = instances(ec2, Filters=[{"Name": "vpc-id", "Values": [self.vid]}])
        self.assertEqual([i["InstanceId"] for i in got], [self.iid])
        ec2.terminate_instances(InstanceIds=[self.iid])
        self.assertEqual(n.list("floatingips", "?floating_ip_address=" + pub), [])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
