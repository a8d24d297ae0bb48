"""profile_describe.py - instructions per DescribeInstances of the gateway alone, under
callgrind: ec2gwd on replay_backend.py --servers N, warmed up with instrumentation off, then R
requests from one client with it on. Instruction counts do not depend on the machine's load,
so they compare builds where the CPU seconds of `bench/run.sh describe-cache` cannot.

  python3 bench/profile_describe.py --build DIR [--servers 1000] [--requests 20]
          [--warmup 5] [--staleness S] [--daemon-staleness S] [--out FILE]

Prints Ir (instructions) per request and writes the callgrind file (callgrind_annotate it).
--staleness sets the compute plugin's describe_staleness (default: the shipped conf.d's).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import benchlib


def _fake_build(build, out):
    """A build dir whose daemon is ec2gwd under callgrind (instrumentation off at start)."""
    d = tempfile.mkdtemp(prefix="ec2gw-prof-")
    os.makedirs(os.path.join(d, "daemon"))
    for name in ("plugins", "CMakeCache.txt", "bench"):
        os.symlink(os.path.join(build, name), os.path.join(d, name))
    w = os.path.join(d, "daemon", "ec2gwd")
    with open(w, "w") as f:
        f.write("#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
                "--callgrind-out-file=%s %s/daemon/ec2gwd \"$@\"\n" % (out, build))
    os.chmod(w, 0o755)
    return d


def _ir(path):
    """Total instructions of a callgrind file (its summary/totals line)."""
    total = 0
    for ln in open(path):
        m = re.match(r"^(summary|totals):\s+(\d+)", ln)
        if m:
            total = max(total, int(m.group(2)))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--servers", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--staleness")
    ap.add_argument("--daemon-staleness", help="describe_max_staleness (e.g. 60s: no refresh "
                    "while measuring, the per-answer cost alone)")
    ap.add_argument("--out", default=None)
    o = ap.parse_args()
    build = os.path.abspath(o.build)
    out = os.path.abspath(o.out or "callgrind.describe-%d.%s" % (o.servers,
                                                                 time.strftime("%H%M%S")))
    env = benchlib.second_tenant(benchlib.cloud_env())
    port = benchlib.free_port()
    replay = subprocess.Popen([sys.executable, os.path.join(benchlib.HERE, "replay_backend.py"),
                               "--port", str(port), "--servers", str(o.servers)])
    fake = _fake_build(build, out)
    edit = None
    if o.staleness is not None:
        def edit(name, src):
            if "plugin: nova-v2.1" not in src:
                return src
            src = re.sub(r"(?m)^  describe_staleness:.*\n", "", src)
            return src.replace("settings:\n", "settings:\n  describe_staleness: %s\n" %
                               o.staleness, 1)
    conf_edit = None
    if o.daemon_staleness is not None:
        def conf_edit(src):
            return re.sub(r"(?m)^describe_max_staleness:.*$",
                          "describe_max_staleness: " + o.daemon_staleness, src)
    gw = None
    try:
        benchlib.wait_http("http://127.0.0.1:%d/_replay/stats" % port, replay)
        gw = benchlib.start_ec2gwd(env, keystone_url="http://127.0.0.1:%d/_up/ks/v3" % port,
                                   build=fake, plugin_edit=edit,
                                   conf_edit=conf_edit)
        args = ["-c", 1, "-t", 1, "--timeout", 300, "-A", "DescribeInstances"]
        tmpj = os.path.join(gw.tmp, "lg.json")
        benchlib.loadgen(gw, args + ["-n", o.warmup], tmpj, "warm-up", quiet=True)
        subprocess.run(["callgrind_control", "-i", "on", str(gw.pid)], check=True,
                       capture_output=True)
        t0 = time.time()
        res = benchlib.loadgen(gw, args + ["-n", o.requests], tmpj, "measured", quiet=True)
        secs = time.time() - t0
        subprocess.run(["callgrind_control", "-i", "off", str(gw.pid)], check=True,
                       capture_output=True)
        ok = res["status"]["2xx"]
        gw.stop()
        gw = None
        dumps = [out] if os.path.exists(out) else []
        ir = sum(_ir(p) for p in dumps)
        print("servers %d, requests %d (2xx %d), %.1f s under callgrind: %.2f M instructions "
              "per request; %s" % (o.servers, o.requests, ok, secs, ir / max(ok, 1) / 1e6, out))
        return 0 if ok == o.requests else 1
    finally:
        if gw is not None:
            gw.stop()
        replay.terminate()
        replay.wait()


if __name__ == "__main__":
    sys.exit(main())
