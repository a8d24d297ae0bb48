"""scenario_metadata.py - the metadata scenario (bench/README.md), registered in scenarios.py.

One server booted in Nova (cirros-fake, m1.tiny, network `private`); ec2gwd restarted with its
metadata listener on (conf.d's `metadata:` section: enabled, a free port, a shared secret,
cache_ttl $EC2GW_BENCH_MD_CACHE seconds, default 1). Then:

- hits: GET /latest/meta-data/instance-id with the headers Neutron's metadata agent sends
  (X-Instance-ID, X-Tenant-ID, X-Forwarded-For, X-Instance-ID-Signature) at each of --clients
  (1,10), by the same load generator (--raw), with the OpenStack calls made during the run;
- misses: -n (20) single requests, each after the cache time ran out: their latency and the
  OpenStack calls each made (by service, from /metrics), Keystone calls included.

The server is deleted after (--keep keeps it).
"""

import hashlib
import hmac
import http.client
import os
import re
import sys
import time
import uuid

import benchlib

SECRET = "bench-md-" + uuid.uuid4().hex
CACHE_S = int(os.environ.get("EC2GW_BENCH_MD_CACHE", "1"))  # the listener's cache_ttl, s


def _enable(text, port):
    section = ("metadata:\n  enabled: true\n  address: 127.0.0.1\n  port: %d\n"
               "  shared_secret_env: EC2GW_METADATA_SECRET\n  cache_ttl: %ds\n" % (port, CACHE_S))
    m = re.search(r"^metadata:.*\n(?:[ #].*\n|\n)*", text, re.M)
    return text[:m.start()] + section + text[m.end():] if m else text + "\n" + section


def _restart_with_listener(t, o):
    """Replace run.sh's ec2gwd by one with the metadata listener on (same Target object, so
    run.sh still stops it)."""
    if t is None or t.kind != "ec2gw" or t.proc is None:
        sys.exit("metadata: needs the ec2gwd that run.sh starts (no --moto/--endpoint)")
    t.stop()
    os.environ["EC2GW_METADATA_SECRET"] = SECRET
    port = benchlib.free_port()
    new = benchlib.start_ec2gwd(o.env, conf_edit=lambda s: _enable(s, port))
    t.__dict__.update(new.__dict__)
    return port


def _instance(os_):
    """One server booted in Nova directly (cirros-fake, m1.tiny, the project's network named
    `private`, so that other networks in the project do not matter): the metadata service
    serves any server of the project. Returns its uuid and the agent's headers."""
    image = [i["id"] for i in os_.call("GET", "image", "/v2/images?name=cirros-fake")["images"]]
    flavor = [f["id"] for f in os_.call("GET", "compute", "/flavors")["flavors"]
              if f["name"] == "m1.tiny"]
    net = [n["id"] for n in os_.call("GET", "network", "/v2.0/networks?name=private")["networks"]
           if n["project_id"] == os_.project_id]
    server = os_.call("POST", "compute", "/servers", {"server": {
        "name": "ec2gw-bench-md", "imageRef": image[0], "flavorRef": flavor[0],
        "networks": [{"uuid": net[0]}]}})["server"]
    deadline = time.time() + 300
    while time.time() < deadline:
        server = os_.call("GET", "compute", "/servers/" + server["id"])["server"]
        if server["status"] in ("ACTIVE", "ERROR"):
            break
        time.sleep(2)
    if server["status"] != "ACTIVE":
        sys.exit("metadata: the bench server is %s" % server["status"])
    ip = [a["addr"] for net in server["addresses"].values() for a in net
          if a.get("OS-EXT-IPS:type") == "fixed"][0]
    return server["id"], {
        "X-Instance-ID": server["id"], "X-Tenant-ID": server["tenant_id"], "X-Forwarded-For": ip,
        "X-Instance-ID-Signature": hmac.new(SECRET.encode(), server["id"].encode(),
                                            hashlib.sha256).hexdigest()}


def _get(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.monotonic()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body, 1000 * (time.monotonic() - t0)


def _calls(t):
    return {k: v for k, v in (benchlib.backend_calls(t) or {}).items()
            if not k.startswith("seconds:")}


def metadata(t, o):
    port = _restart_with_listener(t, o)
    os_ = benchlib.OpenStack(o.env)
    uuid_, headers = _instance(os_)
    path = "/latest/meta-data/instance-id"
    try:
        status, body, _ = _get(port, path, headers)
        if status != 200 or not body.startswith(b"i-"):
            sys.exit("metadata: %s answered %s %r" % (path, status, body[:200]))
        url = "http://127.0.0.1:%d%s" % (port, path)
        hdr_args = []
        for k, v in headers.items():
            hdr_args += ["-H", "%s: %s" % (k, v)]
        for clients in [int(x) for x in o.clients.split(",")]:
            benchlib.measured(t, "metadata", "instance-id-c%d" % clients,
                              ["--raw", "-e", url] + hdr_args + ["-c", clients, "-t", 1, "-d",
                                                                 o.duration],
                              o.out, "meta-data/instance-id, %d clients, cache %d s (report)"
                              % (clients, CACHE_S))
        lat, before = [], _calls(t)
        for _ in range(o.count):
            time.sleep(CACHE_S + 0.3)
            status, body, ms = _get(port, path, headers)
            if status != 200:
                sys.exit("metadata: a miss answered %s %r" % (status, body[:200]))
            lat.append(ms)
        after = _calls(t)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        per = {k: v / o.count for k, v in sorted(delta.items()) if v}
        lat.sort()
        print("\n== cache misses: %d requests, each after the %d s cache time" % (o.count,
                                                                                  CACHE_S))
        print("  %-14s p50 %.1f ms, p90 %.1f ms, max %.1f ms" % (
            "latency", lat[len(lat) // 2], lat[int(len(lat) * 0.9)], lat[-1]))
        print("  %-14s %.2f per miss %s" % ("OpenStack", sum(per.values()),
                                            ", ".join("%s %.2f" % kv for kv in per.items())))
    finally:
        if not o.keep:
            os_.call("DELETE", "compute", "/servers/" + uuid_)
