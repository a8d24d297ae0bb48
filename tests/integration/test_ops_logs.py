#!/usr/bin/env python3
"""ec2gwd's logs (issue 17): log.format json and log.access_log to a file that SIGUSR1 reopens.

- log.format: json: every line ec2gwd writes on stderr is one JSON object (ts, level, msg, and
  request_id/action/project where known); the access log file's lines are JSON objects too
  (peer, request_id, action, status, ms, code, key), a hostile Action (quotes, newline,
  spaces, bytes that are not UTF-8) stays inside its string and adds no field, and only the
  first 8 characters of the access key appear;
- text access log with listen.workers: 2 under a steady stream of requests: the file is
  renamed, SIGUSR1 goes to the supervisor, new lines go to the new file and the two files
  hold one line per request answered: none lost, none twice;
- contrib/logrotate/ec2gw, run by the real logrotate (-f) with the path and postrotate
  pointed at this daemon, rotates the file and the daemon writes to the new one.
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ops_common import OpsDaemon  # noqa: E402


def raw_get(daemon, query):
    """One unsigned EC2 request (answered at once with an error document, no Keystone)."""
    c = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        c.request("GET", "/?" + query)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def lines(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8").splitlines()


class JsonFormat(unittest.TestCase):
    def test_json_lines(self):
        d = OpsDaemon(edits=[("access_log: true", "access_log: /ACCESS"),
                             ("format: text", "format: json")])
        path = os.path.join(d.dir, "access.log")
        conf = os.path.join(d.conf, "00-daemon.yaml")
        with open(conf) as f:
            text = f.read().replace("/ACCESS", path)
        with open(conf, "w") as f:
            f.write(text)
        try:
            d.start()
            ec2 = harness.boto3_client(d)
            self.assertTrue(ec2.describe_regions()["Regions"])
            self.assertIn(raw_get(d, "Action=Describe%22%7D%0A%20evil%3D1%FF&Version="
                                     "2016-11-15"), (400, 401, 403))
            time.sleep(0.3)
        finally:
            rc = d.stop()
        try:
            self.assertEqual(rc, 0)
            stderr = lines(d.log_path)
            self.assertTrue(stderr)
            for line in stderr:
                if line.startswith("=") or "Sanitizer" in line:
                    self.fail("sanitizer output: " + line)
                obj = json.loads(line)
                self.assertTrue({"ts", "level", "msg"} <= set(obj), obj)
                self.assertRegex(obj["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertTrue(any("listening on" in json.loads(x)["msg"] for x in stderr))
            access = [json.loads(x) for x in lines(path)]
            self.assertEqual(len(access), 2, access)
            ok, bad = access
            key = d.env["EC2_ACCESS_KEY"]
            self.assertEqual(ok["action"], "DescribeRegions")
            self.assertEqual(ok["status"], 200)
            self.assertEqual(ok["code"], "OK")
            self.assertEqual(ok["key"], key[:8])
            self.assertNotIn(key, json.dumps(access))
            self.assertRegex(ok["peer"], r"^127\.0\.0\.1:\d+$")
            self.assertRegex(ok["request_id"], r"^[0-9a-f-]{36}$")
            self.assertIsInstance(ok["ms"], float)
            self.assertIn(bad["status"], (400, 401, 403))
            self.assertNotIn("evil", bad)  # the hostile Action added no field
            self.assertIn("evil", bad["action"])
            self.assertNotIn("\n", bad["action"])
            for obj in access:
                self.assertTrue({"ts", "peer", "request_id", "action", "status", "ms",
                                 "key"} <= set(obj), obj)
        finally:
            d.cleanup()


class AccessLogRotation(unittest.TestCase):
    def rotate_under_load(self, d, path, rotate):
        """Requests from two threads while rotate() runs: (answered, old lines, new lines)."""
        answered = [0]
        stop = threading.Event()
        lock = threading.Lock()

        def client():
            while not stop.is_set():
                if 400 <= raw_get(d, "Action=DescribeRegions&Version=2016-11-15") < 500:
                    with lock:
                        answered[0] += 1

        threads = [threading.Thread(target=client) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.5)
            rotate()
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join()
        time.sleep(0.3)
        return answered[0], lines(path + ".1"), lines(path)

    def test_sigusr1_with_workers(self):
        d = OpsDaemon(edits=[("workers: 1", "workers: 2"), ("access_log: true",
                                                          "access_log: /ACCESS")])
        path = os.path.join(d.dir, "access.log")
        conf = os.path.join(d.conf, "00-daemon.yaml")
        with open(conf) as f:
            text = f.read().replace("/ACCESS", path)
        with open(conf, "w") as f:
            f.write(text)
        try:
            d.start()

            def rotate():
                os.rename(path, path + ".1")
                d.proc.send_signal(signal.SIGUSR1)

            n, old, new = self.rotate_under_load(d, path, rotate)
            self.assertGreater(n, 20)
            self.assertTrue(old and new, (len(old), len(new)))
            self.assertEqual(len(old) + len(new), n, "lines lost or doubled")
            ids = [re.search(r" req=(\S+)", x).group(1) for x in old + new]
            self.assertEqual(len(set(ids)), n)
            for x in old + new:
                self.assertRegex(x, r"^\S+Z access remote=127\.0\.0\.1:\d+ req=\S+ "
                                    r"action=DescribeRegions status=4\d\d code=\S+ ms=[\d.]+ "
                                    r"project=- key=-$")
            self.assertEqual(d.proc.poll(), None)
        finally:
            harness.stop_daemon(d)

    def test_shipped_logrotate_config(self):
        tool = shutil.which("logrotate")
        if tool is None:
            self.skipTest("logrotate is not installed")
        d = OpsDaemon(edits=[("access_log: true", "access_log: /ACCESS")])
        path = os.path.join(d.dir, "access.log")
        conf = os.path.join(d.conf, "00-daemon.yaml")
        with open(conf) as f:
            text = f.read().replace("/ACCESS", path)
        with open(conf, "w") as f:
            f.write(text)
        try:
            d.start()
            with open(os.path.join(harness.ROOT, "contrib/logrotate/ec2gw")) as f:
                rot = f.read()
            # This machine has no ec2gw user nor systemd: the file's owner is ours, the
            # postrotate command signals this daemon the way systemctl kill would.
            rot = rot.replace("/var/log/ec2gw/access.log", path)
            rot = rot.replace("create 0640 ec2gw ec2gw", "create 0640")
            rot = re.sub(r"systemctl kill .*", "kill -USR1 %d" % d.proc.pid, rot)
            rconf = os.path.join(d.dir, "logrotate.conf")
            with open(rconf, "w") as f:
                f.write(rot)
            os.chmod(rconf, 0o644)
            state = os.path.join(d.dir, "logrotate.state")
            n, old, new = self.rotate_under_load(d, path, lambda: subprocess.run(
                [tool, "-f", "-s", state, rconf], check=True, capture_output=True))
            self.assertTrue(old and new, (len(old), len(new)))
            self.assertEqual(len(old) + len(new), n)
        finally:
            harness.stop_daemon(d)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
