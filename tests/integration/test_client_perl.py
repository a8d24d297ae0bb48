#!/usr/bin/env python3
"""The Perl EC2 clients against the daemon: VM::EC2 (Debian libvm-ec2-perl) and
Net::Amazon::EC2 (Debian libnet-amazon-ec2-perl).

clients/perl/vm_ec2.pl: SigV2 HmacSHA256 over host:port, API version 2014-05-01, POST, reads
<return>. clients/perl/net_amazon_ec2.pl: SigV4 over the host without its port (path "/"),
API version 2014-06-15, lists sent without an index when given one value, plus a SigV2 pass.
Both use XML::Simple and Moose objects with strict types, so a missing element the client
requires dies in the client. Net::Amazon::EC2 requires a vpcId on every network interface of
DescribeInstances, so its instances run in a VPC subnet this test makes (with boto3: VPC,
subnet, an internet gateway attached so addresses can be associated) and removes.
"""
import os
import random
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "clients"))
import clientrun  # noqa: E402
import harness  # noqa: E402

D = None
VM_EC2 = ["defaults", "describe_availability_zones", "describe_images", "create_key_pair",
          "import_key_pair", "describe_key_pairs", "run_instances", "create_tags",
          "wait_for_instances", "describe_instances filter", "instance fields", "console_output",
          "describe_tags", "delete_tags", "stop_instances", "stopped", "start_instances",
          "running again", "reboot_instances", "unknown instance", "unknown key pair",
          "terminate_instances", "terminated", "delete_key_pair", "key pairs gone"]
VM_EC2_NET = ["create_security_group", "authorize_incoming", "allocate_address",
              "associate_address", "describe_addresses", "disassociate_address",
              "release_address", "delete_security_group"]
NET_AMAZON_EC2 = ["defaults", "describe_availability_zones", "describe_images",
                  "create_key_pair", "describe_key_pairs", "run_instances", "create_tags",
                  "running", "describe_instances filter", "describe_instances vpc",
                  "describe_instances vpc-id filter", "instance fields",
                  "describe_instance_status", "get_console_output",
                  "create_security_group", "authorize_security_group_ingress",
                  "describe_security_groups", "unknown security group", "allocate_address",
                  "associate_address", "describe_addresses", "disassociate_address",
                  "disassociated", "release_address", "address released",
                  "allocate_vpc_address", "release_vpc_address", "delete_security_group",
                  "security group gone",
                  "describe_tags", "delete_tags", "tag deleted", "stop_instances", "stopped",
                  "start_instances", "running again", "reboot_instances", "unknown instance",
                  "unknown key pair", "sigv2 describe_availability_zones",
                  "sigv2 describe_instance_status", "sigv2 unknown instance",
                  "terminate_instances", "terminated", "delete_key_pair", "key pair gone"]


def setUpModule():
    global D
    D = clientrun.start_daemon()


def tearDownModule():
    if D is not None:
        D.stop()
        D.cleanup()


class Vpc:
    """A VPC with one subnet and an attached internet gateway, made through the daemon."""

    def __init__(self, daemon):
        from botocore.exceptions import ClientError
        self.ec2 = harness.boto3_client(daemon)
        self.vpc = self.subnet = self.igw = None
        cidr = "10.%d.0.0/16" % random.randint(100, 250)
        try:
            self.vpc = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
            self.subnet = self.ec2.create_subnet(
                VpcId=self.vpc, CidrBlock=cidr.replace(".0.0/16", ".1.0/24"))["Subnet"]["SubnetId"]
            self.igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            self.ec2.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        except ClientError:
            self.delete()
            raise

    def delete(self):
        """Undo in Terraform's order; the subnet once Nova has deleted the ports."""
        from botocore.exceptions import ClientError
        if self.igw:
            try:
                self.ec2.detach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
            except ClientError as e:
                print("vpc cleanup: %s" % e)
            self.ec2.delete_internet_gateway(InternetGatewayId=self.igw)
        for what, key, value in (("subnet", "SubnetId", self.subnet),
                                 ("vpc", "VpcId", self.vpc)):
            if value is None:
                continue
            for _ in range(60):
                try:
                    getattr(self.ec2, "delete_" + what)(**{key: value})
                    break
                except ClientError as e:
                    if e.response["Error"]["Code"] != "DependencyViolation":
                        raise
                    time.sleep(2)


class Perl(unittest.TestCase):
    def test_vm_ec2(self):
        self.assertTrue(os.path.exists("/usr/share/perl5/VM/EC2.pm"),
                        "libvm-ec2-perl is not installed (tools/deps.sh --test installs it)")
        net = clientrun.network_served(D)
        clientrun.run(self, D, ["perl", os.path.join(HERE, "clients/perl/vm_ec2.pl")],
                      VM_EC2 + (VM_EC2_NET if net else []),
                      env_extra={"EC2GW_NETWORK": "1" if net else "0"})

    def test_net_amazon_ec2(self):
        self.assertTrue(os.path.exists("/usr/share/perl5/Net/Amazon/EC2.pm"),
                        "libnet-amazon-ec2-perl is not installed (tools/deps.sh --test installs it)")
        vpc = Vpc(D)
        try:
            clientrun.run(self, D, ["perl", os.path.join(HERE, "clients/perl/net_amazon_ec2.pl")],
                          NET_AMAZON_EC2,
                          env_extra={"EC2GW_VPC": vpc.vpc, "EC2GW_SUBNET": vpc.subnet})
        finally:
            vpc.delete()


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
