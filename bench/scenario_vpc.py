"""scenario_vpc.py - the vpc scenario (bench/README.md, issue 13), registered in scenarios.py.

Seeds -n (20) VPCs with 2 subnets each (40) and 100 network interfaces spread over the subnets
through the gateway (the VPC items live in the gateway's database, so they cannot be made in
Neutron alone), as the second tenant (demo2): while they exist the tenant has 40 networks, and
RunInstances without SubnetId on `network: auto` would find no single network, so the bench
keeps away from the tenant the other integration tests boot servers in. Then DescribeVpcs,
DescribeSubnets, DescribeNetworkInterfaces, DescribeRouteTables and DescribeSubnets with a vpc-id
filter naming one of the VPCs (pushed down: the plugin reads only that VPC's subnets and ports) at
each of --clients (1,10), each followed by the Neutron reads the plugin makes for it (for the
filtered one: those it makes with the push-down), issued directly by the same load
generator at the same concurrency (the slowest one's p50 is the floor) and together (the
fan-out floor). --actions limits the run to those of its actions it names (the filtered one is
DescribeSubnets/vpc-id); naming none of them runs all. With EC2GW_BUILD_BASELINE=<build dir>
a second ec2gwd from that build serves the same database, and each action is measured on it
too, right after (a before/after comparison on the same objects; rows marked "(baseline)").
EC2GW_BENCH_SEED=n makes the setup's creates n at a time (default 4; 1 when Neutron is slow: its
router interface calls then take over a minute at 4). Everything it made is deleted after
(--keep keeps it; a later run reuses the VPCs tagged ec2gw-bench only while its daemon's
database lives, so --keep is for inspection).
"""

import concurrent.futures
import json
import os
import re
import time

import benchlib

SUBNETS_PER_VPC = 2
ENIS = 100
TAG = [{"Key": "ec2gw-bench", "Value": "vpc"}]
ACTIONS = ("DescribeVpcs", "DescribeSubnets", "DescribeNetworkInterfaces",
           "DescribeRouteTables", "DescribeSubnets/vpc-id")


def _tenant2(t, env):
    """The same ec2gwd, signed as demo2."""
    t2 = benchlib.Target(t.kind, t.url, env["EC2_ACCESS_KEY_2"], env["EC2_SECRET_KEY_2"],
                         t.region, pid=t.pid)
    t2.has_metrics = t.has_metrics
    return t2


def _baseline(t):
    """ec2gwd from $EC2GW_BUILD_BASELINE on @p t's database, or None."""
    build = os.environ.get("EC2GW_BUILD_BASELINE")
    if not build:
        return None
    db = os.path.join(t.tmp, "db.sqlite")
    saved = benchlib.BUILD
    benchlib.BUILD = build
    try:
        return benchlib.start_ec2gwd(benchlib.cloud_env(), conf_edit=lambda src: re.sub(
            r"\S+/db\.sqlite", db, src))
    finally:
        benchlib.BUILD = saved


def _pool(n, fn, items):
    """fn(item) for every item, n at a time (Neutron's API takes seconds a write when busy)."""
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        return list(ex.map(fn, items))


def _seed(t, o, made):
    """o.count VPCs, SUBNETS_PER_VPC subnets each, ENIS interfaces; ids into made."""
    t0 = time.time()
    local = __import__("threading").local()

    def ec2():
        if not hasattr(local, "c"):
            local.c = t.boto3()
        return local.c

    def vpc(k):
        v = ec2().create_vpc(CidrBlock="10.%d.0.0/16" % (k + 1), TagSpecifications=[
            {"ResourceType": "vpc", "Tags": TAG}])["Vpc"]["VpcId"]
        made["vpcs"].append(v)
        return v

    width = int(os.environ.get("EC2GW_BENCH_SEED", "4"))
    vpcs = _pool(width, vpc, range(o.count))

    def subnet(arg):
        k, j = arg
        s = ec2().create_subnet(VpcId=vpcs[k], CidrBlock="10.%d.%d.0/24" % (k + 1, j + 1),
                                TagSpecifications=[{"ResourceType": "subnet", "Tags": TAG}])
        made["subnets"].append(s["Subnet"]["SubnetId"])
        made["subnet_vpc"][s["Subnet"]["SubnetId"]] = vpcs[k]
        return s["Subnet"]["SubnetId"]

    subnets = _pool(width, subnet,
                    [(k, j) for k in range(o.count) for j in range(SUBNETS_PER_VPC)])

    def eni(i):
        e = ec2().create_network_interface(SubnetId=subnets[i % len(subnets)],
                                           Description="ec2gw-bench")
        made["enis"].append(e["NetworkInterface"]["NetworkInterfaceId"])

    _pool(width, eni, range(ENIS))
    print("  setup: %d VPCs, %d subnets, %d network interfaces in %.1f s (through the gateway, "
          "%d at a time)" % (len(vpcs), len(subnets), len(made["enis"]), time.time() - t0,
                             width))


def _cleanup(t, made):
    t0 = time.time()
    c = t.boto3()
    errors = []

    def call(fn, **kw):
        for _ in range(20):
            try:
                return fn(**kw)
            except Exception as e:  # noqa: BLE001 - retried, then reported
                code = getattr(e, "response", {}).get("Error", {}).get("Code", "")
                if code.endswith(".NotFound"):
                    return None
                if code != "DependencyViolation":
                    errors.append("%s %s: %s" % (fn.__name__, kw, e))
                    return None
                time.sleep(3)
        errors.append("%s %s: still DependencyViolation" % (fn.__name__, kw))

    _pool(4, lambda e: call(c.delete_network_interface, NetworkInterfaceId=e), made["enis"])
    _pool(4, lambda s: call(c.delete_subnet, SubnetId=s), made["subnets"])
    _pool(4, lambda v: call(c.delete_vpc, VpcId=v), made["vpcs"])
    print("  cleanup: %d interfaces, %d subnets, %d VPCs deleted in %.1f s%s" % (
        len(made["enis"]), len(made["subnets"]), len(made["vpcs"]), time.time() - t0,
        "; errors: %s" % errors if errors else ""))


def floor_calls(os_, subnet_ids, network_ids, one_vpc=None):
    """EC2 action -> the Neutron reads neutron-v2.0 makes for it (as the tenant), as its
    describe files issue them (together, when several); one_vpc: the Neutron (subnet ids,
    network ids) of the VPC the filtered DescribeSubnets names."""
    pid = os_.project_id
    sq = "&".join("id=" + s for s in subnet_ids)
    nq = "&".join("network_id=" + n for n in network_ids)
    vsq = "&".join("id=" + s for s in (one_vpc or ([], []))[0])
    vnq = "&".join("network_id=" + n for n in (one_vpc or ([], []))[1])
    return {
        # vpcs_describe.c: the database only
        "DescribeVpcs": [],
        # subnets_describe.c: the EC2 subnets' Neutron subnets and the ports on their networks
        "DescribeSubnets": [
            "/v2.0/subnets?%s&fields=id&fields=cidr&fields=allocation_pools" % sq,
            "/v2.0/ports?%s&fields=fixed_ips" % nq],
        # eni_describe.c: ports of the EC2 subnets' networks, floating IPs, group names
        "DescribeNetworkInterfaces": [
            "/v2.0/ports?project_id=%s&%s" % (pid, nq),
            "/v2.0/floatingips?project_id=%s" % pid,
            "/v2.0/security-groups?project_id=%s&fields=id&fields=name" % pid],
        # rtb_describe.c: the database only while no route targets an interface
        "DescribeRouteTables": [],
        # subnets_describe.c with Filter vpc-id: the rows are filtered before Neutron is asked
        "DescribeSubnets/vpc-id": [
            "/v2.0/subnets?%s&fields=id&fields=cidr&fields=allocation_pools" % vsq,
            "/v2.0/ports?%s&fields=fixed_ips" % vnq],
    }


def _direct(t, os_, path, clients, o, label):
    return benchlib.loadgen(t, ["--raw", "-e", os_.catalog["network"] + path,
                                "-H", "X-Auth-Token: " + os_.token,
                                "-H", "Accept: application/json",
                                "-c", clients, "-t", 1, "-d", o.duration, "--timeout", 120],
                            os.path.join(o.out, "floor-%s.json" % label), "floor " + path[:60])


def _fanout(os_, paths, clients, seconds):
    import scenarios
    calls = [("network", p, False) for p in paths]
    saved = scenarios.floor_calls
    scenarios.floor_calls = lambda _os=None: {"vpc": calls}
    try:
        return scenarios.fanout_floor(os_, "vpc", clients, seconds)
    finally:
        scenarios.floor_calls = saved


def _row(action, clients, g, slow, fan):
    """One markdown row: the gateway's figures against the slowest call and the fan-out."""
    lat, b = g["latency_ms"], g.get("backend") or {}
    cells = [action, str(clients), "%.1f" % g["requests_per_s"], "%.0f" % lat["p50"],
             "%.0f" % lat["p99"], "%.2f %s" % (b.get("openstack_calls_per_request") or 0,
                                                json.dumps(b.get("calls", {}), sort_keys=True)),
             "%s" % ((g.get("server") or {}).get("cpu_ms_per_request") and
                     "%.1f ms" % g["server"]["cpu_ms_per_request"] or "-")]
    if slow:
        sp = slow[1]["latency_ms"]["p50"]
        cells += ["%.0f (`%s`)" % (sp, slow[0].split("?")[0]), "%.2f" % (lat["p50"] / sp)]
    else:
        cells += ["- (database only)", "-"]
    if fan:
        fp = fan[1]["latency_ms"]["p50"]
        cells += ["%.0f" % fp, "%.2f" % (lat["p50"] / fp)]
    else:
        cells += ["-", "-"]
    return "| " + " | ".join(cells) + " |"


def vpc(t, o):
    env = o.env
    t2 = _tenant2(t, env)
    os_ = benchlib.OpenStack(env, username=env["DEMO2_USERNAME"],
                             password=env["DEMO2_PASSWORD"], project=env["DEMO2_PROJECT_NAME"])
    made = {"vpcs": [], "subnets": [], "enis": [], "subnet_vpc": {}}
    rows = []
    base = _baseline(t)
    targets = [(t2, "")] + ([(_tenant2(base, env), " (baseline)")] if base else [])
    chosen = [a for a in ACTIONS if a in o.actions.split(",")] or ACTIONS
    try:
        _seed(t2, o, made)
        mine = set(made["subnets"])  # Neutron names networks and subnets after the subnet- id
        nets = {n["name"]: n["id"] for n in os_.call(
            "GET", "network", "/v2.0/networks?project_id=" + os_.project_id)["networks"]
            if n["name"] in mine}
        subs = {n["name"]: n["id"] for n in os_.call(
            "GET", "network", "/v2.0/subnets?project_id=" + os_.project_id)["subnets"]
            if n["name"] in mine}
        one = made["vpcs"][0]  # the VPC the filtered DescribeSubnets names
        in_one = sorted(s for s, v in made["subnet_vpc"].items() if v == one)
        calls = floor_calls(os_, list(subs.values()), list(nets.values()),
                            ([subs[s] for s in in_one if s in subs],
                             [nets[s] for s in in_one if s in nets]))
        for clients in [int(x) for x in o.clients.split(",")]:
            for action in chosen:
                label = "%s-%dvpc-c%d" % (action.replace("/", "-"), o.count, clients)
                what = ["-A", action]
                if action == "DescribeSubnets/vpc-id":
                    what = ["-A", "DescribeSubnets", "-p", "Filter.1.Name=vpc-id",
                            "-p", "Filter.1.Value.1=" + one]
                for tt, mark in targets:
                    g = benchlib.measured(
                        tt, "vpc", label + mark.replace(" (baseline)", "-baseline"),
                        ["-c", clients, "-t", 1, "-d", o.duration, "--timeout", 120] + what,
                        o.out, "%s%s, %d VPCs / %d subnets / %d interfaces, %d clients (report; "
                        "p50 vs the slowest Neutron call it makes)" % (
                            action, mark, o.count, len(made["subnets"]), len(made["enis"]),
                            clients))
                    # the baseline build reads every subnet for the filtered action
                    paths = calls["DescribeSubnets" if mark and action.startswith(
                        "DescribeSubnets") else action]
                    direct = [(p, _direct(t2, os_, p, clients, o, "%s%s-%d" % (
                        label, mark and "-baseline", k))) for k, p in enumerate(paths)]
                    slow = (max(direct, key=lambda d: d[1]["latency_ms"]["p50"]) if direct
                            else None)
                    fan = _fanout(os_, paths, clients, o.duration) if len(paths) > 1 else None
                    rows.append(_row(action + mark, clients, g, slow, fan))
                    print(rows[-1])
        print("\n| action | clients | req/s | p50 ms | p99 ms | OpenStack calls / request | "
              "server CPU / request | slowest Neutron call p50 ms | gw/slowest | fan-out floor "
              "p50 ms | gw/fan-out |\n|---|--:|--:|--:|--:|---|--:|---|--:|--:|--:|")
        print("\n".join(rows))
    finally:
        if not o.keep:
            _cleanup(t2, made)
        if base:
            base.stop()
