#!/usr/bin/env python3
"""bench/soak.py (bench/run.sh soak) - hold N connections of mixed load against ec2gwd for a
while and check that it does not drift: RSS flat after warm-up, fds back to baseline, no
errors but the injected ones, no sanitizer report.

Starts ec2gwd from $EC2GW_BUILD against the test cloud (tests/cloud/cloud.sh env), signed as the
second tenant (demo2, away from the project the integration tests use), and holds -n (1 000)
connections for -d (600) seconds:

  cheap     keep-alive clients, paced to --rps in all: DescribeRegions, DescribeTags,
            DescribeVpcs, CreateTags/DeleteTags on resources the soak owns (two security
            groups, three ami- ids); --inject of them are deliberate errors with a known code
            (bad signature -> AuthFailure, unknown action -> InvalidAction, unknown filter ->
            InvalidParameterValue)
  backend   keep-alive clients, --backend-rps in all: DescribeInstances, DescribeImages,
            DescribeSecurityGroups (Nova/Glance/Neutron behind; the cloud answers a few calls
            a second on this machine)
  runner    RunInstances of 1 instance every --run-every s, terminating the previous one
  idle      half connect and send nothing (closed by limits.header_timeout), half make one
            request and stay open (closed by limits.idle_timeout); each reconnects
  slow      slow-loris: one header byte every 2 s (closed by limits.header_timeout)
  abort     disconnect mid-request: half a body, half the headers, or a whole request closed
            before the answer (now and then a backend one); again and again

Every --interval (10) s: RSS and fds of ec2gwd (/proc; fds split into client sockets, backend
sockets and the rest), the connection gauge of /metrics, req/s, p50/p99 per action, errors by
code. Writes the samples (CSV) and a summary (JSON) to --out (bench-results/), and the daemon's
log beside them. Exit status 1 when the RSS after warm-up leaves +10 % of its value at the end
of warm-up, fds (other than pooled backend connections) do not return to baseline, any error
was not injected, a timeout closed a connection at the wrong time, or the daemon's stderr holds
a sanitizer report; 2 when the daemon died.
"""
import argparse
import asyncio
import csv
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

VERSION = "2016-11-15"
CTYPE = "application/x-www-form-urlencoded; charset=utf-8"
SAN_PATTERNS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:",
                b"SUMMARY: AddressSanitizer", b"SUMMARY: UndefinedBehaviorSanitizer",
                b"WARNING: ThreadSanitizer")
CHEAP_MIX = (("DescribeRegions", 3), ("DescribeTags", 2), ("DescribeVpcs", 2),
             ("CreateTags", 1), ("DeleteTags", 1))
BACKEND_ACTIONS = ("DescribeInstances", "DescribeImages", "DescribeSecurityGroups")


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))], 2)


def fmt(ms):
    return "-" if ms is None else ("%.1f" % ms if ms < 100 else "%.0f" % ms)


# ------------------------------------------------------------------ signing and HTTP

class Signer:
    """SigV4 of a form POST, header form (content-type;host;x-amz-date), as boto3 sends it."""

    def __init__(self, access, secret, region, host):
        self.access, self.secret, self.region, self.host = access, secret, region, host
        self.keys = {}

    def key(self, day):
        if day not in self.keys:
            k = ("AWS4" + self.secret).encode()
            for part in (day, self.region, "ec2", "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            self.keys[day] = k
        return self.keys[day]

    def request(self, params, bad_signature=False):
        body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        scope = "%s/%s/ec2/aws4_request" % (amz[:8], self.region)
        creq = "POST\n/\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\n\n%s\n%s" % (
            CTYPE, self.host, amz, "content-type;host;x-amz-date", hashlib.sha256(body).hexdigest())
        sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz, scope,
                                                hashlib.sha256(creq.encode()).hexdigest())
        sig = hmac.new(self.key(amz[:8]), sts.encode(), hashlib.sha256).hexdigest()
        if bad_signature:
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        head = ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nX-Amz-Date: %s\r\n"
                "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, "
                "SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\n"
                "Content-Length: %d\r\n\r\n" % (self.host, CTYPE, amz, self.access, scope, sig,
                                                len(body)))
        return head.encode(), body


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host, port):
        r, w = await asyncio.open_connection(host, port, limit=1 << 22)
        return cls(r, w)

    async def call(self, data):
        """Send one request, read its answer: (status, body, server closes)."""
        self.writer.write(data)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            body = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                n = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                body += await self.reader.readexactly(n + 2)
                if n == 0:
                    break
            body = body[:-2]
        else:
            body = await self.reader.read()
        return status, body, hdrs.get("connection", "").lower() == "close"

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


def ec2_code(body):
    m = re.search(rb"<Code>([^<]+)</Code>", body)
    return m.group(1).decode() if m else None


# ------------------------------------------------------------------ what the clients saw

class Stats:
    def __init__(self):
        self.window = defaultdict(list)                        # action -> ms, this sample
        self.window_codes = Counter()                          # error code, this sample
        self.minute = defaultdict(lambda: defaultdict(list))   # minute -> action -> ms
        self.total = defaultdict(list)                         # action -> ms, whole run
        self.requests = 0
        self.ok = Counter()            # action
        self.expected = Counter()      # injected error code (or close event) as expected
        self.unexpected = Counter()    # what went wrong
        self.examples = []             # a few unexpected answers, verbatim
        self.events = Counter()        # aborts made, reconnects
        self.t0 = None

    def record(self, action, ms, status, body, expect=None, err=None):
        self.requests += 1
        code = err or ec2_code(body or b"") or ("HTTP_%d" % status if status != 200 else None)
        for d in (self.window, self.total):
            d[action].append(ms)
        if code:
            self.window_codes[code] += 1
        if self.t0 is not None:
            self.minute[int((time.monotonic() - self.t0) // 60)][action].append(ms)
        if expect is None and status == 200:
            self.ok[action] += 1
        elif expect is not None and code == expect:
            self.expected["%s %s" % (action, code)] += 1
        else:
            key = "%s %s%s" % (action, code, " (expected %s)" % expect if expect else "")
            self.unexpected[key] += 1
            if len(self.examples) < 10:
                self.examples.append("%s: status %s %s" % (
                    key, status, (body or b"")[:300].decode("latin-1", "replace")))

    def close_event(self, kind, ok, detail):
        (self.expected if ok else self.unexpected)["close %s%s" % (
            kind, "" if ok else ": " + detail)] += 1


# ------------------------------------------------------------------ the soak

class Soak:
    def __init__(self, o, target, conf_text):
        self.o, self.t = o, target
        self.host, self.port = target.url.split("//")[1].split(":")
        self.port = int(self.port)
        self.signer = Signer(target.access, target.secret, target.region,
                             "%s:%d" % (self.host, self.port))
        self.stats = Stats()
        self.stopping = False
        self.header_timeout = conf_seconds(conf_text, "header_timeout", 20)
        self.idle_timeout = conf_seconds(conf_text, "idle_timeout", 60)
        self.owned = []           # resource ids the cheap clients tag
        self.image = None
        self.instances = []       # [id, terminated?]
        self.last_backend_abort = 0.0
        self.samples = []
        self.split = split_connections(o)

    async def connect(self, who):
        """A new connection; a refused or failed connect is an error, retried each second."""
        while True:
            try:
                return await Conn.open(self.host, self.port)
            except OSError as e:
                self.stats.unexpected["%s: connect: %s" % (who, e)] += 1
                await asyncio.sleep(1)

    # -- one-off signed calls (setup, runner, clean-up) on their own connection
    async def call(self, params, action=None, record=True):
        conn = await self.connect(params["Action"])
        t0 = time.monotonic()
        try:
            head, body = self.signer.request(params)
            status, answer, _ = await asyncio.wait_for(conn.call(head + body), 150)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                asyncio.LimitOverrunError) as e:
            if record:
                self.stats.record(action or params["Action"], 1000 * (time.monotonic() - t0), 0,
                                  None, err="conn:" + type(e).__name__)
            conn.close()
            return 0, b""
        if record:
            self.stats.record(action or params["Action"], 1000 * (time.monotonic() - t0),
                              status, answer)
        conn.close()
        return status, answer

    def cheap_request(self, rnd, k):
        """(label, params, expected code or None, bad signature)."""
        if rnd.random() < self.o.inject:
            kind = rnd.randrange(3)
            if kind == 0:
                return "Injected", {"Action": "DescribeRegions", "Version": VERSION}, \
                    "AuthFailure", True
            if kind == 1:
                return "Injected", {"Action": "DescribeNothing", "Version": VERSION}, \
                    "InvalidAction", False
            return "Injected", {"Action": "DescribeTags", "Version": VERSION,
                                "Filter.1.Name": "no-such-filter", "Filter.1.Value.1": "x"}, \
                "InvalidParameterValue", False
        action = rnd.choices([a for a, _ in CHEAP_MIX], [w for _, w in CHEAP_MIX])[0]
        p = {"Action": action, "Version": VERSION}
        res = rnd.choice(self.owned)
        if action == "DescribeTags" and rnd.random() < 0.5:
            p.update({"Filter.1.Name": "resource-id", "Filter.1.Value.1": res})
        elif action == "CreateTags":
            p.update({"ResourceId.1": res, "Tag.1.Key": "soak-%d" % (k % 20),
                      "Tag.1.Value": "v%d" % rnd.randrange(1000)})
        elif action == "DeleteTags":
            p.update({"ResourceId.1": res, "Tag.1.Key": "soak-%d" % (k % 20)})
        return action, p, None, False

    async def keepalive_client(self, k, period, pick):
        rnd = random.Random(k)
        await asyncio.sleep(rnd.uniform(0, period))
        conn = None
        while not self.stopping:
            label, params, expect, bad = pick(rnd, k)
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = await Conn.open(self.host, self.port)
                head, body = self.signer.request(params, bad)
                status, answer, close = await asyncio.wait_for(conn.call(head + body), 150)
                self.stats.record(label, 1000 * (time.monotonic() - t0), status, answer, expect)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                    asyncio.LimitOverrunError) as e:
                self.stats.record(label, 1000 * (time.monotonic() - t0), 0, None, expect,
                                  err="conn:" + type(e).__name__)
                close = True
            if close and conn is not None:
                conn.close()
                conn = None
                self.stats.events["reconnect after a close"] += 1
            await asyncio.sleep(period * rnd.uniform(0.5, 1.5))
        if conn is not None:
            conn.close()

    def backend_request(self, rnd, k):
        action = BACKEND_ACTIONS[rnd.randrange(len(BACKEND_ACTIONS))]
        return action, {"Action": action, "Version": VERSION}, None, False

    async def runner(self):
        """RunInstances of one every run_every s; the previous one terminated."""
        await asyncio.sleep(5)
        while not self.stopping:
            t0 = time.monotonic()
            status, body = await self.call({
                "Action": "RunInstances", "Version": VERSION, "ImageId": self.image,
                "InstanceType": self.o.instance_type, "MinCount": "1", "MaxCount": "1",
                "ClientToken": "soak-" + uuid.uuid4().hex})
            m = re.search(rb"<instanceId>(i-[0-9a-f]+)</instanceId>", body)
            if status == 200 and m:
                self.instances.append([m.group(1).decode(), False])
            await self.terminate(keep_last=True)
            left = self.o.run_every - (time.monotonic() - t0)
            while left > 0 and not self.stopping:
                await asyncio.sleep(min(left, 1))
                left -= 1
        await self.terminate(keep_last=False)

    async def terminate(self, keep_last):
        ids = [i for i in self.instances[:-1 if keep_last else None] if not i[1]]
        if not ids:
            return
        p = {"Action": "TerminateInstances", "Version": VERSION}
        for n, i in enumerate(ids, 1):
            p["InstanceId.%d" % n] = i[0]
        status, _ = await self.call(p)
        if status == 200:
            for i in ids:
                i[1] = True

    async def idle_client(self, k):
        """Connect, maybe make one request, then wait for the daemon to close the connection."""
        rnd = random.Random(k)
        with_request = k % 2 == 1
        await asyncio.sleep(rnd.uniform(0, 10))
        while True:
            conn = await self.connect("idle client")
            try:
                t0 = time.monotonic()
                kind, low, high = "idle (no request)", self.header_timeout, self.header_timeout
                if with_request:
                    head, body = self.signer.request({"Action": "DescribeRegions",
                                                      "Version": VERSION})
                    try:
                        status, answer, _ = await asyncio.wait_for(conn.call(head + body), 150)
                    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                        self.stats.record("DescribeRegions", 1000 * (time.monotonic() - t0), 0,
                                          None, err="conn:" + type(e).__name__)
                        continue
                    self.stats.record("DescribeRegions", 1000 * (time.monotonic() - t0), status,
                                      answer)
                    t0 = time.monotonic()
                    kind = "idle (after a request)"
                    low, high = self.idle_timeout, self.idle_timeout + self.header_timeout
                await self.await_close(conn, t0, kind, low, high)
            finally:
                conn.close()
            await asyncio.sleep(rnd.uniform(0, 0.2))

    async def await_close(self, conn, t0, kind, low, high):
        """The daemon closes conn between low-1 and high+slack s after t0 (nothing sent)."""
        try:
            data = await asyncio.wait_for(conn.reader.read(65536), high + self.o.close_slack)
            while data:  # an answer before the close (e.g. 408) is fine; the close must come
                data = await asyncio.wait_for(conn.reader.read(65536), 5)
        except asyncio.TimeoutError:
            self.stats.close_event(kind, False, "still open after %d s" % (
                high + self.o.close_slack))
            return
        except OSError:
            pass
        dt = time.monotonic() - t0
        self.stats.close_event(kind, dt >= low - 1, "closed after %.1f s (< %d s)" % (dt, low))

    async def slow_client(self, k):
        """Slow-loris: one header byte every slow_interval s until the daemon closes."""
        rnd = random.Random(k)
        await asyncio.sleep(rnd.uniform(0, 10))
        while True:
            conn = await self.connect("slow-loris client")
            t0 = time.monotonic()
            try:
                conn.writer.write(b"POST / HTTP/1.1\r\nHost: %s\r\nX-Slow: " %
                                  self.signer.host.encode())
                closed = False
                while not closed:
                    try:
                        data = await asyncio.wait_for(conn.reader.read(65536),
                                                      self.o.slow_interval)
                        closed = not data
                    except asyncio.TimeoutError:
                        conn.writer.write(b"a")
                    except OSError:
                        closed = True
                    dt = time.monotonic() - t0
                    if not closed and dt > self.header_timeout + self.o.close_slack:
                        self.stats.close_event("slow-loris", False, "still open after %d s" % (
                            self.header_timeout + self.o.close_slack))
                        break
                if closed:
                    self.stats.close_event("slow-loris", dt >= self.header_timeout - 1,
                                           "closed after %.1f s" % dt)
            finally:
                conn.close()
            await asyncio.sleep(rnd.uniform(0, 0.2))

    async def abort_client(self, k):
        """Disconnect mid-request, again and again."""
        rnd = random.Random(k)
        await asyncio.sleep(rnd.uniform(0, 5))
        while True:
            now = time.monotonic()
            if now - self.last_backend_abort > self.o.backend_abort_every:
                self.last_backend_abort = now
                kind, params = "backend request, closed before the answer", {
                    "Action": "DescribeImages", "Version": VERSION}
            else:
                kind = rnd.choice(("half the body", "half the headers",
                                   "whole request, closed before the answer"))
                params = {"Action": "DescribeTags", "Version": VERSION,
                          "Filter.1.Name": "resource-id",
                          "Filter.1.Value.1": rnd.choice(self.owned)}
            head, body = self.signer.request(params)
            try:
                conn = await Conn.open(self.host, self.port)
                try:
                    if kind == "half the body":
                        conn.writer.write(head + body[:len(body) // 2])
                        await asyncio.sleep(rnd.uniform(0.5, 2.5))
                    elif kind == "half the headers":
                        conn.writer.write(head[:len(head) // 2])
                        await asyncio.sleep(rnd.uniform(0.5, 2.5))
                    else:
                        conn.writer.write(head + body)
                        await conn.writer.drain()
                        await asyncio.sleep(rnd.uniform(0, 0.02))
                finally:
                    conn.close()
                self.stats.events["abort: " + kind] += 1
            except OSError as e:
                self.stats.unexpected["abort client: connect %s" % type(e).__name__] += 1
            await asyncio.sleep(rnd.uniform(0.1, 0.5))

    # -- measurements
    async def metrics(self):
        try:
            conn = await Conn.open(self.host, self.port)
            try:
                req = b"GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (
                    self.signer.host.encode())
                status, body, _ = await asyncio.wait_for(conn.call(req), 30)
            finally:
                conn.close()
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            return {}
        m = {}
        for line in body.decode("utf-8", "replace").splitlines():
            for name in ("ec2gw_connections ", "ec2gw_requests_in_flight ",
                         'ec2gw_connection_events_total{event="header_timeout"} '):
                if line.startswith(name):
                    m[name.split()[0]] = float(line.rsplit(" ", 1)[1])
            if line.startswith("ec2gw_requests_total{"):
                m["requests_total"] = m.get("requests_total", 0) + float(line.rsplit(" ", 1)[1])
        return m

    async def sample(self, phase, t_prev=None):
        pid = self.t.pid
        now = time.monotonic()
        fds = fd_classes(pid, self.port)
        met = await self.metrics()
        w, self.stats.window = self.stats.window, defaultdict(list)
        codes, self.stats.window_codes = self.stats.window_codes, Counter()
        n = sum(len(v) for v in w.values())
        dt = now - t_prev if t_prev else None
        s = {"phase": phase, "t": round(now - self.t_start, 1),
             "t_load": round(now - self.stats.t0, 1) if self.stats.t0 else None,
             "rss_kb": benchlib.proc_status(pid).get("VmRSS", 0),
             "fds": fds["all"], "fds_client": fds["client"], "fds_backend": fds["backend"],
             "fds_other": fds["other"], "gauge": met.get("ec2gw_connections"),
             "in_flight": met.get("ec2gw_requests_in_flight"),
             "header_timeouts": met.get('ec2gw_connection_events_total{event="header_timeout"}'),
             "server_requests": met.get("requests_total"),
             "cpu_s": benchlib.proc_cpu_s(pid), "requests": n,
             "rps": round(n / dt, 1) if dt else None,
             "unexpected": sum(self.stats.unexpected.values()),
             "expected": sum(self.stats.expected.values()),
             "loadavg": open("/proc/loadavg").read().split()[0],
             "codes": " ".join("%s=%d" % kv for kv in sorted(codes.items())),
             "backend_ports": " ".join("%d=%d" % kv for kv in sorted(fds["ports"].items()))}
        allv = [x for v in w.values() for x in v]
        s["p50_ms"], s["p99_ms"] = pct(allv, 50), pct(allv, 99)
        for a in ACTIONS:
            s[a + "_n"] = len(w.get(a, []))
            s[a + "_p50"], s[a + "_p99"] = pct(w.get(a), 50), pct(w.get(a), 99)
        self.samples.append(s)
        print("%6.0fs %-7s RSS %6.1f MB  fds %4d (client %4d, backend %2d, other %2d)  "
              "gauge %4s  %6s req/s  p50 %6s p99 %6s ms  expected %d, unexpected %d  "
              "load %s" % (s["t"], phase, s["rss_kb"] / 1024, s["fds"], s["fds_client"],
                           s["fds_backend"], s["fds_other"],
                           "-" if s["gauge"] is None else "%d" % s["gauge"],
                           "-" if s["rps"] is None else s["rps"], fmt(s["p50_ms"]),
                           fmt(s["p99_ms"]), s["expected"], s["unexpected"], s["loadavg"]),
              flush=True)
        return now

    # -- phases
    async def setup(self):
        st, body = await self.call({"Action": "DescribeImages", "Version": VERSION},
                                   record=False)
        imgs = []
        if st == 200:
            for item in ET.fromstring(body).iter():
                if item.tag.endswith("}item") and item.find("{*}imageId") is not None:
                    imgs.append((item.findtext("{*}imageId"), item.findtext("{*}name") or "",
                                 item.findtext("{*}imageType") or ""))
        machine = [i for i in imgs if i[2] == "machine" and i[0].startswith("ami-")]
        if not (machine or imgs):
            raise RuntimeError("DescribeImages: %s %s" % (st, body[:300]))
        self.image = (machine or imgs)[0][0]
        for a in ("DescribeInstances", "DescribeSecurityGroups", "DescribeRegions"):
            st, body = await self.call({"Action": a, "Version": VERSION}, record=False)
            if st != 200:
                raise RuntimeError("%s: %s %s" % (a, st, body[:300]))
        tag = "ec2gw-soak-%d" % os.getpid()
        for n in range(2):
            st, body = await self.call({"Action": "CreateSecurityGroup", "Version": VERSION,
                                        "GroupName": "%s-%d" % (tag, n),
                                        "GroupDescription": "ec2gw soak"}, record=False)
            m = re.search(rb"<groupId>(sg-[0-9a-f]+)</groupId>", body)
            if st != 200 or not m:
                raise RuntimeError("CreateSecurityGroup: %s %s" % (st, body[:300]))
            self.owned.append(m.group(1).decode())
        self.owned += ["ami-50a%05x" % (os.getpid() % 0x10000 * 4 + n) for n in range(3)]

    async def cleanup(self):
        errors = []
        for r in self.owned:
            st, body = await self.call({"Action": "DeleteTags", "Version": VERSION,
                                        "ResourceId.1": r}, record=False)
            if st != 200:
                errors.append("DeleteTags %s: %s" % (r, ec2_code(body)))
        for r in self.owned:
            if r.startswith("sg-"):
                st, body = await self.call({"Action": "DeleteSecurityGroup", "Version": VERSION,
                                            "GroupId": r}, record=False)
                if st != 200:
                    errors.append("DeleteSecurityGroup %s: %s" % (r, ec2_code(body)))
        # every instance the runner made is gone or going
        left = []
        for _ in range(30):
            left = []
            for i, _t in self.instances:
                st, body = await self.call({"Action": "DescribeInstances", "Version": VERSION,
                                            "InstanceId.1": i}, record=False)
                m = re.search(rb"<instanceState>.*?<name>([^<]+)</name>", body, re.S)
                state = m.group(1).decode() if m else ec2_code(body) or "?"
                if state not in ("terminated", "InvalidInstanceID.NotFound"):
                    left.append("%s %s" % (i, state))
            if not left:
                break
            await asyncio.sleep(2)
        return errors, left

    async def run(self):
        o, split = self.o, self.split
        self.t_start = time.monotonic()
        await self.setup()
        await asyncio.sleep(2)
        t_prev = await self.sample("base")
        base = self.samples[-1]
        self.stats.t0 = time.monotonic()
        tasks, graceful = [], []
        cheap_period = split["cheap"] / o.rps
        for k in range(split["cheap"]):
            graceful.append(asyncio.ensure_future(self.keepalive_client(
                k, cheap_period, self.cheap_request)))
        for k in range(split["backend"]):
            graceful.append(asyncio.ensure_future(self.keepalive_client(
                10000 + k, split["backend"] / o.backend_rps, self.backend_request)))
        if split["runner"]:
            graceful.append(asyncio.ensure_future(self.runner()))
        for k in range(split["idle"]):
            tasks.append(asyncio.ensure_future(self.idle_client(20000 + k)))
        for k in range(split["slow"]):
            tasks.append(asyncio.ensure_future(self.slow_client(30000 + k)))
        for k in range(split["abort"]):
            tasks.append(asyncio.ensure_future(self.abort_client(40000 + k)))
        end = self.stats.t0 + o.duration
        died = None
        while time.monotonic() < end:
            await asyncio.sleep(max(0, min(t_prev + o.interval, end) - time.monotonic()))
            t_prev = await self.sample("load", t_prev)
            for tk in tasks + graceful:
                if tk.done() and not tk.cancelled() and tk.exception():
                    raise tk.exception()
            if self.t.proc.poll() is not None:
                died = self.t.proc.returncode
                break
        self.stopping = True
        for tk in tasks:
            tk.cancel()
        await asyncio.wait(graceful, timeout=180)
        for tk in graceful:
            tk.cancel()
        await asyncio.gather(*tasks, *graceful, return_exceptions=True)
        if died is not None:
            return base, None, None, died
        cleanup = await self.cleanup()
        # connections drain; pooled backend connections may stay
        for _ in range(60):
            t_prev = await self.sample("drain", t_prev)
            s = self.samples[-1]
            if s["fds_client"] == 0 and s["fds_other"] == base["fds_other"]:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(2)
        await self.sample("after", t_prev)
        return base, self.samples[-1], cleanup, None


ACTIONS = [a for a, _ in CHEAP_MIX] + list(BACKEND_ACTIONS) + ["RunInstances",
                                                              "TerminateInstances", "Injected"]


def conf_seconds(text, key, default):
    m = re.search(r"^\s*%s:\s*(\d+)(ms|s|m|h)?" % key, text, re.M)
    if not m:
        return default
    return int(m.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]


def split_connections(o):
    """How the -n connections are used (the cheap keep-alive clients take what is left)."""
    n = o.connections
    s = {"backend": o.backend_clients, "runner": 1 if o.run_every > 0 else 0,
         "idle": int(n * o.idle), "slow": int(n * o.slow), "abort": int(n * o.abort)}
    s["cheap"] = n - sum(s.values())
    if s["cheap"] < 1:
        sys.exit("soak: no connections left for the keep-alive clients")
    return s


def fd_classes(pid, listen_port):
    """ec2gwd's fds: client sockets (local port = listen port), backend sockets (other TCP,
    not listening), the rest (listener, files, pipes, eventfds)."""
    inodes = {}
    total = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            total += 1
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes[link[8:-1]] = None
    except OSError:
        return {"all": 0, "client": 0, "backend": 0, "other": 0, "ports": Counter()}
    client = backend = 0
    ports = Counter()  # backend sockets by remote port
    for table in ("tcp", "tcp6"):
        try:
            rows = open("/proc/%d/net/%s" % (pid, table)).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if len(f) < 10 or f[9] not in inodes:
                continue
            if f[3] == "0A":
                continue
            if int(f[1].rsplit(":", 1)[1], 16) == listen_port:
                client += 1
            else:
                backend += 1
                ports[int(f[2].rsplit(":", 1)[1], 16)] += 1
    return {"all": total, "client": client, "backend": backend, "ports": ports,
            "other": total - client - backend}


def summarize(o, soak, base, after, cleanup, died, san, exit_rc, log_path):
    st, samples = soak.stats, soak.samples
    load = [s for s in samples if s["phase"] == "load"]
    warm = [s for s in load if s["t_load"] >= o.warmup - 1]
    ref = warm[0]["rss_kb"] if warm else None
    rs = [s["rss_kb"] for s in warm]
    fails = []
    r = {"command": " ".join(sys.argv), "build": benchlib.BUILD,
         "sanitizer": san["build"], "split": soak.split,
         "mix": {"rps": o.rps, "backend_rps": o.backend_rps, "run_every": o.run_every,
                 "inject": o.inject, "cheap_mix": dict(CHEAP_MIX)},
         "duration_s": o.duration, "warmup_s": o.warmup, "machine": benchlib.machine()}
    print("\n== soak summary (%s, %d connections, %d s, warm-up %d s)" % (
        benchlib.BUILD, o.connections, o.duration, o.warmup))
    sp = soak.split
    print("mix: %d cheap keep-alive clients (%.0f req/s in all: %s; %.1f %% injected errors), "
          "%d backend clients (%.2f req/s: %s), %s, %d idle (half never send, half after one "
          "request), %d slow-loris (1 byte / %g s), %d aborting (half body / half headers / "
          "closed before the answer; a backend one every %g s)" % (
              sp["cheap"], o.rps, ", ".join("%s %d" % aw for aw in CHEAP_MIX), 100 * o.inject,
              sp["backend"], o.backend_rps, ", ".join(BACKEND_ACTIONS),
              "1 RunInstances/TerminateInstances client (1 instance every %g s)" % o.run_every
              if sp["runner"] else "no RunInstances", sp["idle"], sp["slow"], o.slow_interval,
              sp["abort"], o.backend_abort_every))
    if died is not None:
        fails.append("ec2gwd died (exit %s)" % died)
    if ref:
        band = (100.0 * (min(rs) - ref) / ref, 100.0 * (max(rs) - ref) / ref)
        grow = 100.0 * (rs[-1] - ref) / ref
        print("RSS: base %.1f MB, first under load %.1f, max %.1f, last %.1f, after %.1f MB; "
              "after warm-up (%.1f MB at %.0f s) %+.1f %% .. %+.1f %%, last %+.1f %%" % (
                  base["rss_kb"] / 1024, load[0]["rss_kb"] / 1024,
                  max(s["rss_kb"] for s in load) / 1024, load[-1]["rss_kb"] / 1024,
                  (after or load[-1])["rss_kb"] / 1024, ref / 1024, warm[0]["t_load"],
                  band[0], band[1], grow))
        r["rss"] = {"base_kb": base["rss_kb"], "first_kb": load[0]["rss_kb"],
                    "max_kb": max(s["rss_kb"] for s in load), "last_kb": load[-1]["rss_kb"],
                    "after_kb": (after or load[-1])["rss_kb"], "ref_kb": ref,
                    "band_pct": [round(b, 2) for b in band], "last_pct": round(grow, 2)}
        if band[1] > 10 and san["build"]:
            print("  (not a failure here: ASan's quarantine of freed memory, 256 MB by default, "
                  "fills first)")
        elif band[1] > 10:
            fails.append("RSS grew %.1f %% after warm-up (> 10 %%)" % band[1])
    else:
        fails.append("no sample after warm-up")
    if load:
        peak = max(load, key=lambda s: s["fds"])
        print("fds: base %d (client %d, backend %d, other %d), peak %d (client %d), after %s; "
              "connection gauge peak %d, after %s" % (
                  base["fds"], base["fds_client"], base["fds_backend"], base["fds_other"],
                  peak["fds"], peak["fds_client"],
                  "%d (client %d, backend %d, other %d)" % (
                      after["fds"], after["fds_client"], after["fds_backend"],
                      after["fds_other"]) if after else "-",
                  max(s["gauge"] or 0 for s in load),
                  "%d (the /metrics request itself)" % after["gauge"] if after else "-"))
        held = [s["gauge"] or 0 for s in load[1:]] or [0]
        print("connections held (gauge after the first sample): %d..%d, mean %.0f; pooled "
              "backend sockets: base %s, peak %d, after %s (by remote port)" % (
                  min(held), max(held), sum(held) / len(held), base["backend_ports"] or "0",
                  max(s["fds_backend"] for s in load), after["backend_ports"] if after else "-"))
        r["fds"] = {"base": base, "peak": peak["fds"], "peak_client": peak["fds_client"],
                    "after": after, "gauge_held": [min(held), max(held)],
                    "backend_peak": max(s["fds_backend"] for s in load)}
    if after and (after["fds_client"] != 0 or after["fds_other"] != base["fds_other"]):
        fails.append("fds not back to baseline: client %d, other %d (base %d)" % (
            after["fds_client"], after["fds_other"], base["fds_other"]))
    cpu = (load[-1]["cpu_s"] - base["cpu_s"]) if load and base["cpu_s"] is not None else None
    print("requests: %d (%.1f req/s), ec2gwd CPU %.1f s (%.3f ms a request), loadavg %s..%s" % (
        st.requests, st.requests / o.duration, cpu or 0,
        1000 * (cpu or 0) / max(1, st.requests),
        min(float(s["loadavg"]) for s in load) if load else "-",
        max(float(s["loadavg"]) for s in load) if load else "-"))
    last = after or (load[-1] if load else None)
    if last and last["header_timeouts"] is not None and last["server_requests"] is not None:
        print("daemon's counters: %d requests answered (clients read %d; the rest were closed "
              "before their answer or made by the set-up), %d connections closed by "
              "header_timeout (clients saw %d idle and slow-loris closes at that timeout)" % (
                  last["server_requests"] - (base["server_requests"] or 0), st.requests,
                  last["header_timeouts"] - (base["header_timeouts"] or 0),
                  st.expected.get("close idle (no request)", 0) +
                  st.expected.get("close slow-loris", 0)))
    print("%-24s %8s %9s %9s %9s" % ("action", "answers", "p50 ms", "p99 ms", "max ms"))
    r["actions"] = {}
    for a in ACTIONS:
        v = st.total.get(a)
        if v:
            print("%-24s %8d %9s %9s %9s" % (a, len(v), fmt(pct(v, 50)), fmt(pct(v, 99)),
                                            fmt(max(v))))
            r["actions"][a] = {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99),
                               "max_ms": max(v), "ok": st.ok.get(a, 0)}
    print("expected (injected errors, timeouts closing connections):")
    for k, v in sorted(st.expected.items()):
        print("  %-60s %7d" % (k, v))
    print("disconnects made by the clients: " + ", ".join(
        "%s %d" % kv for kv in sorted(st.events.items())))
    print("unexpected: %d" % sum(st.unexpected.values()))
    for k, v in sorted(st.unexpected.items()):
        print("  %-60s %7d" % (k, v))
    for e in st.examples:
        print("    e.g. " + e)
    if st.unexpected:
        fails.append("%d unexpected errors" % sum(st.unexpected.values()))
    if cleanup:
        errs, left = cleanup
        print("clean-up: %s; instances left: %s (of %d run)" % (
            "; ".join(errs) or "ok", ", ".join(left) or "none", len(soak.instances)))
        if errs or left:
            fails.append("clean-up: %s" % "; ".join(errs + left))
        r["cleanup"] = {"errors": errs, "instances_left": left, "instances_run":
                        len(soak.instances)}
    # latency per minute
    print("latency per minute (p50/p99 ms; all answers, then per action):")
    cols = ["all"] + [a for a in ACTIONS if st.total.get(a)]
    print("  %-4s " % "min" + " ".join("%-19s" % c[:19] for c in cols))
    r["minutes"] = []
    for m in sorted(st.minute):
        d = st.minute[m]
        allv = [x for v in d.values() for x in v]
        row = {"minute": m, "all": [len(allv), pct(allv, 50), pct(allv, 99)]}
        cells = ["%d: %s/%s" % (len(allv), fmt(pct(allv, 50)), fmt(pct(allv, 99)))]
        for a in cols[1:]:
            v = d.get(a, [])
            row[a] = [len(v), pct(v, 50), pct(v, 99)]
            cells.append("%s/%s" % (fmt(pct(v, 50)), fmt(pct(v, 99))) if v else "-")
        r["minutes"].append(row)
        print("  %-4d " % m + " ".join("%-19s" % c for c in cells))
    print("sanitizer: %s; %d report lines in the daemon's stderr; exit status %s" % (
        "ASan/UBSan build" if san["build"] else "not a sanitizer build", len(san["lines"]),
        exit_rc))
    for ln in san["lines"][:20]:
        print("  " + ln)
    if san["lines"]:
        fails.append("%d sanitizer report lines" % len(san["lines"]))
    if exit_rc not in (0, None) and died is None:
        fails.append("ec2gwd exited with %s on SIGTERM" % exit_rc)
    r.update({"requests": st.requests, "ok": dict(st.ok), "expected": dict(st.expected),
              "unexpected": dict(st.unexpected), "examples": st.examples,
              "events": dict(st.events), "sanitizer_lines": san["lines"],
              "exit_status": exit_rc, "fails": fails, "daemon_log": log_path,
              "server_cpu_s": cpu})
    print("daemon log: %s" % log_path)
    print("verdict: %s" % ("PASS" if not fails else "FAIL: " + "; ".join(fails)))
    return r, fails


def start_ec2gwd(env, network):
    """benchlib.start_ec2gwd from a copy of conf.d whose compute plugin names its network: the
    tenants get VPC networks from other tests and benches, and 'auto' wants the only one."""
    root = benchlib.ROOT
    tmp = tempfile.mkdtemp(prefix="ec2gw-soak-conf-")
    shutil.copytree(os.path.join(root, "conf.d"), os.path.join(tmp, "conf.d"))
    compute = os.path.join(tmp, "conf.d", "10-compute.yaml")
    if network and os.path.exists(compute):
        text = re.sub(r"^(\s*network:\s*)auto\b", r"\g<1>" + network, open(compute).read(),
                      flags=re.M)
        with open(compute, "w") as f:
            f.write(text)
    benchlib.ROOT = tmp  # start_ec2gwd reads ROOT/conf.d
    try:
        return benchlib.start_ec2gwd(env)
    finally:
        benchlib.ROOT = root
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(prog="bench/run.sh soak",
                                description=__doc__.split("\n\n")[0].split(" - ", 1)[1])
    p.add_argument("-n", "--connections", type=int, default=1000)
    p.add_argument("-d", "--duration", type=float, default=600)
    p.add_argument("--warmup", type=float, default=None,
                   help="seconds of load before the RSS reference (default: 120, or a fifth "
                   "of a shorter run)")
    p.add_argument("--interval", type=float, default=10, help="seconds between samples")
    p.add_argument("--rps", type=float, default=100, help="cheap requests/s in all")
    p.add_argument("--backend-rps", type=float, default=0.5,
                   help="Describe{Instances,Images,SecurityGroups}/s in all")
    p.add_argument("--backend-clients", type=int, default=3)
    p.add_argument("--run-every", type=float, default=30,
                   help="seconds between RunInstances of 1 (0: none)")
    p.add_argument("--instance-type", default="m1.tiny")
    p.add_argument("--network", default="private",
                   help="the compute plugin's network setting for RunInstances ('' keeps auto)")
    p.add_argument("--idle", type=float, default=0.40, help="share of idle connections")
    p.add_argument("--slow", type=float, default=0.10, help="share of slow-loris ones")
    p.add_argument("--abort", type=float, default=0.10, help="share of aborting ones")
    p.add_argument("--slow-interval", type=float, default=2.0)
    p.add_argument("--backend-abort-every", type=float, default=20.0,
                   help="seconds between abandoned DescribeImages")
    p.add_argument("--inject", type=float, default=0.02, help="share of cheap requests that "
                   "are deliberate errors")
    p.add_argument("--close-slack", type=float, default=10,
                   help="seconds a timeout may close a connection late (loaded machine)")
    p.add_argument("--tenant", type=int, choices=(1, 2), default=2,
                   help="sign as demo (1) or demo2 (2, default)")
    p.add_argument("--out", default=os.path.join(benchlib.ROOT, "bench-results"))
    o = p.parse_args()
    if o.warmup is None:
        o.warmup = 120 if o.duration >= 600 else o.duration / 5
    env = benchlib.cloud_env()
    suffix = "_2" if o.tenant == 2 else ""
    cache = os.path.join(benchlib.BUILD, "CMakeCache.txt")
    san_build = os.path.exists(cache) and "EC2GW_SANITIZE:BOOL=ON" in open(cache).read()
    if san_build:
        os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    conf_text = open(os.path.join(benchlib.ROOT, "conf.d", "00-daemon.yaml")).read()
    t = start_ec2gwd(env, o.network)
    t.access, t.secret = env["EC2_ACCESS_KEY" + suffix], env["EC2_SECRET_KEY" + suffix]
    print("== soak against %s (pid %d, build %s%s), %d connections for %d s" % (
        t.url, t.pid, benchlib.BUILD, ", ASan/UBSan" if san_build else "", o.connections,
        o.duration), flush=True)
    soak = Soak(o, t, conf_text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    label = "soak-%s%d-%ds-%s" % ("asan-" if san_build else "", o.connections, o.duration, stamp)
    os.makedirs(o.out, exist_ok=True)
    log_src = os.path.join(t.tmp, "ec2gwd.log")
    log_path = os.path.join(o.out, label + "-ec2gwd.log")
    base = after = cleanup = died = None
    exit_rc = None
    try:
        base, after, cleanup, died = asyncio.run(soak.run())
    finally:
        if t.proc is not None and t.proc.poll() is None:
            t.proc.send_signal(signal.SIGTERM)
            try:
                exit_rc = t.proc.wait(timeout=60)
            except Exception:
                t.proc.kill()
                exit_rc = "killed after 60 s"
        elif t.proc is not None:
            exit_rc = t.proc.returncode
        if os.path.exists(log_src):
            shutil.copy(log_src, log_path)
        t.proc = None
        t.stop()
    lines = []
    if os.path.exists(log_path):
        for ln in open(log_path, "rb"):
            if any(pat in ln for pat in SAN_PATTERNS):
                lines.append(ln.decode("utf-8", "replace").rstrip())
    if base is None:
        return 2
    res, fails = summarize(o, soak, base, after, cleanup, died,
                           {"build": san_build, "lines": lines}, exit_rc, log_path)
    csv_path = os.path.join(o.out, label + ".csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(soak.samples[0].keys()))
        w.writeheader()
        for s in soak.samples:
            w.writerow(s)
    res["samples_csv"] = csv_path
    with open(os.path.join(o.out, label + ".json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True, default=str)
    print("samples: %s (and %s.json)" % (csv_path, label))
    if died is not None:
        return 2
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
