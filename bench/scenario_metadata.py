"""scenario_metadata.py - the metadata scenario (bench/README.md), registered in scenarios.py.

One instance run through the gateway (cirros-fake, m1.tiny); ec2gwd restarted with its
metadata listener on (conf.d's `metadata:` section: enabled, a free port, a shared secret,
cache_ttl --md-cache seconds). Then:

- hits: GET /latest/meta-data/instance-id with the headers Neutron's metadata agent sends
  (X-Instance-ID, X-Tenant-ID, X-Forwarded-For, X-Instance-ID-Signature) at each of --clients
  (1,10), by the same load generator (--raw), with the OpenStack calls made during the run;
- misses: -n (20) single requests, each after the cache time ran out: their latency and the
  OpenStack calls each made (by service, from /metrics), Keystone calls included.

The instance is terminated after (--keep keeps it).
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
CACHE_S = 1


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


def _instance(t, os_):
    c = t.boto3()
    imgs = c.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    res = c.run_instances(ImageId=imgs[0]["ImageId"], InstanceType="m1.tiny", MinCount=1,
                          MaxCount=1)
    iid, rid = res["Instances"][0]["InstanceId"], res["ReservationId"]
    c.get_waiter("instance_running").wait(InstanceIds=[iid],
                                          WaiterConfig={"Delay": 2, "MaxAttempts": 90})
    server = [s for s in os_.call("GET", "compute", "/servers/detail")["servers"]
              if s["name"].startswith(rid + "-")][0]
    ip = [a["addr"] for net in server["addresses"].values() for a in net
          if a.get("OS-EXT-IPS:type") == "fixed"][0]
    return iid, {"X-Instance-ID": server["id"], "X-Tenant-ID": server["tenant_id"],
                 "X-Forwarded-For": ip,
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
    iid, headers = _instance(t, os_)
    path = "/latest/meta-data/instance-id"
    try:
        status, body, _ = _get(port, path, headers)
        if (status, body.decode().strip()) != (200, iid):
            sys.exit("metadata: %s answered %s %r, not %s" % (path, status, body[:200], iid))
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
            c = t.boto3()
            c.terminate_instances(InstanceIds=[iid])
