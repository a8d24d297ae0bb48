#!/usr/bin/env python3
"""ec2gwd's metadata listener itself (issue 19): start-up refusals, connection hardening and
its own metrics and access log, without an instance (test_metadata.py serves one).

- enabled without a shared secret, or on the EC2 port: ec2gwd refuses to start, saying why;
- disabled (the shipped default) with the secret variable unset: it starts, nothing listens;
- unsigned or malformed requests: 400/403 in text/plain, never EC2 XML (nor libevent's own
  refusals, rewritten as EC2 XML on the EC2 listener only); methods other than GET/HEAD/PUT:
  405;
- a connection that sends no complete request is closed by limits.header_timeout;
- ec2gw_metadata_requests_total{code} counts by status only (a client's path never becomes a
  label) and each request has an access-log line;
- the EC2 listener is unaffected (Action=DescribeRegions still answers).
"""
import os
import re
import socket
import sys
import time
import unittest
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def metadata_section(port, secret_env="EC2GW_IT_MD_SECRET", enabled="true"):
    return ("metadata:\n  enabled: %s\n  address: 127.0.0.1\n  port: %d\n"
            "  shared_secret_env: %s\n  cache_ttl: 1s\n" % (enabled, port, secret_env))


def daemon_with(section, header_timeout=None):
    d = harness.Daemon()
    path = os.path.join(d.conf, "00-daemon.yaml")
    with open(path) as f:
        text = f.read()
    m = re.search(r"^metadata:\n(?:[ #].*\n|\n)*", text, re.M)
    text = text[:m.start()] + section + text[m.end():] if m else text + "\n" + section
    if header_timeout:
        text = text.replace("header_timeout: 20s", "header_timeout: %s" % header_timeout)
    with open(path, "w") as f:
        f.write(text)
    return d


def start_fails(d):
    try:
        d.start()
    except RuntimeError as e:
        return str(e)
    finally:
        d.stop()
        d.cleanup()
    return None


class StartUp(unittest.TestCase):
    def test_enabled_without_secret_refused(self):
        os.environ.pop("EC2GW_IT_MD_SECRET", None)
        msg = start_fails(daemon_with(metadata_section(harness.free_port())))
        self.assertIsNotNone(msg)
        self.assertIn("EC2GW_IT_MD_SECRET is not set", msg)

    def test_on_the_ec2_port_refused(self):
        os.environ["EC2GW_IT_MD_SECRET"] = "x"
        d = daemon_with("")
        path = os.path.join(d.conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text + "\n" + metadata_section(d.port))
        msg = start_fails(d)
        self.assertIsNotNone(msg)
        self.assertIn("its own port", msg)

    def test_disabled_needs_no_secret(self):
        os.environ.pop("EC2GW_IT_MD_SECRET", None)
        port = harness.free_port()
        d = daemon_with(metadata_section(port, enabled="false")).start()
        try:
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
        finally:
            harness.stop_daemon(d)


class Listener(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["EC2GW_IT_MD_SECRET"] = "it-listener-secret"
        cls.port = harness.free_port()
        cls.d = daemon_with(metadata_section(cls.port), header_timeout="2s").start()

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def call(self, method, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.getheader("Content-Type"), r.read()
        finally:
            c.close()

    def test_refusals_are_plain_text(self):
        st, ctype, body = self.call("GET", "/latest/meta-data/instance-id")
        self.assertEqual((st, ctype), (400, "text/plain"))
        self.assertNotIn(b"<?xml", body)
        st, _, _ = self.call("GET", "/latest/meta-data/instance-id", {
            "X-Instance-ID": "b0b98359-6468-40eb-b692-2d8eda091131", "X-Tenant-ID": "t",
            "X-Instance-ID-Signature": "0" * 64})
        self.assertEqual(st, 403)
        for method in ("POST", "DELETE", "OPTIONS"):
            self.assertEqual(self.call(method, "/latest/meta-data/")[0], 405, method)
        # libevent's own refusal (a body over the listener's 8 KiB) stays plain HTTP, not EC2 XML
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("PUT", "/latest/api/token", body=b"x" * 20000)
            r = c.getresponse()
            self.assertEqual(r.status, 413)
            self.assertNotIn(b"<Response>", r.read())
        finally:
            c.close()

    def test_idle_connection_closed(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        try:
            s.sendall(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: x\r\n")  # never finished
            t0 = time.time()
            self.assertEqual(s.recv(100), b"")  # closed by the server
            self.assertLess(time.time() - t0, 8)
        finally:
            s.close()

    def test_metrics_and_access_log(self):
        weird = "/latest/meta-data/%22%7D%20evil"
        self.call("GET", weird)
        self.call("GET", "/")
        text = self.d.metrics()
        self.assertRegex(text, r'ec2gw_metadata_requests_total\{code="400"\} [1-9]')
        labels = re.findall(r"ec2gw_metadata_requests_total\{([^}]*)\}", text)
        self.assertTrue(labels)
        self.assertTrue(all(re.fullmatch(r'code="\d+"', x) for x in labels), labels)
        with open(self.d.log_path) as f:
            log = f.read()
        self.assertRegex(log, r"metadata remote=127\.0\.0\.1:\d+ req=\S+ method=GET "
                              r"path=/latest/meta-data/\S+ status=400")
        # the EC2 listener beside it still answers
        ec2 = harness.boto3_client(self.d)
        self.assertTrue(ec2.describe_regions()["Regions"])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
