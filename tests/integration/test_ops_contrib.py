#!/usr/bin/env python3
"""contrib/prometheus/ec2gw-alerts.yml and contrib/grafana/ec2gw-dashboard.json name only
metrics that ec2gwd really exports (issue 17).

ec2gwd is started, answers a few requests (DescribeRegions, DescribeInstances through Nova, a
refused signature), and its /metrics is scraped. Every metric name in every alert expression
and every dashboard query (panel targets and template variables) must be in that scrape, as a
sample or a declared family (# TYPE; a histogram declares its _bucket, _sum and _count). The
names are taken from PromQL simply: identifiers, minus string literals, label matchers, range
selectors, `by (...)`/`without (...)` label lists and PromQL's functions and keywords; an
identifier that is neither a function nor an exported metric fails the test, so a misspelt
function fails too. `up` is Prometheus's own per-target series. With promtool installed the
rules file is also checked by `promtool check rules`; without it, the YAML must load and every
rule has alert, expr, labels.severity and annotations.summary.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ALERTS = os.path.join(harness.ROOT, "contrib/prometheus/ec2gw-alerts.yml")
DASHBOARD = os.path.join(harness.ROOT, "contrib/grafana/ec2gw-dashboard.json")

PROMQL_WORDS = {
    # aggregations and their modifiers
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset",
    # functions
    "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "abs",
    "absent", "absent_over_time", "avg_over_time", "max_over_time", "min_over_time",
    "sum_over_time", "count_over_time", "last_over_time", "clamp_min", "clamp_max", "changes",
    "resets", "label_replace", "label_join", "time", "vector", "scalar", "round", "ceil",
    "floor", "sort", "sort_desc", "predict_linear", "timestamp",
    # Grafana's template query function
    "label_values",
}


def promql_names(expr):
    """The identifiers of a PromQL expression that are not functions or keywords."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings (matcher values, labels)
    e = re.sub(r"\{[^}]*\}", "", e)                      # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                     # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", e)
    e = re.sub(r"\$\w+", "", e)                          # Grafana variables
    e = re.sub(r"\blabel_values\(([^,)]*),[^)]*\)", r"(\1)", e)  # (metric, label name)
    words = re.findall(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", e)
    return {w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"[eE]\d*", w)}


def exported(text):
    """Every sample name and declared family name of an exposition text."""
    names = set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
        elif line and not line.startswith("#"):
            names.add(re.match(r"[^{ ]+", line).group(0))
    return names


class ContribNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon().start()
        ec2 = harness.boto3_client(cls.d)
        ec2.describe_regions()
        ec2.describe_instances()
        bad = dict(cls.d.env, EC2_SECRET_KEY="wrong" + cls.d.env["EC2_SECRET_KEY"])
        cls.d.env, saved = bad, cls.d.env
        try:
            cls.assert_refused = harness.error_code(harness.boto3_client(cls.d).describe_regions)
        finally:
            cls.d.env = saved
        cls.scrape = cls.d.metrics()
        cls.names = exported(cls.scrape)

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def test_scrape_has_what_the_rules_need(self):
        self.assertIn(self.assert_refused, ("SignatureDoesNotMatch", "AuthFailure"))
        for must in ("ec2gw_requests_total", "ec2gw_build_info", "ec2gw_config_generation",
                     "ec2gw_workers", "ec2gw_worker_restarts_total",
                     "ec2gw_backend_calls_total", "ec2gw_request_duration_seconds_bucket"):
            self.assertIn(must, self.names)
        self.assertIn('ec2gw_backend_calls_total{service="compute",status="200"}', self.scrape)

    def test_alert_rules(self):
        import yaml
        with open(ALERTS) as f:
            doc = yaml.safe_load(f)
        rules = [r for g in doc["groups"] for r in g["rules"]]
        self.assertGreaterEqual(len(rules), 6)
        alerts = {r["alert"] for r in rules}
        for want in ("Ec2gwDown", "Ec2gwHigh5xxRatio", "Ec2gwHighP99Latency",
                     "Ec2gwOpenStackErrors", "Ec2gwKeystoneFailures", "Ec2gwWorkersRestarting"):
            self.assertIn(want, alerts)
        for r in rules:
            self.assertTrue(r.get("expr"), r)
            self.assertIn(r["labels"]["severity"], ("warning", "critical"))
            self.assertTrue(r["annotations"]["summary"])
            missing = promql_names(r["expr"]) - self.names - {"up"}
            self.assertEqual(missing, set(), "%s: %s" % (r["alert"], r["expr"]))
        tool = shutil.which("promtool")
        if tool:
            out = subprocess.run([tool, "check", "rules", ALERTS], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_dashboard_queries(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        exprs += [v["query"] for v in dash["templating"]["list"] if v["type"] == "query"]
        self.assertGreaterEqual(len(dash["panels"]), 10)
        for p in dash["panels"]:
            self.assertTrue(p.get("targets"), "panel %r has no query" % p["title"])
        for e in exprs:
            names = promql_names(e)
            self.assertTrue(names, e)
            self.assertEqual(names - self.names, set(), e)

    def test_parser_catches_strangers(self):
        self.assertEqual(promql_names('sum by (le) (rate(ec2gw_x_bucket{a="b|c"}[5m])) > 0.5'),
                         {"ec2gw_x_bucket"})
        self.assertEqual(promql_names("ratee(ec2gw_requests_total[1m])"), {"ratee",
                                                                           "ec2gw_requests_total"})


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
