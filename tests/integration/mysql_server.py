"""A private MariaDB server for tests: its own datadir, socket, pid file and TCP port on
127.0.0.1, from the cloud's mariadb-server package (mariadb-install-db, mariadbd).

    with MysqlServer(port=3307) as srv:
        srv.sql("CREATE DATABASE ec2gw")
        srv.create_user("ec2gw", "secret", "ec2gw")
        url = srv.url("ec2gw", "ec2gw")      # mysql://ec2gw@127.0.0.1:3307/ec2gw

The server runs as the calling user (root in CI: --user=root), is stopped by stop() or on
leaving the with block (also on failure), and its datadir under /var/tmp/ec2gw-mysql-test-*
is removed. A missing mariadbd is a failure, not a skip.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def _tool(name):
    for d in (None, "/usr/sbin", "/usr/bin"):
        p = shutil.which(name) if d is None else os.path.join(d, name)
        if p and os.access(p, os.X_OK):
            return p
    raise RuntimeError("%s not found: install mariadb-server (tools/deps.sh lists it)" % name)


class MysqlServer:
    def __init__(self, port=3307, prefix="ec2gw-mysql-test-", keep=False):
        self.port = port
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.pid_file = os.path.join(self.dir, "mysqld.pid")
        self.log_path = os.path.join(self.dir, "mysqld.log")
        self.proc = None
        self.client = _tool("mariadb")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _port_free(self):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", self.port))
                return True
            except OSError:
                return False

    def start(self, timeout=60):
        """Start the server; on failure nothing is left running and the datadir is removed."""
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout):
        # a server of an earlier test may still be shutting down: wait a little for the port
        deadline = time.time() + 30
        while not self._port_free() and time.time() < deadline:
            time.sleep(0.5)
        if not self._port_free():
            raise RuntimeError("127.0.0.1:%d is in use (a server left by an earlier run?)"
                               % self.port)
        user = "root" if os.geteuid() == 0 else None
        cmd = [_tool("mariadb-install-db"), "--no-defaults", "--datadir=" + self.datadir,
               "--auth-root-authentication-method=normal", "--skip-test-db"]
        if user:
            cmd.append("--user=" + user)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed: %s%s" % (r.stdout, r.stderr))
        cmd = [_tool("mariadbd"), "--no-defaults", "--datadir=" + self.datadir,
               "--socket=" + self.socket, "--port=%d" % self.port,
               "--bind-address=127.0.0.1", "--pid-file=" + self.pid_file,
               "--log-error=" + self.log_path, "--skip-name-resolve",
               "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
               "--max-connections=200", "--character-set-server=utf8mb4"]
        if user:
            cmd.append("--user=" + user)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited (%s): %s" % (self.proc.returncode,
                                                                 self.log_tail()))
            r = subprocess.run([self.client, "--no-defaults", "-uroot", "-S", self.socket,
                                "-e", "SELECT 1"], capture_output=True, text=True)
            if r.returncode == 0:
                return self
            time.sleep(0.2)
        raise RuntimeError("mariadbd did not answer within %ds: %s" % (timeout, self.log_tail()))

    def log_tail(self, n=20):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def sql(self, text, db=None, check=True):
        """Run SQL as root over the socket; the output rows as lists of strings."""
        cmd = [self.client, "--no-defaults", "--default-character-set=utf8mb4", "-uroot", "-S",
               self.socket, "-N", "-B", "-e", text]
        if db:
            cmd.append(db)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("mariadb: %s: %s" % (text[:200], r.stderr.strip()))
        return [line.split("\t") for line in r.stdout.splitlines()]

    def create_user(self, user, password, db):
        self.sql("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4" % db)
        self.sql("CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' IDENTIFIED BY '%s'"
                 % (user, password))
        self.sql("GRANT ALL ON `%s`.* TO '%s'@'127.0.0.1'" % (db, user))

    def url(self, user, db):
        return "mysql://%s@127.0.0.1:%d/%s" % (user, self.port, db)

    def stop(self):
        pid = None
        if self.proc is not None and self.proc.poll() is None:
            pid = self.proc.pid
        elif os.path.exists(self.pid_file):
            try:
                with open(self.pid_file) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                pid = None
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.time() + 30
                while time.time() < deadline:
                    if self.proc is not None and self.proc.pid == pid:
                        if self.proc.poll() is not None:
                            break
                    else:
                        os.kill(pid, 0)
                    time.sleep(0.1)
                else:
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.proc = None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
