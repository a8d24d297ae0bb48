#!/usr/bin/env python3
"""Plugin loading, routing, wrapping and reload through the real daemon, with boto3 against the
real Keystone: the SDK's example plugins (hello, site-compute) as conf.d instances."""
import os
import signal
import subprocess
import sys
import time
import unittest

import harness

HELLO = """plugin: hello
instance: hello
settings:
  platforms: [VPC]
  max_instances: 20
"""
SITE = """plugin: site-compute
instance: site
wraps: hello
settings:
  max_security_groups: %d
"""
SITE2 = """plugin: site-compute
instance: site2
wraps: site
settings:
  max_security_groups: 7
"""


def attributes(client):
    out = {}
    for a in client.describe_account_attributes()["AccountAttributes"]:
        out.setdefault(a["AttributeName"], []).extend(
            v["AttributeValue"] for v in a["AttributeValues"])
    return out


class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon(plugins=[("50-hello.yaml", HELLO), ("90-site.yaml", SITE % 10),
                                        ("95-site2.yaml", SITE2)]).start()
        cls.ec2 = harness.boto3_client(cls.d)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        log = open(cls.d.log_path).read()
        cls.d.cleanup()
        if rc != 0:
            raise AssertionError("ec2gwd exited with %d:\n%s" % (rc, log[-4000:]))

    def test_stacked_wrappers_each_edit_the_model(self):
        attrs = attributes(self.ec2)
        self.assertEqual(attrs["supported-platforms"], ["VPC"])
        self.assertEqual(attrs["max-instances"], ["20"])
        # site (10) edits what hello answered, site2 (7) edits what site answered.
        self.assertEqual(sorted(attrs["vpc-max-security-groups-per-interface"]), ["10", "7"])

    def test_reload_applies_and_bad_reload_keeps_running_config(self):
        path = os.path.join(self.d.conf, "90-site.yaml")
        with open(path, "w") as f:
            f.write(SITE % 12)
        self.d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            if "12" in attributes(self.ec2)["vpc-max-security-groups-per-interface"]:
                break
            time.sleep(0.2)
        self.assertIn("12", attributes(self.ec2)["vpc-max-security-groups-per-interface"])
        with open(path, "w") as f:
            f.write(SITE.replace("max_security_groups", "max_securty_groups") % 40)
        self.d.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        self.assertIn("12", attributes(self.ec2)["vpc-max-security-groups-per-interface"])
        log = open(self.d.log_path).read()
        self.assertIn("reload failed, keeping the running configuration", log)
        self.assertIn("90-site.yaml", log)
        with open(path, "w") as f:
            f.write(SITE % 10)
        self.d.proc.send_signal(signal.SIGHUP)
        time.sleep(1)


class ConfigCheckTest(unittest.TestCase):
    def check(self, plugins):
        d = harness.Daemon(plugins=plugins)
        try:
            env = dict(os.environ, EC2GW_SERVICE_PASSWORD="x")
            p = subprocess.run([os.path.join(harness.BUILD, "daemon/ec2gwd"), "-c", d.conf,
                                "--check-config", "--plugin-dir",
                                os.path.join(harness.BUILD, "plugins")],
                               capture_output=True, text=True, env=env)
            return p.returncode, p.stdout + p.stderr
        finally:
            d.cleanup()

    def test_valid(self):
        rc, out = self.check([("50-hello.yaml", HELLO)])
        self.assertEqual(rc, 0, out)
        self.assertIn("1 plugin instances", out)

    def test_unknown_setting_names_file_and_line(self):
        rc, out = self.check([("50-hello.yaml", HELLO + "  max_instancs: 3\n")])
        self.assertEqual(rc, 1)
        self.assertIn("50-hello.yaml:6", out)
        self.assertIn("max_instancs", out)

    def test_two_instances_serving_one_action(self):
        rc, out = self.check([("50-hello.yaml", HELLO),
                              ("60-hello2.yaml", HELLO.replace("instance: hello", "instance: h2"))])
        self.assertEqual(rc, 1)
        self.assertIn("DescribeAccountAttributes", out)

    def test_missing_plugin_file(self):
        rc, out = self.check([("50-x.yaml", "plugin: nosuch\ninstance: x\n")])
        self.assertEqual(rc, 1)
        self.assertIn("50-x.yaml:1", out)
        self.assertIn("nosuch", out)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
