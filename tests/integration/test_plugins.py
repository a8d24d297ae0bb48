#!/usr/bin/env python3
"""Plugin loading, routing, wrapping and reload through the real daemon, with boto3 against the
real Keystone: the SDK's example plugins (hello, site-compute) as conf.d instances, the one-line
`wrap:`, `ec2gwd --list-plugins` / `--list-actions`, and SIGHUP loading a .so replaced on disk
(issue 16)."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
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


def wait_for(fn, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.2)
    return fn()


def build_site_variant(out, default):
    """Another build of the SDK's site-compute example: max_security_groups defaults to @default."""
    src = os.path.join(harness.ROOT, "sdk/examples/site_compute/site_compute.c")
    with open(src) as f:
        text = f.read()
    marker = '.def = "5",'
    assert marker in text, "site_compute.c changed: update build_site_variant"
    csrc = out + ".c"
    with open(csrc, "w") as f:
        f.write(text.replace(marker, '.def = "%d",' % default))
    cflags = subprocess.run(["pkg-config", "--cflags", "jansson"], capture_output=True,
                            text=True, check=True).stdout.split()
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-fvisibility=hidden",
                    "-I", os.path.join(harness.ROOT, "sdk/include")] + cflags +
                   ["-o", out, csrc], check=True)
    os.unlink(csrc)


class OneLineWrapTest(unittest.TestCase):
    """`wrap: { hello: <file> }` enables site-compute over hello with its default settings; a
    rebuilt file installed at the same path is loaded by SIGHUP."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ec2gw-wrap-")
        cls.so = os.path.join(cls.tmp, "site.so")
        shutil.copy(os.path.join(harness.BUILD, "plugins/site-compute.so"), cls.so)
        cls.d = harness.Daemon(plugins=[("50-hello.yaml", HELLO),
                                        ("90-site.yaml", "wrap: { hello: %s }\n" % cls.so)]).start()
        cls.ec2 = harness.boto3_client(cls.d)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        log = open(cls.d.log_path).read()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if rc != 0:
            raise AssertionError("ec2gwd exited with %d:\n%s" % (rc, log[-4000:]))

    def test_1_one_line_wraps_with_defaults(self):
        attrs = attributes(self.ec2)
        self.assertEqual(attrs["max-instances"], ["20"])  # hello answered ...
        self.assertEqual(attrs["vpc-max-security-groups-per-interface"], ["5"])  # ... site edited

    def test_2_sighup_loads_replaced_file(self):
        new = os.path.join(self.tmp, "site.so.new")
        build_site_variant(new, 13)
        os.rename(new, self.so)  # a new inode at the same path, as install(1) does
        self.d.proc.send_signal(signal.SIGHUP)
        ok = wait_for(lambda: attributes(self.ec2)["vpc-max-security-groups-per-interface"]
                      == ["13"])
        log = open(self.d.log_path).read()
        self.assertTrue(ok, "the rebuilt plugin did not take over:\n" + log[-3000:])
        self.assertIn("configuration generation 2 loaded", log)
        # unchanged file, another SIGHUP: the same module, still the new code
        self.d.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "configuration generation 3 loaded" in
                                 open(self.d.log_path).read()))
        self.assertEqual(attributes(self.ec2)["vpc-max-security-groups-per-interface"], ["13"])


class StockWrapTest(unittest.TestCase):
    """One line puts the SDK's site-boot in front of the stock compute instance: RunInstances
    keeps nova's ClientToken and DryRun flags (issue 16 #3), so a DryRun still gets nova's
    own checks instead of the daemon's blanket DryRunOperation."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon(extra_conf="wrap: { compute: site-boot }\n").start()
        cls.ec2 = harness.boto3_client(cls.d)

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def test_dry_run_reaches_nova_through_the_wrapper(self):
        code = harness.error_code(self.ec2.run_instances, ImageId="ami-0badc0de", MinCount=1,
                                  MaxCount=1, DryRun=True)
        self.assertTrue(code.startswith("InvalidAMIID"), code)
        image = [i["ImageId"] for i in self.ec2.describe_images()["Images"]
                 if i["ImageId"].startswith("ami-")][0]
        code = harness.error_code(self.ec2.run_instances, ImageId=image, MinCount=1,
                                  MaxCount=1, DryRun=True)
        self.assertEqual(code, "DryRunOperation")


class ConfigCheckTest(unittest.TestCase):
    def check(self, plugins, option="--check-config"):
        d = harness.Daemon(plugins=plugins)
        try:
            env = dict(os.environ, EC2GW_SERVICE_PASSWORD="x")
            p = subprocess.run([os.path.join(harness.BUILD, "daemon/ec2gwd"), "-c", d.conf,
                                option, "--plugin-dir",
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


    def test_one_line_wrap_errors(self):
        rc, out = self.check([("50-hello.yaml", HELLO),
                              ("90-site.yaml", "wrap: { hello: /nonexistent/site.so }\n")])
        self.assertEqual(rc, 1)
        self.assertIn("90-site.yaml:1", out)
        self.assertIn("/nonexistent/site.so: plugin file not found", out)
        rc, out = self.check([("50-hello.yaml", HELLO),
                              ("90-site.yaml", "wrap: { compute: site-compute }\n")])
        self.assertEqual(rc, 1)
        self.assertIn("no instance named 'compute' is configured (instances: hello", out)

    def test_list_plugins(self):
        rc, out = self.check([("50-hello.yaml", HELLO), ("90-site.yaml", SITE % 10),
                              ("95-site2.yaml", "wrap: { site: site-compute }\n")],
                             "--list-plugins")
        self.assertEqual(rc, 0, out)
        blocks = {b.split("\n")[0]: b for b in out.strip().split("\n\n")}
        self.assertEqual(sorted(blocks), ["hello", "site", "site-compute"])
        self.assertIn("wraps     -", blocks["hello"])
        self.assertIn("wraps     site > hello", blocks["site-compute"])
        self.assertIn("(wrap: line)", blocks["site-compute"])
        self.assertIn("plugin    site-compute 1.0.0, ABI 1.", blocks["site"])
        self.assertIn(os.path.join(harness.BUILD, "plugins/site-compute.so"), blocks["site"])
        self.assertIn("setting   max_security_groups (integer, default 5)", blocks["site"])
        self.assertIn("actions   DescribeAccountAttributes", blocks["hello"])

    def test_list_actions(self):
        rc, out = self.check([("50-hello.yaml", HELLO), ("90-site.yaml", SITE % 10),
                              ("95-site2.yaml", "wrap: { site: site-compute }\n")],
                             "--list-actions")
        self.assertEqual(rc, 0, out)
        rows = [line.split() for line in out.strip().split("\n")]
        self.assertEqual(rows[0], ["ACTION", "INSTANCE", "THROUGH", "FLAGS"])
        self.assertEqual(rows[1][:2], ["DescribeAccountAttributes", "hello"])
        self.assertEqual(" ".join(rows[1][2:7]), "site-compute > site > hello")

    def test_list_actions_stock_conf(self):
        """The shipped conf.d: RunInstances on nova with ClientToken, every action once."""
        rc, out = self.check([], "--list-actions")
        self.assertEqual(rc, 0, out)
        rows = {line.split()[0]: line.split() for line in out.strip().split("\n")[1:]}
        self.assertEqual(rows["RunInstances"][1], "compute")
        self.assertIn("client-token", rows["RunInstances"][3])
        self.assertIn("readonly", rows["DescribeInstances"][3])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
