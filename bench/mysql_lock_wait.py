#!/usr/bin/env python3
"""ec2gwd on MariaDB, one worker: what other clients see while a request waits for the database.

    EC2GW_BUILD_DIR=/path/to/build python3 bench/mysql_lock_wait.py [--seconds 20]

Starts a private mariadbd (tests/integration/mysql_server.py, 127.0.0.1:3312) and the build's
ec2gwd with only the daemon's own actions (no plugins: DescribeRegions and CreateTags are
built in), then:

1. lock: another connection holds a row lock on a tag row for the whole run; one client
   sends CreateTags on that row again and again (each waits for InnoDB's lock wait, 5 s) while
   4 clients loop DescribeRegions: their requests/s, p50 and p99;
2. tags: 8 clients each send CreateTags on rows of their own (no lock held): requests/s, p50,
   p99, errors.

boto3 clients (botocore signing costs ~1-2 ms of the client's CPU per request), the same for
every build measured. Prints one JSON line per phase.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402
from mysql_server import MysqlServer  # noqa: E402

PASSWORD = "ec2gw-bench-pw"
LOCKED = "ami-0b0c0001"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else None


def figures(name, lat, errors, seconds, extra=None):
    out = {"phase": name, "requests": len(lat), "errors": errors, "seconds": round(seconds, 1),
           "req_per_s": round(len(lat) / seconds, 1),
           "p50_ms": round(pct(lat, 50) * 1000, 1) if lat else None,
           "p99_ms": round(pct(lat, 99) * 1000, 1) if lat else None,
           "max_ms": round(max(lat) * 1000, 1) if lat else None}
    out.update(extra or {})
    print(json.dumps(out), flush=True)
    return out


def loop_calls(d, stop, fn_name, kwargs_of, lat, errs):
    c = harness.boto3_client(d, read_timeout=60)
    fn = getattr(c, fn_name)
    n = 0
    while not stop.is_set():
        t0 = time.time()
        try:
            fn(**kwargs_of(n))
            lat.append(time.time() - t0)
        except Exception as e:  # noqa: BLE001 - counted
            errs.append(repr(e)[:200])
        n += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    srv = MysqlServer(port=3312, prefix="ec2gw-mysql-bench-")
    srv.start()
    d = None
    holder = None
    try:
        srv.create_user("ec2gw", PASSWORD, "bench")
        d = harness.Daemon()
        for name in os.listdir(d.conf):
            if name != "00-daemon.yaml":
                os.unlink(os.path.join(d.conf, name))
        path = os.path.join(d.conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        old = "  database: %s" % os.path.join(d.dir, "db.sqlite")
        text = text.replace(old, "  database: %s\n  database_password_env: EC2GW_BENCH_DB_PW"
                            % srv.url("ec2gw", "bench"), 1)
        with open(path, "w") as f:
            f.write(text)
        os.environ["EC2GW_BENCH_DB_PW"] = PASSWORD
        d.start()
        project = d.env["EC2_PROJECT_ID"]
        harness.boto3_client(d).create_tags(Resources=[LOCKED], Tags=[{"Key": "k", "Value": "0"}])

        # 1. a row lock held by another connection for the whole phase
        holder = subprocess.Popen(
            [srv.client, "--no-defaults", "-uroot", "-S", srv.socket, "-N", "-B", "--unbuffered",
             "bench"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        holder.stdin.write("START TRANSACTION;\nSELECT COUNT(*) FROM tags WHERE project_id = '%s'"
                           " AND item_id = '%s' FOR UPDATE;\nSELECT 'held';\n"
                           % (project, LOCKED))
        holder.stdin.flush()
        while holder.stdout.readline().strip() != "held":
            pass
        stop = threading.Event()
        lat, errs, blocked_lat, blocked_errs = [], [], [], []
        threads = [threading.Thread(target=loop_calls, args=(
            d, stop, "create_tags",
            lambda n: {"Resources": [LOCKED], "Tags": [{"Key": "k", "Value": str(n)}]},
            blocked_lat, blocked_errs))]
        threads += [threading.Thread(target=loop_calls, args=(
            d, stop, "describe_regions", lambda n: {}, lat, errs)) for _ in range(4)]
        t0 = time.time()
        for t in threads:
            t.start()
        time.sleep(a.seconds)
        stop.set()
        for t in threads:
            t.join(120)
        took = time.time() - t0
        holder.stdin.write("ROLLBACK;\n")
        holder.stdin.close()
        holder.wait(30)
        holder = None
        figures("describe_regions_while_row_lock_held", lat, len(errs), took,
                {"clients": 4, "blocked_create_tags_answers": len(blocked_lat) + len(blocked_errs),
                 "blocked_errors": sorted(set(re.findall(r"occurred \((\w+)\)", " ".join(
                     blocked_errs))))})

        # 2. CreateTags throughput, 8 clients on rows of their own
        stop = threading.Event()
        lat, errs = [], []
        threads = [threading.Thread(target=loop_calls, args=(
            d, stop, "create_tags",
            (lambda c: lambda n: {"Resources": ["ami-%08x" % (0x0c000000 + c * 65536 + n)],
                                  "Tags": [{"Key": "c", "Value": str(n)}]})(c),
            lat, errs)) for c in range(8)]
        t0 = time.time()
        for t in threads:
            t.start()
        time.sleep(a.seconds)
        stop.set()
        for t in threads:
            t.join(120)
        took = time.time() - t0
        rows = int(srv.sql("SELECT COUNT(*) FROM tags WHERE `key` = 'c'", "bench")[0][0])
        figures("create_tags_8_clients", lat, len(errs), took,
                {"clients": 8, "rows": rows, "error_kinds": sorted(set(errs))[:3],
                 "median_s": statistics.median(lat) if lat else None})
    finally:
        if holder is not None:
            holder.kill()
        if d is not None:
            rc = d.stop()
            d.cleanup()
            print(json.dumps({"ec2gwd_exit": rc}))
        srv.stop()


if __name__ == "__main__":
    main()
