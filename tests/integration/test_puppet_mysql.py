#!/usr/bin/env python3
"""ec2gw::db::mysql (issue 20) applied for real, as root: `puppet apply` of the class against a
private mariadbd (mysql_server.py, 127.0.0.1:3309, its datadir under
/var/tmp/ec2gw-puppet-mysql-it-*), then the build's ec2gwd on the database it made.

- Bad input fails at compile time (exit 1, a clear message) and creates nothing: a password of
  whitespace only, a dbname with a hyphen (both applies run at once, to save time).
- The first apply exits 2 (changes), the second 0 (nothing to do). The password (random, with
  a quote and a backslash) is in no output, no file Puppet writes (reports, state) and no
  command line: the class's client is a wrapper (in a directory with a space in its name,
  which the class must quote) that records its own and its shell's /proc/PID/cmdline, and the
  mode of its environ (the SQL with the password is in the environment: root-only, 0400).
- MariaDB: the database is utf8mb4/utf8mb4_general_ci; ec2gw@127.0.0.1 and ec2gw@localhost log
  in with the password (TCP and socket) and hold exactly USAGE and ALL on `ec2gw`.*: creating
  another database or reading mysql.user is refused.
- `ec2gw-manage db version/upgrade/version` as that user, then ec2gwd (127.0.0.1:18830,
  `paths.database: mysql://ec2gw@127.0.0.1:3309/ec2gw`, the password from
  `database_password_env`) against the real cloud: awscli CreateTags on the project's security
  group, boto3 DescribeTags reads it back, and the row is in MariaDB's `tags` table.
Everything (ec2gwd, mariadbd, the work directory) is stopped and removed at the end, also on
failure."""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from mysql_server import MysqlServer

DB_PORT = 3309
GW_PORT = 18830
MODULE = os.path.join(harness.ROOT, "contrib/puppet/ec2gw")
STDLIB = "/usr/share/puppet/modules/stdlib"
MANAGE = os.path.join(harness.BUILD, "daemon/ec2gw-manage")
PW_ENV = "EC2GW_TEST_PUPPET_DB_PW"
# The random part finds the password in any escaped form too ('' or \\ doubled up).
TOKEN = secrets.token_hex(8)
PASSWORD = "pw-%s'q\\b\"$HOME`%%" % TOKEN

SRV = None
WORK = None
CLIENT = None      # the wrapper given as mysql_command
CLIENT_LOG = None  # one block per client run: its cmdline, its shell's cmdline, environ mode
DAEMON = None
TIMES = {}


def pp_string(s):
    """A Puppet single-quoted string literal."""
    return "'%s'" % s.replace("\\", "\\\\").replace("'", "\\'")


def manifest(password, dbname="ec2gw", user="ec2gw"):
    opts = ["--no-defaults", "--socket=" + SRV.socket, "--user=root"]
    return """class { 'ec2gw::db::mysql':
  password      => Sensitive(%s),
  dbname        => %s,
  user          => %s,
  allowed_hosts => ['localhost'],
  mysql_command => %s,
  mysql_options => [%s],
}
""" % (pp_string(password), pp_string(dbname), pp_string(user), pp_string(CLIENT),
       ", ".join(pp_string(o) for o in opts))


def apply_cmd(name, text):
    """The puppet apply command line of a manifest written (0600: it holds the password) to
    WORK/<name>.pp, with its own conf/var dirs."""
    path = os.path.join(WORK, name + ".pp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    args = ["puppet", "apply", "--detailed-exitcodes", "--color=false",
            "--modulepath", os.path.join(WORK, "modules")]
    for d in ("confdir", "vardir", "codedir", "logdir", "rundir"):
        args += ["--" + d, os.path.join(WORK, "puppet-" + name, d)]
    return args + [path]


def puppet_apply(name, text):
    """(exit status, output, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run(apply_cmd(name, text), capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


def client_runs():
    """The wrapper's records: a list of (cmdline, shell's cmdline, environ mode)."""
    if not os.path.exists(CLIENT_LOG):
        return []
    with open(CLIENT_LOG, errors="replace") as f:
        blocks = f.read().split("\n--\n")
    return [tuple(b.split("\n")[:3]) for b in blocks if b.strip()]


def files_holding(root, needle):
    """The files below root (symlinks not followed) that hold needle."""
    hits = []
    for d, _, names in os.walk(root):
        for name in names:
            path = os.path.join(d, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    if needle.encode() in f.read():
                        hits.append(path)
    return hits


def db_state():
    """Databases and accounts of the server: what a refused apply must leave as it was."""
    return (sorted(r[0] for r in SRV.sql("SHOW DATABASES")),
            sorted(tuple(r) for r in SRV.sql("SELECT user, host FROM mysql.user")))


def login(*args, password=PASSWORD):
    """The mariadb client as ec2gw, the password in MYSQL_PWD (not on the command line)."""
    env = dict(os.environ, MYSQL_PWD=password)
    return subprocess.run(["mariadb", "--no-defaults", "--user=ec2gw", "-N", "-B"] + list(args),
                          capture_output=True, text=True, env=env, timeout=60)


def tcp(sql):
    return login("--protocol=TCP", "--host=127.0.0.1", "--port=%d" % DB_PORT, "-e", sql)


def sock(sql):
    return login("--socket=" + SRV.socket, "-e", sql)


def manage(*args):
    env = dict(os.environ)
    env["EC2GW_SERVICE_PASSWORD"] = DAEMON.env["EC2GW_SERVICE_PASSWORD"]
    env[PW_ENV] = PASSWORD
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    return subprocess.run([MANAGE, "--config-dir", DAEMON.conf] + list(args),
                          capture_output=True, text=True, env=env, timeout=300)


def wait_port_free(port, timeout):
    """bench/mysql_lock_wait.py's mariadbd uses 3309 too, for a minute or two: wait it out (the
    server then waits 30 s more and fails naming the port)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return
            except OSError:
                pass
        time.sleep(2)


def setUpModule():
    global SRV, WORK, CLIENT, CLIENT_LOG
    if os.geteuid() != 0:
        raise AssertionError("puppet apply of ec2gw::db::mysql runs as root")
    for tool in ("puppet", "mariadb", "aws"):
        if shutil.which(tool) is None:
            raise AssertionError("%s not found (tools/deps.sh installs it)" % tool)
    if not os.path.exists(os.path.join(STDLIB, "metadata.json")):
        raise AssertionError("puppetlabs-stdlib missing at %s" % STDLIB)
    try:
        WORK = tempfile.mkdtemp(prefix="ec2gw-puppet-mysql-it-")
        os.makedirs(os.path.join(WORK, "modules"))
        os.symlink(MODULE, os.path.join(WORK, "modules", "ec2gw"))
        os.symlink(STDLIB, os.path.join(WORK, "modules", "stdlib"))
        os.makedirs(os.path.join(WORK, "client bin"))
        CLIENT = os.path.join(WORK, "client bin", "mariadb")
        CLIENT_LOG = os.path.join(WORK, "client.log")
        with open(CLIENT, "w") as f:
            f.write("#!/bin/sh\n"
                    "# Records how Puppet ran the client, then runs the real one.\n"
                    "{ tr '\\0' ' ' </proc/$$/cmdline; echo; tr '\\0' ' ' </proc/$PPID/cmdline;"
                    " echo; stat -c %%a /proc/$$/environ; echo --; } >>'%s'\n"
                    "exec /usr/bin/mariadb \"$@\"\n" % CLIENT_LOG)
        os.chmod(CLIENT, 0o700)
        wait_port_free(DB_PORT, 300)
        SRV = MysqlServer(port=DB_PORT, prefix="ec2gw-puppet-mysql-it-")
        SRV.start()
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    global DAEMON
    try:
        if DAEMON is not None:
            d, DAEMON = DAEMON, None
            harness.stop_daemon(d)
    finally:
        if SRV is not None:
            SRV.stop()
        if WORK:
            shutil.rmtree(WORK, ignore_errors=True)
        if TIMES:
            print("times: " + ", ".join("%s %.1f s" % kv for kv in TIMES.items()))


class PuppetMysql(unittest.TestCase):
    # unittest runs the methods in name order: the steps build on each other.

    def assert_no_password(self, text, where):
        self.assertNotIn(TOKEN, text, "the password is in " + where)

    def test_1_bad_input_refused_at_compile_time(self):
        before = db_state()
        cases = {"blank": (manifest(" \t ", "ec2gw_blank", "ec2gw_blank"),
                           "password must not be empty or whitespace only"),
                 "hyphen": (manifest(PASSWORD, "ec2-gw", "ec2gw_hyphen"),
                            "parameter 'dbname' expects a match for Pattern")}
        t0 = time.monotonic()
        procs = {k: subprocess.Popen(apply_cmd(k, text), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
                 for k, (text, _) in cases.items()}
        outs = {k: p.communicate(timeout=900)[0] for k, p in procs.items()}
        TIMES["refused applies (2 at once)"] = time.monotonic() - t0
        for k, (_, message) in cases.items():
            out = outs[k]
            print("%s: exit %d: %s" % (k, procs[k].returncode,
                                       [l for l in out.splitlines() if "Error: " in l
                                        and "Facter" not in l]))
            self.assertEqual(procs[k].returncode, 1, out)
            self.assertIn(message, out)
            self.assertIn("ec2gw::db::mysql", out.lower())
            self.assert_no_password(out, "the output of the refused apply " + k)
        self.assertEqual(db_state(), before, "a refused apply changed MariaDB")
        self.assertEqual(client_runs(), [], "a refused apply ran the client")

    def test_2_first_apply_creates(self):
        rc, out, secs = puppet_apply("apply", manifest(PASSWORD))
        TIMES["first apply"] = secs
        self.assertEqual(rc, 2, "puppet apply: expected changes and no failure (2):\n" + out)
        for res in ("database ec2gw", "grant ec2gw@127.0.0.1", "grant ec2gw@localhost"):
            self.assertIn("Exec[ec2gw mysql %s]/returns: executed successfully" % res, out)
        self.assert_no_password(out, "puppet's output")
        runs = client_runs()
        print("client runs: %d, e.g. %r" % (len(runs), runs[-1]))
        # 3 read-only unless queries and 3 changes, each through the quoted wrapper path
        self.assertEqual(len(runs), 6, runs)
        for cmdline, shell, mode in runs:
            self.assertTrue(cmdline.startswith("/bin/sh %s --no-defaults " % CLIENT), cmdline)
            self.assert_no_password(cmdline + shell, "a command line (ps)")
            self.assertEqual(mode, "400", "the client's environ is readable by others")
        changes = [r for r in runs if '"$EC2GW_SQL"' in r[1]]
        self.assertEqual(len(changes), 3, runs)

    def test_3_second_apply_changes_nothing(self):
        n = len(client_runs())
        rc, out, secs = puppet_apply("apply", manifest(PASSWORD))
        TIMES["second apply"] = secs
        self.assertEqual(rc, 0, "second puppet apply: expected no changes (0):\n" + out)
        self.assertNotIn("executed successfully", out)
        self.assert_no_password(out, "puppet's output")
        runs = client_runs()[n:]
        self.assertEqual(len(runs), 3, "expected the 3 unless queries only: %r" % runs)
        self.assertFalse([r for r in runs if "EC2GW_SQL" in r[1]], runs)
        hits = files_holding(WORK, TOKEN)
        self.assertEqual([h for h in hits if not h.endswith(".pp")], [],
                         "the password is in a file Puppet wrote")

    def test_4_database_users_and_grants(self):
        self.assertEqual(SRV.sql("SELECT default_character_set_name, default_collation_name "
                                 "FROM information_schema.schemata "
                                 "WHERE schema_name = 'ec2gw'"),
                         [["utf8mb4", "utf8mb4_general_ci"]])
        self.assertEqual(sorted(r[0] for r in SRV.sql(
            "SELECT host FROM mysql.user WHERE user = 'ec2gw'")), ["127.0.0.1", "localhost"])
        for host in ("127.0.0.1", "localhost"):
            grants = [r[0] for r in SRV.sql("SHOW GRANTS FOR 'ec2gw'@'%s'" % host)]
            print(host, grants)
            self.assertEqual(len(grants), 2, grants)
            self.assertTrue(grants[0].startswith("GRANT USAGE ON *.* TO `ec2gw`@`%s`" % host),
                            grants)
            self.assertEqual(grants[1], "GRANT ALL PRIVILEGES ON `ec2gw`.* TO `ec2gw`@`%s`"
                             % host)
        # the password (quote and backslash included) is the one given, for either account
        for via, run, account in ((("tcp", tcp, "ec2gw@127.0.0.1")),
                                  (("socket", sock, "ec2gw@localhost"))):
            r = run("SELECT CURRENT_USER()")
            self.assertEqual((r.returncode, r.stdout.strip()), (0, account), via + r.stderr)
        r = login("--protocol=TCP", "--host=127.0.0.1", "--port=%d" % DB_PORT, "-e", "SELECT 1",
                  password=PASSWORD + "x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Access denied", r.stderr)
        # grants on that database only
        r = tcp("CREATE TABLE ec2gw.probe (id INT); DROP TABLE ec2gw.probe")
        self.assertEqual(r.returncode, 0, r.stderr)
        for sql in ("CREATE DATABASE ec2gw_other", "SELECT COUNT(*) FROM mysql.user"):
            r = tcp(sql)
            self.assertNotEqual(r.returncode, 0, sql)
            self.assertIn("denied", r.stderr, sql)

    def test_5_daemon_on_the_database(self):
        global DAEMON
        DAEMON = harness.Daemon(extra_conf=(
            "listen:\n  port: %d\npaths:\n  database: mysql://ec2gw@127.0.0.1:%d/ec2gw\n"
            "  database_password_env: %s\n" % (GW_PORT, DB_PORT, PW_ENV)))
        DAEMON.port = GW_PORT
        DAEMON.url = "http://127.0.0.1:%d" % GW_PORT
        r = manage("db", "version")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("schema version: none", r.stdout)
        r = manage("db", "upgrade")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("upgraded from schema version 0", r.stdout)
        r = manage("db", "version")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("status: current", r.stdout)
        print(r.stdout.strip())

        os.environ[PW_ENV] = PASSWORD
        try:
            DAEMON.start()
        finally:
            del os.environ[PW_ENV]
        ec2 = harness.boto3_client(DAEMON)
        groups = ec2.describe_security_groups()["SecurityGroups"]
        self.assertTrue(groups, "the demo project has no security group")
        sg = groups[0]["GroupId"]
        value = "puppet-mysql-" + secrets.token_hex(4)
        r = harness.aws_cli(DAEMON, "ec2", "create-tags", "--resources", sg,
                            "--tags", "Key=ec2gw-it-puppet-mysql,Value=" + value)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [sg]},
                                          {"Name": "key", "Values": ["ec2gw-it-puppet-mysql"]}])
        self.assertEqual([(t["ResourceId"], t["Value"]) for t in tags["Tags"]], [(sg, value)])
        rows = SRV.sql("SELECT project_id, item_id, `key`, value FROM tags "
                       "WHERE `key` = 'ec2gw-it-puppet-mysql'", "ec2gw")
        print("tags row:", rows)
        self.assertEqual(len(rows), 1, rows)
        self.assertTrue(rows[0][0], rows)
        self.assertEqual(rows[0][1:], [sg, "ec2gw-it-puppet-mysql", value])
        with open(DAEMON.log_path, errors="replace") as f:
            self.assertNotIn(TOKEN, f.read(), "the password is in ec2gwd's log")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    raise SystemExit(harness.summary(result))
