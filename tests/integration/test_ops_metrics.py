#!/usr/bin/env python3
"""/metrics across workers (issue 17): with listen.workers: 2 every scrape answers the totals of
both workers, whichever worker answers it.

The test decides which worker serves what: a worker stopped with SIGSTOP cannot accept, so the
other one takes every new connection. Half the requests go to each worker that way, then each
worker, alone, answers a scrape: both must count all N. Then:
- ec2gw_workers is 2, ec2gw_build_info names the version and plugin ABI;
- SIGHUP: ec2gw_config_generation goes from 1 to 2 and ec2gw_config_reloads_total{ok} to 2;
- a worker killed with SIGKILL is restarted: ec2gw_worker_restarts_total 1, ec2gw_workers 2
  again, and the totals still N (the counters live in the shared region, not in the worker);
  forked after the SIGHUP, it loads conf.d again (a third successful reload).
"""
import os
import re
import signal
import sys
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ops_common import OpsDaemon, requests_total, sample  # noqa: E402
from test_ops_logs import raw_get  # noqa: E402


def wait_until(fn, timeout=20):
    deadline = time.time() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except (AssertionError, OSError, KeyError, urllib.error.URLError):
            if time.time() > deadline:
                raise
        if time.time() > deadline:
            raise AssertionError("condition not met within %s s" % timeout)
        time.sleep(0.2)


class MetricsAcrossWorkers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = OpsDaemon(edits=[("workers: 1", "workers: 2")])
        cls.d.start()
        cls.workers = wait_until(lambda: len(cls.d.worker_pids()) == 2 and cls.d.worker_pids())

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def only(self, pid, fn):
        """fn() while every worker but pid is stopped."""
        others = [p for p in self.d.worker_pids() if p != pid]
        for p in others:
            os.kill(p, signal.SIGSTOP)
        try:
            return fn()
        finally:
            for p in others:
                os.kill(p, signal.SIGCONT)

    def send(self, n):
        for i in range(n):
            if i % 2:
                status, _ = harness.query(self.d, {"Action": "DescribeRegions"})
                self.assertEqual(status, 200)
            else:
                self.assertIn(raw_get(self.d, "Action=DescribeRegions&Version=2016-11-15"),
                              (400, 401, 403))

    def test_1_totals_on_every_worker(self):
        base = requests_total(self.d.get("/metrics"))
        per_worker = 12
        for pid in self.workers:
            self.only(pid, lambda: self.send(per_worker))
        n = base + per_worker * len(self.workers)
        for pid in self.workers:
            text = self.only(pid, lambda: self.d.get("/metrics"))
            self.assertEqual(requests_total(text), n, "scrape answered by worker %d" % pid)
            self.assertEqual(sample(text, "ec2gw_workers"), 2)
            self.assertIn('ec2gw_backend_calls_total{service="identity",', text)
        for _ in range(6):  # and whoever answers
            self.assertEqual(requests_total(self.d.get("/metrics")), n)
        build = [x for x in text.splitlines() if x.startswith("ec2gw_build_info{")]
        self.assertEqual(len(build), 1, build)
        self.assertRegex(build[0], r'^ec2gw_build_info\{version="\d+\.\d+\.\d+",abi="1\.\d+",'
                                   r'git="[0-9a-f]{7,}|unknown"\} 1$')

    def test_2_reload_generation(self):
        text = self.d.get("/metrics")
        self.assertEqual(sample(text, "ec2gw_config_generation"), 1)
        self.d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: sample(self.d.get("/metrics"),
                                  'ec2gw_config_reloads_total{result="ok"}') == 2)
        for pid in self.workers:
            text = self.only(pid, lambda: self.d.get("/metrics"))
            self.assertEqual(sample(text, "ec2gw_config_generation"), 2)
            self.assertEqual(sample(text, 'ec2gw_config_reloads_total{result="failed"}'), 0)

    def test_3_worker_restart_keeps_totals(self):
        before = requests_total(self.d.get("/metrics"))
        victim = self.d.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(self.d.worker_pids()) == 2 and victim not in self.d.worker_pids())
        text = wait_until(lambda: (lambda t: sample(t, "ec2gw_workers") == 2 and t)(
            self.d.get("/metrics")))
        self.assertEqual(sample(text, "ec2gw_worker_restarts_total"), 1)
        self.assertEqual(requests_total(text), before)
        # Forked after the SIGHUP of test_2, the new worker reloads conf.d too.
        wait_until(lambda: sample(self.d.get("/metrics"),
                                  'ec2gw_config_reloads_total{result="ok"}') == 3)
        with open(self.d.log_path) as f:
            self.assertEqual(len(re.findall(r"configuration generation 2 loaded", f.read())), 3)
        self.send(4)
        self.assertEqual(requests_total(self.d.get("/metrics")), before + 4)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
