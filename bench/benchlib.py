"""benchlib.py - shared pieces of the bench/ scenarios: the targets (an ec2gwd started from the
build tree, moto_server, or any endpoint), ec2gw-loadgen runs with ec2gwd RSS/CPU/metrics
around them, the machine, and a small OpenStack REST client (token + catalog). Stdlib only,
plus boto3 for setting up EC2 resources."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("EC2GW_BUILD", os.path.join(ROOT, "build-bench"))
LOADGEN = os.environ.get("EC2GW_LOADGEN", os.path.join(BUILD, "bench", "ec2gw-loadgen"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cloud_env():
    """The all-in-one cloud's credentials (tests/cloud/cloud.sh env), or the environment."""
    env = {}
    script = os.path.join(ROOT, "tests", "cloud", "cloud.sh")
    if os.path.exists(script):
        out = subprocess.run(["bash", script, "env"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("export ") and "=" in line:
                k, v = line[7:].split("=", 1)
                env[k] = v.strip().strip("'\"")
    for k, v in os.environ.items():
        if k.startswith(("EC2_", "EC2GW_", "OS_")):
            env[k] = v
    return env


def second_tenant(env):
    """The cloud env with the second tenant (demo2) as OS_* user and EC2 credentials."""
    env = dict(env)
    for k in ("USERNAME", "PASSWORD", "PROJECT_NAME"):
        env["OS_" + k] = env["DEMO2_" + k]
    for k in ("EC2_ACCESS_KEY", "EC2_SECRET_KEY", "EC2_PROJECT_ID"):
        if k + "_2" in env:
            env[k] = env[k + "_2"]
    return env


def wait_http(url, proc=None, log=None, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (proc.args[0], open(log).read() if log else ""))
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not answer within %d s" % (url, timeout))


class Target:
    """An EC2 endpoint under test. kind: ec2gw (started here), moto (started here), external."""

    def __init__(self, kind, url, access, secret, region, proc=None, pid=None, tmp=None):
        self.kind, self.url, self.access, self.secret = kind, url, access, secret
        self.region, self.proc, self.tmp = region, proc, tmp
        self.pid = pid if pid else (proc.pid if proc else None)
        self.has_metrics = kind == "ec2gw"

    def boto3(self):
        import boto3
        from botocore.config import Config
        return boto3.client("ec2", endpoint_url=self.url, region_name=self.region,
                            aws_access_key_id=self.access, aws_secret_access_key=self.secret,
                            config=Config(retries={"max_attempts": 2}, read_timeout=300))

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def conf_root(build=None):
    """The source tree whose conf.d/ matches the daemon of a build (CMakeCache.txt's source
    dir): a build of another commit may not know keys the working tree's conf.d has."""
    try:
        for line in open(os.path.join(build or BUILD, "CMakeCache.txt")):
            if line.startswith("CMAKE_HOME_DIRECTORY:"):
                src = line.split("=", 1)[1].strip()
                if os.path.isdir(os.path.join(src, "conf.d")):
                    return src
    except OSError:
        pass
    return ROOT


def start_ec2gwd(env, keystone_url=None, extra_conf="", access_log=False, conf_edit=None,
                 build=None, plugin_edit=None):
    """ec2gwd from $EC2GW_BUILD (or build) with a temporary conf.d (own port and database)
    made from that build's source conf.d; conf_edit (text -> text) may change its
    00-daemon.yaml, plugin_edit (file name, text -> text) the other files."""
    build = build or BUILD
    croot = conf_root(build)
    tmp = tempfile.mkdtemp(prefix="ec2gw-bench-")
    conf = os.path.join(tmp, "conf.d")
    os.makedirs(conf)
    port = free_port()
    src = open(os.path.join(croot, "conf.d", "00-daemon.yaml")).read()
    src = src.replace("port: 8788", "port: %d" % port)
    src = src.replace("/var/lib/ec2gw/ec2gw.sqlite", os.path.join(tmp, "db.sqlite"))
    if not access_log:
        src = src.replace("access_log: true", "access_log: false")
    if keystone_url:
        src = src.replace("url: http://127.0.0.1:5000/v3", "url: " + keystone_url)
    if conf_edit:
        src = conf_edit(src)
    with open(os.path.join(conf, "00-daemon.yaml"), "w") as f:
        f.write(src)
    for name in sorted(os.listdir(os.path.join(croot, "conf.d"))):
        if name.endswith(".yaml") and name != "00-daemon.yaml":
            text = open(os.path.join(croot, "conf.d", name)).read()
            plugin = [ln.split(":", 1)[1].strip().strip("'\"") for ln in text.splitlines()
                      if ln.startswith("plugin:")]
            if plugin and not os.path.exists(os.path.join(build, "plugins", plugin[0] + ".so")):
                print("  (conf.d/%s skipped: plugin %s not built in %s)" % (name, plugin[0],
                                                                           build))
                continue
            if plugin_edit:
                text = plugin_edit(name, text)
            with open(os.path.join(conf, name), "w") as f:
                f.write(text)
    if extra_conf:
        with open(os.path.join(conf, "50-bench.yaml"), "w") as f:
            f.write(extra_conf)
    penv = dict(os.environ)
    penv["EC2GW_SERVICE_PASSWORD"] = env["EC2GW_SERVICE_PASSWORD"]
    log = os.path.join(tmp, "ec2gwd.log")
    proc = subprocess.Popen([os.path.join(build, "daemon", "ec2gwd"), "-c", conf,
                             "--plugin-dir", os.path.join(build, "plugins")],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=penv)
    url = "http://127.0.0.1:%d" % port
    wait_http(url + "/healthz", proc, log)
    return Target("ec2gw", url, env["EC2_ACCESS_KEY"], env["EC2_SECRET_KEY"],
                  env.get("OS_REGION_NAME", "RegionOne"), proc=proc, tmp=tmp)


def start_moto():
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="ec2gw-bench-moto-")
    log = os.path.join(tmp, "moto.log")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    wait_http(url + "/moto-api/", proc, log)
    return Target("moto", url, "testing", "testing", "us-east-1", proc=proc, tmp=tmp)


# ------------------------------------------------------------------ measurements

def proc_status(pid):
    """VmRSS and VmHWM in kB."""
    out = {}
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def proc_cpu_s(pid):
    try:
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def backend_calls(target):
    """{service: calls} from ec2gwd's GET /metrics, or None."""
    if not target.has_metrics:
        return None
    calls = {}
    text = urllib.request.urlopen(target.url + "/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        for prefix, key in (("ec2gw_backend_calls_total{", ""),
                            ("ec2gw_backend_call_duration_seconds_sum{", "seconds:")):
            if line.startswith(prefix) and 'service="' in line:
                svc = key + line.split('service="', 1)[1].split('"', 1)[0]
                calls[svc] = calls.get(svc, 0) + float(line.rsplit(" ", 1)[1])
    return calls


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
            "cpu": cpu, "note": "OpenStack (all-in-one) runs on the same cores"}


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop_ev = pid, 0, threading.Event()

    def run(self):
        while not self.stop_ev.wait(0.1):
            self.peak = max(self.peak, proc_status(self.pid).get("VmRSS", 0))


def loadgen(target, args, json_path, label, quiet=False):
    cmd = [LOADGEN, "-e", target.url + "/", "-a", target.access, "-s", target.secret,
           "-r", target.region, "-o", json_path, "-l", label] + [str(a) for a in args]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("loadgen failed: %s\n%s" % (" ".join(cmd), out.stderr))
    if not quiet:
        sys.stdout.write(out.stdout)
    return json.load(open(json_path))


def measured(target, scenario, label, args, out_dir, target_text=None, warmup=True,
             target_rps=None, warmup_n=20):
    """One loadgen run with ec2gwd's RSS, CPU and backend calls around it; prints both tables
    and returns the merged JSON (also written to out_dir). warmup_n requests first, 2 at a
    time, not counted."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "%s-%s-%s.json" % (scenario, label,
                                                    time.strftime("%Y%m%d-%H%M%S")))
    if warmup:  # cold credential cache, first connections: not part of the figures
        loadgen(target, list(args) + ["-n", warmup_n, "-c", 2],
                path, "warmup", quiet=True)
    mach = machine()
    pid = target.pid
    idle = proc_status(pid) if pid else {}
    cpu0 = proc_cpu_s(pid) if pid else None
    calls0 = backend_calls(target)
    sampler = RssSampler(pid) if pid else None
    if sampler:
        sampler.start()
    res = loadgen(target, list(args) + (["--target", target_rps] if target_rps else []), path,
                  label)
    if sampler:
        sampler.stop_ev.set()
        sampler.join()
    calls1 = backend_calls(target)
    after = proc_status(pid) if pid else {}
    cpu1 = proc_cpu_s(pid) if pid else None
    extra = {"scenario": scenario, "target_kind": target.kind, "machine": mach,
             "target": target_text}
    n = res["requests"]
    if pid:
        cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
        extra["server"] = {
            "pid": pid, "rss_idle_kb": idle.get("VmRSS"),
            "rss_peak_kb": max(sampler.peak, after.get("VmRSS", 0)),
            "vmhwm_kb": after.get("VmHWM"), "cpu_s": cpu,
            "cpu_ms_per_request": 1000 * cpu / n if cpu and n else None,
            "requests_per_core_s": n / cpu if cpu else None}
    if calls0 is not None:
        delta = {k: calls1.get(k, 0) - calls0.get(k, 0) for k in calls1}
        count = {k: int(v) for k, v in delta.items() if not k.startswith("seconds:")}
        mean_ms = {k: round(1000 * delta.get("seconds:" + k, 0) / v, 2)
                   for k, v in count.items() if v}
        extra["backend"] = {"calls": count, "keystone_calls": count.get("identity", 0),
                            "mean_ms": mean_ms,
                            "openstack_calls_per_request": sum(count.values()) / n if n else None}
    res.update(extra)
    with open(path, "w") as f:
        json.dump(res, f, indent=2, sort_keys=True)
    print_extra(res)
    print("  %-14s %s" % ("result", path))
    return res


def print_extra(res):
    s, b, m = res.get("server"), res.get("backend"), res["machine"]
    if s:
        print("  %-14s idle %.1f MB, peak %.1f MB (VmHWM %.1f MB)" % (
            "server RSS", (s["rss_idle_kb"] or 0) / 1024, s["rss_peak_kb"] / 1024,
            (s["vmhwm_kb"] or 0) / 1024))
        if s["cpu_s"]:
            print("  %-14s %.2f s: %.3f ms/request, %.0f requests/s per core" % (
                "server CPU", s["cpu_s"], s["cpu_ms_per_request"], s["requests_per_core_s"]))
    if b:
        print("  %-14s %d during the run" % ("keystone calls", b["keystone_calls"]))
        print("  %-14s %.4f per EC2 request %s" % ("OpenStack", b["openstack_calls_per_request"]
                                                  or 0, json.dumps(b["calls"])))
        if b["mean_ms"]:
            print("  %-14s %s" % ("backend mean", ", ".join("%s %.1f ms" % kv for kv in
                                                              sorted(b["mean_ms"].items()))))
    print("  %-14s nproc %s, loadavg %s (before), %s" % ("machine", m["nproc"],
                                                        " ".join(m["loadavg"]), m["note"]))
    if res.get("target"):
        print("  %-14s %s" % ("target", res["target"]))


# ------------------------------------------------------------------ OpenStack REST

class OpenStack:
    """Password token (OS_* of the cloud env) and its catalog; JSON requests."""

    def __init__(self, env, username=None, password=None, project=None):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": username or env["OS_USERNAME"], "password": password or env["OS_PASSWORD"],
            "domain": {"name": env.get("OS_USER_DOMAIN_NAME", "Default")}}}},
            "scope": {"project": {"name": project or env["OS_PROJECT_NAME"], "domain": {
                "name": env.get("OS_PROJECT_DOMAIN_NAME", "Default")}}}}}
        url = env["OS_AUTH_URL"].rstrip("/")
        if not url.endswith("/v3"):
            url += "/v3"
        req = urllib.request.Request(url + "/auth/tokens", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            self.token = r.headers["X-Subject-Token"]
            data = json.load(r)["token"]
        self.project_id = data["project"]["id"]
        self.catalog = {}
        for svc in data.get("catalog", []):
            for ep in svc["endpoints"]:
                if ep["interface"] == "public":
                    self.catalog[svc["type"]] = ep["url"].rstrip("/")
        self.catalog.setdefault("identity", url)

    def call(self, method, service, path, body=None, headers=None):
        h = {"X-Auth-Token": self.token, "Content-Type": "application/json",
             "Accept": "application/json"}
        h.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.catalog[service] + path, data, h, method=method)
        with urllib.request.urlopen(req, timeout=300) as r:
            text = r.read()
            return json.loads(text) if text else None
