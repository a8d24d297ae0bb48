"""Issue 11, findings 1 and 11 (intake part): parameters before authentication.

Merging URL and body parameters is linear and bounded (a huge request neither stalls
/healthz nor is answered with anything but an EC2 error), a raw NUL in the body is refused
instead of truncating a value, and Version is checked before it is echoed into xmlns.
"""
import os
import socket
import sys
import threading
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intake_probe as P  # noqa: E402


def post(port, body, query=b"", extra=b""):
    return (b"POST /" + (b"?" + query if query else b"") + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n" + extra +
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def signed(daemon, body):
    """A SigV4-signed POST of @body (bytes) with the cloud's first EC2 credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    env = daemon.env
    req = AWSRequest(method="POST", url=daemon.url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                              "Host": "127.0.0.1:%d" % daemon.port})
    SigV4Auth(Credentials(env["EC2_ACCESS_KEY"], env["EC2_SECRET_KEY"]), "ec2",
              "RegionOne").add_auth(req)
    head = b"POST / HTTP/1.1\r\n" + b"".join(
        ("%s: %s\r\n" % (k, v)).encode() for k, v in req.headers.items())
    return head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body


class Params(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = P.start_daemon()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        assert rc == 0, "ec2gwd exited with %d" % rc

    def healthz_latency_during(self, data):
        """Worst /healthz latency while @data is being answered on another connection."""
        done = threading.Event()
        result = {}

        def big():
            result["out"], _ = P.raw(self.d.port, data, timeout=120)
            done.set()

        th = threading.Thread(target=big)
        th.start()
        worst = 0.0
        while not done.is_set():
            t = time.time()
            urllib.request.urlopen(self.d.url + "/healthz", timeout=120).read()
            worst = max(worst, time.time() - t)
            time.sleep(0.02)
        th.join()
        return worst, result["out"]

    def test_merge_is_linear_and_bounded(self):
        # The review's 8 000 URL x 80 000 body parameters stalled the loop for 2 s.
        query = b"&".join(b"q%d=1" % i for i in range(8000))
        body = b"&".join(b"b%d=1" % i for i in range(80000))
        t = time.time()
        worst, out = self.healthz_latency_during(post(self.d.port, body, query))
        took = time.time() - t
        status, code = P.ec2_error(out)
        self.assertEqual(status, 400, code)
        self.assertLess(took, 2.0, "the request took %.2f s" % took)
        # 11.9 s before the fix (without sanitizers); 5 ms after.
        self.assertLess(worst, 0.5, "/healthz waited %.2f s behind it" % worst)
        print("8000x80000: answered %s in %.3f s, worst /healthz %.3f s" % (code, took, worst))

    def test_merge_under_the_cap_is_fast(self):
        # Just under the parameter cap, half in the URL and half in the body: still no stall.
        query = b"&".join(b"q%d=1" % i for i in range(5000))
        body = b"&".join(b"b%d=1" % i for i in range(14000))
        worst, out = self.healthz_latency_during(post(self.d.port, body, query))
        status, code = P.ec2_error(out)
        self.assertEqual(code, "MissingAuthenticationToken")
        # 1.4 s before the fix without sanitizers; 6 ms after (26 ms under ASan).
        self.assertLess(worst, 1.0, "/healthz waited %.2f s behind it" % worst)
        print("5000x14000: worst /healthz %.3f s" % worst)

    def test_too_many_parameters_refused(self):
        body = b"&".join(b"b%d=1" % i for i in range(30000))
        out, _ = P.raw(self.d.port, post(self.d.port, body))
        status, code = P.ec2_error(out)
        self.assertEqual((status, code), (400, "InvalidRequest"))
        self.assertIn(b"parameters", out)

    def test_name_in_url_and_body_still_refused(self):
        out, _ = P.raw(self.d.port, post(self.d.port, b"Action=DescribeRegions&Z=1",
                                         b"Version=2016-11-15&Z=2"))
        self.assertEqual(P.ec2_error(out), (400, "InvalidParameterCombination"))

    def test_raw_nul_in_body_refused(self):
        body = b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=Region\x00One"
        out, _ = P.raw(self.d.port, post(self.d.port, body))
        self.assertEqual(P.ec2_error(out), (400, "MalformedQueryString"))
        # Signed, the truncated value must not reach the action either.
        out, _ = P.raw(self.d.port, signed(self.d, body), timeout=60)
        self.assertEqual(P.ec2_error(out), (400, "MalformedQueryString"))

    def test_bad_version_refused_unsigned(self):
        for v in (b"%22%3E%3Cx%2F%3E", b"2016-11-15%22", b"x" * 200, b"2016-13-45",
                  b"%FF%FE", b"2016-11-15/../"):
            with self.subTest(version=v):
                out, _ = P.raw(self.d.port, post(self.d.port,
                                                 b"Action=DescribeRegions&Version=" + v))
                self.assertEqual(P.ec2_error(out), (400, "NoSuchVersion"))

    def test_bad_version_refused_signed_and_never_echoed(self):
        out, _ = P.raw(self.d.port, signed(
            self.d, b"Action=DescribeRegions&Version=2016-11-15%22%20x%3D%22y"), timeout=60)
        self.assertEqual(P.ec2_error(out), (400, "NoSuchVersion"))
        self.assertNotIn(b'x="y', out)

    def test_old_versions_still_served(self):
        for v in ("2016-11-15", "2014-10-01", "2012-10-01", "2010-08-31"):
            with self.subTest(version=v):
                out, end = P.raw(self.d.port, signed(
                    self.d, b"Action=DescribeRegions&Version=" + v.encode()), timeout=60)
                status, _, body = P.parse_response(out)
                self.assertEqual(status, 200, out[:400])
                root = ET.fromstring(body)
                self.assertEqual(root.tag,
                                 "{http://ec2.amazonaws.com/doc/%s/}DescribeRegionsResponse" % v)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(P.harness.summary(r))
