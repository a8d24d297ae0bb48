#!/usr/bin/env python3
"""bench/connections.py [-n 1000] [--hold 5] - ec2gwd's memory with many open connections.

Starts ec2gwd from $EC2GW_BUILD (default build-bench) against the test cloud's Keystone, reads
its RSS idle, then opens N keep-alive connections that each made one request (so that every
connection has its evhttp state, buffers and parsed request behind it), reads the RSS again,
checks that a signed DescribeRegions still answers while they are open, closes them and reads
the RSS once more. Target (issue 6): <= 30 MB idle, <= 100 MB with 1 000 connections.
Writes a JSON result to bench-results/connections-<N>.json (as run.sh does) beside the table.
"""
import argparse
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def rss_kb(pid):
    return benchlib.proc_status(pid).get("VmRSS", 0)


def open_conns(url, n):
    host, port = url.split("//")[1].split(":")
    req = ("GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.1\r\nHost: %s:%s\r\n"
           "Connection: keep-alive\r\n\r\n" % (host, port)).encode()
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)))
        s.sendall(req)
        socks.append(s)
    answered = 0
    for s in socks:  # every connection got its (unsigned: AuthFailure) answer and stays open
        s.settimeout(10)
        data = s.recv(65536)
        answered += data.startswith(b"HTTP/1.1 ")
    return socks, answered


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", "--connections", type=int, default=1000)
    p.add_argument("--hold", type=float, default=3.0, help="seconds to hold them open")
    o = p.parse_args()
    env = benchlib.cloud_env()
    # conf.d/00-daemon.yaml's limits.max_connections (1024) bounds N
    t = benchlib.start_ec2gwd(env)
    pid = t.proc.pid
    try:
        c = t.boto3()
        c.describe_regions()  # warm: Keystone credential and token cached
        time.sleep(0.5)
        idle = rss_kb(pid)
        t0 = time.time()
        socks, answered = open_conns(t.url, o.connections)
        opened_s = time.time() - t0
        time.sleep(o.hold)
        held = rss_kb(pid)
        fds = len(os.listdir("/proc/%d/fd" % pid))  # proves the daemon holds them all
        regions = len(c.describe_regions()["Regions"])
        for s in socks:
            s.close()
        time.sleep(1.0)
        after = rss_kb(pid)
        peak = benchlib.proc_status(pid).get("VmHWM", 0)
    finally:
        t.stop()
    res = {"connections": o.connections, "answered": answered, "open_s": round(opened_s, 3),
           "rss_idle_kb": idle, "rss_held_kb": held, "rss_after_close_kb": after,
           "rss_peak_kb": peak, "per_connection_kb": round((held - idle) / max(1, o.connections),
                                                           2),
           "signed_request_while_held": regions > 0, "daemon_fds_held": fds, "machine": benchlib.machine()}
    print("%-28s %10s" % ("measure", "value"))
    for k in ("connections", "answered", "open_s", "rss_idle_kb", "rss_held_kb",
              "rss_after_close_kb", "rss_peak_kb", "per_connection_kb",
              "signed_request_while_held", "daemon_fds_held"):
        print("%-28s %10s" % (k, res[k]))
    print("targets: idle <= 30 MB (%s), %d connections <= 100 MB (%s)" % (
        "met" if idle <= 30 * 1024 else "MISSED", o.connections,
        "met" if held <= 100 * 1024 else "MISSED"))
    out = "bench-results"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "connections-%d.json" % o.connections), "w") as f:
        json.dump(res, f, indent=1)
    return 0 if answered == o.connections and regions > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
