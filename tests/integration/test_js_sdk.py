#!/usr/bin/env python3
"""Integration test of the daemon with the AWS SDK for JavaScript v3 (@aws-sdk/client-ec2).

Runs js/ec2_workflow.mjs with node against a daemon (with the plugins of conf.d/) on the
all-in-one cloud. The JS SDK's XML deserializer is the strictest of the usual clients (list
children only under their model names, strict timestamps). Needs node >= 18 (Debian 12's nodejs)
and `npm ci` in tests/integration/js (tests/run.sh does it); without them the test fails.
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
D = None


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    if D is not None:
        D.stop()
        D.cleanup()


class JsSdk(unittest.TestCase):
    def test_ec2_workflow(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is not installed: the JS SDK test needs Node.js >= 18 "
                             "(Debian 12: apt-get install nodejs npm)")
        sdk = os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-ec2")
        self.assertTrue(os.path.isdir(sdk), "the AWS SDK for JavaScript is not installed in %s: "
                        "run (cd tests/integration/js && npm ci --no-audit --no-fund)" % JS_DIR)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update({
            "EC2GW_URL": D.url,
            "AWS_ACCESS_KEY_ID": D.env["EC2_ACCESS_KEY"],
            "AWS_SECRET_ACCESS_KEY": D.env["EC2_SECRET_KEY"],
            "AWS_ACCESS_KEY_ID_2": D.env["EC2_ACCESS_KEY_2"],
            "AWS_SECRET_ACCESS_KEY_2": D.env["EC2_SECRET_KEY_2"],
        })
        try:
            p = subprocess.run([node, "ec2_workflow.mjs"], cwd=JS_DIR, env=env,
                               capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired as e:
            self.fail("ec2_workflow.mjs did not finish within 900 s; output so far:\n%s"
                      % (e.stdout or ""))
        print(p.stdout, end="")
        if p.stderr:
            print(p.stderr, end="", file=sys.stderr)
        self.assertEqual(p.returncode, 0, "ec2_workflow.mjs failed (exit %d); its failing checks "
                         "are the lines with \"ok\":false above" % p.returncode)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
