#!/usr/bin/env python3
"""DescribeInstances across several ec2gwd processes sharing one database (issue 15).

Each ec2gwd process (and each worker of one) keeps its own Describe cache; only the database
(EC2 ids, tags) is shared. What that gives, checked here with three daemons on three ports and
one database (A writes; B and C read, each with a tenant-1 loop that keeps its cache warm):
- DescribeInstances naming an id through B answers it at once, even though B's cache was
  refreshed moments before the write and lacks it: an id the cache lacks forces a full list;
- DescribeInstances without ids through C shows a RunInstances made through A within
  describe_max_staleness plus one refresh (a Nova server list, timed meanwhile): every answer
  that starts later shows it;
- CreateTags through A is seen by B and C at once: tags are read from the database;
- TerminateInstances through A shows shutting-down/terminated on B and C within the bound;
- tenant 2 through B (a loop, and the id named) never sees the instance.
Reading one's own writes holds within the process (worker) that took the write only.
The same is checked between the two workers of one daemon with listen.workers: 2 (TwoWorkers).
"""
import os
import signal
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from describe_common import snapshot, staleness_s  # noqa: E402
from ops_common import OpsDaemon  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

GONE = ("shutting-down", "terminated")
DAEMONS = {}


def shared_db_daemon(db):
    """A daemon of its own port, conf.d and log whose database is `db`."""
    d = harness.Daemon()
    path = os.path.join(d.conf, "00-daemon.yaml")
    with open(path) as f:
        src = f.read()
    mine = os.path.join(d.dir, "db.sqlite")
    assert mine in src, "the harness's database path is not in 00-daemon.yaml"
    with open(path, "w") as f:
        f.write(src.replace(mine, db))
    return d


def setUpModule():
    a = harness.Daemon().start()
    DAEMONS["A"] = a
    db = os.path.join(a.dir, "db.sqlite")
    for name in ("B", "C"):
        DAEMONS[name] = shared_db_daemon(db).start()


def tearDownModule():
    rcs = {}
    for name in ("C", "B", "A"):  # A's directory holds the database: removed last
        d = DAEMONS.pop(name, None)
        if d is not None:
            rcs[name] = d.stop()
            d.cleanup()
    bad = {k: v for k, v in rcs.items() if v != 0}
    assert not bad, "ec2gwd exited with %s (sanitizer report?)" % bad


class Poller(threading.Thread):
    """DescribeInstances without ids again and again through one daemon as one tenant; each
    answer kept with its start and end time."""

    def __init__(self, name, which, stop):
        super().__init__(daemon=True)
        self.name_, self.which, self.stop = name, which, stop
        self.ec2 = harness.boto3_client(DAEMONS[name], which, read_timeout=150)
        self.log, self.errors = [], []

    def run(self):
        while not self.stop.is_set():
            t0 = time.time()
            try:
                snap = snapshot(self.ec2)
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                self.errors.append((t0, repr(e)))
                time.sleep(0.5)
                continue
            self.log.append((t0, time.time(), snap))

    def since(self, t):
        return [e for e in self.log if e[0] >= t]


class MultiProcess(unittest.TestCase):
    def setUp(self):
        self.ec2 = {n: harness.boto3_client(DAEMONS[n], 1, read_timeout=150) for n in DAEMONS}
        self.ec2_2 = harness.boto3_client(DAEMONS["B"], 2, read_timeout=150)
        self.nova = harness.OpenStackAs(DAEMONS["A"].env, "compute", 1, timeout=120)
        self.ids = []
        self.stop = threading.Event()
        self.pollers = []
        self.refresh = []

    def tearDown(self):
        self.stop.set()
        for p in self.pollers:
            p.join(timeout=200)
        if self.ids:
            try:
                self.ec2["A"].terminate_instances(InstanceIds=self.ids)
            except ClientError as e:
                print("cleanup: %s" % e)

    def nova_list_time(self):
        t0 = time.time()
        self.nova.get("/servers/detail?limit=1000")
        self.refresh.append(time.time() - t0)

    def bound(self):
        return self.bound0 + max(self.refresh)

    def check_within(self, what, t_change, ok, t_end=float("inf")):
        """Every loop answer on B and C (tenant 1) starting a bound after t_change (and before
        t_end) passes ok(state or None); the first answer of each that passes, as its delay
        after t_change (start, end of that Describe)."""
        late, delays = [], {}
        bound = self.bound()
        for p in self.pollers:
            if p.which != 1:
                continue
            for t0, t1, snap in p.since(t_change):
                if t0 >= t_end:
                    break
                good = ok(snap.get(self.ids[0]))
                if good and p.name_ not in delays:
                    delays[p.name_] = (t0 - t_change, t1 - t_change)
                if not good and t0 > t_change + bound:
                    late.append("%s on %s: a Describe %.2f s after it shows %s" % (
                        what, p.name_, t0 - t_change, snap.get(self.ids[0])))
        self.assertEqual(late, [], "bound %.2f s (staleness %.1f + refresh %.2f)" % (
            bound, self.bound0, bound - self.bound0))
        for name in ("B", "C"):
            self.assertIn(name, delays, "%s never seen on %s" % (what, name))
        print("%s: first seen on B after %.2f s (answer ended %.2f s), on C after %.2f s "
              "(%.2f s); bound %.2f s" % (what, delays["B"][0], delays["B"][1], delays["C"][0],
                                          delays["C"][1], bound))
        return delays

    def wait_loops(self, t, timeout):
        """Until every loop has an answer that started after t."""
        deadline = time.time() + timeout
        while not all(p.since(t) for p in self.pollers):
            self.assertLess(time.time(), deadline, "a loop made no Describe in %d s" % timeout)
            time.sleep(0.2)

    def test_processes_sharing_a_database(self):
        a = self.ec2["A"]
        self.bound0 = staleness_s(DAEMONS["A"])
        for n in ("B", "C"):
            self.assertEqual(staleness_s(DAEMONS[n]), self.bound0)
        imgs = a.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])
        if not imgs["Images"]:
            self.skipTest("no cirros-fake image (DescribeImages)")
        ami = imgs["Images"][0]["ImageId"]
        self.nova_list_time()
        self.pollers = [Poller(n, w, self.stop) for n, w in (("B", 1), ("C", 1), ("B", 2))]
        for p in self.pollers:
            p.start()
        self.wait_loops(time.time(), 120)

        # RunInstances through A
        tag = "it-mp-" + uuid.uuid4().hex[:8]
        for attempt in range(10):  # a loaded cloud may take longer than request_timeout:
            try:                   # retry with the same token (no second instance)
                res = a.run_instances(
                    ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny", ClientToken=tag,
                    TagSpecifications=[{"ResourceType": "instance",
                                        "Tags": [{"Key": "Name", "Value": tag}]}])
                break
            except ClientError as e:
                if e.response["Error"]["Code"] != "Unavailable" or attempt == 9:
                    raise
                print("RunInstances: %s; again with the same ClientToken" % e)
                time.sleep(10)
        t_run = time.time()
        self.ids = [i["InstanceId"] for i in res["Instances"]]
        iid = self.ids[0]

        # B, naming the id: at once, even when its cached list lacks it (B's loop keeps that
        # list younger than the bound; its last answer tells whether it held the id)
        t1 = time.time()
        done = [e for e in self.pollers[0].log if e[1] <= t1]
        by_id = snapshot(self.ec2["B"], InstanceIds=[iid])
        t2 = time.time()
        self.assertEqual(list(by_id), [iid], "B did not answer the id named")
        self.assertEqual(by_id[iid][1].get("Name"), tag)
        last = done[-1] if done else None
        print("B by id: %.2f s after RunInstances returned, answered in %.2f s; B's last list "
              "(started %.2f s before, %s) %s it" % (
                  t1 - t_run, t2 - t1, t1 - last[0] if last else -1,
                  "after the run" if last and last[0] >= t_run else "before the run returned",
                  "held" if last and iid in last[2] else "lacked"))
        # the refresh the id forced serves B's lists too
        self.assertIn(iid, snapshot(self.ec2["B"]), "B's list after the forced refresh")
        # read-your-writes within A
        self.assertIn(iid, snapshot(a), "RunInstances not in A's next Describe")

        # C, no ids: within the bound (C's own loop never named the id)
        self.nova_list_time()
        deadline = time.time() + self.bound() + 60
        while not any(iid in s for _, _, s in self.pollers[1].since(t_run)):
            self.assertLess(time.time(), deadline, "RunInstances never seen on C")
            time.sleep(0.2)
        self.wait_loops(t_run + self.bound() + 0.1, 120)
        self.check_within("RunInstances " + iid, t_run, lambda s: s is not None)

        # CreateTags through A: B and C read tags from the database, at once
        a.create_tags(Resources=[iid], Tags=[{"Key": "it-mp", "Value": "v1"}])
        t_tag = time.time()
        for n in ("B", "C"):
            snap = snapshot(self.ec2[n])
            self.assertEqual(snap[iid][1].get("it-mp"), "v1", "CreateTags not seen on " + n)
            got = snapshot(self.ec2[n], Filters=[{"Name": "tag:it-mp", "Values": ["v1"]}])
            self.assertEqual(list(got), [iid], "tag filter on " + n)
        print("CreateTags: seen on B and C by the next Describe (%.2f s after)" %
              (time.time() - t_tag))

        # wait until it runs, so that the terminate is a change of state
        a.get_waiter("instance_running").wait(InstanceIds=[iid],
                                              WaiterConfig={"Delay": 2, "MaxAttempts": 90})

        # TerminateInstances through A: B and C within the bound
        a.terminate_instances(InstanceIds=[iid])
        t_term = time.time()
        snap = snapshot(a)
        self.assertTrue(iid not in snap or snap[iid][0] in GONE,
                        "A's next Describe still shows %s" % (snap.get(iid),))
        self.nova_list_time()
        self.wait_loops(t_term + self.bound() + 0.1, 120)
        self.check_within("TerminateInstances " + iid, t_term,
                          lambda s: s is None or s[0] in GONE)

        self.stop.set()
        for p in self.pollers:
            p.join(timeout=200)
            self.assertFalse(p.is_alive(), "a loop is still waiting for an answer")
            self.assertEqual(p.errors, [], "Describe failed on %s as tenant %d" % (
                p.name_, p.which))

        # tenant 2 through B: never
        t2log = [e for p in self.pollers if p.which == 2 for e in p.log]
        self.assertGreater(len(t2log), 2, "tenant 2 made too few Describes")
        self.assertFalse([t for t, _, s in t2log if iid in s], "tenant 2 saw " + iid)
        self.assertEqual(harness.error_code(self.ec2_2.describe_instances, InstanceIds=[iid]),
                         "InvalidInstanceID.NotFound")
        print("%d Describes on B and C (tenant 2: %d); staleness %.1f s, Nova list %.2f-%.2f s"
              % (sum(len(p.log) for p in self.pollers), len(t2log), self.bound0,
                 min(self.refresh), max(self.refresh)))


class TwoWorkers(unittest.TestCase):
    """One daemon with listen.workers: 2: a worker stopped with SIGSTOP cannot accept, so a
    fresh connection reaches the other one. Writes go through worker 1, reads through 2: the
    same bound as between processes (the caches are per worker), tags at once."""

    @classmethod
    def setUpClass(cls):
        cls.d = OpsDaemon(edits=[("workers: 1", "workers: 2")]).start()
        deadline = time.time() + 30
        while len(cls.d.worker_pids()) != 2:
            if time.time() > deadline:
                raise AssertionError("no two workers: %s" % cls.d.worker_pids())
            time.sleep(0.2)
        cls.w = cls.d.worker_pids()

    @classmethod
    def tearDownClass(cls):
        harness.stop_daemon(cls.d)

    def setUp(self):
        self.ids = []
        self.nova = harness.OpenStackAs(self.d.env, "compute", 1, timeout=120)
        self.refresh = []

    def tearDown(self):
        if self.ids:
            try:
                self.via(0, lambda c: c.terminate_instances(InstanceIds=self.ids))
            except ClientError as e:
                print("cleanup: %s" % e)

    def via(self, k, fn, which=1):
        """fn(a fresh client) while every worker but self.w[k] is stopped."""
        others = [p for p in self.w if p != self.w[k]]
        for p in others:
            os.kill(p, signal.SIGSTOP)
        try:
            return fn(harness.boto3_client(self.d, which, read_timeout=150))
        finally:
            for p in others:
                os.kill(p, signal.SIGCONT)

    def until(self, what, t_change, ok, bound):
        """Worker 2's lists until ok(state) holds; every list starting a bound after t_change
        must hold it. The delay of the first that held (start, end)."""
        def loop(c):
            while True:
                t0 = time.time()
                snap = snapshot(c)
                t1 = time.time()
                good = ok(snap.get(self.ids[0]))
                if t0 > t_change + bound:
                    self.assertTrue(good, "%s: worker 2's list %.2f s after shows %s (bound "
                                    "%.2f s)" % (what, t0 - t_change, snap.get(self.ids[0]),
                                                 bound))
                if good:
                    return t0 - t_change, t1 - t_change
                time.sleep(0.2)
        got = self.via(1, loop)
        print("workers: %s on worker 2 after %.2f s (answer ended %.2f s); bound %.2f s" % (
            (what,) + got + (bound,)))
        return got

    def nova_list_time(self):
        t0 = time.time()
        self.nova.get("/servers/detail?limit=1000")
        self.refresh.append(time.time() - t0)

    def test_workers_of_one_daemon(self):
        bound0 = staleness_s(self.d)
        imgs = self.via(0, lambda c: c.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}]))
        if not imgs["Images"]:
            self.skipTest("no cirros-fake image (DescribeImages)")
        ami = imgs["Images"][0]["ImageId"]
        self.nova_list_time()
        self.via(1, snapshot)  # worker 2 has a list of the project cached
        tag = "it-mpw-" + uuid.uuid4().hex[:8]
        res = self.via(0, lambda c: c.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m1.tiny", ClientToken=tag))
        t_run = time.time()
        self.ids = [i["InstanceId"] for i in res["Instances"]]
        iid = self.ids[0]
        # worker 2's list first (its cache is older than the bound by now: RunInstances takes
        # longer), then the id named
        self.nova_list_time()
        self.until("RunInstances " + iid, t_run, lambda s: s is not None,
                   bound0 + max(self.refresh))
        t0 = time.time()
        by_id = self.via(1, lambda c: snapshot(c, InstanceIds=[iid]))
        self.assertEqual(list(by_id), [iid], "worker 2 did not answer the id named")
        print("workers: worker 2 by id %.2f s after RunInstances, in %.2f s" % (
            t0 - t_run, time.time() - t0))
        self.assertIn(iid, self.via(0, snapshot), "worker 1 does not read its own write")

        self.via(0, lambda c: c.create_tags(Resources=[iid],
                                             Tags=[{"Key": "it-mp", "Value": "w"}]))
        snap = self.via(1, snapshot)
        self.assertEqual(snap[iid][1].get("it-mp"), "w", "CreateTags not seen on worker 2")

        self.via(0, lambda c: c.get_waiter("instance_running").wait(
            InstanceIds=[iid], WaiterConfig={"Delay": 2, "MaxAttempts": 90}))
        self.via(1, snapshot)  # worker 2 caches it running
        self.via(0, lambda c: c.terminate_instances(InstanceIds=[iid]))
        t_term = time.time()
        self.nova_list_time()
        self.until("TerminateInstances " + iid, t_term, lambda s: s is None or s[0] in GONE,
                   bound0 + max(self.refresh))

        self.assertNotIn(iid, self.via(1, snapshot, which=2), "tenant 2 saw it on worker 2")
        self.assertEqual(self.via(1, lambda c: harness.error_code(
            c.describe_instances, InstanceIds=[iid]), which=2), "InvalidInstanceID.NotFound")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
