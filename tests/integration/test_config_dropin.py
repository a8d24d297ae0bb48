#!/usr/bin/env python3
"""conf.d drop-ins (issue 17): a site file overrides single keys of the packaged files.

The conf.d holds the stock files of the tree's conf.d/ byte for byte (as a package installs
them) and a 50-site.yaml that names only what the site changes: listen.port, paths.database,
log.access_log and log.level.

- --check-config --print-config: valid, and shows each value with the file:line it came from
  (the port from 50-site.yaml, the address from 00-daemon.yaml);
- the daemon listens on the drop-in's port (the stock file says 8788), answers awscli's
  DescribeRegions and writes its access log to the drop-in's file;
- SIGHUP after the drop-in changed: ec2.extra_regions (added by the drop-in) shows in
  DescribeRegions and the access log moves to the new file; a listen.port change is reported
  as taking effect on restart only and the daemon keeps its port; a drop-in that cannot merge
  keeps the running configuration, and the log names the file:line;
- a bad drop-in (a scalar where 00-daemon.yaml has a mapping; an out-of-range value; an
  unknown key; a duplicate key; a plugin setting of the wrong type or refused by the plugin)
  stops start-up with the drop-in's file:line, and leaves no database file and no listener.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

STOCK = os.path.join(harness.ROOT, "conf.d")
EC2GWD = os.path.join(harness.BUILD, "daemon/ec2gwd")
PLUGINS = os.path.join(harness.BUILD, "plugins")


def wait_until(fn, timeout=20.0):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.1)


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def listening(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0



def stock_line(prefix):
    """The 1-based line of the stock 00-daemon.yaml's first line starting with PREFIX (its
    comments may grow: the test must not pin line numbers)."""
    with open(os.path.join(STOCK, "00-daemon.yaml")) as f:
        for n, line in enumerate(f, 1):
            if line.startswith(prefix):
                return n
    raise AssertionError("no line starting with %r in the stock 00-daemon.yaml" % prefix)

class SiteDaemon(harness.Daemon):
    """harness.Daemon with the stock conf.d unchanged plus a 50-site.yaml."""

    def __init__(self):
        super().__init__()
        for name in os.listdir(self.conf):
            os.unlink(os.path.join(self.conf, name))
        for name in sorted(os.listdir(STOCK)):
            if name.endswith(".yaml"):
                shutil.copy(os.path.join(STOCK, name), self.conf)
        self.site = os.path.join(self.conf, "50-site.yaml")
        self.db = os.path.join(self.dir, "site.sqlite")
        self.access = os.path.join(self.dir, "access.log")

    def write_site(self, text):
        # Written to a temporary name and renamed: a SIGHUP never reads half a file.
        tmp = os.path.join(self.dir, "site.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.site)

    def site_text(self, access, port=None, extra=""):
        return ("# This site's changes; 00-daemon.yaml stays as packaged.\n"
                "listen:\n"
                "  port: %d\n"
                "paths:\n"
                "  database: %s\n"
                "log:\n"
                "  level: debug\n"
                "  access_log: %s\n" % (port or self.port, self.db, access)) + extra

    def run(self, *args):
        env = dict(os.environ, EC2GW_SERVICE_PASSWORD=self.env["EC2GW_SERVICE_PASSWORD"])
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        return subprocess.run([EC2GWD, "-c", self.conf, "--plugin-dir", PLUGINS] + list(args),
                              capture_output=True, text=True, env=env, timeout=60)


def regions(d):
    r = harness.aws_cli(d, "ec2", "describe-regions", "--output", "text",
                        "--query", "Regions[].[RegionName,Endpoint]")
    if r.returncode != 0:
        raise AssertionError("aws ec2 describe-regions: %s %s" % (r.stdout, r.stderr))
    return sorted(tuple(line.split("\t")) for line in r.stdout.split("\n") if line.strip())


class DropIn(unittest.TestCase):
    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = SiteDaemon()
        cls.d.write_site(cls.d.site_text(cls.d.access))

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def test_1_print_config(self):
        # The stock files are the tree's own, byte for byte.
        for name in os.listdir(STOCK):
            if name.endswith(".yaml"):
                self.assertEqual(read(os.path.join(STOCK, name)),
                                 read(os.path.join(self.d.conf, name)))
        self.assertIn("  port: 8788", read(os.path.join(self.d.conf, "00-daemon.yaml")))
        r = self.d.run("--check-config", "--print-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        site = os.path.join(self.d.conf, "50-site.yaml")
        stock = os.path.join(self.d.conf, "00-daemon.yaml")
        lines = [x.split() for x in out.splitlines()]
        self.assertIn(["port:", str(self.d.port), "#", site + ":3"], lines)
        self.assertIn(["address:", "127.0.0.1", "#", "%s:%d" % (stock, stock_line("  address:"))], lines)
        self.assertIn(["database:", self.d.db, "#", site + ":5"], lines)
        self.assertIn(["level:", "debug", "#", site + ":7"], lines)
        self.assertIn(["format:", "text", "#", "%s:%d" % (stock, stock_line("  format:"))], lines)
        self.assertIn(["plugin:", "nova-v2.1", "#", os.path.join(self.d.conf, "10-compute.yaml")
                       + ":2"], lines)
        self.assertRegex(out, r"# valid: 5 plugin instances, \d+ actions routed")
        # Nothing was created by checking.
        self.assertFalse(os.path.exists(self.d.db))

    def test_2_serves_on_dropin_port(self):
        self.d.start()
        self.assertTrue(listening(self.d.port))
        self.assertEqual(regions(self.d), [("RegionOne", self.d.url)])
        self.assertTrue(os.path.exists(self.d.db), "paths.database of the drop-in")
        self.assertTrue(wait_until(lambda: "DescribeRegions" in read(self.d.access)),
                        "no access log line in the drop-in's file")

    def test_3_sighup_applies_dropin(self):
        access2 = os.path.join(self.d.dir, "access2.log")
        extra = "ec2:\n  extra_regions: [\"RegionTwo=http://ec2.two.example:8788\"]\n"
        self.d.write_site(self.d.site_text(access2, extra=extra))
        self.d.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(
            lambda: "configuration generation 2 loaded" in read(self.d.log_path)),
            read(self.d.log_path)[-2000:])
        self.assertEqual(regions(self.d), [("RegionOne", self.d.url),
                                           ("RegionTwo", "http://ec2.two.example:8788")])
        self.assertTrue(wait_until(lambda: "DescribeRegions" in read(access2)),
                        "the reloaded access_log file gets no line")
        before = read(self.d.access).count("DescribeRegions")
        regions(self.d)
        self.assertTrue(wait_until(lambda: read(access2).count("DescribeRegions") >= 2))
        self.assertEqual(read(self.d.access).count("DescribeRegions"), before)

    def test_4_sighup_port_needs_restart(self):
        other = harness.free_port()
        access2 = os.path.join(self.d.dir, "access2.log")
        self.d.write_site(self.d.site_text(access2, port=other))
        self.d.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(
            lambda: "configuration generation 3 loaded" in read(self.d.log_path)))
        self.assertIn("take effect on restart only", read(self.d.log_path))
        self.assertTrue(listening(self.d.port))
        self.assertFalse(listening(other))
        # The reload applied what it can (RegionTwo went with the drop-in's ec2 section), and
        # DescribeRegions still advertises the port the listener is on, not the new one.
        self.assertEqual(regions(self.d), [("RegionOne", self.d.url)])

    def test_5_sighup_bad_dropin_keeps_running(self):
        self.d.write_site("listen: %d\n" % self.d.port)
        self.d.proc.send_signal(signal.SIGHUP)
        want = ("reload failed, keeping the running configuration: %s:1: 'listen' is a scalar "
                "here but a mapping in %s:%d" % (self.d.site,
                                                os.path.join(self.d.conf, "00-daemon.yaml"),
                                                stock_line("listen:")))
        self.assertTrue(wait_until(lambda: want in read(self.d.log_path)),
                        read(self.d.log_path)[-2000:])
        self.assertEqual(regions(self.d), [("RegionOne", self.d.url)])


class BadDropIn(unittest.TestCase):
    cases = [
        # (50-site.yaml, the start-up error after "ec2gwd: <conf>/50-site.yaml:")
        ("listen: 8790\n",
         "1: 'listen' is a scalar here but a mapping in {conf}/00-daemon.yaml:{listen}; a later conf.d "
         "file merges a mapping into a mapping key by key and replaces a scalar or a sequence "
         "whole, but cannot turn one kind into the other"),
        ("# site\nlisten:\n  port: 70000\n", "3: listen.port must be 1-65535"),
        ("listen:\n  prot: 8790\n",
         "2: unknown key 'prot' in listen (did you mean 'port'?); known keys: address, port, "
         "workers"),
        ("log:\n  format: xml\n", "2: log.format: 'xml' is not text or json"),
        ("log:\n  level: loud\n",
         "2: log.level: 'loud' is not error, warn, notice, info or debug"),
        # A null unsets a string; one the daemon needs is refused, not dereferenced.
        ("listen:\n  address: ~\n",
         "2: listen.address: no value; remove the key for its default, or give one"),
        ("instance: compute\nsettings:\n  max_count: many\n",
         "3: settings of compute.max_count: 'many' is not an integer"),
        ("listen:\n  port: 1\n  port: 2\n", "3: duplicate key 'port' (first at line 2)"),
        # Refused by the plugin's create() (host cfg_error), and by the instance loader.
        ("\ninstance: compute\nsettings:\n  describe_staleness: forever\n",
         "4: settings.describe_staleness: \"daemon\" or a duration up to 1h (500ms, 2s, 1m; 0: "
         "no cache)"),
        ("instance: compute\nservice: { interface: bogus }\n",
         "2: service.interface must be public, internal or admin"),
        ("instance: compute\nsettingz: {}\n",
         "2: unknown key 'settingz' in a plugin instance; known keys: plugin, file, instance, "
         "wraps, actions, service, settings"),
    ]

    def test_refused_with_file_line(self):
        d = SiteDaemon()
        # A valid first drop-in: a port and a database of the test's own, so that "nothing
        # half-made" can be checked; the bad one comes after it.
        with open(os.path.join(d.conf, "40-site.yaml"), "w") as f:
            f.write("listen: { port: %d }\npaths: { database: %s }\n" % (d.port, d.db))
        try:
            for text, want in self.cases:
                with self.subTest(site=text):
                    d.write_site(text)
                    msg = "ec2gwd: %s:%s" % (d.site, want.format(
                        conf=d.conf, listen=stock_line("listen:")))
                    r = d.run("--check-config")
                    self.assertEqual(r.returncode, 1, r.stdout)
                    self.assertEqual(r.stderr.strip(), msg)
                    # Starting for real: refused the same way, before anything is made.
                    r = d.run()
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertEqual(r.stderr.strip(), msg)
                    self.assertFalse(listening(d.port))
                    self.assertFalse(os.path.exists(d.db))
            # The same directory without the bad drop-in starts (the 40 file is fine).
            os.unlink(d.site)
            r = d.run("--check-config")
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            d.cleanup()


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
