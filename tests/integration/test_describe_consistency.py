#!/usr/bin/env python3
"""DescribeInstances stays consistent while reads are shared and cached (issue 15).

Both tenants poll DescribeInstances concurrently (a loop each) while tenant 1 runs
RunInstances, CreateTags and TerminateInstances through ec2gw, and deletes one of those servers
and creates another directly in Nova. Checked:
- read-your-writes: the writer's next Describe after each write through ec2gw shows it, and
  every Describe of that project started later than the staleness bound shows it too;
- a change made directly in Nova is shown by every Describe of the project that starts later
  than describe_max_staleness plus one refresh (a Nova server list, as measured meanwhile);
- no Describe ever returns an object of the other tenant: every instance id an answer holds
  maps (the daemon's database) to a server of the caller's project in Nova, and the two
  tenants' answers share no id.
Runs with the daemon's default describe_max_staleness (the shipped conf.d).
"""
import os
import sqlite3
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from describe_common import snapshot, staleness_s  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

D = None
LIVE = ("pending", "running", "stopping", "stopped")
GONE = ("shutting-down", "terminated")


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


class Poller(threading.Thread):
    """DescribeInstances again and again as one tenant; each answer kept with its start and
    end time."""

    def __init__(self, which, stop):
        super().__init__(daemon=True)
        self.which, self.stop = which, stop
        self.ec2 = harness.boto3_client(D, which, read_timeout=150)
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


class Consistency(unittest.TestCase):
    def setUp(self):
        self.ec2 = harness.boto3_client(D, 1, read_timeout=150)
        self.nova = harness.OpenStackAs(D.env, "compute", 1, timeout=120)
        self.nova2 = harness.OpenStackAs(D.env, "compute", 2, timeout=120)
        self.ids, self.nova_made = [], []
        self.stop = threading.Event()
        self.pollers = []
        self.refresh = [1.0]  # seconds of a Nova server list, as sampled during the test

    def tearDown(self):
        self.stop.set()
        for p in self.pollers:
            p.join(timeout=200)
        if self.ids:
            try:
                self.ec2.terminate_instances(InstanceIds=self.ids)
            except ClientError as e:
                print("cleanup: %s" % e)
        for sid in self.nova_made:
            try:
                self.nova.delete("/servers/" + sid)
            except Exception as e:  # noqa: BLE001
                print("cleanup of %s: %s" % (sid, e))

    # -- helpers

    def nova_list_time(self):
        """One Nova server list of tenant 1, timed: the length of a refresh."""
        t0 = time.time()
        self.nova.get("/servers/detail?limit=1000")
        self.refresh.append(time.time() - t0)

    def os_ids(self, ec2_ids):
        """EC2 id -> Nova uuid, from the daemon's database (ec2-api's items table)."""
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(D.dir, "db.sqlite"), uri=True,
                             timeout=30)
        try:
            out = {}
            ids = sorted(ec2_ids)
            for k in range(0, len(ids), 500):
                chunk = ids[k:k + 500]
                for i, os_id in db.execute("SELECT id, os_id FROM items WHERE id IN (%s)" %
                                           ",".join("?" * len(chunk)), chunk):
                    out[i] = os_id
            return out
        finally:
            db.close()

    def nova_servers(self, nova, since):
        """Every server uuid of a project Nova lists: live ones and those changed (deleted
        included) since `since`."""
        out = set()
        for q in ("/servers?limit=1000", "/servers?limit=1000&changes-since=" + since):
            marker = None
            while True:
                page = nova.get(q + ("&marker=" + marker if marker else ""))["servers"]
                out |= {s["id"] for s in page}
                if len(page) < 1000:
                    break
                marker = page[-1]["id"]
        return out

    def next_describe(self, **kw):
        t0 = time.time()
        snap = snapshot(self.ec2, **kw)
        self.writer_log.append((t0, time.time(), snap))
        return snap

    def wait_for(self, what, check, timeout):
        """Writer's Describes until check(snapshot) holds (at most timeout s); the time of the
        first that held."""
        deadline = time.time() + timeout
        while True:
            snap = self.next_describe()
            if check(snap):
                return time.time()
            self.assertLess(time.time(), deadline, "%s not seen in %d s" % (what, timeout))
            time.sleep(0.3)

    # -- the test

    def test_interleaved_writes_and_reads(self):
        ec2 = self.ec2
        bound0 = staleness_s(D)
        imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])
        if not imgs["Images"]:
            self.skipTest("no cirros-fake image (DescribeImages)")
        ami = imgs["Images"][0]["ImageId"]
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7200))
        self.writer_log = []
        # one loop a tenant besides the writer: without a cache each Describe costs Nova two
        # server lists, which its one API worker answers one after another
        self.pollers = [Poller(w, self.stop) for w in (1, 2)]
        for p in self.pollers:
            p.start()
        self.nova_list_time()
        # (what, the change's time, the next change of that object's start, uuid or EC2 id,
        # what its state must be in a Describe that starts between the two)
        events = []

        # RunInstances: the writer's next Describe shows both instances
        tag = "it-cons-" + uuid.uuid4().hex[:8]
        ends = {}  # object -> start of its next change
        for attempt in range(10):  # a loaded cloud may take longer than request_timeout:
            try:                   # retry with the same token, as SDKs do (no second set)
                res = ec2.run_instances(
                    ImageId=ami, MinCount=2, MaxCount=2, InstanceType="m1.tiny", ClientToken=tag,
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
        snap = self.next_describe()
        for i in self.ids:
            self.assertIn(i, snap, "RunInstances: %s missing from the writer's next Describe" % i)
            self.assertEqual(snap[i][1].get("Name"), tag)
        events += [("RunInstances " + i, t_run, i, i, lambda s: s is not None)
                   for i in self.ids]
        by_id = snapshot(ec2, InstanceIds=self.ids)
        self.assertEqual(sorted(by_id), sorted(self.ids))

        # CreateTags: shown at once, by the filter too
        ec2.create_tags(Resources=[self.ids[0]], Tags=[{"Key": "it-cons", "Value": "v1"}])
        t_tag = time.time()
        snap = self.next_describe()
        self.assertEqual(snap[self.ids[0]][1].get("it-cons"), "v1", "CreateTags not read back")
        got = snapshot(ec2, Filters=[{"Name": "tag:it-cons", "Values": ["v1"]}])
        self.assertEqual(list(got), [self.ids[0]])
        events.append(("CreateTags " + self.ids[0], t_tag, self.ids[0], self.ids[0],
                       lambda s: s is not None and s[1].get("it-cons") == "v1"))

        # wait until both run (the fake driver), so that a delete is a change of state
        ec2.get_waiter("instance_running").wait(InstanceIds=self.ids,
                                                WaiterConfig={"Delay": 2, "MaxAttempts": 90})

        # TerminateInstances: the writer's next Describe shows it going
        ends[self.ids[0]] = time.time()
        ec2.terminate_instances(InstanceIds=[self.ids[0]])
        t_term = time.time()
        snap = self.next_describe()
        self.assertTrue(self.ids[0] not in snap or snap[self.ids[0]][0] in GONE,
                        "TerminateInstances: %s still %s" % (self.ids[0], snap[self.ids[0]]))
        events.append(("TerminateInstances " + self.ids[0], t_term, "", self.ids[0],
                       lambda s: s is None or s[0] in GONE))

        # deleted directly in Nova: shown within the bound
        victim = self.os_ids([self.ids[1]])[self.ids[1]]
        self.nova_list_time()
        ends[self.ids[1]] = time.time()
        self.nova.delete("/servers/" + victim)
        t_del = time.time()
        self.nova_list_time()
        bound = bound0 + max(self.refresh)
        self.wait_for("Nova's delete of " + self.ids[1],
                      lambda s: self.ids[1] not in s or s[self.ids[1]][0] in GONE, bound + 60)
        events.append(("deleted in Nova " + self.ids[1], t_del, "", victim,
                       lambda s: s is None or s[0] in GONE))

        # created directly in Nova: shown within the bound
        flavor = [f["id"] for f in self.nova.get("/flavors")["flavors"] if f["name"] == "m1.tiny"]
        glance = harness.OpenStackAs(D.env, "image", 1)
        image = [i["id"] for i in glance.get("/v2/images?name=cirros-fake")["images"]]
        neutron = harness.OpenStackAs(D.env, "network", 1)
        pid = D.env["EC2_PROJECT_ID"]
        nets = [n["id"] for n in neutron.get("/v2.0/networks?name=private")["networks"]
                if n["project_id"] == pid]
        body = {"server": {"name": tag + "-nova", "imageRef": image[0], "flavorRef": flavor[0],
                           "networks": [{"uuid": nets[0]}] if nets else "none"}}
        self.nova_list_time()
        made = self.nova.post("/servers", body)["server"]["id"]
        t_made = time.time()
        self.nova_made.append(made)
        self.nova_list_time()
        bound = bound0 + max(self.refresh)

        def made_seen(s):
            m = self.os_ids(s)
            return made in m.values() and s[{v: k for k, v in m.items()}[made]][0] in LIVE
        self.wait_for("Nova's new server " + made, made_seen, bound + 60)
        events.append(("created in Nova " + made, t_made, "", made,
                       lambda s: s is not None and s[0] in LIVE))

        # keep polling one bound past the last change, then stop the loops
        bound = bound0 + max(self.refresh)
        time.sleep(bound + 1)
        self.nova_list_time()
        bound = bound0 + max(self.refresh)
        self.stop.set()
        for p in self.pollers:
            p.join(timeout=200)
            self.assertFalse(p.is_alive(), "a poller is still waiting for an answer")

        # -- the checks over every answer
        for p in self.pollers:
            self.assertEqual(p.errors, [], "Describe failed as tenant %d" % p.which)
        logs = {1: [e for p in self.pollers if p.which == 1 for e in p.log] + self.writer_log,
                2: [e for p in self.pollers if p.which == 2 for e in p.log]}
        for w in (1, 2):
            self.assertGreater(len(logs[w]), 2, "tenant %d made too few Describes" % w)
        seen = {w: set().union(*(s.keys() for _, _, s in logs[w])) for w in (1, 2)}
        self.assertEqual(seen[1] & seen[2], set(), "an instance id answered to both tenants")
        mapping = self.os_ids(seen[1] | seen[2])
        unknown = (seen[1] | seen[2]) - set(mapping)
        self.assertEqual(unknown, set(), "answered ids unknown to the database")
        nova = {1: self.nova_servers(self.nova, started), 2: self.nova_servers(self.nova2, started)}
        for w in (1, 2):
            foreign = {i: mapping[i] for i in seen[w] if mapping[i] not in nova[w]}
            self.assertEqual(foreign, {}, "tenant %d was shown servers that are not its "
                             "project's" % w)
        for i in self.ids:
            self.assertNotIn(i, seen[2])

        # every Describe of tenant 1 that started a bound after a change shows it
        late = []
        for what, t_change, obj, key, ok in events:
            by_uuid = len(key) == 36
            t_end = ends.get(obj, float("inf"))
            for t0, t1, snap in logs[1]:
                if t0 <= t_change + bound or t0 >= t_end:
                    continue
                if by_uuid:
                    back = {mapping[i]: i for i in snap}
                    state = snap[back[key]] if key in back else None
                else:
                    state = snap.get(key)
                if not ok(state):
                    late.append("%s: a Describe %.1f s after it shows %s" % (
                        what, t0 - t_change, state))
        self.assertEqual(late, [], "bound %.1f s (staleness %.1f + refresh %.1f)" % (
            bound, bound0, bound - bound0))
        n = sum(len(v) for v in logs.values())
        print("%d Describes (tenant 1: %d, tenant 2: %d); staleness %.1f s, refresh up to "
              "%.1f s; %d ids seen" % (n, len(logs[1]), len(logs[2]), bound0, bound - bound0,
                                       len(seen[1] | seen[2])))
        # clean up through the gateway: read-your-writes of a terminate once more
        mine = {v: k for k, v in self.os_ids(snapshot(ec2)).items()}
        if made in mine:
            self.ids.append(mine[made])
            ec2.terminate_instances(InstanceIds=[mine[made]])
            snap = self.next_describe()
            self.assertIn(snap.get(mine[made], ("terminated",))[0], GONE)
            self.nova_made.remove(made)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
