#!/usr/bin/env python3
"""ec2gw-manage (issue 17) against the real cloud, running the built binary: db version and
upgrade on a fresh file; import of a generated ec2-api database of 10 000 items, then the same
ids and tags through ec2gwd's DescribeTags; a dry run writes nothing; a conflict imports
nothing; credentials create prints keys that work with awscli against ec2gwd; check is all OK
on the test cloud and FAILs for a wrong Keystone URL."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
MANAGE = os.path.join(harness.BUILD, "daemon/ec2gw-manage")
PLUGINS = os.path.join(harness.BUILD, "plugins")
N_ITEMS = 10000

D = None  # the daemon whose conf.d and database the tool works on
FIXTURE = None  # {"path", "items", "tags", "by_project"}
WORK = None


def manage(*args, conf=None, env_extra=None, admin_env=False):
    """Run ec2gw-manage; (rc, stdout, stderr). The OS_* admin is left out unless admin_env."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("OS_"):
            del env[k]
    env["EC2GW_SERVICE_PASSWORD"] = D.env["EC2GW_SERVICE_PASSWORD"]
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    if admin_env:
        env.update({k: v for k, v in D.env.items() if k.startswith("OS_")})
    env.update(env_extra or {})
    p = subprocess.run([MANAGE, "--config-dir", conf or D.conf] + list(args),
                       capture_output=True, text=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


def db_path():
    return os.path.join(D.dir, "db.sqlite")


def count(sql):
    db = sqlite3.connect("file:%s?mode=ro" % db_path(), uri=True)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def report(out):
    """The import's table: {"items": (read, imported, identical, conflicts), "tags": ...}."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(items|tags)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return rows


def setUpModule():
    global D, FIXTURE, WORK
    D = harness.Daemon()
    WORK = tempfile.mkdtemp(prefix="ec2gw-manage-it-")
    path = os.path.join(WORK, "ec2api.sqlite")
    projects = [D.env["EC2_PROJECT_ID"], D.env["EC2_PROJECT_ID_2"], "0123456789abcdef0123456789abcdef"]
    out = subprocess.run([sys.executable, os.path.join(HERE, "ec2api_fixture.py"), path,
                          "--items", str(N_ITEMS), "--projects", ",".join(projects)],
                         check=True, capture_output=True, text=True).stdout
    FIXTURE = json.loads(out)
    FIXTURE["path"] = path


def tearDownModule():
    harness.stop_daemon(D)
    shutil.rmtree(WORK, ignore_errors=True)


def fixture_tags(project):
    db = sqlite3.connect(FIXTURE["path"])
    try:
        return set(db.execute('SELECT item_id, "key", value FROM tags WHERE project_id = ?',
                              (project,)).fetchall())
    finally:
        db.close()


class Manage(unittest.TestCase):
    # unittest runs the methods in name order: the steps build on each other.

    def test_01_db_version_and_upgrade_fresh(self):
        self.assertFalse(os.path.exists(db_path()))
        rc, out, _ = manage("db", "version")
        self.assertEqual(rc, 1)
        self.assertIn("schema version: none", out)
        self.assertFalse(os.path.exists(db_path()), "db version must not create the file")
        want = int(re.search(r"expected version: (\d+)", out).group(1))
        rc, out, err = manage("db", "upgrade")
        self.assertEqual(rc, 0, err)
        self.assertIn("created, schema version %d" % want, out)
        rc, out, _ = manage("db", "upgrade")
        self.assertEqual(rc, 0)
        self.assertIn("already current", out)
        rc, out, _ = manage("db", "version")
        self.assertEqual(rc, 0)
        self.assertIn("schema version: %d" % want, out)
        self.assertIn("status: current", out)
        self.assertEqual(count("SELECT max(version) FROM ec2gw_schema_version"), want)
        self.assertEqual(count("SELECT count(*) FROM items"), 0)

    def test_02_dry_run_writes_nothing(self):
        def snapshot():
            db = sqlite3.connect(db_path())
            try:
                return (db.execute("SELECT count(*) FROM items").fetchone()[0],
                        db.execute("SELECT count(*) FROM tags").fetchone()[0])
            finally:
                db.close()
        before = snapshot()
        rc, out, err = manage("db", "import-ec2api", FIXTURE["path"], "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertIn("dry run: nothing written", out)
        r = report(out)
        self.assertEqual(r["items"], (N_ITEMS, N_ITEMS, 0, 0))
        self.assertEqual(r["tags"], (FIXTURE["tags"], FIXTURE["tags"], 0, 0))
        self.assertEqual(snapshot(), before)

    def test_03_import_10000(self):
        t0 = time.monotonic()
        rc, out, err = manage("db", "import-ec2api", FIXTURE["path"])
        wall = time.monotonic() - t0
        self.assertEqual(rc, 0, err)
        r = report(out)
        self.assertEqual(r["items"], (N_ITEMS, N_ITEMS, 0, 0))
        self.assertEqual(r["tags"], (FIXTURE["tags"], FIXTURE["tags"], 0, 0))
        print("\nimport of %d items, %d tags: %s; process %.2f s" % (
            N_ITEMS, FIXTURE["tags"], re.search(r"time: .*", out).group(0), wall))
        self.assertEqual(count("SELECT count(*) FROM items"), N_ITEMS)
        self.assertEqual(count("SELECT count(*) FROM tags"), FIXTURE["tags"])
        # every row as ec2-api had it: compare the two files row by row
        db = sqlite3.connect(db_path())
        try:
            db.execute("ATTACH DATABASE ? AS src", (FIXTURE["path"],))
            self.assertEqual(db.execute(
                "SELECT count(*) FROM (SELECT id, project_id, vpc_id, os_id, data FROM src.items"
                " EXCEPT SELECT id, project_id, vpc_id, os_id, data FROM main.items)").fetchone()[0], 0)
            self.assertEqual(db.execute(
                'SELECT count(*) FROM (SELECT project_id, item_id, "key", value FROM src.tags'
                ' EXCEPT SELECT project_id, item_id, "key", value FROM main.tags)').fetchone()[0], 0)
        finally:
            db.close()
        # again: all identical, nothing written
        rc, out, err = manage("db", "import-ec2api", FIXTURE["path"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(report(out)["items"], (N_ITEMS, 0, N_ITEMS, 0))

    def test_04_describe_tags_through_ec2gwd(self):
        D.start()
        for which, project in ((1, D.env["EC2_PROJECT_ID"]), (2, D.env["EC2_PROJECT_ID_2"])):
            client = harness.boto3_client(D, which=which)
            seen = set()
            for page in client.get_paginator("describe_tags").paginate(
                    PaginationConfig={"PageSize": 1000}):
                for t in page["Tags"]:
                    seen.add((t["ResourceId"], t["Key"], t["Value"]))
            expected = fixture_tags(project)
            self.assertGreater(len(expected), 1000)
            self.assertEqual(seen, expected)
            # and one filtered by id: that item's ids and tags, as ec2-api had them
            rid, key, value = sorted(expected)[0]
            tags = client.describe_tags(
                Filters=[{"Name": "resource-id", "Values": [rid]}])["Tags"]
            self.assertIn({"ResourceId": rid, "ResourceType": tags[0]["ResourceType"],
                           "Key": key, "Value": value}, tags)

    def test_05_conflict_imports_nothing(self):
        path = os.path.join(WORK, "conflict.sqlite")
        src = sqlite3.connect(FIXTURE["path"])
        ddl = [r[0] for r in src.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table'")]
        first = src.execute("SELECT id, project_id, vpc_id, os_id, data FROM items"
                            " WHERE os_id IS NOT NULL ORDER BY id LIMIT 1").fetchone()
        src.close()
        db = sqlite3.connect(path)
        for sql in ddl:
            db.execute(sql)
        # a new row, and an existing id pointing at another OpenStack object
        db.execute("INSERT INTO items VALUES ('vol-feedf00d', ?, NULL,"
                   " '11111111-2222-4333-8444-555555555555', '{}')", (first[1],))
        db.execute("INSERT INTO items VALUES (?, ?, ?, '99999999-2222-4333-8444-555555555555', ?)",
                   (first[0], first[1], first[2], first[4]))
        db.execute("INSERT INTO tags VALUES (?, 'vol-feedf00d', 'Name', 'new')", (first[1] or "p",))
        db.commit()
        db.close()
        rc, out, err = manage("db", "import-ec2api", path)
        self.assertEqual(rc, 1)
        self.assertIn("conflict: item %s: os_id '99999999-2222-4333-8444-555555555555' in the "
                      "source, '%s' in the database" % (first[0], first[3]), err)
        self.assertIn("nothing imported", err)
        self.assertIn("refused: nothing written", out)
        self.assertEqual(count("SELECT count(*) FROM items WHERE id = 'vol-feedf00d'"), 0)
        self.assertEqual(count("SELECT count(*) FROM items"), N_ITEMS)
        self.assertEqual(count("SELECT count(*) FROM tags"), FIXTURE["tags"])

    def test_06_mysql_and_usage_errors(self):
        rc, _, err = manage("db", "import-ec2api", "mysql+pymysql://ec2api:x@127.0.0.1/ec2api")
        self.assertEqual(rc, 1)
        self.assertIn("a mysql://USER@HOST[:PORT]/DB database", err)  # oslo.db's URL form
        rc, _, err = manage("db", "import-ec2api")
        self.assertEqual(rc, 2)
        self.assertIn("needs SOURCE", err)
        rc, _, err = manage("db", "drop")
        self.assertEqual(rc, 2)
        rc, out, _ = manage("--help")
        self.assertEqual(rc, 0)
        self.assertIn("Exit status:", out)

    def test_07_credentials_create_work_with_awscli(self):
        user, project = D.env["OS_USERNAME"], D.env["OS_PROJECT_NAME"]
        rc, out, err = manage("credentials", "create", "--user", user, "--project", project)
        self.assertEqual(rc, 0, err)
        rc_path = os.path.join(WORK, "ec2rc.sh")
        with open(rc_path, "w") as f:
            f.write(out)
        # the shell's view of it, as an operator sources it
        shown = subprocess.run(["bash", "-c", ". %s && env" % rc_path], capture_output=True,
                               text=True, check=True).stdout
        exported = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
        access = exported["EC2_ACCESS_KEY"]
        try:
            self.assertEqual(exported["AWS_ACCESS_KEY_ID"], access)
            self.assertEqual(exported["EC2_URL"], D.url)
            self.assertNotEqual(access, D.env["EC2_ACCESS_KEY"])
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("AWS_", "EC2_", "OS_"))}
            env.update({k: exported[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                  "AWS_DEFAULT_REGION")})
            p = subprocess.run(["aws", "--endpoint-url", exported["EC2_URL"], "--output", "json",
                                "ec2", "describe-tags", "--filters",
                                "Name=key,Values=Name"], capture_output=True, text=True,
                               env=env, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            names = {(t["ResourceId"], t["Value"]) for t in json.loads(p.stdout)["Tags"]}
            expected = {(r, v) for r, k, v in fixture_tags(D.env["EC2_PROJECT_ID"])
                        if k == "Name"}
            self.assertEqual(names, expected)
            rc, out, err = manage("credentials", "list", "--user", user)
            self.assertEqual(rc, 0, err)
            self.assertIn(access, out)
            self.assertNotIn(exported["EC2_SECRET_KEY"], out)
        finally:
            delete_credential(access)

    def test_08_check_all_ok(self):
        rc, out, err = manage("check", "--plugin-dir", PLUGINS)
        print("\n" + out)
        self.assertEqual(rc, 0, out + err)
        lines = [l for l in out.splitlines() if not l.startswith("check:")]
        self.assertTrue(all(l.startswith("OK ") for l in lines), out)
        for item in ("config", "keystone reachable", "service user login", "ec2tokens",
                     "credential reads", "catalog compute", "catalog network", "catalog image",
                     "database writable", "database schema"):
            self.assertTrue(any(l.split(None, 1)[1].startswith(item) for l in lines), item)

    def test_09_check_fails_for_a_wrong_keystone(self):
        conf = os.path.join(WORK, "bad.d")
        shutil.copytree(D.conf, conf)
        path = os.path.join(conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"url: http://\S+", "url: http://127.0.0.1:9/v3", text, count=1))
        rc, out, _ = manage("check", "--plugin-dir", PLUGINS, conf=conf)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^FAIL keystone reachable: http://127.0.0.1:9/v3: ")
        self.assertRegex(out, r"(?m)^FAIL service user login: ")
        self.assertRegex(out, r"(?m)^OK   database schema: ")


def delete_credential(access):
    """Remove a credential the test made, as the service user."""
    env = D.env
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": env["EC2GW_SERVICE_USER"], "domain": {"name": env["EC2GW_SERVICE_USER_DOMAIN"]},
        "password": env["EC2GW_SERVICE_PASSWORD"]}}},
        "scope": {"project": {"name": env["EC2GW_SERVICE_PROJECT"],
                              "domain": {"name": env["EC2GW_SERVICE_PROJECT_DOMAIN"]}}}}}
    url = env["EC2GW_KEYSTONE_URL"].rstrip("/")
    req = urllib.request.Request(url + "/auth/tokens", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        token = r.headers["X-Subject-Token"]
    import hashlib
    req = urllib.request.Request(url + "/credentials/" + hashlib.sha256(access.encode()).hexdigest(),
                                 method="DELETE", headers={"X-Auth-Token": token})
    urllib.request.urlopen(req, timeout=30).read()


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
