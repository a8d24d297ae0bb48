#!/usr/bin/env python3
"""Security groups and account attributes of the neutron-v2.0 plugin against the all-in-one
cloud, with boto3, awscli and the AWS SDK for JavaScript v3: a batch worker's network life,
isolation between the demo and demo2 tenants, and bad input that gets AWS's error codes and
leaves nothing half-made in Neutron (checked with Neutron's own API after each)."""
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

    def groups(self, name=None):
        q = "?name=" + name if name else ""
        return self.call("GET", "/v2.0/security-groups" + q)["security_groups"]

    def rules(self, group_name):
        g = self.groups(group_name)
        return g[0]["security_group_rules"] if g else None

    def ports_of(self, server):
        return self.call("GET", "/v2.0/ports?device_id=" + server)["ports"]


def image_id(ec2):
    imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    return imgs[0]["ImageId"] if imgs else None


def perm_keys(group):
    """(protocol, from, to, source) of every entry of a described group's IpPermissions."""
    out = set()
    for p in group["IpPermissions"]:
        for r in p["IpRanges"]:
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"]))
        for g in p["UserIdGroupPairs"]:
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), g["GroupId"]))
    return out


class SecurityGroups(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D)
        self.answers = harness.RawAnswers(self.ec2)
        self.neutron = Neutron()
        self.tag = "it-sg-" + uuid.uuid4().hex[:8]
        self.groups = []
        self.instances = []

    def tearDown(self):
        if self.instances:
            self.ec2.terminate_instances(InstanceIds=self.instances)
            self.ec2.get_waiter("instance_terminated").wait(
                InstanceIds=self.instances, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        for gid in reversed(self.groups):
            try:
                self.ec2.delete_security_group(GroupId=gid)
            except ClientError:
                pass
        left = [g["name"] for g in self.neutron.groups() if g["name"].startswith(self.tag)]
        self.assertEqual(left, [], "groups left in Neutron")

    def create(self, suffix, ec2=None, **kw):
        g = (ec2 or self.ec2).create_security_group(GroupName=self.tag + suffix,
                                                     Description="ec2gw it " + suffix, **kw)
        self.groups.append(g["GroupId"])
        return g["GroupId"]

    def revoked_rules(self, out):
        """The rule ids a Revoke answered: Debian 12's botocore (1.29) parses no
        RevokedSecurityGroupRules, so then they are read from the answer's XML."""
        if "RevokedSecurityGroupRules" in out:
            return [r["SecurityGroupRuleId"] for r in out["RevokedSecurityGroupRules"]]
        return [i.findtext("securityGroupRuleId")
                for i in self.answers.last().findall("revokedSecurityGroupRuleSet/item")]

    def test_worker_life(self):
        """Create groups, open tcp 22 and a port range from a CIDR and from another group,
        run an instance in it, see the group in DescribeInstances, revoke, delete."""
        ec2 = self.ec2
        lb = self.create("-lb")
        gid = self.create("-workers", TagSpecifications=[{
            "ResourceType": "security-group", "Tags": [{"Key": "role", "Value": "worker"}]}])
        out = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "admins"}]},
            {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9100,
             "IpRanges": [{"CidrIp": "10.0.0.0/8"}], "UserIdGroupPairs": [{"GroupId": lb}]},
            {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.assertTrue(out["Return"])
        rules = out["SecurityGroupRules"]
        self.assertEqual(len(rules), 4)
        self.assertTrue(all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules))
        # Neutron has them, as Neutron spells them
        nrules = self.neutron.rules(self.tag + "-workers")
        ingress = [r for r in nrules if r["direction"] == "ingress"]
        self.assertEqual(len(ingress), 4)
        self.assertIn(self.neutron.groups(self.tag + "-lb")[0]["id"],
                      [r["remote_group_id"] for r in ingress])
        # DescribeSecurityGroups by id, name and filters
        g = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        self.assertEqual(g["GroupName"], self.tag + "-workers")
        self.assertEqual(g["Tags"], [{"Key": "role", "Value": "worker"}])
        self.assertEqual(perm_keys(g), {("tcp", 22, 22, "203.0.113.0/24"),
                                        ("tcp", 9000, 9100, "10.0.0.0/8"),
                                        ("tcp", 9000, 9100, lb), ("icmp", 8, -1, "0.0.0.0/0")})
        self.assertEqual(ec2.describe_security_groups(GroupNames=[self.tag + "-lb"])
                         ["SecurityGroups"][0]["GroupId"], lb)
        for name, value in (("ip-permission.from-port", "9000"),
                            ("ip-permission.group-id", lb),
                            ("ip-permission.cidr", "203.0.113.*"),
                            ("tag:role", "worker"),
                            ("group-name", self.tag + "-workers")):
            got = ec2.describe_security_groups(Filters=[{"Name": name, "Values": [value]}])
            self.assertEqual([x["GroupId"] for x in got["SecurityGroups"]], [gid], name)
        # paging over the project's groups with boto3's paginator
        seen = []
        for page in ec2.get_paginator("describe_security_groups").paginate(
                PaginationConfig={"PageSize": 5}):
            seen += [x["GroupId"] for x in page["SecurityGroups"]]
        self.assertLessEqual({gid, lb}, set(seen))
        self.assertEqual(len(seen), len(set(seen)))
        # DescribeSecurityGroupRules: the same ids
        got = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
        self.assertLessEqual({r["SecurityGroupRuleId"] for r in rules},
                             {r["SecurityGroupRuleId"] for r in got})
        # an instance in the group: DescribeInstances shows it, Neutron's port carries it
        ami = image_id(ec2)
        if ami is None:
            self.fail("no ami- id: the image plugin (DescribeImages) is not available")
        res = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny",
                                SecurityGroupIds=[gid])
        iid = res["Instances"][0]["InstanceId"]
        self.instances.append(iid)
        ec2.get_waiter("instance_running").wait(
            InstanceIds=[iid], WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertIn({"GroupId": gid, "GroupName": self.tag + "-workers"},
                      inst["SecurityGroups"])
        got = ec2.describe_instances(Filters=[{"Name": "instance.group-id", "Values": [gid]}])
        self.assertIn(iid, [i["InstanceId"] for r in got["Reservations"] for i in r["Instances"]])
        # a group in use cannot be deleted, and stays whole in Neutron
        self.assertEqual(code_of(ec2.delete_security_group, GroupId=gid), "DependencyViolation")
        self.assertEqual(len(self.neutron.groups(self.tag + "-workers")), 1)
        # nor one another group's rule names
        self.assertEqual(code_of(ec2.delete_security_group, GroupId=lb), "DependencyViolation")
        # revoke: one match, one unknown
        out = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9100,
             "UserIdGroupPairs": [{"GroupId": lb}], "IpRanges": [{"CidrIp": "10.9.9.0/24"}]}])
        self.assertEqual(len(self.revoked_rules(out)), 1)
        self.assertEqual(out["UnknownIpPermissions"][0]["IpRanges"], [{"CidrIp": "10.9.9.0/24"}])
        self.assertNotIn(self.neutron.groups(self.tag + "-lb")[0]["id"],
                         [r["remote_group_id"] for r in self.neutron.rules(self.tag + "-workers")])
        ec2.terminate_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=[iid], WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        self.instances = []
        # Nova frees the port asynchronously: retry the delete for a while
        for _ in range(30):
            if code_of(ec2.delete_security_group, GroupId=gid) is None:
                break
            time.sleep(1)
        self.assertEqual(self.neutron.groups(self.tag + "-workers"), [])
        out = ec2.delete_security_group(GroupName=self.tag + "-lb")
        # Debian 12's botocore (1.29) parses no GroupId from DeleteSecurityGroup
        self.assertEqual(out.get("GroupId") or self.answers.last().findtext("groupId"), lb)
        self.assertEqual(code_of(ec2.describe_security_groups, GroupIds=[gid]),
                         "InvalidGroup.NotFound")

    def test_modify_and_descriptions(self):
        ec2 = self.ec2
        gid = self.create("-mod")
        rid = ec2.authorize_security_group_ingress(
            GroupId=gid, IpProtocol="tcp", FromPort=80, ToPort=80,
            CidrIp="198.51.100.0/24")["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        ec2.create_tags(Resources=[rid], Tags=[{"Key": "k", "Value": "v"}])
        ec2.modify_security_group_rules(GroupId=gid, SecurityGroupRules=[{
            "SecurityGroupRuleId": rid, "SecurityGroupRule": {
                "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081,
                "CidrIpv4": "198.51.100.0/25", "Description": "moved"}}])
        r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]
        self.assertEqual((r["FromPort"], r["ToPort"], r["CidrIpv4"], r["Description"]),
                         (8080, 8081, "198.51.100.0/25", "moved"))
        self.assertEqual(r["Tags"], [{"Key": "k", "Value": "v"}])
        ec2.update_security_group_rule_descriptions_ingress(GroupId=gid, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081,
            "IpRanges": [{"CidrIp": "198.51.100.0/25", "Description": "web"}]}])
        r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]
        self.assertEqual(r["Description"], "web")
        self.assertEqual([x["description"] for x in self.neutron.rules(self.tag + "-mod")
                          if x["direction"] == "ingress"], ["web"])
        # egress rules, the flat legacy members, by rule id
        out = ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[{
            "IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
            "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]}])
        eid = out["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        self.assertTrue(out["SecurityGroupRules"][0]["IsEgress"])
        out = ec2.revoke_security_group_egress(GroupId=gid, SecurityGroupRuleIds=[eid])
        self.assertEqual(self.revoked_rules(out), [eid])
        self.assertEqual(code_of(ec2.revoke_security_group_egress, GroupId=gid,
                                 SecurityGroupRuleIds=[eid]),
                         "InvalidSecurityGroupRuleId.NotFound")

    def test_cli(self):
        name = self.tag + "-cli"
        p = harness.aws_cli(D, "ec2", "create-security-group", "--group-name", name,
                            "--description", "from awscli", "--output", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        gid = json.loads(p.stdout)["GroupId"]
        self.groups.append(gid)
        p = harness.aws_cli(D, "ec2", "authorize-security-group-ingress", "--group-id", gid,
                            "--protocol", "tcp", "--port", "22", "--cidr", "192.0.2.0/24")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = harness.aws_cli(D, "ec2", "authorize-security-group-ingress", "--group-id", gid,
                            "--protocol", "tcp", "--port", "22", "--cidr", "192.0.2.0/24")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("InvalidPermission.Duplicate", p.stderr)
        p = harness.aws_cli(D, "ec2", "describe-security-groups", "--group-names", name,
                            "--output", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        perms = json.loads(p.stdout)["SecurityGroups"][0]["IpPermissions"]
        self.assertEqual(perms[0]["IpRanges"], [{"CidrIp": "192.0.2.0/24"}])
        p = harness.aws_cli(D, "ec2", "revoke-security-group-ingress", "--group-name", name,
                            "--protocol", "tcp", "--port", "22", "--cidr", "192.0.2.0/24")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = harness.aws_cli(D, "ec2", "describe-account-attributes", "--output", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        names = {a["AttributeName"] for a in json.loads(p.stdout)["AccountAttributes"]}
        self.assertEqual(names, {"supported-platforms", "default-vpc", "max-instances",
                                 "max-elastic-ips", "vpc-max-elastic-ips",
                                 "vpc-max-security-groups-per-interface"})
        p = harness.aws_cli(D, "ec2", "delete-security-group", "--group-id", gid)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.neutron.groups(name), [])

    def test_isolation(self):
        """demo2 sees and changes none of demo's groups."""
        gid = self.create("-iso")
        ec2b = harness.boto3_client(D, which=2)
        self.assertNotIn(gid, [g["GroupId"] for g in ec2b.describe_security_groups()
                               ["SecurityGroups"]])
        for fn, kw in ((ec2b.describe_security_groups, {"GroupIds": [gid]}),
                       (ec2b.delete_security_group, {"GroupId": gid}),
                       (ec2b.authorize_security_group_ingress,
                        {"GroupId": gid, "IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                         "CidrIp": "0.0.0.0/0"}),
                       (ec2b.revoke_security_group_egress,
                        {"GroupId": gid, "IpPermissions": [{"IpProtocol": "-1",
                                                            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]})):
            self.assertEqual(code_of(fn, **kw), "InvalidGroup.NotFound", fn.__name__)
        # demo2 cannot name demo's group as a source either
        own = self.create("-iso2", ec2=ec2b)
        self.groups.remove(own)
        try:
            self.assertEqual(code_of(ec2b.authorize_security_group_ingress, GroupId=own,
                                     IpPermissions=[{"IpProtocol": "tcp", "FromPort": 1,
                                                     "ToPort": 1,
                                                     "UserIdGroupPairs": [{"GroupId": gid}]}]),
                             "InvalidGroup.NotFound")
        finally:
            ec2b.delete_security_group(GroupId=own)
        rules = self.neutron.rules(self.tag + "-iso")
        self.assertEqual([r["direction"] for r in rules].count("ingress"), 0)
        self.assertEqual(len(rules), 2)  # Neutron's two default egress rules, untouched
        self.assertEqual(Neutron(which=2).groups(self.tag + "-iso"), [])

    def test_bad_input(self):
        ec2 = self.ec2
        gid = self.create("-bad")
        before = self.neutron.rules(self.tag + "-bad")
        cases = [
            ({"GroupId": "sg-12345678", "IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
              "CidrIp": "0.0.0.0/0"}, "InvalidGroup.NotFound"),
            ({"GroupName": "no-such-group-" + self.tag, "IpProtocol": "tcp", "FromPort": 1,
              "ToPort": 1, "CidrIp": "0.0.0.0/0"}, "InvalidGroup.NotFound"),
            ({"GroupId": gid, "IpPermissions": [{"IpProtocol": "999",
                                                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]},
             "InvalidParameterValue"),
            ({"GroupId": gid, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 90,
                                                 "ToPort": 80,
                                                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]},
             "InvalidParameterValue"),
            ({"GroupId": gid, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80,
                                                 "ToPort": 80,
                                                 "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}]},
             "InvalidParameterValue"),
            # a good rule and a bad one: nothing is made
            ({"GroupId": gid, "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
                {"IpProtocol": "udp", "FromPort": 1, "ToPort": 2,
                 "UserIdGroupPairs": [{"GroupId": "sg-12345678"}]}]}, "InvalidGroup.NotFound"),
            ({"GroupId": gid, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80,
                                                 "ToPort": 80, "PrefixListIds": [
                                                     {"PrefixListId": "pl-12345678"}]}]},
             "UnsupportedOperation"),
        ]
        for kw, want in cases:
            self.assertEqual(code_of(ec2.authorize_security_group_ingress, **kw), want, kw)
            self.assertEqual(self.neutron.rules(self.tag + "-bad"), before, kw)
        self.assertEqual(code_of(ec2.revoke_security_group_ingress, GroupId=gid,
                                 IpProtocol="tcp", FromPort=5, ToPort=5, CidrIp="10.0.0.0/8"),
                         "InvalidPermission.NotFound")
        self.assertEqual(code_of(ec2.create_security_group, GroupName=self.tag + "-bad",
                                 Description="again"), "InvalidGroup.Duplicate")
        self.assertEqual(len(self.neutron.groups(self.tag + "-bad")), 1)
        self.assertEqual(code_of(ec2.create_security_group, GroupName="default",
                                 Description="x"), "InvalidGroup.Reserved")
        self.assertEqual(code_of(ec2.create_security_group, GroupName=self.tag + "-vpc",
                                 Description="x", VpcId="vpc-12345678"), "InvalidVpcID.NotFound")
        self.assertEqual(self.neutron.groups(self.tag + "-vpc"), [])
        self.assertEqual(code_of(ec2.delete_security_group, GroupName="default"), "CannotDelete")
        self.assertEqual(code_of(ec2.delete_security_group, GroupId="sg-12345678"),
                         "InvalidGroup.NotFound")
        self.assertEqual(code_of(ec2.describe_account_attributes, AttributeNames=["nope"]),
                         "InvalidParameterValue")
        self.assertEqual(code_of(ec2.create_security_group, GroupName=self.tag + "-dry",
                                 Description="x", DryRun=True), "DryRunOperation")
        self.assertEqual(self.neutron.groups(self.tag + "-dry"), [])

    def test_js_sdk(self):
        """The same calls through the AWS SDK for JavaScript v3 (js/sg_workflow.mjs)."""
        node = shutil.which("node")
        js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
        self.assertIsNotNone(node, "node is not installed (Debian 12: apt-get install nodejs)")
        self.assertTrue(os.path.isdir(os.path.join(js, "node_modules", "@aws-sdk", "client-ec2")),
                        "run (cd tests/integration/js && npm ci --no-audit --no-fund)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"EC2GW_URL": D.url, "EC2GW_SG_NAME": self.tag + "-js",
                    "AWS_ACCESS_KEY_ID": D.env["EC2_ACCESS_KEY"],
                    "AWS_SECRET_ACCESS_KEY": D.env["EC2_SECRET_KEY"],
                    "AWS_ACCESS_KEY_ID_2": D.env["EC2_ACCESS_KEY_2"],
                    "AWS_SECRET_ACCESS_KEY_2": D.env["EC2_SECRET_KEY_2"]})
        p = subprocess.run([node, "sg_workflow.mjs"], cwd=js, env=env, capture_output=True,
                           text=True, timeout=300)
        print(p.stdout, end="")
        print(p.stderr, end="", file=sys.stderr)
        self.assertEqual(p.returncode, 0, "sg_workflow.mjs failed: see the \"ok\":false lines")
        self.assertEqual(self.neutron.groups(self.tag + "-js"), [])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
