"""scenarios.py - the bench/ scenarios (see bench/README.md); run through bench/run.sh."""

import os
import subprocess
import sys
import time

import benchlib
from benchlib import measured

PUBKEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb6v1a6yYVqQ3bX0mQ8m0o3dFQ9Wj3t3u8Zq5l8b0cH "
          "ec2gw-bench")


def lg_args(o, action_args):
    return ["-c", o.connections, "-t", o.threads, "-d", o.duration] + action_args


# ------------------------------------------------------------------ regions / tags

def regions(t, o):
    measured(t, "regions", "c%d" % o.connections, lg_args(o, ["-A", "DescribeRegions"]),
             o.out, "DescribeRegions at 50 connections >= 20000 req/s", target_rps=20000)


def ensure_tags(t, n):
    """n tags on ami- ids (no backend needed): 50 tags per id, 10 ids per CreateTags."""
    c = t.boto3()
    have = len(c.describe_tags()["Tags"])
    ids = ["ami-%08x" % (0xbe000000 + i) for i in range((n + 49) // 50)]
    if t.kind == "moto":  # moto wants existing resources: its built-in AMIs
        ids = [i["ImageId"] for i in c.describe_images()["Images"]][:len(ids)]
    if have >= n:
        return ids
    t0 = time.time()
    for i in range(0, len(ids), 10):
        chunk = ids[i:i + 10]
        left = n - i * 50
        c.create_tags(Resources=chunk, Tags=[{"Key": "bench-%02d" % j, "Value": "v%d" % j}
                                             for j in range(min(50, (left + len(chunk) - 1)
                                                                // len(chunk)))])
    print("  setup: %d tags on %d ami- ids in %.1f s (CreateTags)" % (
        len(c.describe_tags()["Tags"]), len(ids), time.time() - t0))
    return ids


def tags(t, o):
    ids = ensure_tags(t, o.count)
    measured(t, "tags", "all-%d-c%d" % (o.count, o.connections),
             lg_args(o, ["-A", "DescribeTags"]), o.out,
             "DescribeTags listing %d tags (no target set; report)" % o.count)
    measured(t, "tags", "filtered-c%d" % o.connections,
             lg_args(o, ["-A", "DescribeTags", "-p", "Filter.1.Name=resource-id",
                         "-p", "Filter.1.Value.1=" + ids[0]]), o.out,
             "DescribeTags of one resource (50 of %d tags)" % o.count)
    # the other indexed paths: one tag key of every resource, and a first page
    measured(t, "tags", "tag-key-c%d" % o.connections,
             lg_args(o, ["-A", "DescribeTags", "-p", "Filter.1.Name=tag:bench-07",
                         "-p", "Filter.1.Value.1=v7"]), o.out,
             "DescribeTags of one key (%d of %d tags)" % (len(ids), o.count))
    measured(t, "tags", "page100-c%d" % o.connections,
             lg_args(o, ["-A", "DescribeTags", "-p", "MaxResults=100"]), o.out,
             "DescribeTags first page of 100 (of %d tags)" % o.count)
    if not o.keep:
        c = t.boto3()
        for i in range(0, len(ids), 10):
            c.delete_tags(Resources=ids[i:i + 10])


# ------------------------------------------------------------------ plugin-backed reads

def openstack(o):
    return benchlib.OpenStack(o.env)


def ensure_images(os_, n):
    imgs = os_.call("GET", "image", "/v2/images?limit=1000")["images"]
    mine = [i for i in imgs if i["name"].startswith("ec2gw-bench-")]
    created = []
    for k in range(max(0, n - len(imgs))):
        img = os_.call("POST", "image", "/v2/images", {
            "name": "ec2gw-bench-%04d" % k, "disk_format": "raw", "container_format": "bare",
            "visibility": "private"})
        created.append(img["id"])
    print("  setup: %d images in Glance (%d created)" % (len(imgs) + len(created), len(created)))
    return mine + [{"id": i} for i in created]


def images(t, o):
    os_ = openstack(o) if t.kind != "moto" else None
    made = ensure_images(os_, o.count) if os_ else []
    try:
        measured(t, "images", "%d-c%d" % (o.count, o.connections),
                 lg_args(o, ["-A", "DescribeImages"]), o.out,
                 "DescribeImages with %d images (no target set; report)" % o.count)
    finally:
        if os_ and not o.keep:
            for img in made:
                os_.call("DELETE", "image", "/v2/images/" + img["id"])


def keypairs(t, o):
    os_ = openstack(o) if t.kind != "moto" else None
    names = ["ec2gw-bench-%03d" % i for i in range(o.count)]
    if os_:
        have = {k["keypair"]["name"] for k in os_.call("GET", "compute", "/os-keypairs")
                ["keypairs"]}
        for n in names:
            if n not in have:
                os_.call("POST", "compute", "/os-keypairs",
                         {"keypair": {"name": n, "public_key": PUBKEY}})
    else:
        c = t.boto3()
        for n in names:
            c.import_key_pair(KeyName=n, PublicKeyMaterial=PUBKEY.encode())
    try:
        measured(t, "keypairs", "%d-c%d" % (o.count, o.connections),
                 lg_args(o, ["-A", "DescribeKeyPairs"]), o.out,
                 "DescribeKeyPairs with %d key pairs (no target set; report)" % o.count)
    finally:
        if os_ and not o.keep:
            for n in names:
                os_.call("DELETE", "compute", "/os-keypairs/" + n)


def default_network(os_):
    """A project (or shared) network that is not external: 'auto' needs Neutron's
    auto-allocated topology, which this cloud does not have."""
    nets = os_.call("GET", "network", "/v2.0/networks?router:external=false")["networks"]
    own = [n for n in nets if n.get("project_id") == os_.project_id] or nets
    return own[0]["id"] if own else "auto"


def nova_boot(os_, n, o, batch_size=50):
    """n servers in POST /servers (min_count, at most batch_size a request), smallest flavor,
    first active image, a network; then waits until they are all ACTIVE (or ERROR)."""
    flavors = sorted(os_.call("GET", "compute", "/flavors/detail")["flavors"],
                     key=lambda f: (f["ram"], f["vcpus"], f["disk"]))
    flavor = o.flavor or flavors[0]["id"]
    imgs = [i for i in os_.call("GET", "image", "/v2/images?limit=1000")["images"]
            if i.get("status") == "active"]
    machine = [i for i in imgs if not any(w in i["name"] for w in ("kernel", "ramdisk"))]
    image = o.image or (machine or imgs)[0]["id"]
    network = o.network or default_network(os_)
    t0 = time.time()
    left = n
    while left > 0:
        k = min(batch_size, left)
        body = {"server": {"name": "ec2gw-bench", "imageRef": image, "flavorRef": flavor,
                           "min_count": k, "max_count": k, "networks": "none"}}
        if network not in ("none", "auto"):
            body["server"]["networks"] = [{"uuid": network}]
        else:
            body["server"]["networks"] = network
        os_.call("POST", "compute", "/servers", body,
                 {"X-OpenStack-Nova-API-Version": "2.37"})
        left -= k
    deadline = time.time() + max(300, 6 * n)
    while True:
        st = {}
        for s in bench_servers(os_, detail=True):
            st[s["status"]] = st.get(s["status"], 0) + 1
        pending = sum(v for k, v in st.items() if k not in ("ACTIVE", "ERROR"))
        if not pending or time.time() > deadline:
            break
        time.sleep(3)
    print("  setup: %d servers booted in %.1f s (%s)" % (n, time.time() - t0, st))


def bench_servers(os_, detail=False):
    out, marker = [], None
    while True:
        page = os_.call("GET", "compute", "/servers%s?name=%%5Eec2gw-bench&limit=1000%s" % (
            "/detail" if detail else "", "&marker=" + marker if marker else ""))["servers"]
        out += page
        if len(page) < 1000:
            return out
        marker = page[-1]["id"]


def nova_wipe(os_):
    for s in bench_servers(os_):
        try:
            os_.call("DELETE", "compute", "/servers/" + s["id"])
        except benchlib.urllib.error.HTTPError as e:
            if e.code != 404:
                raise
    deadline = time.time() + 900
    while bench_servers(os_) and time.time() < deadline:
        time.sleep(3)


def floor_direct(t, os_, action, conns, o, label):
    """The OpenStack reads the plugin makes for action, each issued directly at conns
    concurrent clients; returns [(path, loadgen result)]."""
    direct = []
    for svc, path, as_service in floor_calls(os_)[action]:
        url = os_.catalog[svc] + path
        r = benchlib.loadgen(t, ["--raw", "-e", url, "-H",
                                 "X-Auth-Token: " + token_for(os_, as_service),
                                 "-H", "Accept: application/json",
                                 "-H", "X-OpenStack-Nova-API-Version: 2.47",
                                 "-c", conns, "-t", 1, "-d", o.duration, "--timeout", 120],
                             os.path.join(o.out, "floor-%s-%s-direct-%d.json" % (
                                 action, label, len(direct))), "floor " + path)
        direct.append((path, r))
    return direct


def fanout_floor(os_, action, conns, seconds):
    """The plugin's reads for action issued together (one thread each), as the plugin's
    fan-out does, by conns clients in a closed loop for seconds: latency of the slowest of
    each group. On a cloud whose API workers are busy, concurrent calls to one service queue
    behind each other, so this is the floor the gateway can actually reach."""
    import concurrent.futures
    import urllib.request
    calls = floor_calls(os_)[action]

    def one(url, as_service):
        h = {"X-Auth-Token": token_for(os_, as_service), "Accept": "application/json",
             "X-OpenStack-Nova-API-Version": "2.47"}
        with urllib.request.urlopen(urllib.request.Request(url, None, h), timeout=300) as r:
            r.read()

    lat, stop = [], time.time() + seconds
    pool = concurrent.futures.ThreadPoolExecutor(conns * len(calls))

    def client():
        while time.time() < stop:
            t0 = time.time()
            for f in [pool.submit(one, os_.catalog[svc] + path, a) for svc, path, a in calls]:
                f.result()
            lat.append(1000 * (time.time() - t0))
    with concurrent.futures.ThreadPoolExecutor(conns) as cl:
        for f in [cl.submit(client) for _ in range(conns)]:
            f.result()
    pool.shutdown()
    lat.sort()
    res = {"requests": len(lat), "requests_per_s": len(lat) / seconds, "status": {"2xx": 1},
           "latency_ms": {"p50": lat[len(lat) // 2], "p99": lat[min(len(lat) - 1,
                                                                   int(len(lat) * 0.99))]}}
    print("  fan-out floor  %d calls together, %d clients: %d groups, p50 %.1f ms, p99 %.1f ms"
          % (len(calls), conns, len(lat), res["latency_ms"]["p50"], res["latency_ms"]["p99"]))
    return ("fan-out of %d" % len(calls), res)


def print_floor(rows, target=1.2):
    print("\n%-30s %-28s %9s %9s %8s %9s %9s %8s" % (
        "EC2 action", "slowest OpenStack call", "os p50", "gw p50", "p50 x", "os p99",
        "gw p99", "req/s x"))
    for action, g, (path, d) in rows:
        ok = g["status"]["2xx"] > 0
        print("%-30s %-28s %9.2f %9.2f %8s %9.2f %9.2f %8s" % (
            action, path[-28:], d["latency_ms"]["p50"], g["latency_ms"]["p50"],
            "%.2f" % (g["latency_ms"]["p50"] / d["latency_ms"]["p50"]) if ok else "n/a",
            d["latency_ms"]["p99"], g["latency_ms"]["p99"],
            "%.2f" % (g["requests_per_s"] / d["requests_per_s"]) if ok else "n/a"))
    print("target: gateway p50 within %.1fx the slowest OpenStack call it makes" % target)


def instances(t, o):
    os_ = openstack(o)
    rows = []
    try:
        for n in [int(x) for x in o.counts.split(",")]:
            have = len(bench_servers(os_))
            if have < n:
                print("  setup: booting %d servers through Nova (have %d)" % (n - have, have))
                nova_boot(os_, n - have, o)
            for clients in [int(x) for x in o.clients.split(",")]:
                g = measured(t, "instances", "%d-c%d" % (n, clients),
                             ["-c", clients, "-t", 1, "-d", o.duration, "--timeout", 120,
                              "-A", "DescribeInstances"],
                             o.out, "DescribeInstances with %d instances at %d clients "
                             "(p50 <= 1.2x the floor)" % (n, clients))
                if o.no_floor:
                    continue
                direct = floor_direct(t, os_, "DescribeInstances", clients, o,
                                      "%d-c%d" % (n, clients))
                slow = max(direct, key=lambda d: d[1]["latency_ms"]["p50"])
                rows.append(("DescribeInstances %d c%d" % (n, clients), g, slow))
                print_floor(rows[-1:])
        if rows:
            print_floor(rows)
    finally:
        if not o.keep:
            nova_wipe(os_)


def batch(t, o):
    """RunInstances of N -> DescribeInstances until running -> TerminateInstances, repeated."""
    c = t.boto3()
    imgs = c.describe_images()["Images"]
    machine = [i for i in imgs if i["ImageId"].startswith("ami-")
               and not any(w in i.get("Name", "") for w in ("kernel", "ramdisk"))]
    image = o.image_id or (machine or imgs)[0]["ImageId"]
    itype = o.instance_type or "m1.tiny"
    done, t0, rounds = 0, time.time(), []
    while time.time() - t0 < o.duration or not rounds:
        r0 = time.time()
        ids = [i["InstanceId"] for i in c.run_instances(
            ImageId=image, InstanceType=itype, MinCount=o.count, MaxCount=o.count)["Instances"]]
        polls = 0
        while True:
            polls += 1
            states = [i["State"]["Name"] for r in c.describe_instances(InstanceIds=ids)
                      ["Reservations"] for i in r["Instances"]]
            if all(s == "running" for s in states) or time.time() - r0 > o.timeout:
                break
            time.sleep(1)
        c.terminate_instances(InstanceIds=ids)
        rounds.append({"seconds": time.time() - r0, "polls": polls,
                       "running": states.count("running")})
        done += states.count("running")
        print("  round %d: %d/%d running in %.1f s (%d DescribeInstances)" % (
            len(rounds), states.count("running"), len(ids), rounds[-1]["seconds"], polls))
    per_min = 60.0 * done / (time.time() - t0)
    print("  batch: %d instances run in %d rounds, %.1f instances/minute" % (
        done, len(rounds), per_min))


def addresses(t, o):
    """n floating IPs made through Neutron (REST, from the external network), then
    DescribeAddresses at each of --clients, with the plugin's Neutron reads issued directly
    (each alone, and together as its fan-out does); the floating IPs are released after."""
    os_ = openstack(o)
    ext = os_.call("GET", "network", "/v2.0/networks?router:external=true")["networks"][0]
    have = [f for f in os_.call("GET", "network", "/v2.0/floatingips?project_id=" +
                                os_.project_id)["floatingips"]]
    made = []
    for _ in range(max(0, o.count - len(have))):  # Neutron takes seconds each when busy
        made.append(os_.call("POST", "network", "/v2.0/floatingips", {"floatingip": {
            "floating_network_id": ext["id"], "description": "ec2gw-bench"}})["floatingip"]["id"])
    print("  setup: %d floating IPs in the project (%d created)" % (len(have) + len(made),
                                                                   len(made)))
    rows = []
    try:
        for clients in [int(x) for x in o.clients.split(",")]:
            g = measured(t, "addresses", "%d-c%d" % (o.count, clients),
                         ["-c", clients, "-t", 1, "-d", o.duration, "-A", "DescribeAddresses"],
                         o.out, "DescribeAddresses with %d addresses at %d clients (report)"
                         % (o.count, clients))
            direct = floor_direct(t, os_, "DescribeAddresses", clients, o, "c%d" % clients)
            rows.append(("DescribeAddresses %d c%d" % (o.count, clients), g,
                         max(direct, key=lambda d: d[1]["latency_ms"]["p50"])))
            rows.append(("  (fan-out)", g, fanout_floor(os_, "DescribeAddresses", clients,
                                                        o.duration)))
        print_floor(rows)
    finally:
        if not o.keep:  # also what an interrupted earlier run left
            for f in os_.call("GET", "network", "/v2.0/floatingips?project_id=%s&description="
                              "ec2gw-bench" % os_.project_id)["floatingips"]:
                os_.call("DELETE", "network", "/v2.0/floatingips/" + f["id"])


# ------------------------------------------------------------------ volumes (cinder-v3)

_VOLUME_SERVERS = []  # the servers the volumes scenario attached its volumes to


def _wait_cinder(os_, ids, want, seconds=600):
    deadline = time.time() + seconds
    while time.time() < deadline:
        vols = {v["id"]: v["status"] for v in os_.call(
            "GET", "volumev3", "/volumes/detail?limit=1000")["volumes"]}
        if all(vols.get(i) in want for i in ids):
            return
        time.sleep(2)
    raise RuntimeError("volumes not %s after %d s" % (want, seconds))


def volumes(t, o):
    """-n (100) Cinder volumes (REST), --attached (20) of them attached to two servers booted
    through Nova (10 each); DescribeVolumes at each of --clients, then the floor calls."""
    os_ = openstack(o)
    nv = {"X-OpenStack-Nova-API-Version": "2.79", "OpenStack-API-Version": "compute 2.79"}
    servers, made = [], []
    try:
        have = [v["id"] for v in os_.call("GET", "volumev3", "/volumes/detail?limit=1000")
                ["volumes"] if (v.get("name") or "").startswith("ec2gwvol-bench")]
        for k in range(max(0, o.count - len(have))):
            made.append(os_.call("POST", "volumev3", "/volumes", {"volume": {
                "size": 1, "name": "ec2gwvol-bench-%03d" % k}})["volume"]["id"])
        ids = have + made
        _wait_cinder(os_, ids, ("available", "in-use"))
        flavors = sorted(os_.call("GET", "compute", "/flavors/detail")["flavors"],
                         key=lambda f: (f["ram"], f["vcpus"], f["disk"]))
        image = [i for i in os_.call("GET", "image", "/v2/images?limit=1000")["images"]
                 if i.get("status") == "active" and "kernel" not in i["name"]
                 and "ramdisk" not in i["name"]][0]["id"]
        for n in range(2):
            servers.append(os_.call("POST", "compute", "/servers", {"server": {
                "name": "ec2gwvol-bench-%d" % n, "imageRef": image,
                "flavorRef": flavors[0]["id"], "networks": [{"uuid": default_network(os_)}]}},
                nv)["server"]["id"])
        deadline = time.time() + 600
        while time.time() < deadline and any(
                os_.call("GET", "compute", "/servers/" + s)["server"]["status"] != "ACTIVE"
                for s in servers):
            time.sleep(3)
        free = [v["id"] for v in os_.call("GET", "volumev3", "/volumes/detail?limit=1000")
                ["volumes"] if v["id"] in ids and v["status"] == "available"]
        attached = len(ids) - len(free)
        for k, vid in enumerate(free[:max(0, o.attached - attached)]):
            os_.call("POST", "compute", "/servers/%s/os-volume_attachments" % servers[k % 2],
                     {"volumeAttachment": {"volumeId": vid}}, nv)
        _wait_cinder(os_, ids, ("available", "in-use"))
        n_att = sum(1 for v in os_.call("GET", "volumev3", "/volumes/detail?limit=1000")
                    ["volumes"] if v["id"] in ids and v["status"] == "in-use")
        print("  setup: %d volumes, %d attached to %d servers" % (len(ids), n_att, len(servers)))
        _VOLUME_SERVERS[:] = servers
        rows = []
        for clients in [int(x) for x in o.clients.split(",")]:
            label = "%d-att%d-c%d" % (len(ids), n_att, clients)
            g = measured(t, "volumes", label, ["-c", clients, "-t", 1, "-d", o.duration,
                                               "--timeout", 120, "-A", "DescribeVolumes"],
                         o.out, "DescribeVolumes with %d volumes (%d attached) at %d clients "
                         "(report; p50 vs the slowest call)" % (len(ids), n_att, clients))
            direct = floor_direct(t, os_, "DescribeVolumes", clients, o, label)
            rows.append(("DescribeVolumes c%d" % clients, g,
                         max(direct, key=lambda d: d[1]["latency_ms"]["p50"])))
            rows.append(("DescribeVolumes c%d (fan-out)" % clients, g,
                         fanout_floor(os_, "DescribeVolumes", clients, o.duration)))
        print_floor(rows)
    finally:
        if not o.keep:
            for s in servers:
                os_.call("DELETE", "compute", "/servers/" + s)
            deadline = time.time() + 600
            while time.time() < deadline and any(
                    v["status"] != "available" for v in os_.call(
                        "GET", "volumev3", "/volumes/detail?limit=1000")["volumes"]
                    if v["id"] in made):
                time.sleep(3)
            for vid in made:
                os_.call("DELETE", "volumev3", "/volumes/" + vid)


# ------------------------------------------------------------------ floor / gateway-only

def floor_calls(os_=None):
    """EC2 action -> the OpenStack reads it makes (service, path, as the service user?), as the
    plugins do: nova-v2.1 lists the caller's servers with the service identity scoped to the
    project (admin attributes), the deleted ones alone."""
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    scope = "all_tenants=1&project_id=%s" % (os_.project_id if os_ else "")
    pid = os_.project_id if os_ else ""
    return {
        "DescribeInstances": [("compute", "/servers/detail?" + scope, True),
                              ("compute", "/servers/detail?changes-since=%s&%s&deleted=true"
                               % (since, scope), True),
                              ("network", "/v2.0/security-groups?fields=id&fields=name", False),
                              ("network", "/v2.0/ports?fields=id&fields=device_id"
                                          "&fields=mac_address&fields=fixed_ips"
                                          "&fields=security_groups&fields=description"
                                          "&fields=created_at&fields=allowed_address_pairs",
                               False)],
        "DescribeImages": [("image", "/v2/images?limit=1000", False)],
        # cinder-v3: the caller's volumes, then the attachments of each server they are on
        "DescribeVolumes": [("volumev3", "/volumes/detail", False)] + [
            ("compute", "/servers/%s/os-volume_attachments" % s, False)
            for s in _VOLUME_SERVERS],
        "DescribeKeyPairs": [("compute", "/os-keypairs", False)],
        "DescribeAvailabilityZones": [("compute", "/os-availability-zone", False)],
        # neutron-v2.0: the caller's floating IPs and ports, together
        "DescribeAddresses": [("network", "/v2.0/floatingips?project_id=%s" % pid, False),
                              ("network", "/v2.0/ports?project_id=%s&fields=id&fields=device_id"
                               "&fields=device_owner&fields=fixed_ips" % pid, False)],
    }


_SERVICE = {}


def token_for(os_, as_service):
    """The caller's token, or the gateway's service user's (cloud.sh env EC2GW_SERVICE_*)."""
    if not as_service:
        return os_.token
    if "os" not in _SERVICE:
        env = benchlib.cloud_env()
        _SERVICE["os"] = benchlib.OpenStack(env, env["EC2GW_SERVICE_USER"],
                                            env["EC2GW_SERVICE_PASSWORD"],
                                            env["EC2GW_SERVICE_PROJECT"])
    return _SERVICE["os"].token


def floor(t, o):
    os_ = openstack(o)
    rows = []
    for action in o.actions.split(","):
        direct = floor_direct(t, os_, action, o.connections, o, "c%d" % o.connections)
        g = measured(t, "floor", "%s-c%d" % (action, o.connections),
                     lg_args(o, ["-A", action]), o.out, None)
        slow = max(direct, key=lambda d: d[1]["latency_ms"]["p50"])
        rows.append((action, g, slow))
        if len(floor_calls(os_)[action]) > 1:
            rows.append((action + " (fan-out)", g,
                         fanout_floor(os_, action, o.connections, o.duration)))
    print_floor(rows)


def gateway_only(t, o):
    """Replay backend (bench/replay_backend.py) in front of Keystone and the services."""
    port = benchlib.free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(benchlib.HERE, "replay_backend.py"),
                             "--port", str(port)] +
                            (["--servers", str(o.servers)] if o.servers else []))
    try:
        benchlib.wait_http("http://127.0.0.1:%d/_replay/stats" % port, proc)
        gw = benchlib.start_ec2gwd(o.env, keystone_url="http://127.0.0.1:%d/_up/ks/v3" % port)
        try:
            for action in o.actions.split(","):
                measured(gw, "gateway-only", "%s-c%d" % (action, o.connections),
                         lg_args(o, ["-A", action]), o.out,
                         "daemon CPU per request with a replay backend (report req/s per core)")
        finally:
            gw.stop()
        print(benchlib.urllib.request.urlopen(
            "http://127.0.0.1:%d/_replay/stats" % port).read().decode())
    finally:
        proc.terminate()
        proc.wait()


def overhead(t, o):
    subprocess.run(["bash", os.path.join(benchlib.HERE, "loadgen_vs_wrk.sh"),
                    str(o.connections), str(int(o.duration))], check=False)


SCENARIOS = {"regions": regions, "tags": tags, "images": images, "keypairs": keypairs,
             "instances": instances, "batch": batch, "floor": floor, "addresses": addresses,
             "gateway-only": gateway_only, "overhead": overhead, "volumes": volumes}
TENANT = {}  # scenario: the cloud tenant it signs as by default (1: demo, 2: demo2)
DEFAULTS = {  # scenario: (connections, count)
    "regions": (50, 0), "tags": (10, 10000), "images": (10, 200), "keypairs": (10, 10),
    "instances": (10, 0), "batch": (1, 10), "floor": (10, 0), "gateway-only": (50, 0),
    "addresses": (1, 50), "volumes": (1, 100),
    "overhead": (50, 0)}

from scenario_sg import security_groups  # noqa: E402  (bench/scenario_sg.py)

SCENARIOS["security-groups"] = security_groups
DEFAULTS["security-groups"] = (1, 20)

from scenario_vpc import vpc  # noqa: E402  (bench/scenario_vpc.py)

SCENARIOS["vpc"] = vpc
DEFAULTS["vpc"] = (1, 20)

from scenario_metadata import metadata  # noqa: E402  (bench/scenario_metadata.py)

SCENARIOS["metadata"] = metadata
DEFAULTS["metadata"] = (10, 20)

from scenario_describe_cache import describe_cache  # noqa: E402  (scenario_describe_cache.py)

SCENARIOS["describe-cache"] = describe_cache
DEFAULTS["describe-cache"] = (10, 100)  # -n: bench servers in the project
TENANT["describe-cache"] = 2  # its 100 servers stay out of the project most tests use
