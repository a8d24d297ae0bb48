"""scenario_describe_cache.py - bench/run.sh describe-cache: every target of issue 15 (shared
reads, incremental sync, a gateway that costs little per object) measured in one run beside
its floor, printed as one table and written to bench-results/describe-cache-*.json.

On the real cloud (as the second tenant by default, whose project holds the bench servers):
  floor   Nova's servers/detail of the project (the plugin's live list: the service identity
          scoped to the project), 1 and 10 clients; Glance's two image lists at 10 clients
  gateway DescribeInstances at 1, 10 and 50 clients; DescribeImages at 10 clients; OpenStack
          calls per answer from the daemon's /metrics (ec2gw_backend_calls_total deltas)
On the replay backend (gateway-only: OpenStack answers replayed from memory):
  daemon CPU per DescribeInstances of 100 and of 1 000 instances (10 clients), and the RSS
  after 10 concurrent 1 000-instance answers, sampled every 100 ms until it is under 40 MB.
"""

import json
import os
import re
import subprocess
import sys
import time

import benchlib
import scenarios
from benchlib import measured

RSS_LIMIT_KB = 40 * 1024
RSS_WAIT_S = 10.0  # the target: back under 40 MB within this
RSS_SAMPLE_S = 60.0  # sampled this long at most


ONE_CLIENT_N = 5  # requests of the 1-client floor: a Nova list may take 10 s on a busy cloud
ONE_CLIENT_S = 30  # the 1-client gateway run: several cache refreshes, or a few Nova lists


def _lg(o, clients, action, extra=()):
    run = ["-d", max(o.duration, ONE_CLIENT_S) if clients == 1 else o.duration]
    return ["-c", clients, "-t", 1] + run + ["--timeout", 120, "-A", action] + list(extra)


def _errors(res):
    return sum(a.get("errors", 0) for a in res.get("actions", {}).values())


def _direct(t, os_, name, url, token, clients, o):
    """One OpenStack GET issued directly by the load generator at clients connections."""
    path = os.path.join(o.out, "describe-cache-floor-%s-c%d-%s.json" % (
        name, clients, time.strftime("%Y%m%d-%H%M%S")))
    print("\n== floor: %s, %d client(s)" % (url.split("?")[0], clients))
    run = ["-n", ONE_CLIENT_N] if clients == 1 else ["-d", o.duration]
    return benchlib.loadgen(t, ["--raw", "-e", url, "-H", "X-Auth-Token: " + token,
                                "-H", "Accept: application/json",
                                "-H", "X-OpenStack-Nova-API-Version: 2.79",
                                "-c", clients, "-t", 1, "--timeout", 120] + run,
                            path, "floor " + name)


def _ensure_servers(os_, n, o):
    have = [s for s in scenarios.bench_servers(os_, detail=True)]
    if len(have) < n:
        print("  setup: booting %d servers through Nova (have %d)" % (n - len(have), len(have)))
        scenarios.nova_boot(os_, n - len(have), o, batch_size=25)
        have = scenarios.bench_servers(os_, detail=True)
    st = {}
    for s in have:
        st[s["status"]] = st.get(s["status"], 0) + 1
    print("  setup: %d bench servers in project %s (%s)" % (len(have), os_.project_id, st))
    return have


def _staleness_conf(croot):
    """How old a cached DescribeInstances may be with the build's shipped conf.d: the compute
    plugin's describe_staleness (unless "daemon"), else the daemon's describe_max_staleness,
    else "2s (default)" when the plugin has the setting; None when neither exists (no cache)."""
    found = {}
    for name in sorted(os.listdir(os.path.join(croot, "conf.d"))):
        for line in open(os.path.join(croot, "conf.d", name)):
            s = line.split("#", 1)[0].strip()
            for key in ("describe_staleness", "describe_max_staleness"):
                if s.startswith(key + ":"):
                    found[key] = s.split(":", 1)[1].strip().strip("'\"")
    if found.get("describe_staleness", "daemon") != "daemon":
        return found["describe_staleness"]
    if "describe_max_staleness" in found:
        return found["describe_max_staleness"]
    try:
        src = open(os.path.join(croot, "plugins", "compute", "nova-v2.1", "plugin.c")).read()
    except OSError:
        return None
    return "2s (default)" if '"describe_staleness"' in src else None


def _metrics_lines(t, words):
    try:
        text = benchlib.urllib.request.urlopen(t.url + "/metrics", timeout=10).read().decode()
    except OSError:
        return []
    return [ln for ln in text.splitlines() if not ln.startswith("#") and
            any(w in ln for w in words)]


def _replay(servers):
    port = benchlib.free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(benchlib.HERE, "replay_backend.py"),
                             "--port", str(port), "--servers", str(servers)])
    benchlib.wait_http("http://127.0.0.1:%d/_replay/stats" % port, proc)
    return port, proc


def _rss_after_burst(gw, o, servers):
    """10 concurrent DescribeInstances of `servers` instances on a daemon that answered one
    before; then VmRSS every 100 ms until it is under 40 MB (or RSS_SAMPLE_S)."""
    path = os.path.join(o.out, "describe-cache-rss-%d-%s.json" % (
        servers, time.strftime("%Y%m%d-%H%M%S")))
    benchlib.loadgen(gw, ["-n", 1, "-c", 1, "-t", 1, "--timeout", 120, "-A",
                          "DescribeInstances"], path, "rss warm-up", quiet=True)
    time.sleep(2)
    idle = benchlib.proc_status(gw.pid).get("VmRSS", 0)
    sampler = benchlib.RssSampler(gw.pid)
    sampler.start()
    res = benchlib.loadgen(gw, ["-n", 10, "-c", 10, "-t", 1, "--timeout", 120, "-A",
                                "DescribeInstances"], path, "rss burst", quiet=True)
    t0 = time.time()
    samples, under = [], None
    while time.time() - t0 < RSS_SAMPLE_S:
        kb = benchlib.proc_status(gw.pid).get("VmRSS", 0)
        samples.append((round(time.time() - t0, 2), kb))
        if kb < RSS_LIMIT_KB:
            under = samples[-1][0]
            break
        time.sleep(0.1)
    sampler.stop_ev.set()
    sampler.join()
    at10 = [kb for s, kb in samples if s <= RSS_WAIT_S]
    # idle_kb: 2 s after one answer (its id mappings made)
    out = {"idle_kb": idle, "peak_kb": max(sampler.peak, samples[0][1] if samples else 0),
           "first_kb": samples[0][1] if samples else None,
           "last_kb": samples[-1][1] if samples else None,
           "at_10s_kb": at10[-1] if at10 else None,
           "seconds_to_under_40mb": under, "answers": res["status"]["2xx"],
           "errors": _errors(res), "p50_ms": res["latency_ms"]["p50"], "samples": samples}
    print("  RSS            after one answer %.1f MB, peak %.1f MB, right after the 10 "
          "answers %.1f MB, "
          "%s (%d answers, %d errors)" % (
              idle / 1024, out["peak_kb"] / 1024, (out["first_kb"] or 0) / 1024,
              "under 40 MB after %.1f s" % under if under is not None else
              "still %.1f MB after %.0f s" % ((out["last_kb"] or 0) / 1024, RSS_SAMPLE_S),
              out["answers"], out["errors"]))
    return out


def _gateway_only(o, servers, staleness=None, rss=False):
    """ec2gwd on a replay backend with `servers` instances: daemon CPU per DescribeInstances
    at 10 clients (and the RSS after a burst, when rss). staleness: describe_max_staleness to
    set (None: the shipped default)."""
    port, proc = _replay(servers)
    edit = None
    if staleness is not None:
        def edit(name, src):  # the compute plugin's own bound, whatever the daemon's
            if "plugin: nova-v2.1" not in src:
                return src
            src = re.sub(r"(?m)^  describe_staleness:.*\n", "", src)
            return src.replace("settings:\n", "settings:\n  describe_staleness: %s\n" %
                               staleness, 1)
    try:
        gw = benchlib.start_ec2gwd(o.env, keystone_url="http://127.0.0.1:%d/_up/ks/v3" % port,
                                   plugin_edit=edit)
        try:
            out = {}
            if rss:
                print("\n== gateway-only: RSS after 10 concurrent DescribeInstances of %d "
                      "instances" % servers)
                out["rss"] = _rss_after_burst(gw, o, servers)
            label = "gw-only-%d%s" % (servers, "" if staleness is None else
                                      "-stale" + str(staleness))
            print("\n== gateway-only: DescribeInstances of %d instances, 10 clients%s" % (
                servers, "" if staleness is None else
                ", describe_max_staleness %s" % staleness))
            out["run"] = measured(gw, "describe-cache", label, _lg(o, 10, "DescribeInstances"),
                                  o.out, "daemon CPU per DescribeInstances of %d instances "
                                  "(replay backend)" % servers, warmup_n=4)
            return out
        finally:
            gw.stop()
    finally:
        print("  replay         " + benchlib.urllib.request.urlopen(
            "http://127.0.0.1:%d/_replay/stats" % port).read().decode().strip())
        proc.terminate()
        proc.wait()


def describe_cache(t, o):
    os_ = benchlib.OpenStack(o.env)
    croot = benchlib.conf_root()
    stale = _staleness_conf(croot)
    head = subprocess.run(["git", "-C", croot, "log", "-1", "--format=%h %cI"],
                          capture_output=True, text=True).stdout.strip()
    print("  build          %s (source %s%s); describe_max_staleness %s" % (
        benchlib.BUILD, croot, ", " + head if head else "",
        stale if stale is not None else "(not a setting of this build)"))
    t_start = time.time()
    os.makedirs(o.out, exist_ok=True)
    servers = _ensure_servers(os_, o.count, o)
    images = scenarios.ensure_images(os_, o.images)
    svc_token = scenarios.token_for(os_, True)
    live = os_.catalog["compute"] + "/servers/detail?all_tenants=1&project_id=" + os_.project_id
    r = {"meta": {"build": benchlib.BUILD, "source": croot, "commit": head, "images": o.images,
                  "staleness": stale, "servers": len(servers), "tenant_project": os_.project_id,
                  "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}
    parts = o.actions.split(",")
    try:
        if "cloud" in parts:
            cloud(t, o, os_, r, servers, live, svc_token)
        # -- gateway-only: the daemon's own cost
        if "gateway-only" in parts:
            r["gw100"] = _gateway_only(o, 100)
            r["gw1000"] = _gateway_only(o, 1000, rss=True)
            if stale is not None:
                r["gw100_nocache"] = _gateway_only(o, 100, staleness=0)
                r["gw1000_nocache"] = _gateway_only(o, 1000, staleness=0)
    finally:
        r["meta"]["seconds"] = round(time.time() - t_start)
        path = os.path.join(o.out, "describe-cache-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
        with open(path, "w") as f:
            json.dump(r, f, indent=2, sort_keys=True, default=str)
        rows = table(r)
        print_table(rows, r)
        print("  %-14s %s" % ("result", path))
        if not o.keep:
            scenarios.nova_wipe(os_)
            for img in images:
                os_.call("DELETE", "image", "/v2/images/" + img["id"])


def cloud(t, o, os_, r, servers, live, svc_token):
    """The real cloud: each floor, then the gateway, minutes apart at most."""
    r["floor_nova_c1"] = _direct(t, os_, "nova-live", live, svc_token, 1, o)
    r["di_c1"] = measured(t, "describe-cache", "DescribeInstances-%d-c1" % len(servers),
                          _lg(o, 1, "DescribeInstances"), o.out,
                          "p50 <= 1.2x one Nova servers/detail", warmup_n=4)
    r["floor_nova_c10"] = _direct(t, os_, "nova-live", live, svc_token, 10, o)
    r["di_c10"] = measured(t, "describe-cache", "DescribeInstances-%d-c10" % len(servers),
                           _lg(o, 10, "DescribeInstances"), o.out,
                           ">= 22 req/s, p99 <= 2 s; <= 0.2 OpenStack calls per answer",
                           warmup_n=4)
    r["di_c50"] = measured(t, "describe-cache", "DescribeInstances-%d-c50" % len(servers),
                           _lg(o, 50, "DescribeInstances"), o.out,
                           "no errors, p99 <= 3 s", warmup_n=4)
    r["floor_glance_c10"] = _direct(t, os_, "glance-images",
                                    os_.catalog["image"] + "/v2/images?limit=500",
                                    os_.token, 10, o)
    r["floor_glance_shared_c10"] = _direct(
        t, os_, "glance-shared", os_.catalog["image"] +
        "/v2/images?limit=500&visibility=shared&member_status=all", os_.token, 10, o)
    r["dimg_c10"] = measured(t, "describe-cache", "DescribeImages-%d-c10" % o.images,
                             _lg(o, 10, "DescribeImages"), o.out,
                             ">= 120 req/s (20x 6.0)", warmup_n=4)
    r["metrics_cache"] = _metrics_lines(t, ("stale", "shared", "coalesc", "cache"))


def _p(res, k):
    return res["latency_ms"][k] if res and res.get("latency_ms") else None


def _cpu(res):
    s = res.get("server") if res else None
    return s.get("cpu_ms_per_request") if s else None


def _calls(res):
    b = res.get("backend") if res else None
    return b.get("openstack_calls_per_request") if b else None


def table(r):
    """[(target, figure, floor, ratio or None, met, how)]; missing runs give no row."""
    rows = []
    n = r["meta"]["servers"]

    def row(target, fig, floor, ratio, ok, how):
        rows.append((target, fig, floor, ratio, None if ok is None else bool(ok), how))

    cmd = "bench/run.sh describe-cache"
    if r.get("di_c1") and r.get("floor_nova_c1"):
        g, f = _p(r["di_c1"], "p50"), _p(r["floor_nova_c1"], "p50")
        row("DescribeInstances %d, 1 client: p50 <= 1.2x one Nova servers/detail" % n,
            "p50 %.0f ms" % g, "%.0f ms" % f, g / f, g <= 1.2 * f, cmd + " (di_c1, floor_nova_c1)")
    if r.get("di_c10"):
        d = r["di_c10"]
        f = r.get("floor_nova_c10")
        row("DescribeInstances %d, 10 clients: >= 22 req/s" % n,
            "%.1f req/s" % d["requests_per_s"],
            "Nova alone %.1f req/s" % f["requests_per_s"] if f else "-",
            d["requests_per_s"] / f["requests_per_s"] if f and f["requests_per_s"] else None,
            d["requests_per_s"] >= 22 and _errors(d) == 0, cmd + " (di_c10)")
        row("DescribeInstances %d, 10 clients: p99 <= 2 s" % n, "p99 %.0f ms" % _p(d, "p99"),
            "Nova alone p99 %.0f ms" % _p(f, "p99") if f else "-",
            _p(d, "p99") / _p(f, "p99") if f else None, _p(d, "p99") <= 2000,
            cmd + " (di_c10)")
        c = _calls(d)
        if c is not None:
            row("OpenStack calls per DescribeInstances, 10 clients polling: <= 0.2",
                "%.3f (%s)" % (c, ", ".join("%s %d" % kv for kv in
                                            sorted(d["backend"]["calls"].items()) if kv[1])),
                "-", None, c <= 0.2, cmd + " (di_c10: /metrics ec2gw_backend_calls_total)")
    if r.get("di_c50"):
        d = r["di_c50"]
        row("DescribeInstances %d, 50 clients: no errors" % n,
            "%d errors of %d" % (_errors(d), d["requests"]), "-", None, _errors(d) == 0,
            cmd + " (di_c50)")
        row("DescribeInstances %d, 50 clients: p99 <= 3 s" % n, "p99 %.0f ms" % _p(d, "p99"),
            "-", None, _p(d, "p99") <= 3000, cmd + " (di_c50)")
    if r.get("dimg_c10"):
        d = r["dimg_c10"]
        f = r.get("floor_glance_c10")
        row("DescribeImages %d images, 10 clients: >= 120 req/s (20x 6.0)" % r["meta"].get(
            "images", 200), "%.1f req/s, p99 %.0f ms" % (d["requests_per_s"], _p(d, "p99")),
            "Glance list alone %.1f req/s" % f["requests_per_s"] if f else "-",
            d["requests_per_s"] / f["requests_per_s"] if f and f["requests_per_s"] else None,
            d["requests_per_s"] >= 120 and _errors(d) == 0, cmd + " (dimg_c10)")
        c = _calls(d)
        if c is not None:
            row("OpenStack calls per DescribeImages, 10 clients: (report)", "%.3f" % c, "-", None,
                None, cmd + " (dimg_c10)")
    for key, n_inst, limit in (("gw100", 100, 2.0), ("gw1000", 1000, 20.0),
                               ("gw100_nocache", 100, 2.0), ("gw1000_nocache", 1000, 20.0)):
        g = r.get(key)
        if not g or not g.get("run"):
            continue
        cpu = _cpu(g["run"])
        label = " (describe_max_staleness 0)" if "nocache" in key else ""
        if cpu is not None:
            row("gateway-only CPU per DescribeInstances of %d: <= %g ms%s" % (n_inst, limit,
                                                                             label),
                "%.2f ms (%.0f req/s)" % (cpu, g["run"]["requests_per_s"]), "-", None,
                cpu <= limit, cmd + " (%s: replay backend --servers %d)" % (key, n_inst))
        rss = g.get("rss")
        if rss:
            s = rss["seconds_to_under_40mb"]
            row("RSS under 40 MB within 10 s after 10 concurrent 1 000-instance answers",
                "peak %.0f MB; %s" % (rss["peak_kb"] / 1024, "under 40 MB after %.1f s" % s
                                      if s is not None else "%.0f MB after %.0f s" % (
                                          (rss["last_kb"] or 0) / 1024, RSS_SAMPLE_S)),
                "%.0f MB after one answer" % (rss["idle_kb"] / 1024), None,
                s is not None and s <= RSS_WAIT_S, cmd + " (%s rss)" % key)
    return rows


def print_table(rows, r):
    m = r["meta"]
    print("\n== describe-cache: %s, describe_max_staleness %s, %d servers, %s s" % (
        m.get("commit") or m["source"], m.get("staleness"), m["servers"], m.get("seconds")))
    print("| target | figure | floor | ratio | met |")
    print("|---|---|---|--:|---|")
    for target, fig, floor, ratio, ok, how in rows:
        print("| %s | %s | %s | %s | %s |" % (
            target, fig, floor, "%.2f" % ratio if ratio is not None else "-",
            "report" if ok is None else ("met" if ok else "**missed**")))
    print("  (%s)" % "; ".join(sorted({h for *_, h in rows})))
