#!/usr/bin/env python3
"""Credential lifecycle and Keystone failure against the real Keystone: a deleted EC2
credential stops working within keystone.credential_ttl; an unreachable Keystone answers
ServiceUnavailable (503) quickly, never a hang; oversized requests get EC2 errors."""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import harness


def openstack(env, *args):
    """Debian's openstackclient as the demo user."""
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": os.environ.get("HOME", "/root")}
    e.update({k: v for k, v in env.items() if k.startswith("OS_")})
    p = subprocess.run(["/usr/bin/openstack"] + list(args), capture_output=True, text=True,
                       env=e, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return p.stdout


def client(daemon, ak, sk):
    return boto3.client("ec2", endpoint_url=daemon.url, region_name="RegionOne",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=Config(retries={"max_attempts": 1}))


class CredentialLifecycleTest(unittest.TestCase):
    def test_deleted_credential_stops_working_within_ttl(self):
        d = harness.Daemon(credential_ttl="2s").start()
        try:
            cred = json.loads(openstack(d.env, "ec2", "credentials", "create", "-f", "json"))
            c = client(d, cred["access"], cred["secret"])
            self.assertEqual(c.describe_regions()["Regions"][0]["RegionName"], "RegionOne")
            openstack(d.env, "ec2", "credentials", "delete", cred["access"])
            time.sleep(3)
            with self.assertRaises(ClientError) as cm:
                c.describe_regions()
            self.assertEqual(cm.exception.response["Error"]["Code"], "AuthFailure")
        finally:
            self.assertEqual(d.stop(), 0, open(d.log_path).read()[-3000:])
            d.cleanup()


class ColdStartTest(unittest.TestCase):
    def test_concurrent_cold_requests_share_one_keystone_lookup(self):
        import concurrent.futures
        d = harness.Daemon().start()
        try:
            clients = [harness.boto3_client(d) for _ in range(30)]
            with concurrent.futures.ThreadPoolExecutor(30) as pool:
                results = list(pool.map(lambda c: c.describe_regions()["Regions"][0]["RegionName"],
                                        clients))
            self.assertEqual(results, ["RegionOne"] * 30)
            # service token + credential + ec2tokens, whatever the number of connections
            self.assertLessEqual(d.backend_calls("identity"), 4)
        finally:
            self.assertEqual(d.stop(), 0, open(d.log_path).read()[-3000:])
            d.cleanup()


class _Forwarder:
    """A TCP relay from 127.0.0.1:port to 127.0.0.1:target (Keystone coming back there)."""

    def __init__(self, port, target):
        import socket
        import threading
        self.target, self.open = target, True
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while self.open:
            try:
                a, _ = self.srv.accept()
            except OSError:
                return
            b = socket.create_connection(("127.0.0.1", self.target))
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(x, y):
        try:
            while True:
                data = x.recv(65536)
                if not data:
                    break
                y.sendall(data)
        except OSError:
            pass
        for s in (x, y):
            try:
                s.shutdown(2)
            except OSError:
                pass

    def close(self):
        self.open = False
        self.srv.close()


class KeystoneDownTest(unittest.TestCase):
    def test_unreachable_keystone_is_503_not_a_hang(self):
        port = harness.free_port()  # nothing listens there
        d = harness.Daemon(extra_conf="")
        path = os.path.join(d.conf, "00-daemon.yaml")
        text = open(path).read().replace("http://127.0.0.1:5000/v3", "http://127.0.0.1:%d/v3" % port)
        open(path, "w").write(text)
        d.start()
        try:
            c = harness.boto3_client(d)
            t0 = time.time()
            with self.assertRaises(ClientError) as cm:
                c.describe_regions()
            self.assertLess(time.time() - t0, 15)
            self.assertEqual(cm.exception.response["Error"]["Code"], "ServiceUnavailable")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 503)
            health = urllib.request.urlopen  # /healthz reports the failing Keystone
            try:
                health(d.url + "/healthz", timeout=5)
                self.fail("healthz said ok with Keystone down")
            except urllib.error.HTTPError as e:
                self.assertEqual(e.code, 503)
                self.assertEqual(json.loads(e.read())["keystone"], "failing")
            # Keystone comes back and no EC2 request arrives (a load balancer took the node
            # out on /healthz): /healthz itself must find Keystone back, or the node stays out
            fwd = _Forwarder(port, 5000)
            try:
                deadline, last = time.time() + 15, None
                while time.time() < deadline:
                    try:
                        last = json.loads(health(d.url + "/healthz", timeout=5).read())
                        break
                    except urllib.error.HTTPError as e:
                        last = json.loads(e.read())
                        time.sleep(0.25)
                self.assertEqual(last["keystone"], "ok", last)
                self.assertEqual(last["status"], "ok", last)
            finally:
                fwd.close()
        finally:
            self.assertEqual(d.stop(), 0, open(d.log_path).read()[-3000:])
            d.cleanup()


class LimitsTest(unittest.TestCase):
    def test_oversized_body_gets_an_ec2_error(self):
        d = harness.Daemon().start()
        try:
            body = b"Action=DescribeRegions&Version=2016-11-15&Pad=" + b"x" * (1048576 + 10)
            req = urllib.request.Request(d.url + "/", data=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            try:
                urllib.request.urlopen(req, timeout=30)
                self.fail("an oversized body was accepted")
            except urllib.error.HTTPError as e:
                text = e.read().decode()
                self.assertEqual(e.code, 400)
                self.assertIn("<Code>RequestEntityTooLarge</Code>", text)
                self.assertTrue(e.headers["x-amzn-RequestId"])
        finally:
            self.assertEqual(d.stop(), 0, open(d.log_path).read()[-3000:])
            d.cleanup()


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
