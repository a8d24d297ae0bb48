"""Issue 11, findings 2 and 3: what a stranger's Action does to /metrics and the access log.

Only actions of the EC2 model become Prometheus labels (everything else is action="unknown"),
the exposition stays parseable whatever the client sent, the series do not grow with distinct
junk actions, and every access-log field is escaped so no line can be forged.
"""
import os
import re
import sys
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intake_probe as P  # noqa: E402

# Prometheus text format: comment lines, or name{label="value",...} number.
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*'
                    r'(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? '
                    r'[-+0-9.eE]+|[+-]Inf|NaN$')


def get(port, query):
    return P.raw(port, b"GET /?" + query + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


class Ops(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = P.start_daemon()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        assert rc == 0, "ec2gwd exited with %d" % rc

    def check_exposition(self):
        raw = urllib.request.urlopen(self.d.url + "/metrics", timeout=5).read()
        text = raw.decode("utf-8")  # invalid UTF-8 anywhere fails here
        for line in text.splitlines():
            if line.startswith("#"):
                self.assertRegex(line, r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* ")
            else:
                self.assertRegex(line, SAMPLE)
        return text

    def test_action_cannot_inject_metrics(self):
        out, _ = get(self.d.port, b"Action=X%22%7D%201%0Afake_metric%2042%0A%23&Version=2016-11-15")
        P.ec2_error(out)
        text = self.check_exposition()
        self.assertNotIn("fake_metric", text)
        self.assertIn('action="unknown"', text)

    def test_invalid_utf8_action_keeps_metrics_parseable(self):
        out, _ = get(self.d.port, b"Action=%FF%FEbad&Version=2016-11-15")
        P.ec2_error(out)
        self.check_exposition()

    def test_distinct_actions_do_not_add_series(self):
        get(self.d.port, b"Action=Warmup&Version=2016-11-15")
        before = len(self.check_exposition())
        for i in range(200):
            get(self.d.port, b"Action=Junk%d&Version=2016-11-15" % i)
        after = self.check_exposition()
        self.assertNotIn("Junk", after)
        self.assertLess(len(after), before + 200, "each junk action added series")

    def test_model_actions_are_labels(self):
        get(self.d.port, b"Action=DescribeRegions&Version=2016-11-15")
        self.assertIn('action="DescribeRegions"', self.check_exposition())

    def test_access_log_cannot_be_forged(self):
        forged = "Evil status=200 code=OK\n2026-01-01T00:00:00.000Z access remote=1.2.3.4 forged"
        q = urllib.parse.urlencode({"Action": forged, "Version": "2016-11-15"}).encode()
        get(self.d.port, q)
        get(self.d.port, b"Action=%22quoted%22%0D%09%FF%1B%5B31m&Version=2016-11-15")
        with open(self.d.log_path, "rb") as f:
            log = f.read()
        ts = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
        for line in log.split(b"\n"):
            if line:
                self.assertRegex(line, ts, "a log line does not start with a timestamp")
                self.assertNotIn(b"\r", line)
                self.assertNotIn(b"\x1b", line)
                line.decode("utf-8")  # no raw invalid UTF-8
        access = [l for l in log.split(b"\n") if b" access " in l and b"Evil" in l]
        self.assertEqual(len(access), 1)
        self.assertNotIn(b" status=200 ", access[0])
        self.assertEqual(access[0].count(b" access "), 1)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(P.harness.summary(r))
