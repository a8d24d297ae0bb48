#!/usr/bin/env python3
"""The Puppet module (issue 20) applied for real on this machine, as root: `puppet apply` of a
manifest that installs the ec2gw .deb (contrib/deb/build.sh), configures it against the test
cloud's Keystone on 127.0.0.1:18813 with the daemon run by start-stop-daemon (service provider
base: no systemd here), and registers the ec2 catalog entry through ec2gw::keystone::auth.
Then `aws ec2 describe-regions` answers through the result, the files are what the module
promises (password 0640 root:ec2gw, conf.d from the parameters), a second `puppet apply`
changes nothing, and a changed parameter restarts the daemon with it. The daemon is stopped,
the package purged, the files removed and the catalog restored at the end, also on failure.

The .deb: $EC2GW_DEB, else $EC2GW_BUILD_DIR/deb/ec2gw_*.deb, else built there by
contrib/deb/build.sh (about 20 minutes on this machine)."""
import fcntl
import glob
import grp
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import catalog_common
import harness

PORT = 18813
URL = "http://127.0.0.1:%d" % PORT
MODULE = os.path.join(harness.ROOT, "contrib/puppet/ec2gw")
STDLIB = "/usr/share/puppet/modules/stdlib"
PID_FILE = "/run/ec2gwd.pid"
LOCK = "/run/lock/ec2gw-package-test.lock"  # tests that install the ec2gw package take it

WORK = None
DEB = None
ADMIN = None
BEFORE = None
ENV = None
LOCK_FD = None
INSTALLED = False  # the package was installed by this test's puppet apply (purge it then only)
TIMES = {}


def find_deb():
    if os.environ.get("EC2GW_DEB"):
        return os.environ["EC2GW_DEB"]
    out = os.path.join(harness.BUILD, "deb")
    debs = sorted(glob.glob(os.path.join(out, "ec2gw_*.deb")))
    if not debs:
        t0 = time.monotonic()
        p = subprocess.run(["bash", os.path.join(harness.ROOT, "contrib/deb/build.sh"), out],
                           capture_output=True, text=True, timeout=3000)
        if p.returncode != 0:
            raise AssertionError("contrib/deb/build.sh failed: " + p.stderr[-3000:])
        TIMES["deb build"] = time.monotonic() - t0
        debs = sorted(glob.glob(os.path.join(out, "ec2gw_*.deb")))
    if not debs:
        raise AssertionError("no ec2gw_*.deb in %s" % out)
    return os.path.abspath(debs[-1])


def manifest(workers=1):
    env = ["OS_%s=%s" % (k, ADMIN["OS_" + k]) for k in
           ("AUTH_URL", "USERNAME", "PASSWORD", "PROJECT_NAME", "USER_DOMAIN_NAME",
            "PROJECT_DOMAIN_NAME")]
    return """
class { 'ec2gw':
  package_source   => '%(deb)s',
  package_install_options => ['-o', 'DPkg::Lock::Timeout=600'],
  listen_port      => %(port)d,
  workers          => %(workers)d,
  keystone_url     => '%(ks)s',
  password         => Sensitive('%(pw)s'),
  service_provider => 'base',
  access_log       => '/var/log/ec2gw/access.log',
  plugin_settings  => { 'compute' => { 'max_count' => 25 } },
}
class { 'ec2gw::keystone::auth':
  password    => Sensitive('%(pw)s'),
  public_url  => '%(url)s',
  environment => %(env)s,
  require     => Class['ec2gw'],
}
""" % {"deb": DEB, "port": PORT, "workers": workers, "ks": ENV["EC2GW_KEYSTONE_URL"],
       "pw": ENV["EC2GW_SERVICE_PASSWORD"], "url": URL, "env": json.dumps(env)}


def puppet_apply(text):
    """puppet apply with its own conf/var dirs; (exit status, output, seconds)."""
    path = os.path.join(WORK, "site.pp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds passwords
    with os.fdopen(fd, "w") as f:
        f.write(text)
    args = ["puppet", "apply", "--detailed-exitcodes", "--color=false",
            "--modulepath", os.path.join(WORK, "modules")]
    for d in ("confdir", "vardir", "codedir", "logdir", "rundir"):
        args += ["--" + d, os.path.join(WORK, "puppet", d)]
    t0 = time.monotonic()
    p = subprocess.run(args + [path], capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


def wait_healthz(timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            return json.loads(urllib.request.urlopen(URL + "/healthz", timeout=2).read())
        except (OSError, ValueError):
            time.sleep(0.3)
    log = ""
    if os.path.exists("/var/log/ec2gw/ec2gwd.log"):
        with open("/var/log/ec2gw/ec2gwd.log") as f:
            log = f.read()[-3000:]
    raise AssertionError("ec2gwd on %s did not answer /healthz: %s" % (URL, log))


def daemon_pid():
    with open(PID_FILE) as f:
        return int(f.read().strip())


def setUpModule():
    global WORK, DEB, ADMIN, BEFORE, ENV, LOCK_FD
    if os.geteuid() != 0:
        raise AssertionError("puppet apply installs a package: run as root")
    for tool in ("puppet", "apt-get", "dpkg", "start-stop-daemon", "aws"):
        if shutil.which(tool) is None:
            raise AssertionError("%s not found (tools/deps.sh installs it)" % tool)
    if not os.path.exists(os.path.join(STDLIB, "metadata.json")):
        raise AssertionError("puppetlabs-stdlib missing at %s" % STDLIB)
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    LOCK_FD = open(LOCK, "w")
    fcntl.flock(LOCK_FD, fcntl.LOCK_EX)  # another package test finishes first
    if subprocess.run(["dpkg-query", "-W", "-f=${Status}", "ec2gw"], capture_output=True,
                      text=True).stdout.startswith("install ok"):
        raise AssertionError("package ec2gw is already installed: this test installs and "
                             "purges it, so it refuses to run over someone else's install")
    ENV = harness.cloud_env()
    ADMIN = catalog_common.admin_env()
    BEFORE = catalog_common.snapshot(ADMIN)
    WORK = tempfile.mkdtemp(prefix="ec2gw-puppet-it-")
    os.makedirs(os.path.join(WORK, "modules"))
    os.symlink(MODULE, os.path.join(WORK, "modules", "ec2gw"))
    os.symlink(STDLIB, os.path.join(WORK, "modules", "stdlib"))
    DEB = find_deb()


def tearDownModule():
    try:
        if os.path.exists(PID_FILE):
            subprocess.run(["start-stop-daemon", "--stop", "--quiet", "--retry", "TERM/30/KILL/5",
                            "--pidfile", PID_FILE, "--remove-pidfile"], timeout=60)
        if INSTALLED:
            p = subprocess.run(["apt-get", "purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=600",
                                "ec2gw"], capture_output=True,
                               text=True, timeout=600)
            assert p.returncode == 0, "purge failed: " + p.stdout + p.stderr
            # what Puppet wrote beside the package's files
            for path in ("/etc/ec2gw/service_password", "/etc/ec2gw/conf.d/00-daemon.yaml"):
                if os.path.exists(path):
                    os.unlink(path)
            shutil.rmtree("/etc/ec2gw/conf.d", ignore_errors=True)
            if os.path.isdir("/etc/ec2gw") and not os.listdir("/etc/ec2gw"):
                os.rmdir("/etc/ec2gw")
        if BEFORE is not None:
            print("\nrestore: " + (catalog_common.restore(ADMIN, BEFORE).strip() or "nothing"))
            assert catalog_common.snapshot(ADMIN) == BEFORE, "catalog not restored"
    finally:
        if WORK:
            shutil.rmtree(WORK, ignore_errors=True)
        if LOCK_FD:
            LOCK_FD.close()
        if TIMES:
            print("times: " + ", ".join("%s %.1f s" % kv for kv in TIMES.items()))


class PuppetApply(unittest.TestCase):
    # unittest runs the methods in name order: the steps build on each other.

    def test_01_apply_installs_and_serves(self):
        global INSTALLED
        rc, out, secs = puppet_apply(manifest())
        TIMES["first apply"] = secs
        INSTALLED = "Package[ec2gw]/ensure: created" in out
        self.assertEqual(rc, 2, "puppet apply: expected changes and no failure (2):\n" + out)
        self.assertIn("Package[ec2gw]/ensure: created", out)
        self.assertIn("Service[ec2gwd]/ensure: ensure changed 'stopped' to 'running'", out)
        self.assertIn("Exec[ec2gw catalog public,internal,admin %s]/returns: executed successfully"
                      % URL, out)
        t0 = time.monotonic()
        health = wait_healthz()
        TIMES["first /healthz after apply"] = time.monotonic() - t0
        self.assertIn("status", json.dumps(health))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OS_"))}
        env.update({"AWS_ACCESS_KEY_ID": ENV["EC2_ACCESS_KEY"],
                    "AWS_SECRET_ACCESS_KEY": ENV["EC2_SECRET_KEY"],
                    "AWS_DEFAULT_REGION": "RegionOne",
                    # awscli's own retries of a retryable 503 (the daemon's Keystone login can
                    # take more than its 10 s on the loaded test machine)
                    "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "4"})
        p = subprocess.run(["aws", "--endpoint-url", URL, "ec2", "describe-regions", "--output",
                            "json"], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("RegionOne", [r["RegionName"] for r in json.loads(p.stdout)["Regions"]])

    def test_02_files_and_process(self):
        st = os.stat("/etc/ec2gw/service_password")
        self.assertEqual(oct(st.st_mode & 0o777), "0o640")
        self.assertEqual((pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name),
                         ("root", "ec2gw"))
        with open("/etc/ec2gw/service_password") as f:
            self.assertEqual(f.read(), ENV["EC2GW_SERVICE_PASSWORD"] + "\n")
        for name in os.listdir("/etc/ec2gw/conf.d"):
            with open(os.path.join("/etc/ec2gw/conf.d", name)) as f:
                self.assertNotIn(ENV["EC2GW_SERVICE_PASSWORD"], f.read(), name)
        with open("/etc/ec2gw/conf.d/00-daemon.yaml") as f:
            daemon = f.read()
        self.assertIn("port: %d" % PORT, daemon)
        self.assertIn('service_password_file: "/etc/ec2gw/service_password"', daemon)
        with open("/etc/ec2gw/conf.d/10-compute.yaml") as f:
            self.assertIn("max_count: 25", f.read())
        pid = daemon_pid()
        with open("/proc/%d/status" % pid) as f:
            uid = [line.split()[1] for line in f if line.startswith("Uid:")][0]
        self.assertEqual(pwd.getpwuid(int(uid)).pw_name, "ec2gw")
        self.assertEqual(os.readlink("/proc/%d/exe" % pid), "/usr/sbin/ec2gwd")
        # the package's binaries, configured by Puppet
        p = subprocess.run(["/usr/sbin/ec2gwd", "-c", "/etc/ec2gw/conf.d", "--check-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(catalog_common.url_for(ENV)["url"], URL)
        with open("/var/log/ec2gw/access.log") as f:
            self.assertIn("DescribeRegions", f.read())

    def test_03_second_apply_changes_nothing(self):
        pid = daemon_pid()
        rc, out, secs = puppet_apply(manifest())
        TIMES["second apply"] = secs
        self.assertEqual(rc, 0, "second puppet apply: expected no changes (0):\n" + out)
        self.assertNotIn("/ensure:", out)
        self.assertNotIn("executed successfully", out)
        self.assertEqual(daemon_pid(), pid, "the daemon was restarted by a no-op run")

    def test_04_changed_parameter_restarts(self):
        pid = daemon_pid()
        rc, out, secs = puppet_apply(manifest(workers=2))
        self.assertEqual(rc, 2, out)
        self.assertIn("00-daemon.yaml]/content: content changed", out)
        self.assertIn("Service[ec2gwd]: Triggered 'refresh'", out)
        wait_healthz()
        self.assertNotEqual(daemon_pid(), pid)
        metrics = urllib.request.urlopen(URL + "/metrics", timeout=5).read().decode()
        self.assertIn("ec2gw_workers 2", metrics)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    raise SystemExit(harness.summary(result))
