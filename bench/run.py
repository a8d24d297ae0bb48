"""run.py - bench/run.sh SCENARIO [options]: start (or aim at) the target, run the scenario."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import scenarios  # noqa: E402


def parse():
    p = argparse.ArgumentParser(prog="bench/run.sh", description="ec2gw benchmarks "
                                "(bench/README.md)")
    p.add_argument("scenario", choices=sorted(scenarios.SCENARIOS))
    p.add_argument("--moto", action="store_true", help="start moto_server and aim at it")
    p.add_argument("--endpoint", help="aim at a running EC2 endpoint instead of starting ec2gwd")
    p.add_argument("--pid", type=int, help="pid of the --endpoint server (RSS and CPU)")
    p.add_argument("--access"), p.add_argument("--secret"), p.add_argument("--region")
    p.add_argument("-c", "--connections", type=int)
    p.add_argument("-t", "--threads", type=int, default=1, help="loadgen threads")
    p.add_argument("-d", "--duration", type=float, default=10.0, help="seconds per run")
    p.add_argument("-n", "--count", type=int, help="tags / images / key pairs / batch size")
    p.add_argument("--counts", default="10,100,1000", help="instances: instance counts")
    p.add_argument("--clients", default="1,10", help="instances, volumes: client counts")
    p.add_argument("--images", type=int, default=200,
                   help="describe-cache: images the project sees in Glance")
    p.add_argument("--attached", type=int, default=20, help="volumes: how many attached")
    p.add_argument("--actions", default=None, help="floor, gateway-only: EC2 actions; "
                   "describe-cache: parts (cloud,gateway-only)")
    p.add_argument("--image", help="instances: Glance image id (default: first active)")
    p.add_argument("--flavor", help="instances: Nova flavor id (default: smallest)")
    p.add_argument("--network", help="instances: network uuid (default: auto)")
    p.add_argument("--image-id", help="batch: ami- id (default: first DescribeImages)")
    p.add_argument("--instance-type", help="batch: instance type (m1.tiny)")
    p.add_argument("--timeout", type=float, default=600, help="batch: seconds per round")
    p.add_argument("--keep", action="store_true", help="keep what the setup created")
    p.add_argument("--servers", type=int, default=0,
                   help="gateway-only: the replay backend multiplies the live servers (and "
                   "their ports) to this many, e.g. 1000")
    p.add_argument("--no-floor", action="store_true",
                   help="instances: skip the direct OpenStack calls after each run")
    p.add_argument("--tenant", type=int, choices=(1, 2), default=None,
                   help="sign as the cloud's first (demo) or second (demo2) tenant, and set "
                   "up OpenStack objects there (describe-cache: 2)")
    p.add_argument("--out", default=os.environ.get("EC2GW_BENCH_OUT", "bench-results"),
                   help="directory of the JSON results (./bench-results)")
    o = p.parse_args()
    conns, count = scenarios.DEFAULTS[o.scenario]
    o.connections = o.connections or conns
    o.count = o.count or count
    o.actions = o.actions or {"floor": "DescribeInstances",
                              "describe-cache": "cloud,gateway-only"}.get(
                                  o.scenario, "DescribeRegions,DescribeTags")
    return o


def main():
    o = parse()
    o.env = benchlib.cloud_env()
    if (o.tenant or scenarios.TENANT.get(o.scenario, 1)) == 2:
        o.env = benchlib.second_tenant(o.env)
    if not os.access(benchlib.LOADGEN, os.X_OK):
        sys.exit("no load generator at %s (build it, or set EC2GW_LOADGEN)" % benchlib.LOADGEN)
    os.environ["EC2GW_LOADGEN"] = benchlib.LOADGEN
    if o.scenario in ("overhead", "gateway-only"):
        t = None
    elif o.moto:
        t = benchlib.start_moto()
    elif o.endpoint:
        t = benchlib.Target("external", o.endpoint.rstrip("/"),
                            o.access or o.env.get("EC2_ACCESS_KEY"),
                            o.secret or o.env.get("EC2_SECRET_KEY"),
                            o.region or o.env.get("OS_REGION_NAME", "RegionOne"), pid=o.pid)
        t.has_metrics = True
        try:
            benchlib.backend_calls(t)
        except Exception:
            t.has_metrics = False
    else:
        t = benchlib.start_ec2gwd(o.env)
    if t is not None:
        print("== %s against %s (%s)" % (o.scenario, t.url, t.kind))
    try:
        scenarios.SCENARIOS[o.scenario](t, o)
    finally:
        if t is not None:
            t.stop()


if __name__ == "__main__":
    main()
