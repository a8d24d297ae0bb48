#!/usr/bin/env python3
"""The Debian and RPM packages (issue 17), built, checked, installed and run for real.

As root (the CI machine): builds ec2gw and ec2gw-sdk-dev with contrib/deb/build.sh and
ec2gw and ec2gw-sdk-devel with contrib/rpm/build.sh; lintian on the .changes (no E: or W:
beyond the commented overrides in debian/); the file lists of both formats (the split, the
multiarch or lib64 plugin directory the daemon has compiled in, conffiles, the unit and the
logrotate file); then `apt-get install ./ec2gw_*.deb`: the system user, its directories and
modes, the password file (root only), `systemd-analyze verify` of the installed unit; an
operator's site configuration (conf.d edited in place, the service password in
/etc/ec2gw/ec2gw.env as the unit's EnvironmentFile= reads it); the INSTALLED /usr/sbin/ec2gwd
started as user ec2gw with its default configuration directory (no systemd here: a process of
the test's own, with a pid file) and the smoke through it with awscli; ec2gw-sdk-dev installed
and the hello and site_boot examples built out of tree against it (site_boot's fake-host test
run over the installed nova-v2.1.so); finally `apt-get purge` and nothing left but the system
user (Debian does not remove system users). On any failure the daemon is killed and both
packages purged. Prints: package sizes, installed sizes, lintian's output, install-to-first-
answer seconds.

Uses ctest's RESOURCE_LOCK ec2gw_deb_install (the Puppet acceptance test installs the same
package).
"""
import glob
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = harness.ROOT
VERSION = "0.1.0"
PLUGINS = sorted(os.path.basename(os.path.dirname(p))
                 for p in glob.glob(os.path.join(ROOT, "plugins/*/*/CMakeLists.txt")))
CONF_FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "conf.d/*.yaml")))
TOOLS = ["dpkg-buildpackage", "dpkg-deb", "dpkg-architecture", "lintian", "rpmbuild", "rpm",
         "rpm2archive", "tar", "apt-get", "setpriv", "aws", "cmake", "pkg-config", "cc",
         "systemd-analyze", "git"]
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def run(cmd, timeout=600, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (rc=%d):\n%s\n%s" % (" ".join(cmd), r.returncode,
                                                            r.stdout[-4000:], r.stderr[-4000:]))
    return r


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg], check=False)
    return r.returncode == 0 and "installed" in r.stdout.split()


def apt(*args):
    return run(["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300"] + list(args), timeout=900,
               env=APT_ENV)


class S:
    """State shared by the ordered steps (unittest runs test_NN_* in name order)."""
    out = None
    debs = {}
    rpms = {}
    figures = []
    t_install = None
    proc = None
    pidfile = None
    deb_paths = {}
    we_installed = False


def figure(text):
    S.figures.append(text)
    print("FIGURE " + text, flush=True)


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("test_package installs packages: run it as root")
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise RuntimeError("tools missing (tools/deps.sh installs them): " +
                               ", ".join(missing))
        for pkg in ("ec2gw", "ec2gw-sdk-dev"):
            if installed(pkg):
                raise RuntimeError("%s is already installed on this machine: this test installs "
                                   "and purges it; remove it first" % pkg)
        S.out = tempfile.mkdtemp(prefix="ec2gw-pkgtest.", dir="/var/tmp")
        os.chmod(S.out, 0o755)  # apt's _apt user reads the local .debs
        S.triplet = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
        S.arch = run(["dpkg-architecture", "-qDEB_HOST_ARCH"]).stdout.strip()
        S.plugin_dir = "/usr/lib/%s/ec2gw/plugins" % S.triplet

    @classmethod
    def tearDownClass(cls):
        stop_daemon(check=False)
        if S.we_installed or installed("ec2gw") or installed("ec2gw-sdk-dev"):
            subprocess.run(["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300", "purge",
                            "ec2gw", "ec2gw-sdk-dev"], capture_output=True, env=APT_ENV)
        if S.out:
            shutil.rmtree(S.out, ignore_errors=True)
        print("\n".join("FIGURE " + f for f in S.figures), flush=True)

    # -- build ---------------------------------------------------------------------------------
    def test_01_build_deb(self):
        t = time.monotonic()
        run(["bash", os.path.join(ROOT, "contrib/deb/build.sh"), os.path.join(S.out, "deb")],
            timeout=2400)
        figure("deb build: %.0f s" % (time.monotonic() - t))
        for pkg in ("ec2gw", "ec2gw-sdk-dev"):
            path = os.path.join(S.out, "deb", "%s_%s_%s.deb" % (pkg, VERSION, S.arch))
            self.assertTrue(os.path.isfile(path), path)
            os.chmod(path, 0o644)
            S.debs[pkg] = path
            figure("%s: %d kB" % (os.path.basename(path), os.path.getsize(path) // 1024))
        os.chmod(os.path.join(S.out, "deb"), 0o755)
        # it_test_puppet installs the .deb of $EC2GW_BUILD_DIR/deb when there is one: hand it
        # this build's, so CI builds the package once (~8 min here), not twice
        shared = os.path.join(harness.BUILD, "deb")
        os.makedirs(shared, exist_ok=True)
        for old in glob.glob(os.path.join(shared, "*.deb")):
            os.unlink(old)
        for path in S.debs.values():
            shutil.copy2(path, shared)

    def test_02_build_rpm(self):
        t = time.monotonic()
        run(["bash", os.path.join(ROOT, "contrib/rpm/build.sh"), os.path.join(S.out, "rpm")],
            timeout=2400)
        figure("rpm build: %.0f s" % (time.monotonic() - t))
        for pkg in ("ec2gw", "ec2gw-sdk-devel"):
            found = glob.glob(os.path.join(S.out, "rpm", "%s-%s-1*.rpm" % (pkg, VERSION)))
            self.assertEqual(len(found), 1, found)
            S.rpms[pkg] = found[0]
            figure("%s: %d kB" % (os.path.basename(found[0]), os.path.getsize(found[0]) // 1024))

    # -- checks of the built packages ----------------------------------------------------------
    def test_03_lintian(self):
        changes = glob.glob(os.path.join(S.out, "deb", "*.changes"))
        self.assertEqual(len(changes), 1, changes)
        r = run(["lintian", "--fail-on", "none", "--display-info", "--show-overrides", changes[0]],
                timeout=900)
        out = r.stdout.strip()
        print("lintian output:\n" + (out or "(none)"), flush=True)
        bad = [line for line in out.splitlines() if re.match(r"^[EW]: ", line)]
        self.assertEqual(bad, [], "lintian errors/warnings not overridden:\n" + out)
        overridden = [line for line in out.splitlines() if line.startswith("O: ")]
        figure("lintian: %d E/W, %d overridden, %d I/P/X" % (
            len(bad), len(overridden),
            len([x for x in out.splitlines() if re.match(r"^[IPX]: ", x)])))
        # Every override has its reason: a comment line right above it.
        for path in glob.glob(os.path.join(ROOT, "debian", "*lintian-overrides")) + \
                glob.glob(os.path.join(ROOT, "debian/source/lintian-overrides")):
            lines = slurp(path).splitlines()
            for i, line in enumerate(lines):
                if line.strip() and not line.startswith("#"):
                    self.assertTrue(i > 0 and lines[i - 1].startswith("#"),
                                    "%s:%d: an override without a comment saying why" %
                                    (path, i + 1))

    def deb_files(self, pkg):
        listing = run(["dpkg-deb", "-c", S.debs[pkg]]).stdout.splitlines()
        return {line.split(None, 5)[5].split(" -> ")[0].lstrip(".").rstrip("/") or "/":
                line.split()[0] + " " + line.split()[1] for line in listing}

    def test_04_deb_contents(self):
        files = self.deb_files("ec2gw")
        must = ["/usr/sbin/ec2gwd", "/usr/sbin/ec2gw-manage", "/usr/share/doc/ec2gw/README.md",
                "/usr/share/ec2gw/ec2-2016-11-15.json", "/lib/systemd/system/ec2gwd.service",
                "/etc/logrotate.d/ec2gw", "/usr/share/man/man8/ec2gwd.8.gz",
                "/usr/share/man/man8/ec2gw-manage.8.gz", "/usr/share/doc/ec2gw/copyright"]
        must += ["%s/%s.so" % (S.plugin_dir, p) for p in PLUGINS]
        must += ["/etc/ec2gw/conf.d/" + c for c in CONF_FILES]
        for path in must:
            self.assertIn(path, files, "ec2gw lacks " + path)
        for path in files:
            self.assertFalse(path.startswith("/usr/include") or path.endswith(".a") or
                             "/pkgconfig/" in path or "ec2gw-sdk" in path,
                             "SDK file in ec2gw: " + path)
        self.assertTrue(files["/usr/sbin/ec2gwd"].startswith("-rwxr-xr-x root/root"))
        conffiles = run(["dpkg-deb", "--info", S.debs["ec2gw"], "conffiles"]).stdout.split()
        self.assertEqual(sorted(conffiles),
                         sorted(["/etc/ec2gw/conf.d/" + c for c in CONF_FILES] +
                                ["/etc/logrotate.d/ec2gw"]))
        with tempfile.TemporaryDirectory() as x:
            run(["dpkg-deb", "-x", S.debs["ec2gw"], x])
            with open(os.path.join(ROOT, "contrib/systemd/ec2gwd.service")) as a, \
                    open(os.path.join(x, "lib/systemd/system/ec2gwd.service")) as b:
                self.assertEqual(a.read(), b.read())
            with open(os.path.join(ROOT, "contrib/logrotate/ec2gw")) as a, \
                    open(os.path.join(x, "etc/logrotate.d/ec2gw")) as b:
                self.assertEqual(a.read(), b.read())
            # The shipped configuration names no password, only where it comes from.
            for c in CONF_FILES:
                text = slurp(os.path.join(x, "etc/ec2gw/conf.d", c))
                self.assertNotRegex(text, r"(?m)^\s*service_password\s*:")
        sdk = self.deb_files("ec2gw-sdk-dev")
        for path in ["/usr/include/ec2gw/plugin.h", "/usr/include/ec2gw/testing.h",
                     "/usr/lib/%s/libec2gw_testhost.a" % S.triplet,
                     "/usr/lib/%s/pkgconfig/ec2gw-sdk.pc" % S.triplet,
                     "/usr/lib/%s/cmake/ec2gw-sdk/ec2gw-sdk-config.cmake" % S.triplet,
                     "/usr/share/ec2gw-sdk/examples/hello/hello.c",
                     "/usr/share/ec2gw-sdk/examples/hello/CMakeLists.txt",
                     "/usr/share/ec2gw/fixtures/nova-v2.1/RunInstances.json"]:
            self.assertIn(path, sdk, "ec2gw-sdk-dev lacks " + path)
        for path in sdk:
            self.assertFalse(path.startswith(("/usr/sbin", "/etc", "/lib/systemd")) or
                             path.endswith(".so"), "daemon file in ec2gw-sdk-dev: " + path)
        self.assertFalse(set(files) & set(sdk) - {p for p in files if files[p][0] == "d"},
                         "files in both packages")
        info = run(["dpkg-deb", "-f", S.debs["ec2gw-sdk-dev"], "Depends"]).stdout
        self.assertIn("ec2gw (= %s)" % VERSION, info)

    def test_05_rpm_contents(self):
        files = run(["rpm", "-qlp", "--nosignature", S.rpms["ec2gw"]]).stdout.split()
        must = ["/usr/sbin/ec2gwd", "/usr/sbin/ec2gw-manage",
                "/usr/lib/systemd/system/ec2gwd.service", "/etc/logrotate.d/ec2gw",
                "/etc/ec2gw/ec2gw.env", "/var/lib/ec2gw", "/var/log/ec2gw",
                "/usr/share/ec2gw/ec2-2016-11-15.json", "/usr/share/doc/ec2gw/README.md"]
        must += ["/usr/lib64/ec2gw/plugins/%s.so" % p for p in PLUGINS]
        must += ["/etc/ec2gw/conf.d/" + c for c in CONF_FILES]
        for path in must:
            self.assertIn(path, files, "ec2gw rpm lacks " + path)
        self.assertFalse([p for p in files if p.startswith("/usr/include") or p.endswith(".a")])
        configs = run(["rpm", "-qcp", "--nosignature", S.rpms["ec2gw"]]).stdout.split()
        self.assertEqual(sorted(configs), sorted(["/etc/ec2gw/conf.d/" + c for c in CONF_FILES] +
                                                 ["/etc/ec2gw/ec2gw.env",
                                                  "/etc/logrotate.d/ec2gw"]))
        verbose = run(["rpm", "-qlvp", "--nosignature", S.rpms["ec2gw"]]).stdout
        self.assertRegex(verbose,
                         r"(?m)^-rw-------\s+\d+\s+root\s+root\s.*\s/etc/ec2gw/ec2gw\.env$")
        for d in ("/var/lib/ec2gw", "/var/log/ec2gw"):
            self.assertRegex(verbose, r"(?m)^drwxr-x---\s+\d+\s+ec2gw\s+ec2gw\s.*\s%s$" % d)
        sdk = run(["rpm", "-qlp", "--nosignature", S.rpms["ec2gw-sdk-devel"]]).stdout.split()
        for path in ["/usr/include/ec2gw/plugin.h", "/usr/lib64/libec2gw_testhost.a",
                     "/usr/lib64/pkgconfig/ec2gw-sdk.pc",
                     "/usr/lib64/cmake/ec2gw-sdk/ec2gw-sdk-config.cmake",
                     "/usr/share/ec2gw-sdk/examples/hello/hello.c",
                     "/usr/share/ec2gw/fixtures/nova-v2.1/RunInstances.json"]:
            self.assertIn(path, sdk, "ec2gw-sdk-devel lacks " + path)
        self.assertFalse(set(files) & set(sdk) - {"/usr/share/ec2gw"}, "files in both rpms")
        # The rpm's daemon has the lib64 plugin directory compiled in.
        with tempfile.TemporaryDirectory() as x:
            with open(S.rpms["ec2gw"], "rb") as f:
                tgz = subprocess.run(["rpm2archive", "-"], stdin=f, capture_output=True,
                                     timeout=120)
            self.assertEqual(tgz.returncode, 0, tgz.stderr)
            subprocess.run(["tar", "-xzf", "-"], input=tgz.stdout, cwd=x, check=True, timeout=120)
            text = run([os.path.join(x, "usr/sbin/ec2gwd"), "--help"]).stdout
            self.assertIn("/usr/lib64/ec2gw/plugins", text)
            self.assertIn("/etc/ec2gw/conf.d", text)
            model = os.path.join(x, "usr/share/ec2gw/ec2-2016-11-15.json")
            self.assertIn("2016-11-15", json.loads(slurp(model))["metadata"]["apiVersion"])

    # -- install and run -----------------------------------------------------------------------
    def test_06_install(self):
        S.t_install = time.monotonic()
        S.we_installed = True
        apt("install", S.debs["ec2gw"])
        t_apt = time.monotonic() - S.t_install
        figure("apt-get install ./ec2gw_%s_%s.deb: %.1f s" % (VERSION, S.arch, t_apt))
        size = run(["dpkg-query", "-W", "-f=${Installed-Size}", "ec2gw"]).stdout
        figure("ec2gw installed size: %s kB" % size)
        S.deb_paths["ec2gw"] = run(["dpkg", "-L", "ec2gw"]).stdout.split("\n")
        user = pwd.getpwnam("ec2gw")
        self.assertLess(user.pw_uid, 1000, "a system user")
        self.assertEqual(user.pw_dir, "/var/lib/ec2gw")
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        for d in ("/var/lib/ec2gw", "/var/log/ec2gw"):
            st = os.stat(d)
            self.assertEqual((st.st_uid, st.st_gid), (user.pw_uid, user.pw_gid), d)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o750, d)
        st = os.stat("/etc/ec2gw/ec2gw.env")
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o600),
                         "the password file is root's only")
        for c in CONF_FILES:
            self.assertEqual(stat.S_IMODE(os.stat("/etc/ec2gw/conf.d/" + c).st_mode), 0o644)
        # Compiled-in defaults: the package's own paths.
        text = run(["/usr/sbin/ec2gwd", "--help"]).stdout
        # --help wraps its lines: compare with the line breaks and indentation folded
        self.assertIn("(default /etc/ec2gw/conf.d)", " ".join(text.split()))
        self.assertIn(S.plugin_dir, text)
        self.assertIn("/usr/share/ec2gw/ec2-2016-11-15.json", text)
        self.assertIn("/etc/ec2gw/conf.d", run(["/usr/sbin/ec2gw-manage", "--help"]).stdout)
        # The installed unit, where it really is (the ExecStart binary exists now).
        r = run(["systemd-analyze", "verify", "/lib/systemd/system/ec2gwd.service"],
                check=False, timeout=120)
        ours = [line for line in (r.stdout + r.stderr).splitlines() if "ec2gwd.service" in line]
        self.assertEqual((r.returncode, ours), (0, []), r.stdout + r.stderr)
        # Enabled for the next boot (dh_installsystemd), not started (no systemd runs here).
        self.assertTrue(os.path.islink(
            "/etc/systemd/system/multi-user.target.wants/ec2gwd.service"))
        docs = re.findall(r"(?m)^Documentation=file:(\S+)",
                          slurp("/lib/systemd/system/ec2gwd.service"))
        self.assertTrue(docs and all(os.path.isfile(d) for d in docs), docs)

    def test_07_run_installed_daemon(self):
        self.assertIsNotNone(S.t_install, "ec2gw was not installed")
        env = harness.cloud_env()
        port = harness.free_port()
        # The operator's site configuration: conf.d edits (each daemon section is set in one
        # file only, so the conffile is edited in place; dpkg keeps the edit on upgrade) ...
        path = "/etc/ec2gw/conf.d/00-daemon.yaml"
        text = slurp(path)
        for old, new in (("port: 8788", "port: %d" % port),
                         ("url: http://127.0.0.1:5000/v3", "url: " + env["EC2GW_KEYSTONE_URL"]),
                         ("service_user: ec2gw", "service_user: " + env["EC2GW_SERVICE_USER"]),
                         ("service_project: service",
                          "service_project: " + env["EC2GW_SERVICE_PROJECT"])):
            self.assertIn(old, text)
            text = text.replace(old, new, 1)
        with open(path, "w") as f:
            f.write(text)
        # ... and the password where the package says: /etc/ec2gw/ec2gw.env (EnvironmentFile=).
        with open("/etc/ec2gw/ec2gw.env", "a") as f:
            f.write("EC2GW_SERVICE_PASSWORD=%s\n" % env["EC2GW_SERVICE_PASSWORD"])
        self.assertEqual(stat.S_IMODE(os.stat("/etc/ec2gw/ec2gw.env").st_mode), 0o600)
        run(["/usr/sbin/ec2gwd", "--check-config"], env=dict(
            os.environ, **read_env_file("/etc/ec2gw/ec2gw.env")))
        # Started as systemd would: user ec2gw, the environment file, default conf.d.
        S.log = open(os.path.join(S.out, "ec2gwd.log"), "w")
        daemon_env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        daemon_env.update(read_env_file("/etc/ec2gw/ec2gw.env"))
        t_start = time.monotonic()
        S.proc = subprocess.Popen(
            ["setpriv", "--reuid=ec2gw", "--regid=ec2gw", "--init-groups", "--",
             "/usr/sbin/ec2gwd"], stdout=S.log, stderr=subprocess.STDOUT, env=daemon_env,
            cwd="/var/lib/ec2gw")
        S.pidfile = os.path.join(S.out, "ec2gwd.pid")
        with open(S.pidfile, "w") as f:
            f.write("%d\n" % S.proc.pid)
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 60
        while True:
            self.assertIsNone(S.proc.poll(), "ec2gwd exited: " + read(S.log.name))
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                break
            except OSError:
                self.assertLess(time.monotonic(), deadline, "no /healthz in 60 s: " +
                                read(S.log.name))
                time.sleep(0.1)
        d = type("D", (), {"url": url, "env": env})()
        r = harness.aws_cli(d, "ec2", "describe-regions", "--output", "json")
        t_first = time.monotonic()
        self.assertEqual(r.returncode, 0, r.stderr + read(S.log.name))
        regions = [x["RegionName"] for x in json.loads(r.stdout)["Regions"]]
        self.assertIn("RegionOne", regions)
        figure("install-to-first-answer: %.1f s (start to first answer %.1f s)" % (
            t_first - S.t_install, t_first - t_start))
        # The process really is the installed binary, running as ec2gw.
        st = os.stat("/proc/%d" % S.proc.pid)
        self.assertEqual(st.st_uid, pwd.getpwnam("ec2gw").pw_uid)
        self.assertEqual(os.readlink("/proc/%d/exe" % S.proc.pid), "/usr/sbin/ec2gwd")
        r = harness.aws_cli(d, "ec2", "describe-images", "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        images = json.loads(r.stdout)["Images"]
        self.assertTrue(images and all(i["ImageId"].startswith(("ami-", "ari-", "aki-"))
                                       for i in images), images)
        r = harness.aws_cli(d, "ec2", "describe-instances", "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Reservations", json.loads(r.stdout))
        r = harness.aws_cli(d, "ec2", "describe-availability-zones", "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The state went where the package put it, owned by the service user.
        db = "/var/lib/ec2gw/ec2gw.sqlite"
        self.assertEqual(os.stat(db).st_uid, pwd.getpwnam("ec2gw").pw_uid)
        r = run(["setpriv", "--reuid=ec2gw", "--regid=ec2gw", "--init-groups", "--",
                 "/usr/sbin/ec2gw-manage", "db", "version"], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(stop_daemon(), 0, "ec2gwd exit status after SIGTERM")

    def test_08_sdk(self):
        self.assertTrue(installed("ec2gw"), "ec2gw is not installed")
        apt("install", S.debs["ec2gw-sdk-dev"])
        figure("ec2gw-sdk-dev installed size: %s kB" % run(
            ["dpkg-query", "-W", "-f=${Installed-Size}", "ec2gw-sdk-dev"]).stdout)
        S.deb_paths["ec2gw-sdk-dev"] = run(["dpkg", "-L", "ec2gw-sdk-dev"]).stdout.split("\n")
        abi = re.findall(r"#define EC2GW_ABI_(?:MAJOR|MINOR) +(\d+)",
                         slurp("/usr/include/ec2gw/plugin.h"))
        self.assertEqual(run(["pkg-config", "--modversion", "ec2gw-sdk"]).stdout.strip(),
                         ".".join(abi))
        plugindir = run(["pkg-config", "--variable=plugindir", "ec2gw-sdk"]).stdout.strip()
        self.assertEqual(os.path.normpath(plugindir), S.plugin_dir)  # relative to the .pc
        work = os.path.join(S.out, "sdk")
        os.makedirs(work)
        # hello with CMake (find_package(ec2gw-sdk)), out of tree, from the installed sources.
        src = "/usr/share/ec2gw-sdk/examples/hello"
        run(["cmake", "-S", src, "-B", os.path.join(work, "hello")], timeout=300)
        run(["cmake", "--build", os.path.join(work, "hello")], timeout=300)
        so = os.path.join(work, "hello", "hello.so")
        self.assertTrue(os.path.isfile(so), so)
        # ... and with pkg-config alone.
        flags = run(["pkg-config", "--cflags", "--libs", "ec2gw-sdk"]).stdout.split()
        so2 = os.path.join(work, "hello-pc.so")
        run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared",
             "-fvisibility=hidden", os.path.join(src, "hello.c"), "-o", so2] + flags +
            ["-Wl,--no-undefined"], timeout=300)
        syms = run(["nm", "-D", "--defined-only", so2]).stdout
        self.assertRegex(syms, r"\bec2gw_plugin\b")
        # The installed daemon loads it.
        conf = os.path.join(work, "conf.d")
        os.makedirs(conf)
        shutil.copy("/etc/ec2gw/conf.d/00-daemon.yaml", conf)
        with open(os.path.join(conf, "50-hello.yaml"), "w") as f:
            f.write("plugin: hello\nfile: %s\ninstance: hello\nactions: all\n" % so)
        r = run(["/usr/sbin/ec2gwd", "-c", conf, "--list-plugins"], check=False,
                env=dict(os.environ, EC2GW_SERVICE_PASSWORD="unused"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(so, r.stdout)
        # site_boot's fake-host unit test over the installed stock compute plugin: the
        # installed testhost, model and recorded conversations.
        src = "/usr/share/ec2gw-sdk/examples/site_boot"
        b = os.path.join(work, "site_boot")
        run(["cmake", "-S", src, "-B", b], timeout=300)
        run(["cmake", "--build", b], timeout=600)
        r = run(["ctest", "--test-dir", b, "--output-on-failure"], check=False, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("100% tests passed", r.stdout)
        self.assertIn(S.plugin_dir + "/nova-v2.1.so",
                      slurp(os.path.join(b, "CMakeCache.txt")))

    def test_09_purge(self):
        self.assertTrue(S.deb_paths.get("ec2gw"), "ec2gw was not installed")
        stop_daemon(check=False)
        apt("purge", "ec2gw", "ec2gw-sdk-dev")
        S.we_installed = False
        self.assertFalse(installed("ec2gw") or installed("ec2gw-sdk-dev"))
        left = []
        for pkg, paths in S.deb_paths.items():
            for p in paths:
                if not p or p in ("/.",) or not os.path.lexists(p):
                    continue
                # Directories other packages own stay (/usr/share/man/man8, /lib/systemd/...).
                if os.path.isdir(p) and run(["dpkg", "-S", p], check=False).returncode == 0:
                    continue
                left.append(p)
        for p in ("/etc/ec2gw", "/var/lib/ec2gw", "/var/log/ec2gw", S.plugin_dir,
                  "/usr/share/ec2gw", "/etc/systemd/system/multi-user.target.wants/ec2gwd.service",
                  "/var/lib/systemd/deb-systemd-helper-enabled/ec2gwd.service.dsh-also"):
            if os.path.lexists(p):
                left.append(p)
        self.assertEqual(left, [], "left behind by purge")
        # Policy keeps the system user (files it owned may remain elsewhere).
        figure("after purge: nothing left but the system user ec2gw (uid %d)" %
               pwd.getpwnam("ec2gw").pw_uid)


def slurp(path):
    with open(path) as f:
        return f.read()


def read(path):
    try:
        with open(path) as f:
            return f.read()[-4000:]
    except OSError:
        return ""


def read_env_file(path):
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments skipped)."""
    out = {}
    for line in slurp(path).splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";")) and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip("'\"")
    return out


def stop_daemon(check=True):
    """SIGTERM (drain), then SIGKILL after 30 s; removes the pid file. The exit status."""
    if S.proc is None:
        return 0
    proc, S.proc = S.proc, None
    rc = proc.poll()
    if rc is None:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    if S.pidfile and os.path.exists(S.pidfile):
        os.unlink(S.pidfile)
    S.log.close()
    if check and rc != 0:
        print(read(S.log.name))
    return rc


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2, failfast=False).result
    sys.exit(harness.summary(result))
