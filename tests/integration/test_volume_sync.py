#!/usr/bin/env python3
"""DescribeVolumes' volume cache (issue 15, cinder-v3 volume_sync.c) against the all-in-one
cloud: a volume created, attached or deleted outside ec2gw (Cinder's and Nova's own APIs, as
demo2) appears, shows its attachment or disappears in DescribeVolumes within the staleness bound
(describe_max_staleness, 2 s) plus one refresh; a client's own CreateVolume, AttachVolume and
DeleteVolume are read at once; reads within the bound cost no Cinder call and one after it
two (/metrics); demo never sees demo2's volumes. Everything made is deleted (asked Cinder
directly at the end)."""
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = None
STALE = 2.0  # conf.d/00-daemon.yaml describe_max_staleness
WAIT = {"Delay": 2, "MaxAttempts": 90}


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    harness.stop_daemon(D)


class VolumeSync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # demo2's project: the other tests change demo's volumes meanwhile, and the call
        # counts below are of one project's refreshes
        cls.ec2 = harness.boto3_client(D, which=2)
        cls.ec2b = harness.boto3_client(D)
        cls.cinder = harness.OpenStackAs(D.env, "volumev3", tenant=2, timeout=60)
        cls.nova = harness.OpenStackAs(D.env, "compute", tenant=2, timeout=60)
        cls.tag = "vsync-" + uuid.uuid4().hex[:8]
        cls.outside = []  # Cinder uuids made outside ec2gw
        cls.ours = []  # vol- ids made through ec2gw
        cls.iid = None

    @classmethod
    def tearDownClass(cls):
        for v in cls.ours:
            harness.error_code(cls.ec2.detach_volume, VolumeId=v, Force=True)
        for uid in cls.outside:
            for _ in range(60):
                try:
                    st = cls.cinder.get("/volumes/" + uid)["volume"]["status"]
                except Exception:  # noqa: BLE001 - gone
                    break
                if st in ("available", "error"):
                    try:
                        cls.cinder.delete("/volumes/" + uid)
                    except Exception:  # noqa: BLE001 - retried
                        pass
                time.sleep(2)
        for v in cls.ours:
            for _ in range(60):
                if harness.error_code(cls.ec2.delete_volume, VolumeId=v) in (
                        None, "InvalidVolume.NotFound"):
                    break
                time.sleep(2)
        if cls.iid:
            cls.ec2.terminate_instances(InstanceIds=[cls.iid])

    def listed(self):
        """{vol- id: volume} of one DescribeVolumes, and when it was sent."""
        t = time.time()
        return {v["VolumeId"]: v for v in self.ec2.describe_volumes()["Volumes"]}, t

    def wait_listed(self, pred, since, what):
        """Poll until pred(listing) holds; every listing sent later than since + STALE + 1 s
        must already satisfy it (the bound plus one refresh)."""
        deadline = time.time() + 60
        while time.time() < deadline:
            vols, sent = self.listed()
            if pred(vols):
                return sent
            self.assertLess(sent, since + STALE + 1.0,
                            "%s not seen %.1f s after it happened" % (what, sent - since))
            time.sleep(0.2)
        self.fail("%s never seen" % what)

    def cinder_status(self, uid, want):
        for _ in range(90):
            st = self.cinder.get("/volumes/" + uid)["volume"]["status"]
            if st == want:
                return
            time.sleep(1)
        self.fail("Cinder volume %s never %s" % (uid, want))

    def test_1_reads_within_bound_cost_nothing(self):
        self.listed()
        before = D.backend_calls("volumev3")
        for _ in range(5):
            self.listed()
        self.assertEqual(D.backend_calls("volumev3"), before)
        time.sleep(STALE + 0.2)
        self.listed()  # a refresh: a delta and the summary
        self.assertEqual(D.backend_calls("volumev3") - before, 2)

    def test_2_outside_create_attach_delete(self):
        self.listed()  # the cache holds the project before the changes
        name = "%s-out" % self.tag
        uid = self.cinder.post("/volumes", {"volume": {"size": 1, "name": name}})["volume"]["id"]
        self.outside.append(uid)
        created = time.time()

        def has(vols):  # the gateway names the new uuid when it lists it
            return self.vid_of(uid, vols) is not None

        self.wait_listed(has, created, "a volume created in Cinder")
        vid = self.vid_of(uid, self.listed()[0])
        self.cinder_status(uid, "available")
        # attached outside ec2gw, through Nova, to an instance run through ec2gw
        ami = self.ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"][0]["ImageId"]
        inst = self.ec2.run_instances(ImageId=ami, InstanceType="m1.tiny", MinCount=1,
                                      MaxCount=1)["Instances"][0]
        type(self).iid = inst["InstanceId"]
        self.ec2.get_waiter("instance_running").wait(InstanceIds=[self.iid], WaiterConfig=WAIT)
        server = self.server_of(self.iid)
        self.listed()
        self.nova.post("/servers/%s/os-volume_attachments" % server,
                       {"volumeAttachment": {"volumeId": uid}})
        self.cinder_status(uid, "in-use")
        attached = time.time()
        self.wait_listed(lambda vols: vols.get(vid, {}).get("State") == "in-use" and [
            a["InstanceId"] for a in vols[vid].get("Attachments", [])] == [self.iid],
            attached, "an attachment made in Nova")
        # detached and deleted outside ec2gw
        self.nova.delete("/servers/%s/os-volume_attachments/%s" % (server, uid))
        self.cinder_status(uid, "available")
        self.cinder.delete("/volumes/" + uid)
        for _ in range(90):
            if uid not in {v["id"] for v in self.cinder.get("/volumes/detail")["volumes"]}:
                break
            time.sleep(0.5)
        gone = time.time()
        self.wait_listed(lambda vols: vid not in vols, gone, "a volume deleted in Cinder")
        # the other tenant never saw it
        self.assertNotIn(vid, {v["VolumeId"] for v in self.ec2b.describe_volumes()["Volumes"]})

    def vid_of(self, uid, vols):
        """The vol- id of Cinder volume uid among the listed vols (the daemon's id map)."""
        for vid in vols:
            if self._uid(vid) == uid:
                return vid
        return None

    def _uid(self, vid):
        import sqlite3
        db = sqlite3.connect(os.path.join(D.dir, "db.sqlite"))
        try:
            row = db.execute("SELECT os_id FROM items WHERE id = ?", (vid,)).fetchone()
        finally:
            db.close()
        return row[0] if row else None

    def server_of(self, iid):
        return self._uid(iid)

    def test_3_own_writes_at_once(self):
        self.listed()
        vid = self.ec2.create_volume(Size=1, AvailabilityZone="nova",
                                     TagSpecifications=[{"ResourceType": "volume", "Tags": [
                                         {"Key": "Name", "Value": self.tag + "-own"}]}])["VolumeId"]
        self.ours.append(vid)
        vols, _ = self.listed()
        self.assertIn(vid, vols)  # within the bound: the write made the read refresh
        self.ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=WAIT)
        self.assertNotIn(vid, {v["VolumeId"] for v in self.ec2b.describe_volumes()["Volumes"]})
        self.assertEqual(harness.error_code(self.ec2b.describe_volumes, VolumeIds=[vid]),
                         "InvalidVolume.NotFound")
        if self.iid is not None:
            self.listed()
            self.ec2.attach_volume(VolumeId=vid, InstanceId=self.iid, Device="/dev/sdg")
            vols, _ = self.listed()
            self.assertIn(vols[vid]["State"], ("in-use",))
            self.assertIn(vols[vid]["Attachments"][0]["State"], ("attaching", "attached"))
            self.ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid], WaiterConfig=WAIT)
            for _ in range(60):  # Nova ends the attachment after Cinder says in-use
                v = self.ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
                if v["Attachments"] and v["Attachments"][0]["State"] == "attached":
                    break
                time.sleep(1)
            self.ec2.detach_volume(VolumeId=vid)
            self.ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=WAIT)
        self.listed()
        self.ec2.delete_volume(VolumeId=vid)
        vols, _ = self.listed()
        self.assertTrue(vid not in vols or vols[vid]["State"] in ("deleting", "deleted"))

    def test_9_nothing_left(self):
        left = [v for v in self.cinder.get("/volumes/detail")["volumes"]
                if (v.get("name") or "").startswith(self.tag)]
        for _ in range(60):
            if not left:
                break
            time.sleep(2)
            left = [v for v in self.cinder.get("/volumes/detail")["volumes"]
                    if (v.get("name") or "").startswith(self.tag) and v["status"] != "deleting"]
        # the own-write volume may still be deleting; tearDownClass removes what failed
        self.assertEqual([v for v in left if v["status"] != "deleting"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
