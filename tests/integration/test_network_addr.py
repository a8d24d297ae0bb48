#!/usr/bin/env python3
"""Elastic IPs of the neutron-v2.0 plugin against the all-in-one cloud (boto3 and awscli):
allocate, associate with a running instance, see it in DescribeAddresses and DescribeInstances,
reassociate, disassociate, release; the second tenant sees and changes nothing; bad input gets
AWS's error codes and leaves nothing in Neutron (checked with Neutron's own API)."""
import json
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
    harness.stop_daemon(D)


code_of = harness.error_code


class Neutron(harness.OpenStackAs):
    """Neutron's own view, as the tenant (a Keystone token and plain HTTP)."""

    def __init__(self, which=1):
        super().__init__(D.env, "network", tenant=which)

    def fips(self):
        return {f["id"]: f for f in self.get("/v2.0/floatingips")["floatingips"]}

    def fip_by_ip(self, ip):
        got = self.get("/v2.0/floatingips?floating_ip_address=" + ip)["floatingips"]
        return got[0] if got else None


def image_id(ec2):
    imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    return imgs[0]["ImageId"] if imgs else None


def addresses(ec2, **kw):
    return ec2.describe_addresses(**kw)["Addresses"]


class Addresses(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D)
        self.ec2b = harness.boto3_client(D, which=2)
        self.neutron = Neutron()
        self.allocs, self.instances = [], []

    def tearDown(self):
        for a in self.allocs:
            try:
                for x in addresses(self.ec2, AllocationIds=[a]):
                    if x.get("AssociationId"):
                        self.ec2.disassociate_address(AssociationId=x["AssociationId"])
                self.ec2.release_address(AllocationId=a)
            except ClientError as e:
                if e.response["Error"]["Code"] != "InvalidAllocationID.NotFound":
                    print("cleanup: %s" % e)
        if self.instances:
            self.ec2.terminate_instances(InstanceIds=self.instances)
            self.ec2.get_waiter("instance_terminated").wait(
                InstanceIds=self.instances, WaiterConfig={"Delay": 2, "MaxAttempts": 60})

    def allocate(self, ec2=None, **kw):
        a = (ec2 or self.ec2).allocate_address(Domain="vpc", **kw)
        self.allocs.append(a["AllocationId"])
        return a

    def wait_public_ip(self, iid, want, seconds=60):
        """DescribeInstances' PublicIpAddress (Nova's cache of Neutron follows within seconds)."""
        deadline = time.time() + seconds
        while True:
            inst = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0][
                "Instances"][0]
            if inst.get("PublicIpAddress") == want or time.time() > deadline:
                return inst
            time.sleep(2)

    def test_lifecycle(self):
        ec2 = self.ec2
        ami = image_id(ec2)
        self.assertIsNotNone(ami, "no cirros-fake image")
        name = "it-eip-" + uuid.uuid4().hex[:8]
        a1 = self.allocate(TagSpecifications=[{"ResourceType": "elastic-ip",
                                               "Tags": [{"Key": "Name", "Value": name}]}])
        a2 = self.allocate()
        for a in (a1, a2):
            self.assertRegex(a["AllocationId"], r"^eipalloc-[0-9a-f]{8,17}$")
            self.assertEqual(a["Domain"], "vpc")
            self.assertTrue(a["PublicIp"].startswith("203.0.113."), a)
        fip1 = self.neutron.fip_by_ip(a1["PublicIp"])
        self.assertIsNotNone(fip1)
        self.assertIsNone(fip1["port_id"])
        # two instances to move the address between
        res = ec2.run_instances(ImageId=ami, MinCount=2, MaxCount=2, InstanceType="m1.tiny")
        self.instances = [i["InstanceId"] for i in res["Instances"]]
        ec2.get_waiter("instance_running").wait(
            InstanceIds=self.instances, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
        i1, i2 = self.instances
        assoc = ec2.associate_address(AllocationId=a1["AllocationId"], InstanceId=i1)
        assoc_id = assoc["AssociationId"]
        self.assertEqual(assoc_id, "eipassoc-" + a1["AllocationId"].split("-", 1)[1])
        # associating the same again answers the same association
        self.assertEqual(ec2.associate_address(AllocationId=a1["AllocationId"],
                                               InstanceId=i1)["AssociationId"], assoc_id)
        inst = self.wait_public_ip(i1, a1["PublicIp"])
        self.assertEqual(inst.get("PublicIpAddress"), a1["PublicIp"])
        eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
        priv = inst["PrivateIpAddress"]
        fip1 = self.neutron.fip_by_ip(a1["PublicIp"])
        self.assertEqual(fip1["fixed_ip_address"], priv)
        # DescribeAddresses, by every filter Neutron data answers
        want = {"PublicIp": a1["PublicIp"], "AllocationId": a1["AllocationId"],
                "AssociationId": assoc_id, "Domain": "vpc", "InstanceId": i1,
                "NetworkInterfaceId": eni, "PrivateIpAddress": priv,
                "NetworkInterfaceOwnerId": inst["NetworkInterfaces"][0]["OwnerId"]}
        for f, v in [("instance-id", i1), ("association-id", assoc_id),
                     ("public-ip", a1["PublicIp"]), ("allocation-id", a1["AllocationId"]),
                     ("network-interface-id", eni), ("private-ip-address", priv),
                     ("tag:Name", name), ("tag-key", "Name")]:
            got = addresses(ec2, Filters=[{"Name": f, "Values": [v]},
                                          {"Name": "domain", "Values": ["vpc"]}])
            self.assertEqual([g["AllocationId"] for g in got], [a1["AllocationId"]], f)
            for k, val in want.items():
                self.assertEqual(got[0].get(k), val, (f, k))
            self.assertEqual(got[0]["Tags"], [{"Key": "Name", "Value": name}])
        self.assertEqual(addresses(ec2, Filters=[{"Name": "domain", "Values": ["standard"]},
                                                 {"Name": "public-ip",
                                                  "Values": [a1["PublicIp"]]}]), [])
        both = addresses(ec2, PublicIps=[a1["PublicIp"], a2["PublicIp"]])
        self.assertEqual(sorted(x["AllocationId"] for x in both),
                         sorted([a1["AllocationId"], a2["AllocationId"]]))
        self.assertNotIn("AssociationId", [x for x in both if x["PublicIp"] == a2["PublicIp"]][0])
        # moving it to the second instance needs AllowReassociation
        self.assertEqual(code_of(ec2.associate_address, AllocationId=a1["AllocationId"],
                                 InstanceId=i2), "Resource.AlreadyAssociated")
        self.assertEqual(self.neutron.fip_by_ip(a1["PublicIp"])["fixed_ip_address"], priv)
        ec2.associate_address(AllocationId=a1["AllocationId"], InstanceId=i2,
                              AllowReassociation=True)
        got = addresses(ec2, AllocationIds=[a1["AllocationId"]])[0]
        self.assertEqual(got["InstanceId"], i2)
        # a second address on the same instance replaces the first (AWS), awscli
        r = harness.aws_cli(D, "ec2", "associate-address", "--allocation-id",
                            a2["AllocationId"], "--instance-id", i2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["AssociationId"],
                         "eipassoc-" + a2["AllocationId"].split("-", 1)[1])
        got = {x["AllocationId"]: x for x in addresses(ec2, AllocationIds=[
            a1["AllocationId"], a2["AllocationId"]])}
        self.assertNotIn("InstanceId", got[a1["AllocationId"]])
        self.assertEqual(got[a2["AllocationId"]]["InstanceId"], i2)
        self.assertIsNone(self.neutron.fip_by_ip(a1["PublicIp"])["port_id"])
        self.assertEqual(self.wait_public_ip(i2, a2["PublicIp"]).get("PublicIpAddress"),
                         a2["PublicIp"])
        # an associated address cannot be released
        self.assertEqual(code_of(ec2.release_address, AllocationId=a2["AllocationId"]),
                         "InvalidIPAddress.InUse")
        self.assertIsNotNone(self.neutron.fip_by_ip(a2["PublicIp"]))
        # disassociate (awscli, by association id), twice: idempotent
        for _ in range(2):
            r = harness.aws_cli(D, "ec2", "disassociate-address", "--association-id",
                                "eipassoc-" + a2["AllocationId"].split("-", 1)[1])
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(self.neutron.fip_by_ip(a2["PublicIp"])["port_id"])
        self.assertNotIn("InstanceId", addresses(ec2, AllocationIds=[a2["AllocationId"]])[0])
        # by network interface and private IP, then by public IP
        eni2 = self.wait_public_ip(i2, None)["NetworkInterfaces"][0]
        ec2.associate_address(AllocationId=a2["AllocationId"],
                              NetworkInterfaceId=eni2["NetworkInterfaceId"],
                              PrivateIpAddress=eni2["PrivateIpAddress"])
        self.assertEqual(addresses(ec2, Filters=[{"Name": "network-interface-id", "Values": [
            eni2["NetworkInterfaceId"]]}])[0]["AllocationId"], a2["AllocationId"])
        ec2.disassociate_address(PublicIp=a2["PublicIp"])
        # release: by allocation id (boto3) and by public IP (awscli)
        ec2.release_address(AllocationId=a1["AllocationId"])
        r = harness.aws_cli(D, "ec2", "release-address", "--public-ip", a2["PublicIp"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(code_of(ec2.describe_addresses, AllocationIds=[a1["AllocationId"]]),
                         "InvalidAllocationID.NotFound")
        left = self.neutron.fips()
        self.assertNotIn(fip1["id"], left)
        self.assertFalse([f for f in left.values()
                          if f["floating_ip_address"] in (a1["PublicIp"], a2["PublicIp"])])

    def test_isolation(self):
        a = self.allocate()
        ec2b = self.ec2b
        ips_b = [x["PublicIp"] for x in addresses(ec2b)]
        self.assertNotIn(a["PublicIp"], ips_b)
        self.assertEqual(code_of(ec2b.describe_addresses, AllocationIds=[a["AllocationId"]]),
                         "InvalidAllocationID.NotFound")
        self.assertEqual(code_of(ec2b.describe_addresses, PublicIps=[a["PublicIp"]]),
                         "InvalidAddress.NotFound")
        self.assertEqual(code_of(ec2b.release_address, AllocationId=a["AllocationId"]),
                         "InvalidAllocationID.NotFound")
        self.assertEqual(code_of(ec2b.release_address, PublicIp=a["PublicIp"]),
                         "InvalidAddress.NotFound")
        self.assertEqual(code_of(ec2b.disassociate_address,
                                 AssociationId="eipassoc-" + a["AllocationId"][9:]),
                         "InvalidAssociationID.NotFound")
        self.assertIsNotNone(code_of(ec2b.create_tags, Resources=[a["AllocationId"]],
                                     Tags=[{"Key": "k", "Value": "v"}]))
        # still there, untouched, for its owner
        self.assertEqual(addresses(self.ec2, AllocationIds=[a["AllocationId"]])[0]["PublicIp"],
                         a["PublicIp"])
        self.assertIsNotNone(self.neutron.fip_by_ip(a["PublicIp"]))
        self.assertIsNone(Neutron(which=2).fip_by_ip(a["PublicIp"]))

    def test_standard_domain(self):
        a = self.ec2.allocate_address(Domain="standard")
        self.assertEqual(a["Domain"], "standard")
        self.assertNotIn("AllocationId", a)
        try:
            got = addresses(self.ec2, PublicIps=[a["PublicIp"]])
            self.assertEqual(got[0]["Domain"], "standard")
            self.assertNotIn("AllocationId", got[0])
            self.assertEqual(addresses(self.ec2, Filters=[
                {"Name": "domain", "Values": ["standard"]},
                {"Name": "public-ip", "Values": [a["PublicIp"]]}])[0]["PublicIp"], a["PublicIp"])
        finally:
            self.ec2.release_address(PublicIp=a["PublicIp"])
        self.assertIsNone(self.neutron.fip_by_ip(a["PublicIp"]))

    def test_bad_input(self):
        ec2 = self.ec2
        before = set(self.neutron.fips())
        unknown = "eipalloc-0123456789abcdef0"
        cases = [
            (ec2.describe_addresses, {"AllocationIds": [unknown]}, "InvalidAllocationID.NotFound"),
            (ec2.describe_addresses, {"AllocationIds": ["eipalloc-xyz"]},
             "InvalidAllocationID.Malformed"),
            (ec2.describe_addresses, {"PublicIps": ["203.0.113.251"]}, "InvalidAddress.NotFound"),
            (ec2.describe_addresses, {"PublicIps": ["300.1.2.3"]}, "InvalidParameterValue"),
            (ec2.describe_addresses, {"Filters": [{"Name": "bogus", "Values": ["x"]}]},
             "InvalidParameterValue"),
            (ec2.release_address, {"AllocationId": unknown}, "InvalidAllocationID.NotFound"),
            (ec2.release_address, {"PublicIp": "203.0.113.251"}, "InvalidAddress.NotFound"),
            (ec2.release_address, {"PublicIp": "not-an-ip"}, "InvalidParameterValue"),
            (ec2.release_address, {}, "MissingParameter"),
            (ec2.associate_address, {"AllocationId": unknown, "InstanceId": "i-0123456789abcdef0"},
             "InvalidAllocationID.NotFound"),
            (ec2.disassociate_address, {"AssociationId": "eipassoc-0123456789abcdef0"},
             "InvalidAssociationID.NotFound"),
            (ec2.disassociate_address, {"AssociationId": "eipalloc-01234567"},
             "InvalidAssociationID.Malformed"),
            (ec2.allocate_address, {"Domain": "vpc", "CustomerOwnedIpv4Pool": "x"},
             "InvalidParameterValue"),
            (ec2.allocate_address, {"Domain": "vpc", "PublicIpv4Pool": "nope"},
             "InvalidPublicIpv4PoolID.NotFound"),
            (ec2.allocate_address, {"Domain": "vpc", "NetworkBorderGroup": "elsewhere"},
             "InvalidParameterValue"),
            (ec2.allocate_address, {"Domain": "vpc", "Address": "198.51.100.7"},
             "InvalidParameterValue"),
            (ec2.allocate_address, {"Domain": "vpc", "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}]},
             "InvalidParameterValue"),
        ]
        for fn, kw, want in cases:
            self.assertEqual(code_of(fn, **kw), want, (fn.__name__, kw))
        # with a real address: unknown instance, wrong private IP
        a = self.allocate()
        self.assertEqual(code_of(ec2.associate_address, AllocationId=a["AllocationId"],
                                 InstanceId="i-0123456789abcdef0"), "InvalidInstanceID.NotFound")
        self.assertEqual(code_of(ec2.associate_address, AllocationId=a["AllocationId"],
                                 NetworkInterfaceId="eni-0123456789abcdef0"),
                         "InvalidNetworkInterfaceID.NotFound")
        self.assertEqual(code_of(ec2.associate_address, AllocationId=a["AllocationId"],
                                 InstanceId="i-0123456789abcdef0",
                                 NetworkInterfaceId="eni-0123456789abcdef0"),
                         "InvalidParameterCombination")
        self.assertIsNone(self.neutron.fip_by_ip(a["PublicIp"])["port_id"])
        self.ec2.release_address(AllocationId=a["AllocationId"])
        self.assertEqual(set(self.neutron.fips()), before)

    def test_dry_run(self):
        self.assertEqual(code_of(self.ec2.allocate_address, Domain="vpc", DryRun=True),
                         "DryRunOperation")
        self.assertEqual(code_of(self.ec2.describe_addresses, DryRun=True), "DryRunOperation")


class JsSdk(unittest.TestCase):
    """The same through the AWS SDK for JavaScript v3 (js/eip_workflow.mjs); like
    test_js_sdk.py it needs node and `npm ci` in tests/integration/js (tests/run.sh does it)."""

    def test_eip_workflow(self):
        import shutil
        import subprocess
        js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is not installed (apt-get install nodejs npm)")
        self.assertTrue(os.path.isdir(os.path.join(js, "node_modules", "@aws-sdk", "client-ec2")),
                        "run (cd tests/integration/js && npm ci --no-audit --no-fund)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"EC2GW_URL": D.url, "AWS_ACCESS_KEY_ID": D.env["EC2_ACCESS_KEY"],
                    "AWS_SECRET_ACCESS_KEY": D.env["EC2_SECRET_KEY"],
                    "AWS_ACCESS_KEY_ID_2": D.env["EC2_ACCESS_KEY_2"],
                    "AWS_SECRET_ACCESS_KEY_2": D.env["EC2_SECRET_KEY_2"]})
        p = subprocess.run([node, "eip_workflow.mjs"], cwd=js, env=env, capture_output=True,
                           text=True, timeout=300)
        print(p.stdout + p.stderr, end="")
        self.assertEqual(p.returncode, 0, "eip_workflow.mjs failed: see the \"ok\":false lines")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
