"""A fault-injecting HTTP proxy for the tests, in front of one OpenStack service.

Each request is forwarded to the upstream unless a fault the test set matches it (method and
path regex): "status" answers that status itself, "delay" waits before forwarding (or, with
after_upstream, forwards at once and holds the answer: the service did the work, the answer
is late), "reset" aborts the connection (RST) before or after forwarding, "truncate" forwards
and then sends only half of the body it promised, "slowbody" forwards and sends the headers
at once and the body in 20 pieces, the last one @arg seconds later. Response bodies can be
rewritten (the Keystone proxy points the catalog's endpoints at other proxies). Not for
production: one thread per connection.
"""
import http.client
import http.server
import re
import socket
import struct
import threading
import time

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class Fault:
    def __init__(self, kind, method=".*", path=".*", arg=None, after_upstream=False):
        self.kind, self.arg, self.after_upstream = kind, arg, after_upstream
        self.method, self.path = re.compile(method), re.compile(path)
        self.hits = 0

    def matches(self, method, path):
        return self.method.fullmatch(method) and self.path.search(path)


class FaultProxy:
    def __init__(self, upstream_port, rewrite=()):
        self.upstream_port = upstream_port
        self.rewrite = list(rewrite)
        self.faults = []
        self.log = []  # (method, path, what happened)
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                fault = proxy.match(self.command, self.path)
                if fault is not None and fault.kind == "status":
                    proxy.note(self.command, self.path, "status %d" % fault.arg)
                    data = b'{"error": {"message": "injected by faultproxy"}}'
                    self.send_response(fault.arg)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if fault is not None and fault.kind == "reset" and not fault.after_upstream:
                    proxy.note(self.command, self.path, "reset")
                    return self.reset()
                if fault is not None and fault.kind == "delay" and not fault.after_upstream:
                    time.sleep(fault.arg)
                status, headers, data = proxy.forward(self.command, self.path, self.headers, body)
                if fault is not None and fault.kind == "delay" and fault.after_upstream:
                    proxy.note(self.command, self.path, "held %d" % status)
                    time.sleep(fault.arg)
                if fault is not None and fault.kind == "reset":
                    proxy.note(self.command, self.path, "reset after upstream %d" % status)
                    return self.reset()
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if fault is not None and fault.kind == "truncate":
                    proxy.note(self.command, self.path, "truncated %d" % status)
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    return self.reset()
                if fault is not None and fault.kind == "slowbody":
                    proxy.note(self.command, self.path, "slow body %d" % status)
                    return self.trickle(data, fault.arg)
                proxy.note(self.command, self.path, "forwarded %d" % status)
                try:
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the client gave up (a timeout): expected

            def trickle(self, data, seconds):
                step = max(1, -(-len(data) // 20))
                try:
                    for i in range(0, len(data), step):  # the last piece at @seconds
                        time.sleep(seconds * step / len(data))
                        self.wfile.write(data[i:i + step])
                        self.wfile.flush()
                except OSError:
                    self.close_connection = True  # the client gave up: expected

            def reset(self):
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_one

            def finish(self):
                try:
                    super().finish()
                except (OSError, ValueError):
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def match(self, method, path):
        with self.lock:
            for f in self.faults:
                if f.matches(method, path):
                    f.hits += 1
                    return f
        return None

    def note(self, method, path, what):
        with self.lock:
            self.log.append((method, path, what))

    def set_faults(self, *faults):
        with self.lock:
            self.faults = list(faults)
            self.log = []

    def forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=300)
        out = {k: v for k, v in headers.items() if k.lower() not in HOP}
        conn.request(method, path, body=body or None, headers=out)
        resp = conn.getresponse()
        data = resp.read()
        for old, new in self.rewrite:
            data = data.replace(old, new)
        conn.close()
        return resp.status, resp.getheaders(), data

    def close(self):
        self.server.shutdown()
        self.server.server_close()
