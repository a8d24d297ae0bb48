#!/usr/bin/env python3
"""The Rally CI job (issue 20): Debian's rally with the ec2gw plugin (contrib/rally/) runs the
small task contrib/rally/tasks/ci.yaml through a private ec2gwd against the test cloud, with a
private Rally database and an `existing@openstack` environment (admin, and demo/demo2 as its
users). Passes when the task finished, every SLA passed and every iteration succeeded; keeps the
HTML report and the JSON results in bench-results/rally/ and prints each scenario's durations.
Afterwards every EC2 credential the plugin's context made is gone from Keystone, and every
instance and volume the task made (tagged rally-task in the daemon's database) and security
group (named rally-<task uuid>-...) is gone from Nova, Cinder and Neutron, asked directly."""
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = harness.ROOT
PLUGINS = os.path.join(ROOT, "contrib/rally/ec2gw_rally")
TASK = os.path.join(ROOT, "contrib/rally/tasks/ci.yaml")
OUT = os.path.join(ROOT, "bench-results/rally")
PORTS = range(18820, 18830)

D = None


def pick_port():
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in %d-%d" % (PORTS[0], PORTS[-1]))


def start_daemon():
    """harness.Daemon on a port of this test's range (its conf.d is rewritten before start)."""
    d = harness.Daemon()
    port = pick_port()
    path = os.path.join(d.conf, "00-daemon.yaml")
    with open(path) as f:
        src = f.read()
    with open(path, "w") as f:
        f.write(src.replace("port: %d" % d.port, "port: %d" % port, 1))
    d.port, d.url = port, "http://127.0.0.1:%d" % port
    return d.start()


class Rally:
    """The rally CLI with its own HOME and sqlite database in a temporary directory."""

    def __init__(self, exe):
        self.exe = exe
        self.home = tempfile.mkdtemp(prefix="ec2gw-rally-")
        self.conf = os.path.join(self.home, "rally.conf")
        with open(self.conf, "w") as f:
            f.write("[database]\nconnection = sqlite:///%s\n"
                    % os.path.join(self.home, "rally.sqlite"))

    def run(self, *args, check=True, timeout=600):
        env = dict(os.environ, HOME=self.home)
        for k in [k for k in env if k.startswith("OS_")]:
            del env[k]  # the environment's spec, not the caller's shell, names the cloud
        t0 = time.monotonic()
        p = subprocess.run([self.exe, "--config-file", self.conf] + list(args), env=env,
                           capture_output=True, text=True, timeout=timeout)
        print("rally %s: rc %d in %.0f s" % (" ".join(args[:2]), p.returncode,
                                              time.monotonic() - t0), flush=True)
        if check and p.returncode != 0:
            raise AssertionError("rally %s failed (rc %d):\n%s\n%s"
                                 % (" ".join(args), p.returncode, p.stdout[-6000:],
                                    p.stderr[-6000:]))
        return p

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


def spec(env, admin):
    def user(name, password, project):
        return {"username": name, "password": password, "project_name": project,
                "user_domain_name": "Default", "project_domain_name": "Default"}
    return {"openstack": {
        "auth_url": env["OS_AUTH_URL"], "region_name": env["OS_REGION_NAME"],
        "admin": user(admin["OS_USERNAME"], admin["OS_PASSWORD"], admin["OS_PROJECT_NAME"]),
        "users": [user(env["OS_USERNAME"], env["OS_PASSWORD"], env["OS_PROJECT_NAME"]),
                  user(env["DEMO2_USERNAME"], env["DEMO2_PASSWORD"],
                       env["DEMO2_PROJECT_NAME"])]}}


def admin_env():
    out = subprocess.run(["bash", os.path.join(ROOT, "tests/cloud/cloud.sh"), "env", "--admin"],
                         check=True, capture_output=True, text=True).stdout
    return dict(line[len("export "):].split("=", 1) for line in out.splitlines()
                if line.startswith("export ") and "=" in line)


def gone(service, path, timeout=180):
    """Poll an OpenStack resource until it answers 404 (Nova: or DELETED)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = service.get(path)
            status = (got or {}).get("server", {}).get("status")
            if status in ("DELETED", "SOFT_DELETED"):
                return True
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return True
            raise
        if time.monotonic() > deadline:
            return False
        time.sleep(3)


class RallyTask(unittest.TestCase):
    uuid = None

    @staticmethod
    def made():
        """(EC2 id, project, OpenStack id) of each instance and volume the task made: those
        tagged rally-task in this daemon's database (only this test's task uses the daemon;
        its items table also holds every other server of demo and demo2 it described)."""
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(D.dir, "db.sqlite"), uri=True)
        rows = db.execute("SELECT i.id, i.project_id, i.os_id FROM items i JOIN tags t "
                          "ON t.item_id = i.id AND t.project_id = i.project_id "
                          "WHERE t.key = 'rally-task'").fetchall()
        groups = db.execute("SELECT id, project_id, os_id FROM items "
                            "WHERE id LIKE 'sg-%'").fetchall()
        db.close()
        return rows, groups

    def sweep(self):
        """Should rally itself die mid-task: remove the instances and volumes the task made
        (tagged rally-task) and its groups (named rally-...) that are still there, through
        the daemon; nothing else (demo and demo2 are shared with other tests)."""
        rows, groups = self.made()
        sgs = {g[0] for g in groups}
        which = {D.env["EC2_PROJECT_ID"]: 1, D.env["EC2_PROJECT_ID_2"]: 2}
        for tenant in (1, 2):
            try:
                self.sweep_tenant(tenant, rows, sgs, which)
            except Exception as e:  # a cleanup: report, go on with the other tenant
                print("sweep, tenant %d: %r" % (tenant, e))

    def sweep_tenant(self, tenant, rows, sgs, which):
        ec2 = harness.boto3_client(D, which=tenant)
        mine = {i for i, p, _ in rows if which.get(p) == tenant}
        # the task's own instances only (terminating a terminated one is harmless)
        iids = sorted(i for i in mine if i.startswith("i-"))
        vols = [v for v in mine if v.startswith("vol-")
                and harness.error_code(ec2.describe_volumes, VolumeIds=[v]) is None]
        for v in vols:
            harness.error_code(ec2.detach_volume, VolumeId=v, Force=True)
        for i in iids:
            harness.error_code(ec2.terminate_instances, InstanceIds=[i])
        for v in vols:
            for _ in range(30):
                if harness.error_code(ec2.delete_volume, VolumeId=v) in (
                        None, "InvalidVolume.NotFound"):
                    break
                time.sleep(3)
        prefix = "rally-%s-" % self.uuid if self.uuid else "rally-"
        for g in ec2.describe_security_groups()["SecurityGroups"]:
            if g["GroupId"] in sgs and g["GroupName"].startswith(prefix):
                harness.error_code(ec2.delete_security_group, GroupId=g["GroupId"])
        print("sweep, tenant %d: terminate asked for %d instances, %d volumes left"
              % (tenant, len(iids), len(vols)))

    def test_ci_task(self):
        exe = shutil.which("rally")
        self.assertIsNotNone(exe, "rally is not installed (Debian's rally and "
                                  "python3-rally-openstack: tools/deps.sh --test)")
        rally = Rally(exe)
        self.addCleanup(rally.cleanup)
        with open(os.path.join(rally.home, "spec.json"), "w") as f:
            json.dump(spec(D.env, admin_env()), f)
        rally.run("db", "create")
        rally.run("env", "create", "--name", "ec2gw-ci", "--spec",
                  os.path.join(rally.home, "spec.json"))

        self.addCleanup(self.sweep)
        args = json.dumps({"ec2gw_url": D.url})
        t0 = time.monotonic()
        start = rally.run("--plugin-paths", PLUGINS, "task", "start", TASK, "--task-args", args,
                          check=False, timeout=1200)
        took = time.monotonic() - t0
        log = start.stdout + start.stderr
        made = re.findall(r"ec2gw context: made EC2 credential (\w+) for user (\w+)", log)
        deleted = set(re.findall(r"ec2gw context: deleted EC2 credential (\w+)", log))
        uuids = rally.run("task", "list", "--uuids-only").stdout.split()
        self.assertEqual(len(uuids), 1, "task start: %s\n%s" % (log[-6000:], uuids))
        uuid = self.uuid = uuids[0]

        os.makedirs(OUT, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        html = os.path.join(OUT, "rally-ci-%s.html" % stamp)
        js = os.path.join(OUT, "rally-ci-%s.json" % stamp)
        rally.run("task", "report", uuid, "--html-static", "--out", html)
        rally.run("task", "report", uuid, "--json", "--out", js)
        print("artifacts: %s %s" % (html, js))
        with open(js) as f:
            report = json.load(f)

        task = report["tasks"][0]
        print("task %s: %s in %.0f s (rally task start), pass_sla %s"
              % (uuid, task["status"], took, task["pass_sla"]))
        failures = []
        for sub in task["subtasks"]:
            for w in sub["workloads"]:
                name = next(iter(w["scenario"]))
                total = w["statistics"]["durations"]["total"]["data"]
                print("%-36s iterations %d, failed %d, duration min %.2f avg %.2f max %.2f s"
                      % (name, total["iteration_count"], len([i for i in w["data"] if i["error"]]),
                         total["min"], total["avg"], total["max"]))
                for a in w["statistics"]["durations"]["atomics"]:
                    d = a["data"]
                    print("    %-38s min %.2f avg %.2f max %.2f s"
                          % (a["name"], d["min"], d["avg"], d["max"]))
                for s in w["sla_results"].get("sla", []):
                    print("    SLA %-20s %s: %s" % (s["criterion"],
                                                    "pass" if s["success"] else "FAIL",
                                                    s["detail"]))
                    if not s["success"]:
                        failures.append("%s SLA %s: %s" % (name, s["criterion"], s["detail"]))
                for i in w["data"]:
                    if i["error"]:
                        failures.append("%s iteration failed: %s" % (name, i["error"][:2]))
                if not w["data"]:
                    failures.append("%s ran no iteration" % name)
        # Nothing left: the context's EC2 credentials (one per user and workload) ...
        self.assertEqual(len(made), 2 * 5, log[-6000:])  # two users, five workloads
        self.assertEqual({a for a, _ in made}, deleted)
        ks = harness.OpenStackAs(admin_env(), "identity")
        ks.url = D.env["OS_AUTH_URL"].rstrip("/")
        for access, user in made:
            try:
                ks.get("/users/%s/credentials/OS-EC2/%s" % (user, access))
                self.fail("EC2 credential %s of user %s still in Keystone" % (access, user))
            except urllib.error.HTTPError as e:
                self.assertEqual(e.code, 404)
        # ... each instance and volume the task made through this daemon ...
        rows, _ = self.made()
        kinds = {"i": ("compute", "/servers/%s"), "vol": ("volumev3", "/volumes/%s")}
        tenants = {D.env["EC2_PROJECT_ID"]: 1, D.env["EC2_PROJECT_ID_2"]: 2}
        counted, apis = {}, {}
        for ec2_id, project, os_id in rows:
            kind = ec2_id.split("-", 1)[0]
            if kind not in kinds or project not in tenants:
                continue
            service, path = kinds[kind]
            key = (service, tenants[project])
            if key not in apis:
                apis[key] = harness.OpenStackAs(D.env, service, key[1], timeout=60)
            counted[kind] = counted.get(kind, 0) + 1
            self.assertTrue(gone(apis[key], path % os_id), "%s (%s) still in %s"
                            % (ec2_id, os_id, service))
        # ... and every group it named (the daemon drops a deleted group's item, so Neutron's
        # own list of both projects is what is asked)
        left = []
        for tenant in (1, 2):
            neutron = harness.OpenStackAs(D.env, "network", tenant, timeout=60)
            left += [g["name"] for g in neutron.get(
                "/v2.0/security-groups?fields=name")["security_groups"]
                if g["name"].startswith("rally-%s-" % uuid)]
        print("made through ec2gw and gone from OpenStack: %s; rally groups left: %s"
              % (counted, left))
        self.assertEqual(counted, {"i": 4, "vol": 2})
        self.assertEqual(left, [])

        # The task's own verdict (after the cleanup checks, so a failed SLA still proves them)
        names = sorted(next(iter(w["scenario"]))
                       for sub in task["subtasks"] for w in sub["workloads"])
        self.assertEqual(names, sorted([
            "EC2gw.boot_describe_terminate", "EC2gw.create_attach_delete_volume",
            "EC2gw.describe_images", "EC2gw.describe_instances",
            "EC2gw.security_group_churn"]))
        self.assertEqual(failures, [])
        self.assertEqual(task["status"], "finished", log[-6000:])
        self.assertTrue(task["pass_sla"])
        self.assertEqual(start.returncode, 0, log[-6000:])
        self.assertEqual(rally.run("task", "sla-check", uuid, check=False).returncode, 0)



def setUpModule():
    global D
    D = start_daemon()


def tearDownModule():
    harness.stop_daemon(D)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
