#!/usr/bin/env python3
"""Two ec2gwd nodes behind HAProxy on one MariaDB, all on 127.0.0.1 (issue 17, "Two nodes").

    python3 tests/multinode/nodes.py up|down|status [--run-dir DIR] [--sqlite]

`up` starts, each with a pid file under the run directory (default /tmp/ec2gw-multinode):
a private mariadbd on port 3308 (its own datadir; tests/integration/mysql_server.py) with
database and user `ec2gw`; ec2gwd nodes a and b on 18801 and 18802 (each its own conf.d:
listen port, database URL, the password in EC2GW_DB_PASSWORD, the all-in-one cloud's Keystone
as tests/integration/harness.py sets it); and Debian's haproxy on 18800 (haproxy.cfg.in
beside this file; its request log goes to UDP 127.0.0.1:18803, LogListener) once both nodes
answer /healthz. `--sqlite`: the nodes share one SQLite
file instead (WAL works across processes of one machine). `down` stops all of it; `status`
says what runs. ec2gwd comes from $EC2GW_BUILD_DIR (default: build/ of the checkout).
Tests import Cluster (tests/integration/test_multinode.py).
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from mysql_server import MysqlServer  # noqa: E402

FRONT_PORT = 18800
LOG_PORT = 18803  # UDP: HAProxy's request log, to whoever listens (test_multinode.py)
NODE_PORTS = {"a": 18801, "b": 18802}
MYSQL_PORT = 3308
DB_NAME = DB_USER = "ec2gw"
DB_PASSWORD_ENV = "EC2GW_DB_PASSWORD"
DEFAULT_RUN_DIR = "/tmp/ec2gw-multinode"

# What HAProxy answers when no node can (errorfile): the EC2 error document ec2gwd writes.
UNAVAILABLE_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>Unavailable</Code>'
    "<Message>No ec2gw node answered this request (load balancer); retry it</Message></Error>"
    "</Errors><RequestID>haproxy</RequestID></Response>\n")


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def read_pid(path, exe):
    """The pid in @path if that process still runs @exe (a pid reused by another program
    is not ours), else None."""
    try:
        with open(path) as f:
            pid = int(f.read().split()[0])
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode()
    except (OSError, ValueError, IndexError):
        return None
    return pid if os.path.basename(argv0) == exe else None


def wait_gone(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class Mysql(MysqlServer):
    """H2's MysqlServer with its datadir, socket and pid file under our run directory, so
    that `nodes.py down` (another process) finds it by its pid file."""

    def __init__(self, run_dir, port=MYSQL_PORT):  # noqa: super().__init__ makes a temp dir
        self.port = port
        self.keep = False
        self.dir = os.path.join(run_dir, "mysql")
        os.makedirs(self.dir, exist_ok=True)
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.pid_file = os.path.join(self.dir, "mysqld.pid")
        self.log_path = os.path.join(self.dir, "mysqld.log")
        self.proc = None
        self.client = shutil.which("mariadb") or "/usr/bin/mariadb"

    def _port_free(self):
        # with SO_REUSEADDR, as mariadbd binds: the TIME_WAIT of the nodes' connections to a
        # server just stopped does not keep the port
        return port_free(self.port)

    def running(self):
        return read_pid(self.pid_file, "mariadbd") is not None


class Node:
    """One ec2gwd with its own conf.d, pid file and log under run_dir/node-NAME."""

    def __init__(self, name, port, run_dir, env, database, db_password=None,
                 os_timeout="60s"):
        self.name, self.port, self.env = name, port, env
        self.url = "http://127.0.0.1:%d" % port
        self.dir = os.path.join(run_dir, "node-" + name)
        self.conf = os.path.join(self.dir, "conf.d")
        self.pid_file = os.path.join(self.dir, "ec2gwd.pid")
        self.log_path = os.path.join(self.dir, "ec2gwd.log")
        self.database, self.db_password, self.os_timeout = database, db_password, os_timeout
        self.proc = None

    def write_conf(self):
        """The shipped conf.d with this node's listen port, database and openstack.timeout
        (how long a dead node's ClientToken claims settle before another node takes over)."""
        os.makedirs(self.conf, exist_ok=True)
        with open(os.path.join(ROOT, "conf.d", "00-daemon.yaml")) as f:
            src = f.read()
        db = "  database: %s\n" % self.database
        if self.db_password is not None:
            db += "  database_password_env: %s\n" % DB_PASSWORD_ENV
        edits = [("  port: 8788", "  port: %d" % self.port),
                 ("  timeout: 60s", "  timeout: %s" % self.os_timeout)]
        for old, new in edits:
            assert old in src, "conf.d/00-daemon.yaml has no %r" % old
            src = src.replace(old, new, 1)
        lines = [db if ln.strip().startswith("database:") else ln
                 for ln in src.splitlines(keepends=True)]
        assert db in lines, "conf.d/00-daemon.yaml has no paths.database line"
        with open(os.path.join(self.conf, "00-daemon.yaml"), "w") as f:
            f.write("".join(lines))
        for name in sorted(os.listdir(os.path.join(ROOT, "conf.d"))):
            if name.endswith(".yaml") and name != "00-daemon.yaml":
                shutil.copy(os.path.join(ROOT, "conf.d", name), self.conf)

    def pid(self):
        return read_pid(self.pid_file, "ec2gwd")

    def healthz(self, timeout=2):
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def start(self, timeout=60):
        if not port_free(self.port):
            raise RuntimeError("node %s: 127.0.0.1:%d is in use" % (self.name, self.port))
        env = dict(os.environ)
        env["EC2GW_SERVICE_PASSWORD"] = self.env["EC2GW_SERVICE_PASSWORD"]
        if self.db_password is not None:
            env[DB_PASSWORD_ENV] = self.db_password
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        exe = os.path.join(harness.BUILD, "daemon", "ec2gwd")
        if not os.access(exe, os.X_OK):
            raise RuntimeError("no %s: build ec2gwd (EC2GW_BUILD_DIR)" % exe)
        log = open(self.log_path, "a")
        log.write("=== nodes.py: starting node %s at %s\n" % (self.name, time.ctime()))
        log.flush()
        # its own session: `nodes.py up` returns and leaves it running
        self.proc = subprocess.Popen(
            [exe, "-c", self.conf, "--plugin-dir", os.path.join(harness.BUILD, "plugins")],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        with open(self.pid_file, "w") as f:
            f.write("%d\n" % self.proc.pid)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("node %s: ec2gwd exited (%s); read %s" % (
                    self.name, self.proc.returncode, self.log_path))
            if self.healthz(1) is not None:
                return self
            time.sleep(0.1)
        raise RuntimeError("node %s: no /healthz within %d s; read %s" % (
            self.name, timeout, self.log_path))

    def kill9(self):
        pid = self.pid()
        if pid is None:
            raise RuntimeError("node %s is not running" % self.name)
        os.kill(pid, signal.SIGKILL)
        if self.proc is not None and self.proc.pid == pid:
            self.proc.wait()
        if not wait_gone(pid, 10):
            raise RuntimeError("node %s (pid %d) survived SIGKILL" % (self.name, pid))
        return pid

    def stop(self, timeout=30):
        """SIGTERM (ec2gwd drains); the exit status when we started it (non-zero: a sanitizer
        report), None when it was not running."""
        pid = self.pid()
        if pid is None:
            return None
        os.kill(pid, signal.SIGTERM)
        rc = 0
        if self.proc is not None and self.proc.pid == pid:
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        elif not wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            rc = -9
        os.unlink(self.pid_file)
        return rc


class HAProxy:
    """Debian's haproxy (-D, pid file) with haproxy.cfg.in; its stats socket says what it
    thinks of each node."""

    def __init__(self, run_dir, front_port, nodes):
        self.run_dir, self.port, self.nodes = run_dir, front_port, nodes
        self.cfg = os.path.join(run_dir, "haproxy.cfg")
        self.pid_file = os.path.join(run_dir, "haproxy.pid")
        self.sock = os.path.join(run_dir, "haproxy.sock")
        self.url = "http://127.0.0.1:%d" % front_port

    def write_cfg(self):
        body = UNAVAILABLE_XML.encode()
        head = ("HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\n"
                "Connection: close\r\nContent-Type: text/xml;charset=UTF-8\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode()
        with open(os.path.join(self.run_dir, "ec2-unavailable.http"), "wb") as f:
            f.write(head + body)
        with open(os.path.join(HERE, "haproxy.cfg.in")) as f:
            text = f.read()
        for k, v in (("RUN_DIR", self.run_dir), ("FRONT_PORT", self.port),
                     ("LOG_PORT", LOG_PORT),
                     ("PORT_A", self.nodes["a"].port), ("PORT_B", self.nodes["b"].port)):
            text = text.replace("@%s@" % k, str(v))
        left = re.findall(r"@[A-Z_]+@", text)
        assert not left, "haproxy.cfg: no value for %s" % left
        with open(self.cfg, "w") as f:
            f.write(text)

    def start(self, timeout=30):
        exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not os.access(exe, os.X_OK):
            raise RuntimeError("haproxy not found: install Debian's haproxy (tools/deps.sh)")
        if not port_free(self.port):
            raise RuntimeError("haproxy: 127.0.0.1:%d is in use" % self.port)
        self.write_cfg()
        r = subprocess.run([exe, "-c", "-q", "-f", self.cfg], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("haproxy -c: %s%s" % (r.stdout, r.stderr))
        r = subprocess.run([exe, "-f", self.cfg, "-p", self.pid_file, "-D"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("haproxy -D failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if all(s["status"] == "UP" for s in self.servers().values()):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("haproxy: the nodes are not UP after %d s: %s" % (
            timeout, self.servers()))

    def pid(self):
        return read_pid(self.pid_file, "haproxy")

    def command(self, cmd):
        """One command on the stats socket; its whole answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.sock)
            s.sendall(cmd.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode()
                out += chunk

    def stat(self):
        """`show stat` as {(proxy, server): row}."""
        lines = self.command("show stat").splitlines()
        head = lines[0].lstrip("# ").split(",")
        rows = {}
        for line in lines[1:]:
            if line.strip():
                row = dict(zip(head, line.split(",")))
                rows[(row["pxname"], row["svname"])] = row
        return rows

    def servers(self, backend="ec2gw"):
        """{node name: its `show stat` row} in @backend ("status": UP, DOWN, ...): ec2gw
        (checked with /healthz) or ec2gw-alive (a TCP connect; used when no node passes
        /healthz)."""
        return {sv: row for (px, sv), row in self.stat().items()
                if px == backend and sv in self.nodes}

    def sessions(self):
        """`show sess`: [(client port, server name or None)] of the streams now open."""
        out = []
        for line in self.command("show sess").splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "src" in fields and ":" in fields["src"]:
                srv = fields.get("srv")
                out.append((int(fields["src"].rsplit(":", 1)[1]),
                            None if srv is None or srv.lower() == "<none>" else srv))
        return out

    def stop(self, timeout=10):
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
        os.unlink(self.pid_file)
        return True


class LogListener(threading.Thread):
    """HAProxy's syslog lines on UDP 127.0.0.1:LOG_PORT, kept as (time, text)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", LOG_PORT))
        self.sock.settimeout(0.5)
        self.lines = []
        self.stopping = False

    def run(self):
        while not self.stopping:
            try:
                data = self.sock.recv(8192)
            except socket.timeout:
                continue
            self.lines.append((time.time(), data.decode(errors="replace").strip()))

    def close(self):
        self.stopping = True
        self.join(2)
        self.sock.close()


class Cluster:
    """MariaDB (or one SQLite file), nodes a and b, HAProxy in front."""

    def __init__(self, run_dir=DEFAULT_RUN_DIR, backend="mysql", os_timeout="60s"):
        self.run_dir = os.path.abspath(run_dir)
        self.backend = backend
        self.env = harness.cloud_env()
        self.url = "http://127.0.0.1:%d" % FRONT_PORT
        self.mysql = Mysql(self.run_dir) if backend == "mysql" else None
        self.state_path = os.path.join(self.run_dir, "cluster.json")
        self.db_password = self._password()
        if backend == "mysql":
            database = "mysql://%s@127.0.0.1:%d/%s" % (DB_USER, MYSQL_PORT, DB_NAME)
        else:
            database = os.path.join(self.run_dir, "ec2gw.sqlite")
        self.database = database
        self.nodes = {n: Node(n, p, self.run_dir, self.env, database, self.db_password,
                              os_timeout) for n, p in NODE_PORTS.items()}
        self.haproxy = HAProxy(self.run_dir, FRONT_PORT, self.nodes)

    def _password(self):
        """The database password: kept in the run directory (mode 600) for `down`/`status`
        and a restart of a node by another process."""
        if self.backend != "mysql":
            return None
        path = os.path.join(self.run_dir, "db-password")
        if os.path.exists(path):
            with open(path) as f:
                return f.read().strip()
        os.makedirs(self.run_dir, exist_ok=True)
        pw = secrets.token_hex(16)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(pw + "\n")
        return pw

    def up(self):
        """Start everything; on any failure stop what was started and raise."""
        busy = [p for p in [FRONT_PORT] + list(NODE_PORTS.values()) +
                ([MYSQL_PORT] if self.mysql else []) if not port_free(p)]
        if busy:
            raise RuntimeError("ports in use on 127.0.0.1: %s (a cluster left running? "
                               "nodes.py down --run-dir ...)" % busy)
        os.makedirs(self.run_dir, exist_ok=True)
        try:
            if self.mysql:
                self.mysql.start()
                self.mysql.create_user(DB_USER, self.db_password, DB_NAME)
            with open(self.state_path, "w") as f:
                json.dump({"backend": self.backend, "database": self.database}, f)
            # one after the other: the first creates the schema
            for n in sorted(self.nodes):
                self.nodes[n].write_conf()
                self.nodes[n].start()
            self.haproxy.start()
        except BaseException:
            self.down()
            raise
        return self

    def down(self):
        """Stop HAProxy, the nodes, MariaDB: {node: exit status} of the nodes stopped."""
        self.haproxy.stop()
        rcs = {n: node.stop() for n, node in self.nodes.items()}
        if self.mysql:
            self.mysql.stop()
        return rcs

    def status(self):
        out = {"run_dir": self.run_dir, "backend": self.backend, "database": self.database}
        if self.mysql:
            out["mariadb"] = "running" if self.mysql.running() else "stopped"
        for n, node in self.nodes.items():
            pid = node.pid()
            out["node " + n] = "pid %d, /healthz %s" % (pid, node.healthz()) if pid else "stopped"
        if self.haproxy.pid():
            out["haproxy"] = {n: r["status"] for n, r in self.haproxy.servers().items()}
        else:
            out["haproxy"] = "stopped"
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("up", "down", "status"))
    ap.add_argument("--run-dir", default=DEFAULT_RUN_DIR)
    ap.add_argument("--sqlite", action="store_true",
                    help="the nodes share a SQLite file instead of MariaDB")
    args = ap.parse_args(argv)
    backend = "sqlite" if args.sqlite else "mysql"
    state = os.path.join(args.run_dir, "cluster.json")
    if args.action != "up" and os.path.exists(state):
        with open(state) as f:
            backend = json.load(f)["backend"]
    c = Cluster(args.run_dir, backend)
    if args.action == "up":
        c.up()
        print("HAProxy %s -> %s; database %s; run directory %s" % (
            c.url, ", ".join(n.url for n in c.nodes.values()), c.database, c.run_dir))
    elif args.action == "down":
        print("stopped: %s" % c.down())
    else:
        print(json.dumps(c.status(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
