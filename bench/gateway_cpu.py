"""gateway_cpu.py BUILD [SERVERS] [SECONDS] - ec2gwd of BUILD on replay_backend.py --servers N
(default 1000), 10 clients of DescribeInstances for SECONDS (default 10) after 4 warm-up answers:
the daemon's user and system CPU per answer apart, and its minor page faults per answer (read
from /proc/PID/stat). bench/run.sh describe-cache gives their sum; this says where it goes."""
import json
import os
import subprocess
import sys
import tempfile

import benchlib


def _stat(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) / 100.0, int(f[12]) / 100.0, int(f[7])  # utime, stime (s), minflt


def main():
    build = os.path.abspath(sys.argv[1])
    servers = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    secs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    env = benchlib.second_tenant(benchlib.cloud_env())
    port = benchlib.free_port()
    replay = subprocess.Popen([sys.executable, os.path.join(benchlib.HERE, "replay_backend.py"),
                               "--port", str(port), "--servers", str(servers)])
    out = tempfile.mkdtemp(prefix="ec2gw-cpu-")
    try:
        benchlib.wait_http("http://127.0.0.1:%d/_replay/stats" % port, replay)
        gw = benchlib.start_ec2gwd(env, keystone_url="http://127.0.0.1:%d/_up/ks/v3" % port,
                                   build=build)
        try:
            pid = gw.proc.pid
            benchlib.loadgen(gw, ["-n", 4, "-c", 1, "-t", 1, "--timeout", 120, "-A",
                                  "DescribeInstances"], os.path.join(out, "w.json"), "warm-up",
                             quiet=True)
            u0, s0, f0 = _stat(pid)
            res = os.path.join(out, "r.json")
            benchlib.loadgen(gw, ["-d", secs, "-c", 10, "-t", 1, "--timeout", 120, "-A",
                                  "DescribeInstances"], res, "cpu", quiet=True)
            u1, s1, f1 = _stat(pid)
            r = json.load(open(res))
            n = r.get("requests") or sum(a.get("requests", 0)
                                         for a in r.get("actions", {}).values())
            print("servers %d: %d answers in %d s; per answer %.2f ms user + %.2f ms system "
                  "CPU, %.0f minor page faults; load %s" % (
                      servers, n, secs, 1000 * (u1 - u0) / n, 1000 * (s1 - s0) / n,
                      (f1 - f0) / n, open("/proc/loadavg").read().split()[0]))
        finally:
            gw.stop()
    finally:
        replay.terminate()
        replay.wait()


if __name__ == "__main__":
    sys.exit(main())
