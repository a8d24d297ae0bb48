#!/usr/bin/env python3
"""The Puppet module (issue 20) applied for real on this machine, as root: `puppet apply` of a
manifest that installs the ec2gw .deb (contrib/deb/build.sh), configures it against the test
cloud's Keystone on 127.0.0.1:18813 with the daemon run by start-stop-daemon (service provider
base: no systemd here), and registers the ec2 catalog entry through ec2gw::keystone::auth.

ec2gw::config leaves the package's conffiles as shipped and writes drop-ins only
(50-puppet.yaml with the site's daemon keys, 90-puppet-<instance>.yaml for plugin_settings),
checked merged with conf.d by `ec2gwd --check-config` before they are written. So:
`aws ec2 describe-regions` answers through the result; `dpkg --verify ec2gw` finds no changed
conffile and each is byte-identical to the .deb's; the drop-in holds the site's keys only and
`--print-config` shows them coming from it; a second apply changes nothing; a reloadable change
reloads (SIGHUP, same pid, next config generation); a refused value fails the run and leaves
conf.d and the daemon as they were; `workers => 2` restarts; a plugin_settings entry taken out
is pruned, a site file of its own is not; the README's recipe restores a conffile an older
version of the module had rewritten; and purging the package after Puppet's own files leaves
nothing of ec2gw in /etc, /var/lib or /usr/local/sbin. The daemon is stopped, the package
purged, the files removed and the catalog restored at the end, also on failure.

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

import yaml

import catalog_common
import harness

PORT = 18813
URL = "http://127.0.0.1:%d" % PORT
MODULE = os.path.join(harness.ROOT, "contrib/puppet/ec2gw")
STDLIB = "/usr/share/puppet/modules/stdlib"
PID_FILE = "/run/ec2gwd.pid"
CONF = "/etc/ec2gw/conf.d"
DROPIN = CONF + "/50-puppet.yaml"
COMPUTE_DROPIN = CONF + "/90-puppet-compute.yaml"
SITE_FILE = CONF + "/80-site-local.yaml"  # the site's own drop-in: Puppet never touches it
STAGING = "/var/lib/ec2gw-puppet"
HELPER = "/usr/local/sbin/ec2gw-puppet-conf"
MARKER = "# Written by Puppet (ec2gw module"
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


def manifest(workers=1, max_count=25, plugin_settings=True):
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
  plugin_settings  => %(plugin_settings)s,
}
class { 'ec2gw::keystone::auth':
  password    => Sensitive('%(pw)s'),
  public_url  => '%(url)s',
  environment => %(env)s,
  require     => Class['ec2gw'],
}
""" % {"deb": DEB, "port": PORT, "workers": workers, "ks": ENV["EC2GW_KEYSTONE_URL"],
       "pw": ENV["EC2GW_SERVICE_PASSWORD"], "url": URL, "env": json.dumps(env),
       "plugin_settings": ("{ 'compute' => { 'max_count' => %s } }" % json.dumps(max_count)
                           if plugin_settings else "{}")}


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


def metric(name):
    text = urllib.request.urlopen(URL + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no %s in /metrics" % name)


def print_config():
    """The installed daemon's merged conf.d: {"section.key": (value text, origin file:line)}."""
    p = subprocess.run(["/usr/sbin/ec2gwd", "-c", CONF, "--check-config", "--print-config"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("ec2gwd --check-config failed: " + p.stdout + p.stderr)
    seen, section, doc = {}, None, None
    for line in p.stdout.splitlines():
        if line.startswith("# plugin instance "):
            doc = line.split()[3]
        if not line or line.startswith(("#", "---")) or "#" not in line:
            continue
        text, origin = line.rsplit("#", 1)
        key, _, value = text.partition(":")
        value = value.strip()
        if not key.startswith(" "):
            section = key.strip()
            name = section
        else:
            name = "%s.%s" % (section, key.strip())
        seen[(doc + ":" if doc else "") + name] = (value, origin.strip())
    return seen


def line_of(path, prefix):
    """path:N of the first line of path that starts with prefix (an origin --print-config gives)."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.startswith(prefix):
                return "%s:%d" % (path, n)
    raise AssertionError("no line %r in %s" % (prefix, path))


def dpkg_verify():
    """`dpkg --verify ec2gw`: one line per changed file of the package (conffiles included)."""
    p = subprocess.run(["dpkg", "--verify", "ec2gw"], capture_output=True, text=True, timeout=60)
    return (p.stdout + p.stderr).strip()


def deb_conffiles():
    """The conf.d files of the .deb, {name: bytes}."""
    out = os.path.join(WORK, "deb-tree")
    if not os.path.isdir(out):
        subprocess.run(["dpkg-deb", "-x", DEB, out], check=True, timeout=120)
    d = os.path.join(out, "etc/ec2gw/conf.d")
    files = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            files[name] = f.read()
    return files


def remove_puppets_files():
    """What the module writes beside the package: its drop-ins, password, staging, helper."""
    if os.path.isdir(CONF):
        for name in os.listdir(CONF):
            path = os.path.join(CONF, name)
            with open(path) as f:
                first = f.readline()
            if first.startswith(MARKER) or path == SITE_FILE:
                os.unlink(path)
    for path in ("/etc/ec2gw/service_password", HELPER):
        if os.path.exists(path):
            os.unlink(path)
    shutil.rmtree(STAGING, ignore_errors=True)


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
    errors = []
    try:
        try:
            if os.path.exists(PID_FILE):
                subprocess.run(["start-stop-daemon", "--stop", "--quiet", "--retry",
                                "TERM/30/KILL/5", "--pidfile", PID_FILE, "--remove-pidfile"],
                               timeout=60)
            if INSTALLED:
                remove_puppets_files()
                status = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "ec2gw"],
                                        capture_output=True, text=True).stdout.strip()
                if status not in ("", "not-installed"):  # test_11 purged it already
                    p = subprocess.run(["apt-get", "purge", "-y", "-q", "-o",
                                        "DPkg::Lock::Timeout=600", "ec2gw"], capture_output=True,
                                       text=True, timeout=600)
                    if p.returncode != 0:
                        errors.append("purge failed: " + p.stdout + p.stderr)
                shutil.rmtree("/etc/ec2gw/conf.d", ignore_errors=True)
                if os.path.isdir("/etc/ec2gw") and not os.listdir("/etc/ec2gw"):
                    os.rmdir("/etc/ec2gw")
        finally:
            # also when the package step failed: a stale ec2 entry misleads the next run
            if BEFORE is not None:
                print("\nrestore: " + (catalog_common.restore(ADMIN, BEFORE).strip() or "nothing"))
                if catalog_common.snapshot(ADMIN) != BEFORE:
                    errors.append("catalog not restored")
    finally:
        if WORK:
            shutil.rmtree(WORK, ignore_errors=True)
        if LOCK_FD:
            LOCK_FD.close()
        if TIMES:
            print("times: " + ", ".join("%s %.1f s" % kv for kv in TIMES.items()))
    assert not errors, "; ".join(errors)


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
        for d in (CONF, STAGING):
            for name in os.listdir(d):
                with open(os.path.join(d, name)) as f:
                    self.assertNotIn(ENV["EC2GW_SERVICE_PASSWORD"], f.read(), name)
        pid = daemon_pid()
        with open("/proc/%d/status" % pid) as f:
            uid = [line.split()[1] for line in f if line.startswith("Uid:")][0]
        self.assertEqual(pwd.getpwuid(int(uid)).pw_name, "ec2gw")
        self.assertEqual(os.readlink("/proc/%d/exe" % pid), "/usr/sbin/ec2gwd")
        self.assertEqual(catalog_common.url_for(ENV)["url"], URL)
        with open("/var/log/ec2gw/access.log") as f:
            self.assertIn("DescribeRegions", f.read())

    def test_03_package_files_as_shipped(self):
        self.assertEqual(dpkg_verify(), "", "dpkg --verify ec2gw: a changed package file")
        shipped = deb_conffiles()
        self.assertIn("00-daemon.yaml", shipped)
        for name, data in shipped.items():
            with open(os.path.join(CONF, name), "rb") as f:
                self.assertEqual(f.read(), data, "%s is not the .deb's" % name)
        mine = sorted(set(os.listdir(CONF)) - set(shipped))
        self.assertEqual(mine, ["50-puppet.yaml", "90-puppet-compute.yaml"])

    def test_04_dropin_holds_the_sites_keys_only(self):
        with open(DROPIN) as f:
            text = f.read()
        self.assertTrue(text.startswith(MARKER), text)
        self.assertEqual(yaml.safe_load(text), {
            "listen": {"port": PORT, "workers": 1},
            "log": {"access_log": "/var/log/ec2gw/access.log"},
            "keystone": {"url": ENV["EC2GW_KEYSTONE_URL"],
                         "service_password_file": "/etc/ec2gw/service_password",
                         "service_password_env": None},
        })
        with open(COMPUTE_DROPIN) as f:
            self.assertEqual(yaml.safe_load(f.read()),
                             {"instance": "compute", "settings": {"max_count": 25}})
        conf = print_config()
        self.assertEqual(conf["listen.port"], (str(PORT), line_of(DROPIN, "  port:")))
        self.assertEqual(conf["keystone.url"][1], line_of(DROPIN, "  url:"))
        self.assertEqual(conf["keystone.service_password_file"][1],
                         line_of(DROPIN, "  service_password_file:"))
        # the package's values where the site set nothing
        self.assertEqual(conf["listen.address"], ("127.0.0.1", CONF + "/00-daemon.yaml:9"))
        self.assertEqual(conf["compute:settings.max_count"], ("25", line_of(COMPUTE_DROPIN, "  max_count:")))
        self.assertEqual(conf["compute:settings.default_instance_type"][1],
                         CONF + "/10-compute.yaml:6")

    def test_05_second_apply_changes_nothing(self):
        pid = daemon_pid()
        rc, out, secs = puppet_apply(manifest())
        TIMES["second apply"] = secs
        self.assertEqual(rc, 0, "second puppet apply: expected no changes (0):\n" + out)
        self.assertNotIn("/ensure:", out)
        self.assertNotIn("executed successfully", out)
        self.assertEqual(daemon_pid(), pid, "the daemon was restarted by a no-op run")

    def test_06_reloadable_change_reloads(self):
        pid = daemon_pid()
        gen = metric("ec2gw_config_generation")
        rc, out, secs = puppet_apply(manifest(max_count=30))
        TIMES["reload apply"] = secs
        self.assertEqual(rc, 2, out)
        self.assertIn("90-puppet-compute.yaml]/content: content changed", out)
        self.assertIn("Exec[ec2gw reload]: Triggered 'refresh'", out)
        self.assertNotIn("Service[ec2gwd]: Triggered 'refresh'", out)
        deadline = time.time() + 30
        while metric("ec2gw_config_generation") <= gen and time.time() < deadline:
            time.sleep(0.3)
        self.assertGreater(metric("ec2gw_config_generation"), gen, "no reload after SIGHUP")
        self.assertEqual(daemon_pid(), pid, "a reloadable change restarted the daemon")
        self.assertEqual(print_config()["compute:settings.max_count"][0], "30")

    def test_07_refused_value_changes_nothing(self):
        pid = daemon_pid()
        gen = metric("ec2gw_config_generation")
        with open(COMPUTE_DROPIN, "rb") as f:
            before = f.read()
        rc, out, _ = puppet_apply(manifest(max_count="lots"))
        self.assertIn(rc, (4, 6), "a refused value must fail the run:\n" + out)
        self.assertIn("settings of compute.max_count: 'lots' is not an integer", out)
        self.assertIn(COMPUTE_DROPIN, out)  # named as in conf.d, not as the private copy
        self.assertIn("Skipping because of failed dependencies", out)
        with open(COMPUTE_DROPIN, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertNotIn("Triggered 'refresh'", out)  # no reload, no restart
        self.assertIn("Exec[ec2gw reload]: Skipping because of failed dependencies", out)
        self.assertEqual((daemon_pid(), metric("ec2gw_config_generation")), (pid, gen))
        # still refused on the next run: the staged file no longer differs from the last run's
        rc, out, _ = puppet_apply(manifest(max_count="lots"))
        self.assertIn(rc, (4, 6), out)
        # back to the good value: conf.d already holds it, only the staged copy changes
        rc, out, _ = puppet_apply(manifest(max_count=30))
        self.assertEqual(rc, 2, out)
        self.assertNotIn("Triggered 'refresh'", out)
        self.assertEqual((daemon_pid(), metric("ec2gw_config_generation")), (pid, gen))

    def test_08_changed_listener_restarts(self):
        pid = daemon_pid()
        rc, out, secs = puppet_apply(manifest(workers=2, max_count=30))
        self.assertEqual(rc, 2, out)
        self.assertIn("50-puppet.yaml]/content: content changed", out)
        self.assertIn("Service[ec2gwd]: Triggered 'refresh'", out)
        wait_healthz()
        self.assertNotEqual(daemon_pid(), pid)
        self.assertEqual(metric("ec2gw_workers"), 2)

    def test_09_prune_only_puppets_files(self):
        with open(SITE_FILE, "w") as f:
            f.write("# the site's own drop-in, no Puppet marker\nlimits: { max_connections: 2048 }\n")
        gen = metric("ec2gw_config_generation")
        rc, out, _ = puppet_apply(manifest(workers=2, plugin_settings=False))
        self.assertEqual(rc, 2, out)
        self.assertIn("Exec[ec2gw prune conf.d]/returns: executed successfully", out)
        self.assertFalse(os.path.exists(COMPUTE_DROPIN))
        self.assertFalse(os.path.exists(os.path.join(STAGING, "90-puppet-compute.yaml")))
        self.assertTrue(os.path.exists(SITE_FILE))
        self.assertEqual(dpkg_verify(), "")
        deadline = time.time() + 30
        while metric("ec2gw_config_generation") <= gen and time.time() < deadline:
            time.sleep(0.3)
        self.assertGreater(metric("ec2gw_config_generation"), gen)
        conf = print_config()
        self.assertEqual(conf["compute:settings.max_count"], ("20", CONF + "/10-compute.yaml:11"))
        self.assertEqual(conf["limits.max_connections"], ("2048", SITE_FILE + ":2"))
        rc, out, _ = puppet_apply(manifest(workers=2, plugin_settings=False))
        self.assertEqual(rc, 0, out)

    def test_10_migration_recipe_restores_a_rewritten_conffile(self):
        # what an older version of the module left: 00-daemon.yaml owned by Puppet
        path = CONF + "/00-daemon.yaml"
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write("# Managed by Puppet (class ec2gw): local changes are overwritten.\n" + text)
        self.assertIn("/etc/ec2gw/conf.d/00-daemon.yaml", dpkg_verify())
        # the README's recipe
        p = subprocess.run(["apt-get", "install", "--reinstall", "-y", "-q",
                            "-o", "DPkg::Lock::Timeout=600",
                            "-o", "Dpkg::Options::=--force-confask",
                            "-o", "Dpkg::Options::=--force-confnew", DEB],
                           capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(dpkg_verify(), "")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), deb_conffiles()["00-daemon.yaml"])
        self.assertTrue(os.path.exists(DROPIN), "the recipe removed Puppet's drop-in")
        rc, out, _ = puppet_apply(manifest(workers=2, plugin_settings=False))
        self.assertEqual(rc, 0, out)

    def test_11_purge_leaves_nothing(self):
        subprocess.run(["start-stop-daemon", "--stop", "--quiet", "--retry", "TERM/30/KILL/5",
                        "--pidfile", PID_FILE, "--remove-pidfile"], timeout=60, check=True)
        remove_puppets_files()
        p = subprocess.run(["apt-get", "purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=600",
                            "ec2gw"], capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        left = [path for path in ("/etc/ec2gw", "/var/lib/ec2gw", "/var/log/ec2gw", STAGING,
                                  HELPER) if os.path.exists(path)]
        self.assertEqual(left, [], "left after purge: %s (%s)" % (left, p.stdout[-1500:]))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    raise SystemExit(harness.summary(result))
