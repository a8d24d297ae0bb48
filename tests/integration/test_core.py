#!/usr/bin/env python3
"""ec2gwd core against the real Keystone of the all-in-one cloud, with real clients:
awscli and boto3 (SigV4), botocore's SigV2 signer, and raw HTTP for protocol edges."""
import json
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from botocore.auth import SigV2Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import harness

NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"


def send(daemon, params, which=1, sig="v4", secret=None, method="POST"):
    """Sign with botocore and send; returns (status, headers, body)."""
    env = daemon.env
    suffix = "" if which == 1 else "_2"
    creds = Credentials(env["EC2_ACCESS_KEY" + suffix], secret or env["EC2_SECRET_KEY" + suffix])
    if method == "POST":
        # botocore's SigV2 signer reads the parameters from a dict body.
        req = AWSRequest(method="POST", url=daemon.url + "/",
                         data=dict(params) if sig == "v2" else urllib.parse.urlencode(params),
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    else:
        req = AWSRequest(method="GET", url=daemon.url + "/", params=dict(params))
    if sig == "v4":
        SigV4Auth(creds, "ec2", "RegionOne").add_auth(req)
    else:
        SigV2Auth(creds).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body if method == "POST" else None,
                               headers=dict(prepared.headers), method=method)
    if isinstance(r.data, str):
        r.data = r.data.encode()
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def error_code(body):
    return ET.fromstring(body).find("./Errors/Error/Code").text


class CoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon().start()
        cls.ec2 = harness.boto3_client(cls.d)
        cls.ec2_2 = harness.boto3_client(cls.d, which=2)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        log = open(cls.d.log_path).read()
        cls.d.cleanup()
        if rc != 0:
            raise AssertionError("ec2gwd exited with %d:\n%s" % (rc, log[-4000:]))

    def test_awscli_describe_regions(self):
        p = harness.aws_cli(self.d, "ec2", "describe-regions", "--output", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        regions = json.loads(p.stdout)["Regions"]
        self.assertEqual(regions[0]["RegionName"], "RegionOne")
        self.assertEqual(regions[0]["Endpoint"], self.d.url)

    def test_xml_is_ec2_api_compatible(self):
        status, headers, body = send(self.d, {"Action": "DescribeRegions", "Version": "2014-10-01"})
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith('<?xml version="1.0" encoding="UTF-8"?>'))
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "{http://ec2.amazonaws.com/doc/2014-10-01/}DescribeRegionsResponse")
        ns = "{http://ec2.amazonaws.com/doc/2014-10-01/}"
        self.assertEqual(root[0].tag, ns + "requestId")
        self.assertEqual(headers["x-amzn-RequestId"], root[0].text)
        item = root.find(ns + "regionInfo/" + ns + "item")
        self.assertEqual(item.find(ns + "regionName").text, "RegionOne")

    def test_boto3_regions_filter(self):
        r = self.ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["Region*"]}])
        self.assertEqual([x["RegionName"] for x in r["Regions"]], ["RegionOne"])
        r = self.ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["nope"]}])
        self.assertEqual(r["Regions"], [])
        with self.assertRaises(ClientError) as cm:
            self.ec2.describe_regions(Filters=[{"Name": "bogus", "Values": ["x"]}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_tags_roundtrip_and_isolation(self):
        ami = "ami-%08x" % (uuid.uuid4().int & 0xffffffff)
        self.ec2.create_tags(Resources=[ami], Tags=[{"Key": "Name", "Value": "0123"},
                                                    {"Key": "empty", "Value": ""}])
        tags = self.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [ami]}])["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"], t["ResourceType"]) for t in tags),
                         [("Name", "0123", "image"), ("empty", "", "image")])
        other = self.ec2_2.describe_tags(Filters=[{"Name": "resource-id", "Values": [ami]}])
        self.assertEqual(other["Tags"], [])
        self.ec2.delete_tags(Resources=[ami], Tags=[{"Key": "empty"}])
        tags = self.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [ami]}])["Tags"]
        self.assertEqual([t["Key"] for t in tags], ["Name"])

    def test_describe_tags_paging_with_awscli(self):
        ami = "ami-%08x" % (uuid.uuid4().int & 0xffffffff)
        self.ec2.create_tags(Resources=[ami], Tags=[{"Key": "k%02d" % i, "Value": "v"} for i in range(12)])
        p = harness.aws_cli(self.d, "ec2", "describe-tags", "--page-size", "5", "--filters",
                            "Name=resource-id,Values=" + ami, "--output", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(json.loads(p.stdout)["Tags"]), 12)

    def test_create_tags_unknown_instance(self):
        with self.assertRaises(ClientError) as cm:
            self.ec2.create_tags(Resources=["i-0badc0de"], Tags=[{"Key": "a", "Value": "b"}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidInstanceID.NotFound")

    def test_sigv2_get_and_post(self):
        for method in ("GET", "POST"):
            status, _, body = send(self.d, {"Action": "DescribeRegions", "Version": "2016-11-15"},
                                   sig="v2", method=method)
            self.assertEqual(status, 200, body)
            self.assertIn("<regionName>RegionOne</regionName>", body)

    def test_wrong_secret(self):
        status, _, body = send(self.d, {"Action": "DescribeRegions", "Version": "2016-11-15"},
                               secret="not-the-secret")
        self.assertEqual((status, error_code(body)), (401, "AuthFailure"))

    def test_unknown_access_key(self):
        c = harness.boto3_client(self.d)
        c = __import__("boto3").client("ec2", endpoint_url=self.d.url, region_name="RegionOne",
                                       aws_access_key_id="0" * 32, aws_secret_access_key="x")
        with self.assertRaises(ClientError) as cm:
            c.describe_regions()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AuthFailure")

    def test_unsigned(self):
        data = urllib.parse.urlencode({"Action": "DescribeRegions", "Version": "2016-11-15"}).encode()
        try:
            urllib.request.urlopen(self.d.url + "/", data=data, timeout=10)
            self.fail("an unsigned request was answered")
        except urllib.error.HTTPError as e:
            self.assertEqual((e.code, error_code(e.read().decode())), (403, "MissingAuthenticationToken"))

    def test_unknown_action(self):
        status, _, body = send(self.d, {"Action": "DescribeUnicorns", "Version": "2016-11-15"})
        self.assertEqual((status, error_code(body)), (400, "InvalidAction"))

    def test_action_nobody_serves(self):
        status, _, body = send(self.d, {"Action": "DescribeVpcEndpoints", "Version": "2016-11-15"})
        self.assertEqual((status, error_code(body)), (400, "UnsupportedOperation"))

    def test_dry_run(self):
        with self.assertRaises(ClientError) as cm:
            self.ec2.create_tags(Resources=["ami-12345678"], Tags=[{"Key": "a", "Value": "b"}], DryRun=True)
        self.assertEqual(cm.exception.response["Error"]["Code"], "DryRunOperation")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)

    def test_missing_and_bad_parameters(self):
        status, _, body = send(self.d, {"Action": "CreateTags", "Version": "2016-11-15",
                                        "Tag.1.Key": "a", "Tag.1.Value": "b"})
        self.assertEqual((status, error_code(body)), (400, "MissingParameter"))
        status, _, body = send(self.d, {"Action": "DescribeTags", "Version": "2016-11-15",
                                        "MaxResults": "many"})
        self.assertEqual((status, error_code(body)), (400, "InvalidParameterValue"))
        status, _, body = send(self.d, {"Action": "DescribeRegions", "Version": "2016-11-15",
                                        "Bogus.1": "x"})
        self.assertEqual((status, error_code(body)), (400, "UnknownParameter"))

    def test_steady_state_makes_no_keystone_calls(self):
        self.ec2.describe_regions()  # warm the cache
        before = self.d.backend_calls("identity")
        for _ in range(20):
            self.ec2.describe_regions()
        self.assertEqual(self.d.backend_calls("identity"), before)
        self.assertIn('ec2gw_auth_cache_total{result="hit"}', self.d.metrics())

    def test_healthz(self):
        body = json.loads(urllib.request.urlopen(self.d.url + "/healthz", timeout=5).read())
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["keystone"], "ok")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
