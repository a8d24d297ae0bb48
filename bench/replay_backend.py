"""replay_backend.py --port P [--keystone URL] - stands in for Keystone and the services behind
it, so a benchmark measures ec2gwd's own cost. The first request for a (method, path) is
forwarded to the real cloud and recorded; later ones are answered from memory. Catalog URLs in
token responses are rewritten to point here (/_up/<n>/...), so the daemon's Nova/Glance/...
reads come here too. Meant for reads and for the daemon's Keystone calls (auth/tokens,
credentials, ec2tokens — recorded once, whatever the body): anything but GET and those POSTs
is forwarded unrecorded. GET /_replay/stats shows hits and misses.

Also usable as a fault tool: --delay-ms adds latency to every replayed answer."""

import argparse
import http.client
import http.server
import json
import re
import threading
import time
import urllib.parse

KEEP_REQ = ("X-Auth-Token", "Content-Type", "Accept", "X-OpenStack-Nova-API-Version",
            "OpenStack-API-Version", "X-Subject-Token")
KEEP_RESP = ("Content-Type", "X-Subject-Token", "OpenStack-API-Version",
             "X-OpenStack-Nova-API-Version")
RECORD_POST = ("/auth/tokens", "/ec2tokens")


class State:
    def __init__(self, port, keystone, delay):
        self.port, self.delay = port, delay / 1000.0
        self.upstream = {"ks": keystone.rstrip("/")}
        self.by_url = {}
        self.cache = {}
        self.hits = self.misses = self.forwarded = 0
        self.lock = threading.Lock()

    def local(self, url):
        """Our URL standing in for an upstream endpoint URL."""
        with self.lock:
            key = self.by_url.get(url)
            if key is None:
                key = str(len(self.upstream))
                self.upstream[key] = url.rstrip("/")
                self.by_url[url] = key
        return "http://127.0.0.1:%d/_up/%s" % (self.port, key)

    def rewrite(self, body):
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        token = doc.get("token") if isinstance(doc, dict) else None
        if not isinstance(token, dict) or "catalog" not in token:
            return body
        for svc in token["catalog"]:
            for ep in svc.get("endpoints", []):
                ep["url"] = self.local(ep["url"])
        return json.dumps(doc).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self, method, key, rest, body):
        up = urllib.parse.urlsplit(self.state.upstream[key] + rest)
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=120)
        path = up.path + ("?" + up.query if up.query else "")
        hdrs = {k: self.headers[k] for k in KEEP_REQ if self.headers.get(k)}
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        out = [(k, r.getheader(k)) for k in KEEP_RESP if r.getheader(k)]
        conn.close()
        return r.status, out, self.state.rewrite(data)

    def handle_any(self, method):
        st = self.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
        if self.path == "/_replay/stats":
            return self.answer(200, [("Content-Type", "application/json")], json.dumps({
                "hits": st.hits, "misses": st.misses, "forwarded": st.forwarded,
                "recorded": len(st.cache)}).encode() + b"\n")
        parts = self.path.split("/", 3)  # "", "_up", key, rest
        if len(parts) < 3 or parts[1] != "_up" or parts[2] not in st.upstream:
            return self.answer(404, [], b"not a replayed path\n")
        rest = "/" + (parts[3] if len(parts) > 3 else "")
        record = method == "GET" or (method == "POST" and rest.split("?")[0].endswith(
            RECORD_POST))
        # changes-since=<now - window> differs every second: one recording for all of them
        ck = (method, re.sub(r"(changes-since=)[^&]*", r"\1*", self.path))
        hit = st.cache.get(ck) if record else None
        if hit is None:
            status, hdrs, data = self.forward(method, parts[2], rest, body)
            with st.lock:
                if record and status < 300:
                    st.cache[ck] = (status, hdrs, data)
                    st.misses += 1
                else:
                    st.forwarded += 1
        else:
            status, hdrs, data = hit
            with st.lock:
                st.hits += 1
            if st.delay:
                time.sleep(st.delay)
        self.answer(status, hdrs, data)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keystone", default="http://127.0.0.1:5000",
                   help="real Keystone (without /v3); the daemon's keystone.url is "
                   "http://127.0.0.1:PORT/_up/ks/v3")
    p.add_argument("--delay-ms", type=float, default=0)
    o = p.parse_args()
    Handler.state = State(o.port, o.keystone, o.delay_ms)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", o.port), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
