#!/usr/bin/env python3
"""The VPC family of neutron-v2.0 (issue 13) against the all-in-one cloud, with boto3, awscli
and the AWS SDK for JavaScript v3: a two-tier VPC built from nothing (VPC, two subnets, an
internet gateway, a public route table 0.0.0.0/0 -> IGW on one subnet, a network interface
with two private addresses, an instance in each subnet, an Elastic IP on the public one),
shown by every Describe and its filters, torn down in the order Terraform would and nothing
left in Neutron (checked with Neutron's own API as the tenant); DependencyViolation cases;
the second tenant sees none of it; with `default_vpc: true` six concurrent first requests
(on two daemons sharing one database) make exactly one default VPC."""
import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

D = None
code_of = harness.error_code
HERE = os.path.dirname(os.path.abspath(__file__))


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


class Neutron(harness.OpenStackAs):
    """Neutron's own view, as tenant 1 or 2 (a Keystone token and plain HTTP)."""

    def __init__(self, which=1, daemon=None):
        super().__init__((daemon or D).env, "network", tenant=which)

    def list(self, what, query=""):
        return self.get("/v2.0/%s%s" % (what, query))[what.replace("-", "_")]

    def named(self, what, name):
        return self.list(what, "?name=" + name)

    def free(self, name):
        """Addresses Neutron can still allocate in the subnet named name: its allocation pools
        less the port addresses inside them."""
        sub = self.one("subnets", name)
        pools = [(int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
                 for p in sub["allocation_pools"]]
        held = {int(ipaddress.ip_address(f["ip_address"]))
                for p in self.list("ports", "?network_id=" + sub["network_id"])
                for f in p["fixed_ips"] if f["subnet_id"] == sub["id"]}
        return sum(e - b + 1 for b, e in pools) - sum(1 for a in held if any(
            b <= a <= e for b, e in pools))

    def one(self, what, name):
        got = self.named(what, name)
        assert len(got) == 1, "%s named %s: %d" % (what, name, len(got))
        return got[0]


def random_cidr():
    """A /16 of 10.0.0.0/8 unlikely to meet a concurrent run's."""
    return "10.%d.0.0/16" % random.randint(100, 250)


def sub24(vpc_cidr, third):
    net = ipaddress.ip_network(vpc_cidr)
    return str(ipaddress.ip_network((int(net.network_address) + (third << 8), 24)))


def image_id(ec2):
    imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    assert imgs, "no cirros-fake image (the cloud seeds it)"
    return imgs[0]["ImageId"]


def tags(name, rtype):
    return [{"ResourceType": rtype, "Tags": [{"Key": "Name", "Value": name}]}]


def retry_dependency(fn, seconds=90, **kw):
    """fn(**kw), retried while it answers DependencyViolation (as Terraform does: Nova deletes
    a terminated server's ports a moment after the server is gone)."""
    deadline = time.time() + seconds
    while True:
        try:
            return fn(**kw)
        except ClientError as e:
            if e.response["Error"]["Code"] != "DependencyViolation" or time.time() > deadline:
                raise
            time.sleep(3)


class Undo:
    """Deletes, in reverse order, whatever a test made and did not delete itself."""

    def __init__(self):
        self.steps = []

    def push(self, key, fn, **kw):
        self.steps.append((key, fn, kw))

    def drop(self, key):
        self.steps = [s for s in self.steps if s[0] != key]

    def run(self):
        for key, fn, kw in reversed(self.steps):
            try:
                retry_dependency(fn, seconds=60, **kw)
            except ClientError as e:
                if not e.response["Error"]["Code"].endswith(
                        (".NotFound", "Gateway.NotAttached")):
                    print("cleanup %s: %s" % (key, e))
        self.steps = []


class VpcBase(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D)
        self.ec2b = harness.boto3_client(D, which=2)
        self.neutron = Neutron()
        self.tag = "it-vpc-" + uuid.uuid4().hex[:8]
        self.undo = Undo()
        self.instances = []

    def tearDown(self):
        if self.instances:
            self.ec2.terminate_instances(InstanceIds=self.instances)
            self.ec2.get_waiter("instance_terminated").wait(
                InstanceIds=self.instances, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
        self.undo.run()

    # builders that register their undo step
    def vpc(self, cidr, ec2=None):
        ec2 = ec2 or self.ec2
        v = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=tags(self.tag, "vpc"))["Vpc"]
        self.undo.push(v["VpcId"], ec2.delete_vpc, VpcId=v["VpcId"])
        return v

    def subnet(self, vpc_id, cidr, name, ec2=None):
        ec2 = ec2 or self.ec2
        s = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr,
                              TagSpecifications=tags(self.tag + name, "subnet"))["Subnet"]
        self.undo.push(s["SubnetId"], ec2.delete_subnet, SubnetId=s["SubnetId"])
        return s

    def igw(self, vpc_id=None):
        g = self.ec2.create_internet_gateway(
            TagSpecifications=tags(self.tag, "internet-gateway"))["InternetGateway"]
        gid = g["InternetGatewayId"]
        self.undo.push(gid, self.ec2.delete_internet_gateway, InternetGatewayId=gid)
        if vpc_id:
            self.ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=vpc_id)
            self.undo.push(gid + "@", self.ec2.detach_internet_gateway, InternetGatewayId=gid,
                           VpcId=vpc_id)
        return gid

    def rtb(self, vpc_id):
        r = self.ec2.create_route_table(VpcId=vpc_id, TagSpecifications=tags(
            self.tag, "route-table"))["RouteTable"]
        self.undo.push(r["RouteTableId"], self.ec2.delete_route_table,
                       RouteTableId=r["RouteTableId"])
        return r

    def associate(self, rtb_id, subnet_id):
        a = self.ec2.associate_route_table(RouteTableId=rtb_id, SubnetId=subnet_id)
        self.undo.push(a["AssociationId"], self.ec2.disassociate_route_table,
                       AssociationId=a["AssociationId"])
        return a["AssociationId"]

    def eni(self, subnet_id, **kw):
        e = self.ec2.create_network_interface(SubnetId=subnet_id, **kw)["NetworkInterface"]
        eid = e["NetworkInterfaceId"]
        self.undo.push(eid, self.ec2.delete_network_interface, NetworkInterfaceId=eid)
        return e

    def neutron_gone(self, vpc_id, subnet_ids=(), eni_ids=(), router_id=None, network_ids=()):
        """Nothing of the VPC left in Neutron: router, networks, subnets, ports, groups."""
        n = self.neutron
        self.assertEqual(n.named("routers", vpc_id), [], "router left")
        if router_id:
            self.assertEqual([r for r in n.list("routers") if r["id"] == router_id], [])
            self.assertEqual(n.list("ports", "?device_id=" + router_id), [], "router ports")
        for s in subnet_ids:
            self.assertEqual(n.named("networks", s), [], "network %s left" % s)
            self.assertEqual(n.named("subnets", s), [], "subnet %s left" % s)
        for net in network_ids:
            self.assertEqual(n.list("ports", "?network_id=" + net), [], "ports left on " + net)
        for e in eni_ids:
            self.assertEqual(n.named("ports", e), [], "port %s left" % e)
        self.assertEqual(n.named("security-groups", "default-" + vpc_id), [], "default group")


class TwoTier(VpcBase):
    def wait_running(self, ids):
        self.ec2.get_waiter("instance_running").wait(
            InstanceIds=ids, WaiterConfig={"Delay": 2, "MaxAttempts": 120})

    def test_two_tier(self):
        ec2, n = self.ec2, self.neutron
        cidr = random_cidr()
        pub_cidr, priv_cidr = sub24(cidr, 1), sub24(cidr, 2)
        # --- the VPC: a router named after it, no gateway; main table; default group
        vpc = self.vpc(cidr)
        vid = vpc["VpcId"]
        self.assertRegex(vid, r"^vpc-[0-9a-f]{8,17}$")
        self.assertEqual((vpc["CidrBlock"], vpc["IsDefault"]), (cidr, False))
        router = n.one("routers", vid)
        self.assertIsNone(router["external_gateway_info"])
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vid]}])[
            "SecurityGroups"]
        self.assertEqual([g["GroupName"] for g in groups], ["default"])
        default_sg = groups[0]["GroupId"]
        n.one("security-groups", "default-" + vid)
        main = ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [vid]}, {"Name": "association.main",
                                                  "Values": ["true"]}])["RouteTables"]
        self.assertEqual(len(main), 1)
        self.assertEqual([(r["DestinationCidrBlock"], r["GatewayId"], r["State"])
                          for r in main[0]["Routes"]], [(cidr, "local", "active")])
        # --- two subnets: a Neutron network + subnet each, on the router
        pub = self.subnet(vid, pub_cidr, "-public")
        priv = self.subnet(vid, priv_cidr, "-private")
        for s, c in ((pub, pub_cidr), (priv, priv_cidr)):
            self.assertRegex(s["SubnetId"], r"^subnet-[0-9a-f]{8,17}$")
            self.assertEqual((s["VpcId"], s["CidrBlock"], s["State"]), (vid, c, "available"))
            self.assertTrue(s["AvailabilityZone"])
            # what Neutron can still hand out: the allocation pools less the addresses held
            self.assertEqual(s["AvailableIpAddressCount"], n.free(s["SubnetId"]))
            self.assertGreaterEqual(s["AvailableIpAddressCount"], 250)
        self.free = {s["SubnetId"]: s["AvailableIpAddressCount"] for s in (pub, priv)}
        nets = {s["SubnetId"]: n.one("networks", s["SubnetId"]) for s in (pub, priv)}
        nsubs = {s["SubnetId"]: n.one("subnets", s["SubnetId"]) for s in (pub, priv)}
        self.assertEqual(nsubs[pub["SubnetId"]]["cidr"], pub_cidr)
        rports = n.list("ports", "?device_id=" + router["id"])
        self.assertEqual(sorted(p["network_id"] for p in rports),
                         sorted(x["id"] for x in nets.values()), "router interfaces")
        # --- internet gateway, attached: the router's external gateway
        igw = self.igw(vid)
        self.assertRegex(igw, r"^igw-[0-9a-f]{8,17}$")
        self.assertIsNotNone(n.one("routers", vid)["external_gateway_info"])
        # --- the public route table: 0.0.0.0/0 -> IGW, associated to the public subnet
        rt = self.rtb(vid)
        rtid = rt["RouteTableId"]
        self.assertTrue(ec2.create_route(RouteTableId=rtid, DestinationCidrBlock="0.0.0.0/0",
                                         GatewayId=igw)["Return"])
        assoc = self.associate(rtid, pub["SubnetId"])
        self.assertRegex(assoc, r"^rtbassoc-[0-9a-f]{8,17}$")
        # the projection (openstack-mapping §16.5): the public subnet keeps its gateway; the
        # private one (no default route) loses it and keeps metadata via a host route
        gw_pub = str(ipaddress.ip_network(pub_cidr).network_address + 1)
        gw_priv = str(ipaddress.ip_network(priv_cidr).network_address + 1)
        self.assertEqual(n.one("subnets", pub["SubnetId"])["gateway_ip"], gw_pub)
        ns_priv = n.one("subnets", priv["SubnetId"])
        self.assertIsNone(ns_priv["gateway_ip"])
        self.assertIn({"destination": "169.254.169.254/32", "nexthop": gw_priv},
                      ns_priv["host_routes"])
        # --- a network interface with two private addresses in the private subnet
        ips = [str(ipaddress.ip_network(priv_cidr).network_address + k) for k in (10, 11)]
        eni = self.eni(priv["SubnetId"], Description=self.tag, Groups=[default_sg],
                       PrivateIpAddresses=[{"PrivateIpAddress": ips[0], "Primary": True},
                                           {"PrivateIpAddress": ips[1], "Primary": False}])
        eid = eni["NetworkInterfaceId"]
        self.assertRegex(eid, r"^eni-[0-9a-f]{8,17}$")
        self.assertEqual((eni["SubnetId"], eni["VpcId"], eni["PrivateIpAddress"],
                          eni["Status"]), (priv["SubnetId"], vid, ips[0], "available"))
        self.assertEqual([(a["PrivateIpAddress"], a["Primary"])
                          for a in eni["PrivateIpAddresses"]], [(ips[0], True), (ips[1], False)])
        port = n.one("ports", eid)
        self.assertEqual(sorted(f["ip_address"] for f in port["fixed_ips"]), sorted(ips))
        self.assertEqual(port["network_id"], nets[priv["SubnetId"]]["id"])
        # --- an instance in each subnet
        ami = image_id(ec2)
        ids = {}
        for s in (pub, priv):
            r = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny",
                                  SubnetId=s["SubnetId"])
            ids[s["SubnetId"]] = r["Instances"][0]["InstanceId"]
            self.instances.append(ids[s["SubnetId"]])
        # EC2-classic stays available beside the VPC (default_vpc is false): without SubnetId
        # the instance goes on the project's own network, in no VPC
        classic = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                    InstanceType="m1.tiny")["Instances"][0]["InstanceId"]
        self.instances.append(classic)
        self.wait_running(self.instances)
        c = ec2.describe_instances(InstanceIds=[classic])["Reservations"][0]["Instances"][0]
        self.assertNotIn("VpcId", c)
        self.instances.remove(classic)
        ec2.terminate_instances(InstanceIds=[classic])
        self.undo.push(classic, ec2.terminate_instances, InstanceIds=[classic])
        insts = {i["InstanceId"]: i for r in ec2.describe_instances(
            InstanceIds=self.instances)["Reservations"] for i in r["Instances"]}
        for s, c in ((pub, pub_cidr), (priv, priv_cidr)):
            i = insts[ids[s["SubnetId"]]]
            self.assertEqual((i["VpcId"], i["SubnetId"]), (vid, s["SubnetId"]))
            self.assertIn(ipaddress.ip_address(i["PrivateIpAddress"]),
                          ipaddress.ip_network(c))
            self.assertEqual(i["NetworkInterfaces"][0]["VpcId"], vid)
        got = ec2.describe_instances(Filters=[{"Name": "vpc-id", "Values": [vid]}])
        self.assertEqual(sorted(i["InstanceId"] for r in got["Reservations"]
                                for i in r["Instances"]), sorted(self.instances))
        got = ec2.describe_instances(Filters=[{"Name": "subnet-id", "Values": [pub["SubnetId"]]}])
        self.assertEqual([i["InstanceId"] for r in got["Reservations"] for i in r["Instances"]],
                         [ids[pub["SubnetId"]]])
        # --- an Elastic IP on the public instance
        alloc = ec2.allocate_address(Domain="vpc")
        self.undo.push(alloc["AllocationId"], ec2.release_address,
                       AllocationId=alloc["AllocationId"])
        web = ids[pub["SubnetId"]]
        ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=web)
        web_eni = insts[web]["NetworkInterfaces"][0]["NetworkInterfaceId"]
        a = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
        self.assertEqual((a["InstanceId"], a["NetworkInterfaceId"]), (web, web_eni))
        self.show_all(vid, cidr, pub, priv, igw, rtid, assoc, eid, ips, web, web_eni, alloc)
        self.not_for_tenant2(vid, pub["SubnetId"], igw, rtid, eid, assoc)
        # awscli sees the same
        r = harness.aws_cli(D, "ec2", "describe-vpcs", "--vpc-ids", vid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["Vpcs"][0]["CidrBlock"], cidr)
        r = harness.aws_cli(D, "ec2", "describe-subnets", "--filters",
                            "Name=vpc-id,Values=" + vid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(s["SubnetId"] for s in json.loads(r.stdout)["Subnets"]),
                         sorted([pub["SubnetId"], priv["SubnetId"]]))
        # --- teardown in Terraform's order, each step checked
        ec2.terminate_instances(InstanceIds=self.instances)
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=self.instances, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
        self.instances = []
        ec2.release_address(AllocationId=alloc["AllocationId"])  # disassociated with the server
        self.undo.drop(alloc["AllocationId"])
        ec2.delete_network_interface(NetworkInterfaceId=eid)
        self.undo.drop(eid)
        self.assertEqual(n.named("ports", eid), [])
        ec2.disassociate_route_table(AssociationId=assoc)
        self.undo.drop(assoc)
        ec2.delete_route_table(RouteTableId=rtid)
        self.undo.drop(rtid)
        self.assertEqual(code_of(ec2.describe_route_tables, RouteTableIds=[rtid]),
                         "InvalidRouteTableID.NotFound")
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vid)
        self.undo.drop(igw + "@")
        self.assertIsNone(n.one("routers", vid)["external_gateway_info"])
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        self.undo.drop(igw)
        for s in (pub, priv):
            retry_dependency(ec2.delete_subnet, SubnetId=s["SubnetId"])
            self.undo.drop(s["SubnetId"])
        ec2.delete_vpc(VpcId=vid)
        self.undo.drop(vid)
        self.assertEqual(code_of(ec2.describe_vpcs, VpcIds=[vid]), "InvalidVpcID.NotFound")
        self.neutron_gone(vid, [pub["SubnetId"], priv["SubnetId"]], [eid], router["id"],
                          [x["id"] for x in nets.values()])
        self.assertEqual(n.list("floatingips", "?floating_ip_address=" + alloc["PublicIp"]), [])

    def show_all(self, vid, cidr, pub, priv, igw, rtid, assoc, eid, ips, web, web_eni, alloc):
        """Every Describe of the family, by id and by each filter, finds exactly the object."""
        ec2 = self.ec2
        pid, qid = pub["SubnetId"], priv["SubnetId"]

        def ids(fn, key, idkey, **kw):
            return sorted(x[idkey] for x in fn(**kw)[key])

        def by(fn, key, idkey, name, value, **kw):
            return ids(fn, key, idkey, Filters=[{"Name": name, "Values": [value]}], **kw)
        # VPCs
        v = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
        self.assertEqual((v["CidrBlock"], v["State"], v["IsDefault"], v["DhcpOptionsId"]),
                         (cidr, "available", False, "default"))
        self.assertEqual(v["Tags"], [{"Key": "Name", "Value": self.tag}])
        self.assertIn(vid, ids(ec2.describe_vpcs, "Vpcs", "VpcId"))
        for f, val in (("vpc-id", vid), ("cidr", cidr), ("tag:Name", self.tag),
                       ("cidr-block-association.cidr-block", cidr)):
            self.assertEqual(by(ec2.describe_vpcs, "Vpcs", "VpcId", f, val), [vid], f)
        self.assertNotIn(vid, by(ec2.describe_vpcs, "Vpcs", "VpcId", "is-default", "true"))
        attr = ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsSupport")
        self.assertTrue(attr["EnableDnsSupport"]["Value"])
        # subnets
        s = {x["SubnetId"]: x for x in ec2.describe_subnets(SubnetIds=[pid, qid])["Subnets"]}
        self.assertEqual(set(s), {pid, qid})
        self.assertEqual(s[pid]["Tags"], [{"Key": "Name", "Value": self.tag + "-public"}])
        self.assertFalse(s[pid]["DefaultForAz"])
        # the ENI's port (two addresses) and the instance's hold addresses in the private subnet
        self.assertEqual(s[qid]["AvailableIpAddressCount"], self.free[qid] - 3)
        self.assertEqual(s[qid]["AvailableIpAddressCount"], self.neutron.free(qid))
        for f, val, want in (("vpc-id", vid, [pid, qid]), ("subnet-id", pid, [pid]),
                             ("cidr-block", priv["CidrBlock"], [qid]),
                             ("tag:Name", self.tag + "-private", [qid]),
                             ("availability-zone", pub["AvailabilityZone"], None)):
            got = by(ec2.describe_subnets, "Subnets", "SubnetId", f, val)
            if want is None:
                self.assertTrue({pid, qid} <= set(got), f)
            else:
                self.assertEqual(got, sorted(want), f)
        # internet gateways
        g = ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0]
        self.assertEqual(g["Attachments"], [{"VpcId": vid, "State": "available"}])
        for f, val in (("internet-gateway-id", igw), ("attachment.vpc-id", vid),
                       ("tag:Name", self.tag)):
            self.assertEqual(by(ec2.describe_internet_gateways, "InternetGateways",
                                "InternetGatewayId", f, val), [igw], f)
        # route tables
        rts = {r["RouteTableId"]: r for r in ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vid]}])["RouteTables"]}
        self.assertEqual(len(rts), 2)
        r = rts[rtid]
        self.assertEqual(sorted((x["DestinationCidrBlock"], x["GatewayId"], x["State"],
                                 x["Origin"]) for x in r["Routes"]),
                         sorted([(cidr, "local", "active", "CreateRouteTable"),
                                 ("0.0.0.0/0", igw, "active", "CreateRoute")]))
        self.assertEqual([(a["RouteTableAssociationId"], a["SubnetId"], a["Main"])
                          for a in r["Associations"]], [(assoc, pid, False)])
        for f, val in (("route-table-id", rtid), ("association.subnet-id", pid),
                       ("association.route-table-association-id", assoc),
                       ("route.gateway-id", igw), ("route.destination-cidr-block", "0.0.0.0/0"),
                       ("tag:Name", self.tag)):
            self.assertEqual(by(ec2.describe_route_tables, "RouteTables", "RouteTableId", f,
                                val, ), [rtid], f)
        main_id = [k for k in rts if k != rtid][0]
        self.assertEqual(ids(ec2.describe_route_tables, "RouteTables", "RouteTableId",
                             Filters=[{"Name": "vpc-id", "Values": [vid]},
                                      {"Name": "association.main", "Values": ["true"]}]),
                         [main_id])
        self.assertEqual(rts[main_id]["Associations"][0]["Main"], True)
        # network interfaces: the ENI and both instances' interfaces are in the VPC
        e = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
        self.assertEqual((e["VpcId"], e["SubnetId"], e["Description"], e["Status"],
                          e["PrivateIpAddress"], e["SourceDestCheck"]),
                         (vid, qid, self.tag, "available", ips[0], True))
        self.assertEqual(sorted(a["PrivateIpAddress"] for a in e["PrivateIpAddresses"]), ips)
        in_vpc = by(ec2.describe_network_interfaces, "NetworkInterfaces", "NetworkInterfaceId",
                    "vpc-id", vid)
        self.assertEqual(len(in_vpc), 3, in_vpc)
        self.assertIn(eid, in_vpc)
        self.assertIn(web_eni, in_vpc)
        for f, val, want in (("network-interface-id", eid, [eid]), ("description", self.tag, [eid]),
                             ("addresses.private-ip-address", ips[1], [eid]),
                             ("private-ip-address", ips[0], [eid]),
                             ("attachment.instance-id", web, [web_eni]),
                             ("association.public-ip", alloc["PublicIp"], [web_eni])):
            self.assertEqual(by(ec2.describe_network_interfaces, "NetworkInterfaces",
                                "NetworkInterfaceId", f, val), want, f)
        sub = by(ec2.describe_network_interfaces, "NetworkInterfaces", "NetworkInterfaceId",
                 "subnet-id", qid)
        self.assertEqual(len(sub), 2)
        self.assertIn(eid, sub)
        w = ec2.describe_network_interfaces(NetworkInterfaceIds=[web_eni])["NetworkInterfaces"][0]
        self.assertEqual((w["Status"], w["Attachment"]["InstanceId"],
                          w["Attachment"]["DeviceIndex"], w["Association"]["PublicIp"]),
                         ("in-use", web, 0, alloc["PublicIp"]))

    def not_for_tenant2(self, vid, sid, igw, rtid, eid, assoc):
        """The second tenant sees and changes none of it (EC2 and Neutron)."""
        b = self.ec2b
        self.assertNotIn(vid, [v["VpcId"] for v in b.describe_vpcs()["Vpcs"]])
        self.assertNotIn(sid, [s["SubnetId"] for s in b.describe_subnets()["Subnets"]])
        self.assertNotIn(igw, [g["InternetGatewayId"] for g in
                               b.describe_internet_gateways()["InternetGateways"]])
        self.assertNotIn(rtid, [r["RouteTableId"] for r in
                                b.describe_route_tables()["RouteTables"]])
        self.assertNotIn(eid, [e["NetworkInterfaceId"] for e in
                               b.describe_network_interfaces()["NetworkInterfaces"]])
        for fn, kw, want in (
                (b.describe_vpcs, {"VpcIds": [vid]}, "InvalidVpcID.NotFound"),
                (b.describe_subnets, {"SubnetIds": [sid]}, "InvalidSubnetID.NotFound"),
                (b.describe_internet_gateways, {"InternetGatewayIds": [igw]},
                 "InvalidInternetGatewayID.NotFound"),
                (b.describe_route_tables, {"RouteTableIds": [rtid]},
                 "InvalidRouteTableID.NotFound"),
                (b.describe_network_interfaces, {"NetworkInterfaceIds": [eid]},
                 "InvalidNetworkInterfaceID.NotFound"),
                (b.delete_vpc, {"VpcId": vid}, "InvalidVpcID.NotFound"),
                (b.delete_subnet, {"SubnetId": sid}, "InvalidSubnetID.NotFound"),
                (b.create_subnet, {"VpcId": vid, "CidrBlock": "10.250.250.0/24"},
                 "InvalidVpcID.NotFound"),
                (b.delete_internet_gateway, {"InternetGatewayId": igw},
                 "InvalidInternetGatewayID.NotFound"),
                (b.delete_route_table, {"RouteTableId": rtid}, "InvalidRouteTableID.NotFound"),
                (b.disassociate_route_table, {"AssociationId": assoc},
                 "InvalidAssociationID.NotFound"),
                (b.delete_network_interface, {"NetworkInterfaceId": eid},
                 "InvalidNetworkInterfaceID.NotFound")):
            self.assertEqual(code_of(fn, **kw), want, (fn.__name__, kw))
        self.assertEqual(Neutron(which=2).named("routers", vid), [])
        self.assertEqual(Neutron(which=2).named("networks", sid), [])
        # untouched for its owner
        self.assertEqual(len(self.ec2.describe_vpcs(VpcIds=[vid])["Vpcs"]), 1)


class Dependencies(VpcBase):
    def test_dependency_violations(self):
        """Each refused delete leaves the object and its Neutron side as they were."""
        ec2, n = self.ec2, self.neutron
        cidr = random_cidr()
        vid = self.vpc(cidr)["VpcId"]
        router = n.one("routers", vid)
        sid = self.subnet(vid, sub24(cidr, 1), "-a")["SubnetId"]
        net = n.one("networks", sid)
        self.assertEqual(code_of(ec2.delete_vpc, VpcId=vid), "DependencyViolation")
        self.assertEqual(n.one("routers", vid)["id"], router["id"])
        eid = self.eni(sid)["NetworkInterfaceId"]
        self.assertEqual(code_of(ec2.delete_subnet, SubnetId=sid), "DependencyViolation")
        self.assertEqual(n.one("networks", sid)["id"], net["id"])
        self.assertEqual(len(n.named("ports", eid)), 1)
        igw = self.igw(vid)
        self.assertEqual(code_of(ec2.delete_internet_gateway, InternetGatewayId=igw),
                         "DependencyViolation")
        self.assertEqual(len(ec2.describe_internet_gateways(InternetGatewayIds=[igw])[
            "InternetGateways"][0]["Attachments"]), 1)
        self.assertIsNotNone(n.one("routers", vid)["external_gateway_info"])
        rtid = self.rtb(vid)["RouteTableId"]
        assoc = self.associate(rtid, sid)
        self.assertEqual(code_of(ec2.delete_route_table, RouteTableId=rtid),
                         "DependencyViolation")
        main = [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [vid]}, {"Name": "association.main",
                                                  "Values": ["true"]}])["RouteTables"]]
        self.assertEqual(code_of(ec2.delete_route_table, RouteTableId=main[0]),
                         "DependencyViolation")
        self.assertEqual(len(ec2.describe_route_tables(RouteTableIds=[rtid])["RouteTables"]), 1)
        # an attached gateway alone also keeps the VPC
        ec2.disassociate_route_table(AssociationId=assoc)
        self.undo.drop(assoc)
        ec2.delete_route_table(RouteTableId=rtid)
        self.undo.drop(rtid)
        ec2.delete_network_interface(NetworkInterfaceId=eid)
        self.undo.drop(eid)
        ec2.delete_subnet(SubnetId=sid)
        self.undo.drop(sid)
        self.assertEqual(code_of(ec2.delete_vpc, VpcId=vid), "DependencyViolation")
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vid)
        self.undo.drop(igw + "@")
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        self.undo.drop(igw)
        ec2.delete_vpc(VpcId=vid)
        self.undo.drop(vid)
        self.neutron_gone(vid, [sid], [eid], router["id"], [net["id"]])

    def test_bad_input_leaves_nothing(self):
        ec2, n = self.ec2, self.neutron
        before = {k: {x["id"] for x in n.list(k)} for k in ("routers", "networks", "ports")}
        cidr = random_cidr()
        vid = self.vpc(cidr)["VpcId"]
        sid = self.subnet(vid, sub24(cidr, 1), "-a")["SubnetId"]
        cases = [
            (ec2.create_vpc, {"CidrBlock": "10.0.0.0/8"}, "InvalidVpc.Range"),
            (ec2.create_vpc, {"CidrBlock": "not-a-cidr"}, "InvalidParameterValue"),
            (ec2.create_subnet, {"VpcId": vid, "CidrBlock": "192.168.77.0/24"},
             "InvalidSubnet.Range"),
            (ec2.create_subnet, {"VpcId": vid, "CidrBlock": sub24(cidr, 1)},
             "InvalidSubnet.Conflict"),
            (ec2.create_subnet, {"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.1.1.0/24"},
             "InvalidVpcID.NotFound"),
            (ec2.describe_vpcs, {"VpcIds": ["vpc-0123456789abcdef0"]}, "InvalidVpcID.NotFound"),
            (ec2.describe_subnets, {"SubnetIds": ["subnet-0123456789abcdef0"]},
             "InvalidSubnetID.NotFound"),
            (ec2.describe_vpcs, {"Filters": [{"Name": "bogus", "Values": ["x"]}]},
             "InvalidParameterValue"),
            (ec2.create_network_interface, {"SubnetId": sid, "PrivateIpAddress": "192.168.1.5"},
             "InvalidParameterValue"),
            (ec2.create_route_table, {"VpcId": "vpc-0123456789abcdef0"}, "InvalidVpcID.NotFound"),
            (ec2.attach_internet_gateway, {"InternetGatewayId": "igw-0123456789abcdef0",
                                           "VpcId": vid}, "InvalidInternetGatewayID.NotFound"),
        ]
        wrong = [(fn.__name__, kw, got, want) for fn, kw, want in cases
                 for got in [code_of(fn, **kw)] if got != want]
        self.assertEqual([v["VpcId"] for v in ec2.describe_vpcs(Filters=[
            {"Name": "tag:Name", "Values": [self.tag]}])["Vpcs"]], [vid])
        self.assertEqual([s["SubnetId"] for s in ec2.describe_subnets(Filters=[
            {"Name": "vpc-id", "Values": [vid]}])["Subnets"]], [sid])
        ec2.delete_subnet(SubnetId=sid)
        self.undo.drop(sid)
        ec2.delete_vpc(VpcId=vid)
        self.undo.drop(vid)
        after = {k: {x["id"] for x in n.list(k)} for k in ("routers", "networks", "ports")}
        for k in before:  # only what the test made, and it is gone (others may work alongside)
            self.assertEqual([x for x in after[k] - before[k]
                              if x in (n.named(k, vid) + n.named(k, sid))], [], k)
        self.neutron_gone(vid, [sid])
        self.assertEqual(wrong, [], "(action, parameters, answered, AWS's code)")


def delete_default_vpc(ec2, vid):
    """Best effort, after a failed check: the default VPC's gateway, subnets and the VPC."""
    for g in ec2.describe_internet_gateways(Filters=[
            {"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"]:
        code_of(ec2.detach_internet_gateway, InternetGatewayId=g["InternetGatewayId"], VpcId=vid)
        code_of(ec2.delete_internet_gateway, InternetGatewayId=g["InternetGatewayId"])
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Subnets"]:
        code_of(ec2.delete_subnet, SubnetId=s["SubnetId"])
    print("cleanup: DeleteVpc %s: %s" % (vid, code_of(ec2.delete_vpc, VpcId=vid)))


def default_vpc_id(neutron):
    """The name of a router a failed default-VPC test left (172.31.0.0/20 behind it)."""
    for r in neutron.list("routers"):
        if r["name"].startswith("vpc-"):
            for p in neutron.list("ports", "?device_id=" + r["id"]):
                for f in p["fixed_ips"]:
                    if f["ip_address"].startswith("172.31."):
                        return r["name"]
    return None


def neutron_wipe_vpc(n, vid):
    """Remove, with Neutron's API, every router named vid, the networks on it and the VPC's
    default group: what a failed run left (e.g. a second router of a raced default VPC)."""
    gone, nets = [], set()
    for r in n.named("routers", vid):
        for p in n.list("ports", "?device_id=" + r["id"]):
            if p["device_owner"] == "network:router_interface":
                nets.add(p["network_id"])
                n.call("PUT", "/v2.0/routers/%s/remove_router_interface" % r["id"],
                       {"port_id": p["id"]})
        n.call("PUT", "/v2.0/routers/" + r["id"], {"router": {"external_gateway_info": {}}})
        n.delete("/v2.0/routers/" + r["id"])
        gone.append("router " + r["id"])
    for net in nets:
        try:
            n.delete("/v2.0/networks/" + net)
            gone.append("network " + net)
        except OSError:
            pass
    for g in n.named("security-groups", "default-" + vid):
        n.delete("/v2.0/security-groups/" + g["id"])
        gone.append("group " + g["id"])
    return gone


def default_vpc_conf():
    """conf.d plugin files with `default_vpc: true` for the network plugin."""
    out = []
    for name in sorted(os.listdir(os.path.join(harness.ROOT, "conf.d"))):
        if name.endswith(".yaml") and name != "00-daemon.yaml":
            with open(os.path.join(harness.ROOT, "conf.d", name)) as f:
                text = f.read()
            if "plugin: neutron-v2.0" in text:
                assert "default_vpc: false" in text, "conf.d/%s: no default_vpc setting" % name
                text = text.replace("default_vpc: false", "default_vpc: true")
            out.append((name, text))
    return out


class DefaultVpc(unittest.TestCase):
    """Tenant 2 with `default_vpc: true` on two daemons sharing one database (the tenant's
    default VPC lives in the gateway's database, so a fresh database is a project without
    one): six concurrent first requests (the five the issue names and DescribeRouteTables)
    make exactly one default VPC, and each answer shows it; deleted after."""

    def setUp(self):
        self.a = harness.Daemon(plugins=default_vpc_conf())
        self.b = harness.Daemon(plugins=default_vpc_conf())
        # the second daemon on the first one's database
        path = os.path.join(self.b.conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace(os.path.join(self.b.dir, "db.sqlite"),
                                 os.path.join(self.a.dir, "db.sqlite")))
        self.a.start()
        self.b.start()
        self.neutron = Neutron(which=2, daemon=self.a)
        self.vid = None

    def tearDown(self):
        try:
            if self.vid is None:  # failed before it was known
                self.vid = default_vpc_id(self.neutron)
            if self.vid:  # a failed check: still delete the default VPC
                delete_default_vpc(harness.boto3_client(self.a, which=2), self.vid)
                wiped = neutron_wipe_vpc(self.neutron, self.vid)
                if wiped:
                    print("cleanup: wiped from Neutron what the gateway did not delete: %s"
                          % wiped)
        finally:
            harness.stop_daemon(self.b)
            harness.stop_daemon(self.a)

    def test_default_vpc_once(self):
        n = self.neutron
        routers0 = {r["id"] for r in n.list("routers")}
        # the five first requests the issue names, plus DescribeRouteTables (a sixth family
        # describe); each answer must already show the default VPC
        daemons = (self.a, self.a, self.a, self.b, self.b, self.b)
        clients = [harness.boto3_client(d, which=2) for d in daemons]
        calls = [("describe_vpcs", {}), ("describe_subnets", {}),
                 ("describe_account_attributes", {"AttributeNames": ["default-vpc"]}),
                 ("describe_internet_gateways", {}), ("describe_security_groups", {}),
                 ("describe_route_tables", {})]
        out, errs = [None] * len(calls), []
        go = threading.Barrier(len(calls))

        def first(k):
            go.wait()
            try:
                out[k] = getattr(clients[k], calls[k][0])(**calls[k][1])
            except Exception as e:  # noqa: BLE001 - reported below
                errs.append("%s: %r" % (calls[k][0], e))
        threads = [threading.Thread(target=first, args=(k,)) for k in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(errs, [])
        ec2 = clients[0]
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
        self.assertEqual(len(vpcs), 1, vpcs)
        vid = self.vid = vpcs[0]["VpcId"]
        self.assertEqual(vpcs[0]["CidrBlock"], "172.31.0.0/16")
        first_saw = {
            "describe_vpcs": [v["VpcId"] for v in out[0]["Vpcs"] if v["IsDefault"]],
            "describe_subnets": sorted({s["VpcId"] for s in out[1]["Subnets"]
                                        if s["DefaultForAz"]}),
            "describe_account_attributes": [v["AttributeValue"] for a in
                                            out[2]["AccountAttributes"] for v in
                                            a["AttributeValues"]],
            "describe_internet_gateways": [a["VpcId"] for g in out[3]["InternetGateways"]
                                           for a in g.get("Attachments", [])
                                           if a["VpcId"] == vid],
            "describe_security_groups": [g["VpcId"] for g in out[4]["SecurityGroups"]
                                         if g.get("VpcId") == vid],
            "describe_route_tables": sorted({r["VpcId"] for r in out[5]["RouteTables"]
                                             if r["VpcId"] == vid})}
        self.assertEqual(first_saw, {k: [vid] for k in first_saw})
        attrs = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in
                 clients[3].describe_account_attributes()["AccountAttributes"]}
        self.assertEqual(attrs["default-vpc"], [vid])
        self.assertEqual(attrs["supported-platforms"], ["VPC"])
        # exactly one new router in Neutron, the default VPC's, with its gateway
        new = [r for r in n.list("routers") if r["id"] not in routers0
               and r["name"].startswith("vpc-")]
        self.assertEqual([r["name"] for r in new], [vid])
        self.assertIsNotNone(new[0]["external_gateway_info"])
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Subnets"]
        self.assertGreaterEqual(len(subnets), 1)
        for k, s in enumerate(sorted(subnets, key=lambda s: s["CidrBlock"])):
            self.assertTrue(s["DefaultForAz"])
            self.assertEqual(s["CidrBlock"], "172.31.%d.0/20" % (16 * k))
            self.assertEqual(len(n.named("networks", s["SubnetId"])), 1)
        self.assertEqual(sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[
            {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]),
            sorted(s["SubnetId"] for s in subnets))
        igws = ec2.describe_internet_gateways(Filters=[
            {"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"]
        self.assertEqual(len(igws), 1)
        igw = igws[0]["InternetGatewayId"]
        main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vid]}])[
            "RouteTables"]
        self.assertEqual(len(main), 1)
        self.assertIn(("0.0.0.0/0", igw), [(r["DestinationCidrBlock"], r.get("GatewayId"))
                                           for r in main[0]["Routes"]])
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vid]}])[
            "SecurityGroups"]
        self.assertEqual([g["GroupName"] for g in groups], ["default"])
        # the second daemon agrees
        self.assertEqual([v["VpcId"] for v in clients[5].describe_vpcs()["Vpcs"]
                          if v["IsDefault"]], [vid])
        # delete it (deletes only, so nothing asks for a new one), nothing left in Neutron
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vid)
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        for s in subnets:
            ec2.delete_subnet(SubnetId=s["SubnetId"])
        ec2.delete_vpc(VpcId=vid)
        self.vid = None
        self.assertEqual(n.named("routers", vid), [])
        for s in subnets:
            self.assertEqual(n.named("networks", s["SubnetId"]), [])
        self.assertEqual(n.named("security-groups", "default-" + vid), [])


class JsSdk(unittest.TestCase):
    """The same build and teardown through the AWS SDK for JavaScript v3
    (js/vpc_workflow.mjs); like test_js_sdk.py it needs node and `npm ci` in
    tests/integration/js (tests/run.sh does it). Neutron is checked here afterwards."""

    def test_vpc_workflow(self):
        js = os.path.join(HERE, "js")
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is not installed (apt-get install nodejs npm)")
        self.assertTrue(os.path.isdir(os.path.join(js, "node_modules", "@aws-sdk", "client-ec2")),
                        "run (cd tests/integration/js && npm ci --no-audit --no-fund)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"EC2GW_URL": D.url, "AWS_ACCESS_KEY_ID": D.env["EC2_ACCESS_KEY"],
                    "AWS_SECRET_ACCESS_KEY": D.env["EC2_SECRET_KEY"],
                    "AWS_ACCESS_KEY_ID_2": D.env["EC2_ACCESS_KEY_2"],
                    "AWS_SECRET_ACCESS_KEY_2": D.env["EC2_SECRET_KEY_2"],
                    "EC2GW_VPC_CIDR": random_cidr()})
        p = subprocess.run([node, "vpc_workflow.mjs"], cwd=js, env=env, capture_output=True,
                           text=True, timeout=900)
        print(p.stdout + p.stderr, end="")
        made = {}
        for line in p.stdout.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("check") == "ids":
                made = rec
        self.assertEqual(p.returncode, 0, "vpc_workflow.mjs failed: see the \"ok\":false lines")
        self.assertTrue(made.get("vpc"), "the workflow printed no ids")
        n = Neutron()
        self.assertEqual(n.named("routers", made["vpc"]), [])
        for s in made["subnets"]:
            self.assertEqual(n.named("networks", s), [], s)
        self.assertEqual(n.named("ports", made["eni"]), [])
        self.assertEqual(n.named("security-groups", "default-" + made["vpc"]), [])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
