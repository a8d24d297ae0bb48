"""replay_backend.py --port P [--keystone URL] - stands in for Keystone and the services behind
it, so a benchmark measures ec2gwd's own cost. The first request for a (method, path) is
forwarded to the real cloud and recorded; later ones are answered from memory. Catalog URLs in
token responses are rewritten to point here (/_up/<n>/...), so the daemon's Nova/Glance/...
reads come here too. Meant for reads and for the daemon's Keystone calls (auth/tokens,
credentials, ec2tokens — recorded once, whatever the body): anything but GET and those POSTs
is forwarded unrecorded. GET /_replay/stats shows hits and misses.

Also usable as a fault tool: --delay-ms adds latency to every replayed answer.

--servers N multiplies the recorded live server list (and the ports of those servers) to N
entries with distinct ids, so the gateway's cost with 1 000 instances can be measured without
booting them on a 2-core cloud; then what-changed-since lists (Nova changes-since, Neutron
changed_since) answer empty, as at the steady state of a poll."""

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


def _clone_id(uuid, i):
    return uuid[:-8] + "%08x" % ((int(uuid[-8:], 16) + i) & 0xffffffff)


def synthesize(path, data, n):
    """Live server list -> n servers; port list -> the ports of those n servers. A list asked
    for what changed (Nova changes-since, Neutron changed_since) answers empty: the steady
    state of a poll, where nothing changed since the last one."""
    try:
        doc = json.loads(data)
    except ValueError:
        return data
    if not isinstance(doc, dict):
        return data
    if "changes-since" in path or "changed_since" in path:
        for key in ("servers", "ports", "volumes"):
            if isinstance(doc.get(key), list):
                doc[key] = []
        return json.dumps(doc).encode()
    if "servers" in doc and doc["servers"]:
        base = doc["servers"]
        doc["servers"] = []
        for i in range(n):
            s = json.loads(json.dumps(base[i % len(base)]))
            s["id"] = _clone_id(s["id"], i // len(base) * 4096)
            doc["servers"].append(s)
    elif "ports" in doc and doc["ports"]:
        base = [p for p in doc["ports"] if p.get("device_id")]
        out = [p for p in doc["ports"] if not p.get("device_id")]
        for rnd in range((n + max(1, len(base)) - 1) // max(1, len(base))):
            for p in base:
                q = json.loads(json.dumps(p))
                q["id"] = _clone_id(q["id"], rnd * 4096)
                q["device_id"] = _clone_id(q["device_id"], rnd * 4096)
                out.append(q)
        doc["ports"] = out
    else:
        return data
    return json.dumps(doc).encode()


class State:
    def __init__(self, port, keystone, delay, servers=0):
        self.port, self.delay, self.servers = port, delay / 1000.0, servers
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
        # changes-since=<now - window> (Nova; changed_since, Neutron) differs every second: one
        # recording for all of them
        ck = (method, re.sub(r"(changes-since=|changed_since=)[^&]*", r"\1*", self.path))
        hit = st.cache.get(ck) if record else None
        if hit is None:
            status, hdrs, data = self.forward(method, parts[2], rest, body)
            if st.servers and method == "GET" and status < 300:
                data = synthesize(rest, data, st.servers)
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
    p.add_argument("--servers", type=int, default=0,
                   help="multiply the live server list (and their ports) to this many")
    o = p.parse_args()
    Handler.state = State(o.port, o.keystone, o.delay_ms, o.servers)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", o.port), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
