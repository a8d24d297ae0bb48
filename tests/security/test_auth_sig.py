"""Issue 11, findings 5, 6 and 7: what a signature may open, and what strangers cost Keystone.

5. A presigned URL signs no payload (UNSIGNED-PAYLOAD): a body sent with it is refused, its
   parameters never reach the action.
6. Credential scope: a signature scoped to another service that shares Keystone's EC2
   credentials (s3, sts, iam, ...) is refused; any region is accepted (ec2-protocol.md §10.4).
7. Unknown access keys are remembered briefly (the same key again costs no Keystone call) and
   each source address has a bounded budget of lookups of unknown keys: 60 random keys make at
   most ~20 Keystone calls (one more per 10 s), then RequestLimitExceeded; a known key keeps working.
Real ec2gwd, real Keystone of the all-in-one cloud.
"""
import os
import secrets
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import auth_sign as S  # noqa: E402
import harness  # noqa: E402


class AuthSig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon().start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        assert rc == 0, "ec2gwd exited with %d" % rc

    def test_5_presigned_body_refused(self):
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for method in ("GET", "POST"):  # GET first: Keystone issues tokens for it
            u = S.presigned(self.d, {"Action": "DescribeRegions"}, method=method)
            target = u.path + "?" + u.query
            status, code, body = S.send(self.d, method, target, {})
            self.assertEqual((status, code), (200, None), body)
            self.assertIn(b"<regionName>", body)
            # the same URL with unsigned parameters in a body: refused, whatever they say
            status, code, body = S.send(self.d, method, target, form,
                                        b"RegionName.1=nowhere&DryRun=true")
            self.assertEqual((status, code), (401, "AuthFailure"), (method, body))
            self.assertIn(b"must not have a body", body)
            # an X-Amz-Content-SHA256 header does not help either
            status, code, body = S.send(self.d, method, target,
                                        dict(form, **{"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}),
                                        b"RegionName.1=nowhere")
            self.assertEqual((status, code), (401, "AuthFailure"), (method, body))

    def test_6_scope(self):
        for service in ("s3", "sts", "iam"):
            status, code, body = S.signed(self.d, {"Action": "DescribeRegions"}, service=service)
            self.assertEqual((status, code), (401, "AuthFailure"), body)
            self.assertIn(b"scoped to correct service", body)
        # any region (boto 2 signs a bare IP as region "0"), and the usual ones
        for region in ("RegionOne", "us-east-1", "0", "elsewhere"):
            status, code, body = S.signed(self.d, {"Action": "DescribeRegions"}, region=region)
            self.assertEqual((status, code), (200, None), (region, body))

    def test_7_unknown_keys(self):
        # warm: the service token and this key's secret are cached
        self.assertEqual(S.signed(self.d, {"Action": "DescribeRegions"})[0], 200)
        before = self.d.backend_calls("identity")
        # one unknown key ten times: one Keystone call, then the negative cache answers
        ak = "AKIA" + secrets.token_hex(8).upper()
        for _ in range(10):
            status, code, _ = S.signed(self.d, {"Action": "DescribeRegions"}, access=ak,
                                       secret="x" * 40)
            self.assertEqual((status, code), (401, "AuthFailure"))
        self.assertEqual(self.d.backend_calls("identity") - before, 1)
        # 60 random keys from this address: a bounded number of Keystone calls
        before = self.d.backend_calls("identity")
        codes = {}
        t0 = time.time()
        for _ in range(60):
            ak = "AKIA" + secrets.token_hex(8).upper()
            status, code, _ = S.signed(self.d, {"Action": "DescribeRegions"}, access=ak,
                                       secret=secrets.token_hex(20))
            codes[(status, code)] = codes.get((status, code), 0) + 1
        calls = self.d.backend_calls("identity") - before
        elapsed = time.time() - t0
        print("60 random keys in %.1f s: %d Keystone calls, answers %s" % (elapsed, calls, codes))
        # a burst of 20 lookups (one went to the key above), then one per 10 s
        self.assertLessEqual(calls, 20 + int(elapsed / 10) + 1)
        self.assertGreater(codes.get((503, "RequestLimitExceeded"), 0), 30)
        self.assertEqual(set(codes), {(401, "AuthFailure"), (503, "RequestLimitExceeded")})
        # a known, cached key is not limited
        self.assertEqual(S.signed(self.d, {"Action": "DescribeRegions"})[0], 200)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
