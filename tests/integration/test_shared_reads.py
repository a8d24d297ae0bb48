#!/usr/bin/env python3
"""Shared OpenStack reads (issue 15, ABI 1.4 EC2GW_CALL_SHARED) and cancellation against the
all-in-one cloud: ten concurrent DescribeImages / DescribeSecurityGroups of one tenant cost
fewer Glance / Neutron calls than requests (counted from /metrics), a client reads its own
write at once (CreateSecurityGroup then DescribeSecurityGroups within the staleness), the
other tenant never gets the first one's answer, and a client that hangs up before its answer
has its OpenStack calls cancelled (counted in /metrics; the daemon exits ASan-clean)."""
import os
import re
import socket
import sys
import threading
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = None


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


def metric(name, labels=""):
    """The sum of the samples of @name whose labels contain @labels (0 when absent)."""
    total = 0.0
    for line in D.metrics().splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, value = line.rsplit(" ", 1)
        if head.split("{", 1)[0] == name and labels in head:
            total += float(value)
    return total


def concurrently(fns):
    """Run every fn at once (a barrier), return their results in order."""
    out = [None] * len(fns)
    errors = []
    gate = threading.Barrier(len(fns))

    def run(i, fn):
        try:
            gate.wait()
            out[i] = fn()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out


class SharedReads(unittest.TestCase):
    def setUp(self):
        time.sleep(2.2)  # whatever an earlier test read has expired (describe_max_staleness 2s)

    def test_staleness_in_metrics(self):
        self.assertEqual(metric("ec2gw_describe_max_staleness_seconds"), 2.0)

    def _fewer_calls(self, service, call):
        clients = [harness.boto3_client(D) for _ in range(10)]
        before = D.backend_calls(service)
        call(clients[0])  # one request alone: what each would cost unshared
        alone = D.backend_calls(service) - before
        self.assertGreater(alone, 0)
        time.sleep(2.2)
        hits = metric("ec2gw_shared_reads_total", 'result="hit"') + metric(
            "ec2gw_shared_reads_total", 'result="join"')
        before = D.backend_calls(service)
        answers = concurrently([lambda c=c: call(c) for c in clients])
        spent = D.backend_calls(service) - before
        shared = metric("ec2gw_shared_reads_total", 'result="hit"') + metric(
            "ec2gw_shared_reads_total", 'result="join"') - hits
        print("%s: %d call(s) alone, %d for 10 concurrent requests, %d shared" %
              (service, alone, spent, shared))
        self.assertLess(spent, 10 * alone)
        self.assertGreaterEqual(shared, 10 * alone - spent)
        for a in answers[1:]:
            self.assertEqual(a, answers[0])
        return answers[0]

    def test_describe_images_concurrent(self):
        def call(c):
            return sorted(i["ImageId"] for i in c.describe_images()["Images"])

        self.assertTrue(self._fewer_calls("image", call))

    def test_describe_security_groups_concurrent(self):
        def call(c):
            return sorted(g["GroupId"] for g in c.describe_security_groups()["SecurityGroups"])

        self.assertTrue(self._fewer_calls("network", call))

    def test_reads_own_write(self):
        ec2 = harness.boto3_client(D)
        name = "it-shared-" + uuid.uuid4().hex[:8]
        ec2.describe_security_groups()  # a fresh shared answer without the group
        gid = ec2.create_security_group(GroupName=name, Description="shared reads")["GroupId"]
        try:
            got = ec2.describe_security_groups()["SecurityGroups"]
            self.assertIn(gid, [g["GroupId"] for g in got])
        finally:
            ec2.delete_security_group(GroupId=gid)
        got = ec2.describe_security_groups()["SecurityGroups"]
        self.assertNotIn(gid, [g["GroupId"] for g in got])

    def test_other_tenant_never_shares(self):
        one, two = harness.boto3_client(D), harness.boto3_client(D, which=2)
        a, b = concurrently([lambda: one.describe_security_groups()["SecurityGroups"],
                             lambda: two.describe_security_groups()["SecurityGroups"]])
        owners_a = {g["OwnerId"] for g in a}
        owners_b = {g["OwnerId"] for g in b}
        self.assertEqual(len(owners_a), 1)
        self.assertEqual(len(owners_b), 1)
        self.assertNotEqual(owners_a, owners_b)


def signed_request(d, params):
    """A SigV4-signed POST to daemon @d as raw bytes (botocore's signer), for a client that
    hangs up."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = urllib.parse.urlencode(dict({"Version": "2016-11-15"}, **params))
    req = AWSRequest(method="POST", url=d.url + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(d.env["EC2_ACCESS_KEY"], d.env["EC2_SECRET_KEY"]), "ec2",
              "RegionOne").add_auth(req)
    head = "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d\r\n" % (d.port, len(body))
    for k, v in req.headers.items():
        if k.lower() not in ("host", "content-length"):
            head += "%s: %s\r\n" % (k, v)
    return (head + "\r\n" + body).encode()


class Cancellation(unittest.TestCase):
    """Glance behind the tests' fault proxy (tests/security/faultproxy.py), which holds every
    image list 3 s before forwarding it: each client hangs up while its call is surely in
    flight, however fast the real Glance is (with a fast Glance the first answer was shared
    and the later requests were answered from it before they hung up)."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "security"))
        import intake_probe as P
        from faultproxy import FaultProxy
        cls.glance = FaultProxy(9292)
        cls.ks = FaultProxy(5000, rewrite=[(b"http://127.0.0.1:9292", cls.glance.url.encode())])
        cls.d = P.daemon(url=cls.ks.url + "/v3")
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)
        cls.glance.close()
        cls.ks.close()

    def metric(self, name):
        total = 0.0
        for line in self.d.metrics().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def test_hang_up_cancels_openstack_calls(self):
        from faultproxy import Fault
        harness.boto3_client(self.d).describe_images()  # Keystone's answer cached: no auth wait
        time.sleep(2.2)  # and no shared answer left to reuse
        self.glance.set_faults(Fault("delay", "GET", "/v2/images", 3))
        gone = self.metric("ec2gw_requests_abandoned_total")
        cancelled = self.metric("ec2gw_backend_calls_cancelled_total")
        raw = signed_request(self.d, {"Action": "DescribeImages"})
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", self.d.port))
            s.sendall(raw)
            time.sleep(0.3)  # the daemon has asked Glance, which holds the answer 3 s
            s.close()
        deadline = time.time() + 10
        while (time.time() < deadline
               and self.metric("ec2gw_requests_abandoned_total") < gone + 5):
            time.sleep(0.2)
        self.assertEqual(self.metric("ec2gw_requests_abandoned_total"), gone + 5)
        self.assertGreaterEqual(self.metric("ec2gw_backend_calls_cancelled_total"),
                                cancelled + 5)
        with open(self.d.log_path) as f:
            self.assertTrue(re.search("client closed the connection before the answer", f.read()))
        # the daemon goes on serving (and its exit is checked ASan-clean by stop_daemon)
        self.glance.set_faults()
        self.assertIsInstance(harness.boto3_client(self.d).describe_images()["Images"], list)


if __name__ == "__main__":
    unittest.main(verbosity=2)
