"""Issue 11, fault injection: OpenStack failing under the gateway.

A fault proxy (faultproxy.py) sits in front of Nova and another in front of Keystone (which
points the catalog's compute endpoint at the Nova proxy). Whatever Nova does - 500, a reset,
a truncated body, an answer slower than openstack.timeout (30 s here) - every client gets an EC2 error
document (never a hang, HTML or an empty 200), a failed RunInstances leaves no server behind,
and /healthz says when Keystone fails.
"""
import os
import sys
import time
import unittest
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intake_probe as P  # noqa: E402
from faultproxy import Fault, FaultProxy  # noqa: E402

NOVA, KEYSTONE = 8774, 5000


def client(daemon, key, secret):
    import boto3
    from botocore.config import Config
    return boto3.client("ec2", endpoint_url=daemon.url, region_name="RegionOne",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"total_max_attempts": 1}))


def ec2_error(fn, **kw):
    """(HTTP status, EC2 code, seconds) of a call that must fail with an EC2 error."""
    t = time.time()
    try:
        fn(**kw)
    except ClientError as e:
        meta = e.response["ResponseMetadata"]
        return meta["HTTPStatusCode"], e.response["Error"]["Code"], time.time() - t
    raise AssertionError("%s succeeded under an injected fault" % fn.__name__)


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nova = FaultProxy(NOVA)
        cls.ks = FaultProxy(KEYSTONE, rewrite=[(b"http://127.0.0.1:%d" % NOVA,
                                                cls.nova.url.encode())])
        cls.d = P.daemon(url=cls.ks.url + "/v3", timeout="30s")  # server lists take seconds
        cls.d.start()
        # One attempt per call (harness's max_attempts=1 is one retry in botocore's legacy mode):
        # the proxy's counts are then the gateway's own calls.
        cls.ec2 = client(cls.d, cls.d.env["EC2_ACCESS_KEY"], cls.d.env["EC2_SECRET_KEY"])

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        cls.nova.close()
        cls.ks.close()
        assert rc == 0, "ec2gwd exited with %d" % rc

    def setUp(self):
        self.nova.set_faults()
        self.ks.set_faults()

    def test_through_the_proxies(self):
        self.ec2.describe_key_pairs()
        self.assertTrue(any(m == "GET" and "/os-keypairs" in p for m, p, _ in self.nova.log),
                        "Nova was not reached through the proxy: %r" % self.nova.log)

    def check_fault(self, fault, max_seconds):
        # DescribeKeyPairs: one quick Nova call (server lists take seconds on a busy cloud).
        self.nova.set_faults(fault)
        status, code, took = ec2_error(self.ec2.describe_key_pairs)
        self.assertGreaterEqual(status, 400)
        self.assertTrue(fault.hits > 0, "the fault was not hit")
        self.assertLess(took, max_seconds)
        self.nova.set_faults()
        self.ec2.describe_key_pairs()  # and the gateway recovers
        return status, code

    def test_nova_500(self):
        print("nova 500 ->", self.check_fault(Fault("status", "GET", "/os-keypairs", 500), 20))

    def test_nova_503(self):
        print("nova 503 ->", self.check_fault(Fault("status", "GET", "/os-keypairs", 503), 20))

    def test_nova_reset(self):
        print("nova reset ->", self.check_fault(Fault("reset", "GET", "/os-keypairs"), 20))

    def test_nova_truncated_body(self):
        print("nova truncated ->", self.check_fault(Fault("truncate", "GET", "/os-keypairs"), 20))

    def test_nova_slower_than_timeout(self):
        # openstack.timeout is 30 s here: the call is abandoned, the client told.
        print("nova 35 s ->", self.check_fault(Fault("delay", "GET", "/os-keypairs", 35), 34))

    def test_failed_run_instances_leaves_nothing(self):
        imgs = self.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
        if not imgs:
            self.fail("no cirros-fake image in the test cloud (tests/cloud/seed.py seeds it)")
        before = {i["InstanceId"] for r in self.ec2.describe_instances()["Reservations"]
                  for i in r["Instances"]}
        token = "fault-" + uuid.uuid4().hex[:16]
        for fault in (Fault("status", "POST", r"/servers$", 500),
                      Fault("reset", "POST", r"/servers$")):
            self.nova.set_faults(fault)
            status, code, _ = ec2_error(self.ec2.run_instances, ImageId=imgs[0]["ImageId"],
                                        MinCount=1, MaxCount=1, InstanceType="m1.tiny",
                                        ClientToken=token + fault.kind)
            self.assertGreaterEqual(status, 400)
            self.assertEqual(fault.hits, 1, "RunInstances retried a create on its own: %r"
                             % self.nova.log)
            print("RunInstances under nova %s -> %d %s" % (fault.kind, status, code))
        self.nova.set_faults()
        after = {i["InstanceId"] for r in self.ec2.describe_instances()["Reservations"]
                 for i in r["Instances"] if i["State"]["Name"] != "terminated"}
        self.assertEqual(after - before, set(), "a failed RunInstances left a server behind")

    def test_lost_create_answer_leaves_nothing(self):
        # Nova creates the server, the gateway never hears of it: the client is told the
        # launch failed, so the server must not stay, and a retry must not add a second one.
        imgs = self.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
        if not imgs:
            self.fail("no cirros-fake image in the test cloud (tests/cloud/seed.py seeds it)")

        def live():
            # a server the gateway deleted may still be in Nova's "deleting" task for a while on
            # a loaded cloud: shutting-down is on its way out, not left behind
            return {i["InstanceId"] for r in self.ec2.describe_instances()["Reservations"]
                    for i in r["Instances"]
                    if i["State"]["Name"] not in ("terminated", "shutting-down")}

        before = live()
        token = "lost-" + uuid.uuid4().hex[:16]
        kw = dict(ImageId=imgs[0]["ImageId"], MinCount=1, MaxCount=1, InstanceType="m1.tiny",
                  ClientToken=token)
        try:
            self.nova.set_faults(Fault("reset", "POST", r"/servers$", after_upstream=True))
            ec2_error(self.ec2.run_instances, **kw)
            self.nova.set_faults()
            self.assertEqual(live() - before, set(), "the failed launch left a server")
            retried = {i["InstanceId"] for i in self.ec2.run_instances(**kw)["Instances"]}
            self.assertEqual(live() - before, retried, "the retry booted a second server")
        finally:
            self.nova.set_faults()
            left = live() - before
            if left:
                self.ec2.terminate_instances(InstanceIds=sorted(left))

    def test_healthz_tells_keystone_is_failing(self):
        # An unknown key is looked up in Keystone's credentials (then /ec2tokens).
        self.ks.set_faults(Fault("status", ".*", "/v3/(credentials|ec2tokens)", 500))
        key = "AKIA" + uuid.uuid4().hex[:16].upper()
        stranger = client(self.d, key, "x" * 40)
        print("unknown key under keystone 500 ->", ec2_error(stranger.describe_regions))
        self.assertGreater(self.ks.faults[0].hits, 0, "Keystone was not asked: %r" % self.ks.log)
        import json
        import urllib.error
        import urllib.request
        try:
            body = urllib.request.urlopen(self.d.url + "/healthz", timeout=5).read()
            status = 200
        except urllib.error.HTTPError as e:
            body, status = e.read(), e.code
        self.assertEqual((status, json.loads(body)["keystone"]), (503, "failing"))


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(P.harness.summary(r))
