#!/usr/bin/env python3
"""Issue 11, fault injection: kill -9 of ec2gwd in the middle of RunInstances.

A fault proxy (tests/security/faultproxy.py) sits in front of Nova, and one in front of
Keystone points the catalog's compute endpoint at it. RunInstances with a ClientToken is sent
(boto3, in a thread), the daemon is killed with SIGKILL while the launch is in flight, a new
daemon is started on the same database, and the client retries with the same token until it
gets an answer. Then: one reservation, exactly the requested servers in Nova (by name),
DescribeInstances shows them, the token's record is answered, /healthz says 200; terminated,
nothing is left. Two cases: killed while POST /servers is held by the proxy (Nova creates the
servers after the kill: the retry adopts them, boots nothing), and killed before any POST
/servers (the retry boots them once). A third case kills CreateVolume, an action that cannot
find what an earlier attempt made: its retry is refused (IncorrectState), nothing is made twice.
"""
import json
import os
import sqlite3
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "security"))
import harness  # noqa: E402
from faultproxy import Fault, FaultProxy  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

NOVA, KEYSTONE, CINDER = 8774, 5000, 8776
# openstack.timeout here: an orphaned claim is recovered this long (+1 s) after its owner died
OS_TIMEOUT_S = 30


def healthz(d):
    try:
        with urllib.request.urlopen(d.url + "/healthz", timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class KillRecovery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nova = FaultProxy(NOVA)
        cls.cinder = FaultProxy(CINDER)
        cls.ks = FaultProxy(KEYSTONE, rewrite=[
            (b"http://127.0.0.1:%d" % NOVA, cls.nova.url.encode()),
            (b"http://127.0.0.1:%d" % CINDER, cls.cinder.url.encode())])
        cls.d = harness.Daemon()
        path = os.path.join(cls.d.conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        text = text.replace("url: http://127.0.0.1:5000/v3", "url: %s/v3" % cls.ks.url, 1)
        text = text.replace("  timeout: 60s", "  timeout: %ds" % OS_TIMEOUT_S, 1)
        with open(path, "w") as f:
            f.write(text)
        cls.d.start()
        cls.restarts = 0
        cls.nova_view = harness.OpenStackAs(cls.d.env, "compute", timeout=90)
        ec2 = harness.boto3_client(cls.d)
        imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])
        if not imgs["Images"]:
            raise unittest.SkipTest("no cirros-fake image (tests/cloud/seed.py seeds it)")
        cls.image = imgs["Images"][0]["ImageId"]

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.nova.close()
        cls.cinder.close()
        cls.ks.close()
        print("daemon logs in", cls.d.dir)
        assert rc == 0, "ec2gwd exited with %d" % rc
        cls.d.cleanup()

    def setUp(self):
        self.nova.set_faults()
        self.cinder.set_faults()
        self.ks.set_faults()

    def client(self):
        # one attempt per call: the retries are this test's, counted and timed
        import boto3
        from botocore.config import Config
        return boto3.client("ec2", endpoint_url=self.d.url, region_name="RegionOne",
                            aws_access_key_id=self.d.env["EC2_ACCESS_KEY"],
                            aws_secret_access_key=self.d.env["EC2_SECRET_KEY"],
                            config=Config(retries={"total_max_attempts": 1},
                                          read_timeout=120))

    def servers_named(self, rid_prefix):
        """Nova's own view: the project's servers whose name starts with rid_prefix (asked
        again when the loaded cloud is slow to list)."""
        for attempt in range(3):
            try:
                out = self.nova_view.get("/servers?name=%5E" + rid_prefix)["servers"]
                break
            except (TimeoutError, urllib.error.URLError):
                if attempt == 2:
                    raise
        return sorted((s["name"], s["id"]) for s in out if s["name"].startswith(rid_prefix))

    def kill_and_restart(self):
        pid = self.d.proc.pid
        self.d.proc.kill()  # SIGKILL
        self.d.proc.wait()
        self.d.log.close()
        os.rename(self.d.log_path, "%s.killed%d" % (self.d.log_path, self.restarts))
        type(self).restarts += 1
        self.d.start()
        print("killed ec2gwd %d, restarted as %d" % (pid, self.d.proc.pid))

    def run_then_kill(self, kw, in_flight, call="run_instances"):
        """RunInstances(**kw) (or @call) in a thread; kill -9 once in_flight() says so;
        restart."""
        outcome = {}

        def first():
            try:
                outcome["answer"] = getattr(self.client(), call)(**kw)
            except Exception as e:  # the connection dies with the daemon
                outcome["error"] = e

        t = threading.Thread(target=first)
        t.start()
        deadline = time.time() + 60
        while not in_flight():
            self.assertLess(time.time(), deadline, "the launch never got in flight: %r"
                            % self.nova.log)
            time.sleep(0.05)
        self.kill_and_restart()
        t.join(30)
        self.assertFalse(t.is_alive(), "the first client hangs after the kill")
        self.assertNotIn("answer", outcome, "the killed daemon answered")
        print("first client:", type(outcome["error"]).__name__)

    def retry_until_answered(self, kw):
        """Retry with the same token: every answer an EC2 error (Unavailable while the orphaned
        claim settles) or the reservation. Returns (answer, [(seconds, code)])."""
        seen, t0 = [], time.time()
        while time.time() - t0 < OS_TIMEOUT_S + 60:
            try:
                return self.client().run_instances(**kw), seen
            except ClientError as e:
                code = e.response["Error"]["Code"]
                seen.append((round(time.time() - t0, 1), code))
                self.assertEqual(code, "Unavailable", e.response["Error"].get("Message"))
                time.sleep(1)
        self.fail("the retry never got an answer: %r" % seen)

    def count_posts(self):
        """From now on, count the POST /servers the proxy sees (a pass-through fault)."""
        counter = Fault("delay", "POST", r"/servers$", 0)
        self.nova.set_faults(counter)
        return counter

    def check_recovered(self, kw, answer):
        rid = answer["ReservationId"]
        n = kw["MaxCount"]
        ids = sorted(i["InstanceId"] for i in answer["Instances"])
        self.assertEqual(len(ids), n)
        names = self.servers_named(rid + "-")
        self.assertEqual([nm for nm, _ in names], ["%s-%d" % (rid, i) for i in range(n)],
                         "Nova holds other servers than the reservation's")
        ec2 = self.client()
        desc = ec2.describe_instances(InstanceIds=ids)["Reservations"]
        self.assertEqual([r["ReservationId"] for r in desc], [rid])
        self.assertEqual(sorted(i["InstanceId"] for i in desc[0]["Instances"]), ids)
        # the token answers the same reservation from now on
        again = ec2.run_instances(**kw)
        self.assertEqual(again["ReservationId"], rid)
        self.assertEqual(sorted(i["InstanceId"] for i in again["Instances"]), ids)
        self.assertEqual(len(self.servers_named(rid + "-")), n)
        # the database: the claim is answered and owned by the live daemon
        db = sqlite3.connect(os.path.join(self.d.dir, "db.sqlite"))
        row = db.execute("SELECT result IS NOT NULL, owner FROM ec2gw_client_tokens"
                         " WHERE token = ?", (kw["ClientToken"],)).fetchone()
        db.close()
        self.assertEqual(row[0], 1, "the token's record was left pending")
        self.assertIn(" %d " % self.d.proc.pid, row[1])
        status, body = healthz(self.d)
        self.assertEqual(status, 200, body)
        return ids

    def terminate(self, rid, ids):
        self.client().terminate_instances(InstanceIds=ids)
        deadline = time.time() + 120
        while self.servers_named(rid + "-"):
            self.assertLess(time.time(), deadline, "servers left: %r" % self.servers_named(rid))
            time.sleep(2)

    def test_killed_while_post_servers_in_flight(self):
        # The proxy holds POST /servers for 4 s, then forwards it: Nova creates the servers
        # after the daemon that asked for them died.
        token = "kill-" + uuid.uuid4().hex[:16]
        kw = dict(ImageId=self.image, MinCount=2, MaxCount=2, InstanceType="m1.tiny",
                  ClientToken=token)
        hold = Fault("delay", "POST", r"/servers$", 4)
        self.nova.set_faults(hold)
        self.assertEqual(healthz(self.d)[0], 200)
        self.run_then_kill(kw, lambda: hold.hits >= 2)
        self.assertEqual(healthz(self.d)[0], 200, "/healthz after the restart")
        posts = self.count_posts()
        answer, seen = self.retry_until_answered(kw)
        print("retries before the answer:", seen)
        self.assertTrue(seen, "a retry right after the kill was answered before the settle time")
        ids = self.check_recovered(kw, answer)
        self.assertEqual(hold.hits, 2)
        self.assertEqual(posts.hits, 0, "the retry booted again what the first attempt made")
        self.terminate(answer["ReservationId"], ids)

    def test_killed_before_post_servers(self):
        # Killed while the flavors are being read: Nova never saw a create; the retry boots the
        # servers, once.
        token = "kill-" + uuid.uuid4().hex[:16]
        kw = dict(ImageId=self.image, MinCount=2, MaxCount=2, InstanceType="m1.tiny",
                  ClientToken=token)
        hold = Fault("delay", "GET", r"/flavors/detail", 3)
        self.nova.set_faults(hold)
        self.run_then_kill(kw, lambda: hold.hits >= 1)
        time.sleep(4)  # the held GET reaches Nova and answers nobody
        self.assertFalse([p for m, p, _ in self.nova.log if m == "POST"])
        posts = self.count_posts()
        answer, seen = self.retry_until_answered(kw)
        print("retries before the answer:", seen)
        ids = self.check_recovered(kw, answer)
        self.assertEqual(posts.hits, 2, "the retry did not boot each server exactly once")
        self.terminate(answer["ReservationId"], ids)

    def test_create_volume_is_not_rerun(self):
        # CreateVolume cannot tell a volume of its first attempt: after the kill its token is
        # refused with an EC2 error, at once and every time, and the one volume Cinder made
        # (the held POST lands after the kill) stays the only one.
        ec2 = self.client()

        def volumes():
            return {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}

        before = volumes()
        token = "killvol-" + uuid.uuid4().hex[:16]
        kw = dict(Size=1, AvailabilityZone="nova", ClientToken=token)
        hold = Fault("delay", "POST", r"/volumes$", 3)
        self.cinder.set_faults(hold)
        try:
            self.run_then_kill(kw, lambda: hold.hits >= 1, call="create_volume")
            time.sleep(4)  # the held POST reaches Cinder
            self.cinder.set_faults()
            for _ in range(2):
                with self.assertRaises(ClientError) as cm:
                    self.client().create_volume(**kw)
                err = cm.exception.response["Error"]
                print("retry ->", err["Code"], err["Message"])
                self.assertEqual(err["Code"], "IncorrectState")
            self.assertEqual(healthz(self.d)[0], 200)
            made = volumes() - before
            self.assertLessEqual(len(made), 1, "a volume was made twice: %r" % made)
            # a new token works
            fresh = self.client().create_volume(Size=1, AvailabilityZone="nova",
                                                ClientToken=token + "-2")["VolumeId"]
            self.assertEqual(volumes() - before, made | {fresh})
        finally:
            for v in volumes() - before:
                deadline = time.time() + 120
                while True:
                    try:
                        ec2.delete_volume(VolumeId=v)
                        break
                    except ClientError:  # still creating
                        self.assertLess(time.time(), deadline, "volume %s stays" % v)
                        time.sleep(2)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if r.wasSuccessful() else 1)
