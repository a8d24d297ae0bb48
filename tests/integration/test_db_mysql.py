#!/usr/bin/env python3
"""MariaDB/MySQL as ec2gw's database (issue 17), on a private mariadbd (mysql_server.py,
127.0.0.1:3307, datadir under /var/tmp/ec2gw-mysql-test-*, stopped at the end):

- the data layer's behaviours on MySQL (tests/unit/data/test_db_mysql.c: ids, items, tags
  answering as SQLite, ClientToken claims raced by 4 processes, savepoints, reconnect, the
  schema created by 4 processes at once);
- configuration: a URL with a password, a missing password variable and an unreachable server
  are refused at start with a clear message; ec2gw-manage db version/upgrade (two upgrades at
  once) and check on a mysql:// database;
- ec2-api's real MySQL schema shared: ec2-api's tables made as its 001_juno migration makes
  them (utf8, InnoDB, sqlalchemy-migrate's table), an image id and a tag put in as ec2-api
  would; ec2gwd reads them, and its RunInstances (with a ClientToken, retried), CreateTags,
  DescribeTags (boto3 and awscli) and TerminateInstances against the real cloud write rows
  ec2-api's code reads (its columns, JSON data, project scoping); ec2-api's DDL is unchanged;
- the loop never waits for MariaDB (request fibers, a pool of non-blocking connections): while
  another connection holds a row lock a CreateTags needs, DescribeRegions and /healthz of the
  same one-worker daemon answer in milliseconds; the blocked request completes once the lock
  goes, or gets a retryable ServiceUnavailable (503) with nothing written when it is held past
  InnoDB's lock wait; 8 concurrent clients creating ids and tags all get right answers and the
  rows are exactly theirs.
"""
import statistics
import threading
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request

import harness
from mysql_server import MysqlServer

PORT = 3307
PASSWORD = "ec2gw-test-pw"
MANAGE = os.path.join(harness.BUILD, "daemon/ec2gw-manage")
UNIT = os.path.join(harness.BUILD, "tests/unit/data/test_db_mysql")

SRV = None

# ec2-api's 001_juno on MySQL, as SQLAlchemy emits it (mysql_engine InnoDB, mysql_charset utf8),
# and sqlalchemy-migrate's version table.
EC2API_DDL = [
    "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT,"
    " version INTEGER, PRIMARY KEY (repository_id)) ENGINE=InnoDB CHARSET=utf8",
    "INSERT INTO migrate_version VALUES ('ec2api', '/usr/lib/python3/dist-packages/ec2api/db/"
    "sqlalchemy/migrate_repo', 1)",
    "CREATE TABLE items (id VARCHAR(30) NOT NULL, project_id VARCHAR(64), vpc_id VARCHAR(12),"
    " os_id VARCHAR(36), data TEXT, PRIMARY KEY (id),"
    " CONSTRAINT items_os_id_idx UNIQUE (os_id)) ENGINE=InnoDB CHARSET=utf8",
    "CREATE TABLE tags (project_id VARCHAR(64) NOT NULL, item_id VARCHAR(30) NOT NULL,"
    " `key` VARCHAR(127) NOT NULL, value VARCHAR(255),"
    " PRIMARY KEY (project_id, item_id, `key`)) ENGINE=InnoDB CHARSET=utf8",
]


def setUpModule():
    global SRV
    SRV = MysqlServer(port=PORT)
    SRV.start()
    for db in ("ec2gw_dl", "ec2gw_dl2", "ec2gw_up", "ec2api", "ec2gw_fib"):
        SRV.create_user("ec2gw", PASSWORD, db)


def tearDownModule():
    if SRV is not None:
        SRV.stop()


def mysql_daemon(db, extra=""):
    """A harness.Daemon whose paths.database is mysql://ec2gw@127.0.0.1:3307/<db>."""
    d = harness.Daemon()
    path = os.path.join(d.conf, "00-daemon.yaml")
    with open(path) as f:
        text = f.read()
    old = "  database: %s" % os.path.join(d.dir, "db.sqlite")
    assert old in text, "the harness's database line moved"
    text = text.replace(old, "  database: %s\n  database_password_env: EC2GW_TEST_DB_PW%s"
                        % (SRV.url("ec2gw", db), extra), 1)
    with open(path, "w") as f:
        f.write(text)
    os.environ["EC2GW_TEST_DB_PW"] = PASSWORD
    return d


def set_database_lines(d, lines):
    path = os.path.join(d.conf, "00-daemon.yaml")
    with open(path) as f:
        text = f.read().splitlines(True)
    out, skip = [], False
    for line in text:
        if line.startswith("  database:") or line.startswith("  database_password"):
            if not skip:
                out.extend("  %s\n" % x for x in lines)
                skip = True
            continue
        out.append(line)
    with open(path, "w") as f:
        f.write("".join(out))


def manage(d, *args, env_extra=None):
    env = dict(os.environ)
    env["EC2GW_SERVICE_PASSWORD"] = d.env["EC2GW_SERVICE_PASSWORD"]
    env["EC2GW_TEST_DB_PW"] = PASSWORD
    env.pop("EC2GW_SOURCE_DB_PASSWORD", None)
    env.update(env_extra or {})
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    return subprocess.Popen([MANAGE, "--config-dir", d.conf] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


class DataLayer(unittest.TestCase):
    def test_data_layer_on_mysql(self):
        env = dict(os.environ)
        env.update({"EC2GW_TEST_MYSQL_URL": SRV.url("ec2gw", "ec2gw_dl"),
                    "EC2GW_TEST_MYSQL_URL2": SRV.url("ec2gw", "ec2gw_dl2"),
                    "EC2GW_TEST_MYSQL_PASSWORD": PASSWORD,
                    "ASAN_OPTIONS": "detect_leaks=1"})
        t0 = time.time()
        p = subprocess.run([UNIT], capture_output=True, text=True, env=env, timeout=600)
        print(p.stdout[-3000:], p.stderr[-3000:])
        print("test_db_mysql: %.1f s" % (time.time() - t0))
        self.assertEqual(p.returncode, 0)
        self.assertIn("[  PASSED  ] 11 test(s).", p.stdout + p.stderr)


class Config(unittest.TestCase):
    def start_fails(self, lines, expect):
        d = mysql_daemon("ec2gw_dl")
        set_database_lines(d, lines)
        try:
            with self.assertRaises(RuntimeError) as cm:
                d.start()
            self.assertIn(expect, str(cm.exception))
        finally:
            d.stop()
            d.cleanup()

    def test_password_in_url_refused(self):
        self.start_fails(["database: mysql://ec2gw:%s@127.0.0.1:%d/ec2gw_dl" % (PASSWORD, PORT)],
                         "must not carry a password")

    def test_missing_password_variable(self):
        self.start_fails(["database: " + SRV.url("ec2gw", "ec2gw_dl"),
                          "database_password_env: EC2GW_TEST_NO_SUCH_VARIABLE"],
                         "EC2GW_TEST_NO_SUCH_VARIABLE is not set")

    def test_pool_size_refused(self):
        for bad in ("0", "65"):
            self.start_fails(["database: " + SRV.url("ec2gw", "ec2gw_dl"),
                              "database_password_env: EC2GW_TEST_DB_PW",
                              "database_pool: " + bad],
                             "paths.database_pool must be 1-64 (connections per worker), not "
                             + bad)

    def test_unreachable_server(self):
        t0 = time.time()
        self.start_fails(["database: mysql://ec2gw@127.0.0.1:1/ec2gw_dl",
                          "database_password_env: EC2GW_TEST_DB_PW"],
                         "cannot connect to MySQL ec2gw@127.0.0.1:1/ec2gw_dl")
        self.assertLess(time.time() - t0, 15)

    def test_wrong_password(self):
        with open(os.path.join(SRV.dir, "wrong-pw"), "w") as f:
            f.write("not-the-password\n")
        self.start_fails(["database: " + SRV.url("ec2gw", "ec2gw_dl"),
                          "database_password_file: " + os.path.join(SRV.dir, "wrong-pw")],
                         "Access denied")

    def test_manage_upgrade_twice_at_once(self):
        d = mysql_daemon("ec2gw_up")
        try:
            p = manage(d, "db", "version")
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 1, out + err)
            self.assertIn("schema version: none", out)
            self.assertIn("needs upgrade", out)
            procs = [manage(d, "db", "upgrade") for _ in range(2)]
            outs = [p.communicate(timeout=120) for p in procs]
            for p, (out, err) in zip(procs, outs):
                self.assertEqual(p.returncode, 0, out + err)
            print([o for o, _ in outs])
            self.assertEqual(sum("upgraded from schema version 0 to 3" in o for o, _ in outs)
                             + sum("already current" in o for o, _ in outs), 2)
            p = manage(d, "db", "version")
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, out + err)
            self.assertIn("status: current", out)
            self.assertEqual(SRV.sql("SELECT version FROM ec2gw_schema_version", "ec2gw_up"),
                             [["3"]])
            p = manage(d, "check")
            out, err = p.communicate(timeout=120)
            lines = [l for l in out.splitlines() if "database" in l]
            print("\n".join(lines))
            self.assertTrue(any("database writable" in l and "OK" in l for l in lines), out)
            self.assertTrue(any("database schema" in l and "OK" in l for l in lines), out)
        finally:
            d.cleanup()


class SharedWithEc2api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for q in EC2API_DDL:
            SRV.sql(q, "ec2api")
        cls.ddl_before = {t: SRV.sql("SHOW CREATE TABLE " + t, "ec2api")[0][1]
                          for t in ("items", "migrate_version")}
        cls.d = mysql_daemon("ec2api")
        env = cls.d.env
        glance = harness.OpenStackAs(env, "image")
        imgs = glance.get("/v2/images?name=cirros-fake")["images"]
        if not imgs:
            raise AssertionError("no cirros-fake image (tests/cloud/seed.py seeds it)")
        cls.glance_id = imgs[0]["id"]
        cls.project = env["EC2_PROJECT_ID"]
        # what ec2-api wrote: a mapping-only public image row and the project's tag on it
        cls.ami = "ami-0e2a0417"
        SRV.sql("DELETE FROM items WHERE os_id = '%s'" % cls.glance_id, "ec2api")
        SRV.sql("INSERT INTO items VALUES ('%s', NULL, NULL, '%s', '{\"is_public\": true}')"
                % (cls.ami, cls.glance_id), "ec2api")
        SRV.sql("INSERT INTO tags VALUES ('%s', '%s', 'made-by', 'ec2-api')"
                % (cls.project, cls.ami), "ec2api")
        cls.d.start()
        cls.ec2 = harness.boto3_client(cls.d, read_timeout=120)
        cls.nova = harness.OpenStackAs(env, "compute", timeout=90)

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def test_1_reads_ec2api_rows(self):
        imgs = self.ec2.describe_images(ImageIds=[self.ami])["Images"]
        self.assertEqual([i["ImageId"] for i in imgs], [self.ami])
        self.assertIn({"Key": "made-by", "Value": "ec2-api"}, imgs[0].get("Tags", []))
        tags = self.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [self.ami]}])
        self.assertEqual([(t["Key"], t["Value"]) for t in tags["Tags"]], [("made-by", "ec2-api")])

    def test_2_instance_lifecycle_rows_ec2api_reads(self):
        token = "h2-mysql-%d" % os.getpid()
        kw = dict(ImageId=self.ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny",
                  ClientToken=token)
        t0 = time.time()
        first = self.ec2.run_instances(**kw)
        iid = first["Instances"][0]["InstanceId"]
        again = self.ec2.run_instances(**kw)  # the retry answers the same, creates nothing
        self.assertEqual(again["Instances"][0]["InstanceId"], iid)
        self.assertEqual(again["ReservationId"], first["ReservationId"])
        print("RunInstances %s in %.1f s" % (iid, time.time() - t0))
        try:
            self.ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": "on-mysql"},
                                                        {"Key": "ünï", "Value": "çødé ✓"}])
            out = harness.aws_cli(self.d, "ec2", "describe-tags", "--filters",
                                  "Name=resource-id,Values=" + iid, "--output", "json")
            self.assertEqual(out.returncode, 0, out.stderr)
            got = sorted((t["Key"], t["Value"]) for t in json.loads(out.stdout)["Tags"])
            self.assertEqual(got, [("Name", "on-mysql"), ("ünï", "çødé ✓")])
            # the rows, as ec2-api's get_db_item / tags queries read them
            rows = SRV.sql("SELECT project_id, IFNULL(vpc_id, 'NULL'), os_id, data FROM items"
                           " WHERE id = '%s'" % iid, "ec2api")
            self.assertEqual(len(rows), 1)
            project, vpc, os_id, data = rows[0]
            self.assertEqual(project, self.project)
            data = json.loads(data)
            self.assertEqual(data.get("reservation_id"), first["ReservationId"])
            self.assertNotIn("id", data)
            self.assertNotIn("os_id", data)
            server = self.nova.get("/servers/" + os_id)["server"]
            self.assertEqual(server["tenant_id"], self.project)
            named = [s for s in self.nova.get("/servers?name=%5E" + first["ReservationId"] + "-")
                     ["servers"]]
            self.assertEqual(len(named), 1, "the retried RunInstances created a second server")
            tags = SRV.sql("SELECT `key`, value FROM tags WHERE project_id = '%s' AND"
                           " item_id = '%s' ORDER BY `key`" % (self.project, iid), "ec2api")
            self.assertEqual(sorted(map(tuple, tags)), [("Name", "on-mysql"), ("ünï", "çødé ✓")])
            # the other tenant sees none of it
            ec2b = harness.boto3_client(self.d, which=2)
            self.assertEqual(ec2b.describe_tags(Filters=[{"Name": "resource-id",
                                                          "Values": [iid]}])["Tags"], [])
            self.assertEqual(SRV.sql("SELECT count(*) FROM ec2gw_client_tokens WHERE token ="
                                     " '%s' AND result IS NOT NULL" % token, "ec2api"), [["1"]])
        finally:
            self.ec2.terminate_instances(InstanceIds=[iid])
        deadline = time.time() + 300
        while time.time() < deadline:
            res = self.ec2.describe_instances(
                Filters=[{"Name": "instance-id", "Values": [iid]}])["Reservations"]
            states = [i["State"]["Name"] for r in res for i in r["Instances"]]
            if not states or states == ["terminated"]:
                break
            time.sleep(3)
        else:
            self.fail("%s not terminated within 300 s: %s" % (iid, states))

    def test_3_ec2api_ddl_unchanged(self):
        for t, ddl in self.ddl_before.items():
            self.assertEqual(SRV.sql("SHOW CREATE TABLE " + t, "ec2api")[0][1], ddl)
        self.assertIn("CHARSET=utf8", SRV.sql("SHOW CREATE TABLE tags", "ec2api")[0][1])
        self.assertEqual(SRV.sql("SELECT version FROM migrate_version", "ec2api"), [["1"]])


class RowLock:
    """Another client's open transaction holding a row lock (the mariadb CLI over the socket):
    SELECT ... FOR UPDATE, held until release() (ROLLBACK) or the process ends."""

    def __init__(self, db, where):
        self.p = subprocess.Popen(
            [SRV.client, "--no-defaults", "-uroot", "-S", SRV.socket, "-N", "-B", "--unbuffered",
             db], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        # READ COMMITTED: the rows' own locks, no gap locks on their neighbours
        self.p.stdin.write("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;\n"
                           "START TRANSACTION;\nSELECT COUNT(*) FROM tags WHERE %s FOR UPDATE;\n"
                           "SELECT 'held';\n" % where)
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise AssertionError("the lock holder ended: %s %s" % (lines, self.p.stderr.read()))
            lines.append(line.strip())
            if line.strip() == "held":
                break
        self.rows = int(lines[0])

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.write("ROLLBACK;\n")
            self.p.stdin.close()
            self.p.wait(timeout=30)


def timed(fn):
    t0 = time.time()
    out = fn()
    return out, time.time() - t0


class LoopNeverWaits(unittest.TestCase):
    """A one-worker ec2gwd on MariaDB with database_pool: 4."""
    DB = "ec2gw_fib"
    LOCKED = "ami-0f1b0001"
    OTHER = "ami-0f1b0002"

    @classmethod
    def setUpClass(cls):
        cls.d = mysql_daemon(cls.DB, "\n  database_pool: 4")
        cls.d.start()
        cls.project = cls.d.env["EC2_PROJECT_ID"]
        cls.ec2 = harness.boto3_client(cls.d, read_timeout=60)
        cls.ec2.create_tags(Resources=[cls.LOCKED], Tags=[{"Key": "lock", "Value": "v1"}])

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def tag_rows(self, item):
        return SRV.sql("SELECT `key`, value FROM tags WHERE project_id = '%s' AND item_id = '%s'"
                       " ORDER BY `key`" % (self.project, item), self.DB)

    def blocked_create_tags(self, resources, value, out):
        import boto3
        from botocore.config import Config
        # one attempt, no retry: what the daemon answered is what is checked
        c = boto3.client("ec2", endpoint_url=self.d.url, region_name="RegionOne",
                         aws_access_key_id=self.d.env["EC2_ACCESS_KEY"],
                         aws_secret_access_key=self.d.env["EC2_SECRET_KEY"],
                         config=Config(retries={"total_max_attempts": 1}, read_timeout=60))
        t0 = time.time()
        try:
            c.create_tags(Resources=resources, Tags=[{"Key": "lock", "Value": value}])
            out["code"] = None
        except Exception as e:  # noqa: BLE001 - the code is what is checked
            out["code"] = getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
            out["status"] = getattr(e, "response", {}).get("ResponseMetadata", {}).get(
                "HTTPStatusCode")
            out["message"] = getattr(e, "response", {}).get("Error", {}).get("Message")
        out["seconds"] = time.time() - t0

    def test_0_one_worker(self):
        self.assertIn("ec2gw_workers 1", self.d.metrics())

    def test_1_loop_answers_while_a_request_waits_on_a_row_lock(self):
        lock = RowLock(self.DB, "project_id = '%s' AND item_id = '%s'"
                       % (self.project, self.LOCKED))
        out = {}
        try:
            t = threading.Thread(target=self.blocked_create_tags,
                                 args=([self.LOCKED], "v2", out))
            t0 = time.time()
            t.start()
            time.sleep(0.5)
            self.assertTrue(t.is_alive(), "CreateTags did not wait for the row lock: %s" % out)
            # another request that writes (on another row) gets a pooled connection of its own
            _, other = timed(lambda: self.ec2.create_tags(
                Resources=["ami-7f000003"], Tags=[{"Key": "other", "Value": "x"}]))
            regions, health = [], []
            for _ in range(20):
                _, s = timed(lambda: self.ec2.describe_regions())
                regions.append(s)
                _, s = timed(lambda: urllib.request.urlopen(self.d.url + "/healthz",
                                                            timeout=10).read())
                health.append(s)
            time.sleep(max(0.0, 2.0 - (time.time() - t0)))  # the lock held 2 s at least
            self.assertTrue(t.is_alive(), "the lock was held, CreateTags cannot have ended")
            print("while CreateTags waits on the row lock: DescribeRegions max %.1f ms median "
                  "%.1f ms, /healthz max %.1f ms (20 each)"
                  % (max(regions) * 1000, statistics.median(regions) * 1000, max(health) * 1000))
            print("CreateTags on another row meanwhile: %.1f ms" % (other * 1000))
            self.assertLess(max(regions), 0.2)
            self.assertLess(max(health), 0.2)
            self.assertLess(other, 1.0)
        finally:
            lock.release()
        t.join(60)
        self.assertFalse(t.is_alive())
        print("blocked CreateTags: %s after %.2f s" % (out.get("code"), out["seconds"]))
        self.assertIsNone(out.get("code"), out)
        self.assertGreater(out["seconds"], 1.5)  # it did wait for the lock
        self.assertEqual(self.tag_rows(self.LOCKED), [["lock", "v2"]])
        self.assertEqual(self.tag_rows("ami-7f000003"), [["other", "x"]])

    def test_2_lock_held_past_its_limit_is_retryable_and_writes_nothing(self):
        lock = RowLock(self.DB, "project_id = '%s' AND item_id = '%s'"
                       % (self.project, self.LOCKED))
        out = {}
        try:
            t = threading.Thread(target=self.blocked_create_tags,
                                 args=([self.OTHER, self.LOCKED], "v3", out))
            t.start()
            _, s = timed(lambda: self.ec2.describe_regions())
            self.assertLess(s, 0.2)
            t.join(60)
        finally:
            lock.release()
        self.assertFalse(t.is_alive(), "no answer within 60 s")
        print("CreateTags past the lock wait: %s %s after %.2f s: %s"
              % (out.get("status"), out.get("code"), out["seconds"], out.get("message")))
        self.assertEqual(out.get("code"), "ServiceUnavailable", out)
        self.assertEqual(out.get("status"), 503)
        self.assertIn("database is busy", out.get("message", ""))
        self.assertLess(out["seconds"], 9)  # InnoDB's lock wait (5 s) and a round trip
        # one transaction: OTHER's tag (written before the wait) was rolled back with it
        self.assertEqual(self.tag_rows(self.OTHER), [])
        self.assertEqual(self.tag_rows(self.LOCKED), [["lock", "v2"]])
        # and the same request goes through once the lock is gone
        self.ec2.create_tags(Resources=[self.OTHER, self.LOCKED],
                             Tags=[{"Key": "lock", "Value": "v3"}])
        self.assertEqual(self.tag_rows(self.OTHER), [["lock", "v3"]])

    def test_3_concurrent_clients_ids_and_tags(self):
        clients, per = 8, 15
        errors, images = [], {}
        barrier = threading.Barrier(clients)

        def work(n):
            c = harness.boto3_client(self.d, read_timeout=120)
            try:
                barrier.wait()
                # the first sight of the project's images makes their ami ids: all race it
                images[n] = sorted((i["ImageId"], i.get("Name"))
                                   for i in c.describe_images()["Images"])
                for k in range(per):
                    item = "ami-%08x" % (0x0f2c0000 + n * 256 + k)
                    c.create_tags(Resources=[item, self.LOCKED],
                                  Tags=[{"Key": "c%d" % n, "Value": "%d-%d" % (n, k)}])
            except Exception as e:  # noqa: BLE001
                errors.append("client %d: %r" % (n, e))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        took = time.time() - t0
        print("%d clients x (DescribeImages + %d CreateTags): %.1f s, errors %s"
              % (clients, per, took, errors))
        self.assertEqual(errors, [])
        first = images[0]
        self.assertTrue(first, "no image seen")
        for n in range(clients):
            self.assertEqual(images[n], first, "client %d saw other image ids" % n)
        # one id per image in the database, the ids the clients saw
        rows = SRV.sql("SELECT id, os_id FROM items WHERE id REGEXP '^a[mkr]i-'", self.DB)
        ids = [r[0] for r in rows]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len([r[1] for r in rows]), len({r[1] for r in rows}))
        for ami, _ in first:
            self.assertIn(ami, ids)
        for n in range(clients):
            got = SRV.sql("SELECT item_id, value FROM tags WHERE project_id = '%s' AND `key` = 'c%d'"
                          " ORDER BY item_id" % (self.project, n), self.DB)
            want = sorted([["ami-%08x" % (0x0f2c0000 + n * 256 + k), "%d-%d" % (n, k)]
                           for k in range(per)] + [[self.LOCKED, "%d-%d" % (n, per - 1)]])
            self.assertEqual(sorted(got), want)


def sql_literal(v):
    if v is None:
        return "NULL"
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


class ImportFromMysql(unittest.TestCase):
    """db import-ec2api mysql://... : 10 000 ec2-api items (ec2api_fixture.py's rows) loaded
    into ec2-api's MySQL tables, imported into a fresh SQLite database; a second run imports
    nothing and finds every row identical."""

    def test_import_10000_items(self):
        import sqlite3
        import tempfile
        work = tempfile.mkdtemp(prefix="ec2gw-mysql-import-")
        src = os.path.join(work, "ec2api.sqlite")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__),
                                                     "ec2api_fixture.py"), src,
                        "--items", "10000", "--projects", "project-a,project-b"],
                       check=True, capture_output=True)
        SRV.create_user("ec2gw", PASSWORD, "ec2api_big")
        for q in EC2API_DDL:
            SRV.sql(q, "ec2api_big")
        lite = sqlite3.connect(src)
        items = lite.execute("SELECT id, project_id, vpc_id, os_id, data FROM items").fetchall()
        tags = lite.execute('SELECT project_id, item_id, "key", value FROM tags').fetchall()
        lite.close()
        script = ["SET autocommit=0;"]
        for i in range(0, len(items), 500):
            script.append("INSERT INTO items VALUES " + ",".join(
                "(%s)" % ",".join(sql_literal(v) for v in row) for row in items[i:i + 500]) + ";")
        for i in range(0, len(tags), 500):
            script.append("INSERT INTO tags VALUES " + ",".join(
                "(%s)" % ",".join(sql_literal(v) for v in row) for row in tags[i:i + 500]) + ";")
        script.append("COMMIT;")
        with open(os.path.join(work, "load.sql"), "w") as f:
            f.write("\n".join(script))
        with open(os.path.join(work, "load.sql")) as f:
            subprocess.run([SRV.client, "--no-defaults", "--default-character-set=utf8mb4",
                            "-uroot", "-S", SRV.socket, "ec2api_big"], stdin=f, check=True)
        self.assertEqual(SRV.sql("SELECT count(*) FROM items", "ec2api_big"),
                         [[str(len(items))]])
        d = harness.Daemon()  # its conf.d: a fresh SQLite database
        try:
            env = {"EC2GW_SOURCE_DB_PASSWORD": PASSWORD}
            url = SRV.url("ec2gw", "ec2api_big")
            t0 = time.time()
            p = manage(d, "db", "import-ec2api", url, env_extra=env)
            out, err = p.communicate(timeout=600)
            took = time.time() - t0
            print(out, err)
            print("import of %d items and %d tags from MySQL: %.2f s (whole command)"
                  % (len(items), len(tags), took))
            self.assertEqual(p.returncode, 0, out + err)
            self.assertRegex(out, r"items\s+%d\s+%d\s+0\s+0" % (len(items), len(items)))
            self.assertRegex(out, r"tags\s+%d\s+%d\s+0\s+0" % (len(tags), len(tags)))
            db = sqlite3.connect(os.path.join(d.dir, "db.sqlite"))
            got = sorted(db.execute("SELECT id, project_id, vpc_id, os_id, data FROM items"))
            db.close()
            self.assertEqual(got, sorted(items))
            p = manage(d, "db", "import-ec2api", url, env_extra=env)
            out, err = p.communicate(timeout=600)
            self.assertEqual(p.returncode, 0, out + err)
            self.assertRegex(out, r"items\s+%d\s+0\s+%d\s+0" % (len(items), len(items)))
            p = manage(d, "db", "import-ec2api", url, env_extra={})
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertIn("Access denied", err)
        finally:
            d.cleanup()
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(r))
