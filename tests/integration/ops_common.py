"""Helpers of the operations tests (test_ops_*.py): a daemon with edited daemon settings and
extra environment, and a systemd notify socket of the test's own."""
import os
import socket
import struct
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class OpsDaemon(harness.Daemon):
    """harness.Daemon with 00-daemon.yaml edited ((old, new) pairs) and extra environment."""

    def __init__(self, edits=(), env=None, **kw):
        super().__init__(**kw)
        path = os.path.join(self.conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        with open(path, "w") as f:
            f.write(text)
        self.extra_env = env or {}

    def start(self):
        saved = {k: os.environ.get(k) for k in self.extra_env}
        os.environ.update(self.extra_env)
        try:
            return super().start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def get(self, path):
        """A fresh connection each time, so that the kernel may hand it to any worker."""
        return urllib.request.urlopen(self.url + path, timeout=10).read().decode()

    def worker_pids(self):
        """The supervisor's children (listen.workers > 1)."""
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out.append(int(name))
        return sorted(out)


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET; each message is
    kept with its sender's pid (SCM_CREDENTIALS, which sd_notify sends)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ec2gw-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(self.path)
        self.messages = []  # (monotonic time, pid, {key: value})

    def _read(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return None
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[:12])[0]
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        msg = (time.monotonic(), pid, fields)
        self.messages.append(msg)
        return msg

    def wait_for(self, key, value=None, timeout=30):
        """The first new message holding key (=value); fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self._read(deadline - time.monotonic())
            if msg and key in msg[2] and (value is None or msg[2][key] == value):
                return msg
        raise AssertionError("no %s=%s within %s s; got %r" % (key, value, timeout,
                                                               [m[2] for m in self.messages]))

    def collect(self, seconds):
        """Every message of the next `seconds`."""
        out = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self._read(deadline - time.monotonic())
            if msg:
                out.append(msg)
        return out

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def requests_total(metrics_text):
    """The sum of ec2gw_requests_total over every action and code."""
    total = 0
    for line in metrics_text.splitlines():
        if line.startswith("ec2gw_requests_total{"):
            total += int(line.rsplit(" ", 1)[1])
    return total


def sample(metrics_text, name):
    """The value of the sample whose name and labels are exactly `name` (e.g. 'ec2gw_workers'
    or 'ec2gw_config_reloads_total{result="ok"}')."""
    for line in metrics_text.splitlines():
        if line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise KeyError(name)
