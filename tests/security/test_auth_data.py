"""Issue 11, findings 8, 11 (MaxResults, DryRun RunInstances), 12 and 13, against a real ec2gwd
with the all-in-one cloud (raw signed requests: no client-side validation, no retries).

8.  DescribeTags with 1000 filter values answered 500 ("Expression tree is too large"): now
    FilterLimitExceeded (AWS: at most 200 filter values per call); 200 values are answered.
11. MaxResults=-1 meant "no limit" while 0 was refused: both are InvalidParameterValue, for the
    daemon's DescribeTags and a plugin's DescribeInstances alike. DryRun RunInstances answered
    DryRunOperation for an unknown image or MinCount=0: it validates first, as AWS does.
12. A ClientToken is not claimed by a DryRun (the real run afterwards is not "in progress").
13. DescribeTags MaxResults=1100 is capped at 1000 as AWS does; ModifyInstanceAttribute
    disableApiTermination Value=False/TRUE is read case-insensitively (real instance).
"""
import os
import sys
import time
import unittest
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import auth_sign as S  # noqa: E402
import harness  # noqa: E402


def filters(name, n):
    p = {"Filter.1.Name": name}
    for i in range(n):
        p["Filter.1.Value.%d" % (i + 1)] = "v%d" % i
    return p


class AuthData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon().start()
        cls.ec2 = harness.boto3_client(cls.d)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        assert rc == 0, "ec2gwd exited with %d" % rc

    def call(self, params):
        return S.signed(self.d, params)

    def test_8_filter_values_bounded(self):
        for name in ("key", "value", "resource-id", "resource-type"):
            status, code, body = self.call(dict({"Action": "DescribeTags"}, **filters(name, 1000)))
            self.assertEqual((status, code), (400, "FilterLimitExceeded"), body[:300])
            status, code, body = self.call(dict({"Action": "DescribeTags"}, **filters(name, 200)))
            self.assertEqual(status, 200, body[:300])
        # many filters of one value each: the same bound
        p = {"Action": "DescribeTags"}
        for i in range(1, 251):
            p["Filter.%d.Name" % i] = "key"
            p["Filter.%d.Value.1" % i] = "k%d" % i
        self.assertEqual(self.call(p)[:2], (400, "FilterLimitExceeded"))

    def test_11_13_max_results(self):
        for action in ("DescribeTags", "DescribeInstances"):
            for bad in ("-1", "0", "4"):
                status, code, body = self.call({"Action": action, "MaxResults": bad})
                self.assertEqual((status, code), (400, "InvalidParameterValue"),
                                 (action, bad, body[:300]))
            for good in ("5", "1000", "1100"):
                status, code, body = self.call({"Action": action, "MaxResults": good})
                self.assertEqual(status, 200, (action, good, body[:300]))

    def ami(self):
        imgs = self.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
        if not imgs:
            self.fail("no cirros-fake image in the test cloud (tests/cloud/seed.py seeds it)")
        return imgs[0]["ImageId"]

    def run_params(self, ami, **kw):
        p = {"Action": "RunInstances", "ImageId": ami, "MinCount": "1", "MaxCount": "1",
             "InstanceType": "m1.tiny", "DryRun": "true"}
        p.update(kw)
        return p

    def test_11_12_dry_run_validates_first(self):
        ami = self.ami()
        self.assertEqual(self.call(self.run_params("ami-0fffffff"))[:2],
                         (400, "InvalidAMIID.NotFound"))
        self.assertEqual(self.call(self.run_params(ami, MinCount="0"))[:2],
                         (400, "InvalidParameterValue"))
        self.assertEqual(self.call(self.run_params(ami, InstanceType="x9.huge"))[:2],
                         (400, "InvalidParameterValue"))
        token = "sec-" + uuid.uuid4().hex
        self.assertEqual(self.call(self.run_params(ami, ClientToken=token))[:2],
                         (412, "DryRunOperation"))
        # nothing was created, and the token was not claimed by the DryRun
        self.assertEqual(self.call(self.run_params(ami, ClientToken=token))[:2],
                         (412, "DryRunOperation"))

    def test_13_boolean_values(self):
        ami = self.ami()
        res = self.ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny")
        iid = res["Instances"][0]["InstanceId"]
        try:
            for value, want in (("TRUE", True), ("False", False), ("true", True),
                                ("FALSE", False)):
                status, code, body = self.call({"Action": "ModifyInstanceAttribute",
                                                "InstanceId": iid,
                                                "Attribute": "disableApiTermination",
                                                "Value": value})
                self.assertEqual(status, 200, body[:300])
                got = self.ec2.describe_instance_attribute(InstanceId=iid,
                                                           Attribute="disableApiTermination")
                self.assertEqual(got["DisableApiTermination"]["Value"], want, value)
            status, code, _ = self.call({"Action": "ModifyInstanceAttribute", "InstanceId": iid,
                                         "Attribute": "disableApiTermination", "Value": "yes"})
            self.assertEqual((status, code), (400, "InvalidParameterValue"))
        finally:
            self.ec2.modify_instance_attribute(InstanceId=iid,
                                               DisableApiTermination={"Value": False})
            self.ec2.terminate_instances(InstanceIds=[iid])
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    r = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"]
                except ClientError:  # gone already
                    break
                if r[0]["Instances"][0]["State"]["Name"] == "terminated":
                    break
                time.sleep(2)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
