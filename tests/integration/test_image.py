#!/usr/bin/env python3
"""glance-v2 (EC2 images on Glance) against the all-in-one cloud, with boto3 and awscli:
DescribeImages by id, name wildcard, owner and filters; image attributes; sharing with the
second tenant through launch permissions; DeregisterImage; CopyImage of an image with data
(size and checksums as the source's, ClientToken idempotency); CreateImage when the compute
plugin is there (NoReboot, and the stop/snapshot/start path); bad input codes."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

import harness

def osc(env, *args):
    """openstackclient as demo (Debian's python3: PATH reset, OS_* from the cloud)."""
    e = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    e.update({k: v for k, v in env.items() if k.startswith("OS_")})
    r = subprocess.run(["/usr/bin/openstack"] + list(args), capture_output=True, text=True,
                       env=e, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("openstack %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def code_of(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(harness.ROOT, "conf.d/30-image.yaml")) as f:
            conf = f.read()
        plugins = [("30-image.yaml", conf)]
        compute = os.path.join(harness.ROOT, "conf.d/10-compute.yaml")
        cls.with_compute = os.path.exists(compute) and os.path.exists(
            os.path.join(harness.BUILD, "plugins/nova-v2.1.so"))
        if cls.with_compute:
            with open(compute) as f:
                plugins.append(("10-compute.yaml", f.read()))
        try:
            cls.d = harness.Daemon(plugins=plugins).start()
        except RuntimeError:
            if not cls.with_compute:
                raise
            cls.with_compute = False  # the compute plugin does not load yet: images alone
            cls.d = harness.Daemon(plugins=[("30-image.yaml", conf)]).start()
        cls.ec2 = harness.boto3_client(cls.d)
        cls.ec2b = harness.boto3_client(cls.d, which=2)
        cls.me = cls.d.env["EC2_PROJECT_ID"]
        cls.other = cls.d.env["EC2_PROJECT_ID_2"]
        cls.name = "ec2gw-it-%s" % uuid.uuid4().hex[:8]
        with tempfile.NamedTemporaryFile("wb", suffix=".img") as f:
            f.write(b"ec2gw test image\n")
            f.flush()
            out = osc(cls.d.env, "image", "create", "--disk-format", "raw", "--container-format",
                      "bare", "--private", "--property", "architecture=x86_64", "--file", f.name,
                      "-f", "json", cls.name)
        cls.glance_id = json.loads(out)["id"]
        cls.created = [cls.glance_id]
        imgs = cls.ec2.describe_images(Filters=[{"Name": "name", "Values": [cls.name]}])["Images"]
        cls.ami = imgs[0]["ImageId"]

    @classmethod
    def tearDownClass(cls):
        for gid in cls.created:
            try:
                osc(cls.d.env, "image", "delete", gid)
            except RuntimeError:
                pass
        rc = cls.d.stop()
        with open(cls.d.log_path) as f:
            log = f.read()
        if rc != 0 or "ERROR: AddressSanitizer" in log or "runtime error" in log:
            print(log[-4000:], file=sys.stderr)
            raise AssertionError("ec2gwd exit %d" % rc)
        cls.d.cleanup()

    def seeded(self):
        imgs = self.ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])
        self.assertEqual(len(imgs["Images"]), 1)
        return imgs["Images"][0]

    # -- DescribeImages ------------------------------------------------------------------
    def test_seeded_by_id(self):
        im = self.seeded()
        self.assertTrue(im["ImageId"].startswith("ami-"))
        self.assertEqual(im["State"], "available")
        self.assertTrue(im["Public"])
        self.assertEqual(im["ImageType"], "machine")
        got = self.ec2.describe_images(ImageIds=[im["ImageId"]])["Images"]
        self.assertEqual([i["ImageId"] for i in got], [im["ImageId"]])
        # the same stable id for the other tenant
        got2 = self.ec2b.describe_images(ImageIds=[im["ImageId"]])["Images"]
        self.assertEqual(got2[0]["Name"], "cirros-fake")

    def test_name_wildcard_and_kinds(self):
        imgs = self.ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake*"]}])
        kinds = sorted(i["ImageId"].split("-")[0] for i in imgs["Images"])
        self.assertEqual(kinds, ["aki", "ami", "ari"])
        k = self.ec2.describe_images(Filters=[{"Name": "image-type", "Values": ["kernel"]},
                                              {"Name": "name", "Values": ["cirros-fake*"]}])
        self.assertEqual([i["ImageType"] for i in k["Images"]], ["kernel"])

    def test_owners(self):
        seeded = self.seeded()
        mine = self.ec2.describe_images(Owners=["self"])["Images"]
        ids = [i["ImageId"] for i in mine]
        self.assertIn(self.ami, ids)
        self.assertNotIn(seeded["ImageId"], ids)
        theirs = self.ec2.describe_images(Owners=[seeded["OwnerId"]])["Images"]
        self.assertIn(seeded["ImageId"], [i["ImageId"] for i in theirs])
        self.assertNotIn(self.ami, [i["ImageId"] for i in theirs])
        pub = self.ec2.describe_images(ExecutableUsers=["all"])["Images"]
        self.assertNotIn(self.ami, [i["ImageId"] for i in pub])
        f = self.ec2.describe_images(Filters=[{"Name": "owner-id", "Values": [self.me]},
                                              {"Name": "is-public", "Values": ["false"]},
                                              {"Name": "architecture", "Values": ["x86_64"]}])
        self.assertIn(self.ami, [i["ImageId"] for i in f["Images"]])

    def describe_images_page(self, token):
        """One page of five images, through boto3 when its model knows DescribeImages paging,
        else as the Query request a newer client sends (Debian 12's botocore 1.29 lacks it)."""
        if harness.model_has(self.ec2, "DescribeImages", "MaxResults"):
            kw = {"MaxResults": 5}
            if token:
                kw["NextToken"] = token
            r = self.ec2.describe_images(**kw)
            return [i["ImageId"] for i in r["Images"]], r.get("NextToken")
        params = {"Action": "DescribeImages", "MaxResults": "5"}
        if token:
            params["NextToken"] = token
        status, root = harness.query(self.d, params)
        self.assertEqual(status, 200, ET.tostring(root))
        return ([i.findtext("imageId") for i in root.findall("imagesSet/item")],
                root.findtext("nextToken"))

    def test_paging(self):
        seen, token, pages = [], None, 0
        while True:
            ids, token = self.describe_images_page(token)
            self.assertLessEqual(len(ids), 5)
            seen += ids
            pages += 1
            if not token:
                break
        everything = [i["ImageId"] for i in self.ec2.describe_images()["Images"]]
        self.assertEqual(sorted(seen), sorted(everything))
        self.assertEqual(len(seen), len(set(seen)))

    def test_awscli(self):
        r = harness.aws_cli(self.d, "ec2", "describe-images", "--owners", "self", "--filters",
                            "Name=name,Values=ec2gw-it-*")
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = [i["ImageId"] for i in json.loads(r.stdout)["Images"]]
        self.assertIn(self.ami, ids)

    def test_tag_filter(self):
        self.ec2.create_tags(Resources=[self.ami], Tags=[{"Key": "suite", "Value": "image"}])
        r = self.ec2.describe_images(Filters=[{"Name": "tag:suite", "Values": ["image"]}])
        self.assertEqual([i["ImageId"] for i in r["Images"]], [self.ami])
        self.assertEqual(r["Images"][0]["Tags"], [{"Key": "suite", "Value": "image"}])

    # -- attributes and sharing ------------------------------------------------------------
    def test_description(self):
        self.ec2.modify_image_attribute(ImageId=self.ami, Description={"Value": "hello"})
        a = self.ec2.describe_image_attribute(ImageId=self.ami, Attribute="description")
        self.assertEqual(a["Description"]["Value"], "hello")
        im = self.ec2.describe_images(ImageIds=[self.ami])["Images"][0]
        self.assertEqual(im["Description"], "hello")

    def test_share_with_demo2(self):
        self.assertEqual(code_of(self.ec2b.describe_images, ImageIds=[self.ami]),
                         "InvalidAMIID.NotFound")
        self.ec2.modify_image_attribute(ImageId=self.ami, LaunchPermission={
            "Add": [{"UserId": self.other}]})
        lp = self.ec2.describe_image_attribute(ImageId=self.ami, Attribute="launchPermission")
        self.assertEqual(lp["LaunchPermissions"], [{"UserId": self.other}])
        seen = self.ec2b.describe_images(ImageIds=[self.ami])["Images"]
        self.assertEqual(seen[0]["OwnerId"], self.me)
        listed = self.ec2b.describe_images(ExecutableUsers=["self"])["Images"]
        self.assertIn(self.ami, [i["ImageId"] for i in listed])
        mine = self.ec2.describe_images(ExecutableUsers=[self.other])["Images"]
        self.assertEqual([i["ImageId"] for i in mine], [self.ami])
        # the other tenant cannot change or deregister it
        self.assertEqual(code_of(self.ec2b.deregister_image, ImageId=self.ami), "AuthFailure")
        self.ec2.modify_image_attribute(ImageId=self.ami, Attribute="launchPermission",
                                        OperationType="remove", UserIds=[self.other])
        self.assertEqual(code_of(self.ec2b.describe_images, ImageIds=[self.ami]),
                         "InvalidAMIID.NotFound")
        # awscli's flat form of the launch permission, and reset
        r = harness.aws_cli(self.d, "ec2", "modify-image-attribute", "--image-id", self.ami,
                            "--launch-permission", "Add=[{UserId=%s}]" % self.other)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = harness.aws_cli(self.d, "ec2", "describe-image-attribute", "--image-id", self.ami,
                            "--attribute", "launchPermission")
        self.assertEqual(json.loads(r.stdout)["LaunchPermissions"], [{"UserId": self.other}])
        self.ec2.reset_image_attribute(ImageId=self.ami, Attribute="launchPermission")
        lp = self.ec2.describe_image_attribute(ImageId=self.ami, Attribute="launchPermission")
        self.assertEqual(lp["LaunchPermissions"], [])

    # -- DeregisterImage -------------------------------------------------------------------
    def test_deregister(self):
        with tempfile.NamedTemporaryFile("wb") as f:
            f.write(b"x")
            f.flush()
            gid = json.loads(osc(self.d.env, "image", "create", "--disk-format", "raw",
                                 "--container-format", "bare", "--private", "--file", f.name,
                                 "-f", "json", self.name + "-dereg"))["id"]
        self.created.append(gid)
        im = self.ec2.describe_images(Filters=[{"Name": "name",
                                                "Values": [self.name + "-dereg"]}])["Images"]
        ami = im[0]["ImageId"]
        self.assertEqual(code_of(self.ec2.deregister_image, ImageId=ami, DryRun=True),
                         "DryRunOperation")
        self.ec2.deregister_image(ImageId=ami)
        self.assertEqual(code_of(self.ec2.describe_images, ImageIds=[ami]),
                         "InvalidAMIID.NotFound")

    # -- RegisterImage and CopyImage ---------------------------------------------------------
    def test_register_ebs_and_copy(self):
        r = self.ec2.register_image(Name=self.name + "-ebs", RootDeviceName="/dev/vda",
                                    Architecture="x86_64", Description="ebs image",
                                    BlockDeviceMappings=[
                                        {"DeviceName": "/dev/vda", "Ebs": {"VolumeSize": 1}},
                                        {"DeviceName": "/dev/vdb", "VirtualName": "ephemeral0"}])
        ami = r["ImageId"]
        try:
            self.assertEqual(code_of(self.ec2.register_image, Name=self.name + "-ebs",
                                     RootDeviceName="/dev/vda", BlockDeviceMappings=[
                                         {"DeviceName": "/dev/vda", "Ebs": {"VolumeSize": 1}}]),
                             "InvalidAMIName.Duplicate")
            im = self.ec2.describe_images(ImageIds=[ami])["Images"][0]
            self.assertEqual(im["State"], "available")
            self.assertEqual(im["RootDeviceType"], "ebs")
            self.assertEqual(im["RootDeviceName"], "/dev/vda")
            self.assertEqual(im["Description"], "ebs image")
            self.assertEqual(len(im["BlockDeviceMappings"]), 2)
            c = self.ec2.copy_image(SourceImageId=ami, SourceRegion="RegionOne",
                                    Name=self.name + "-copy")
            try:
                cp = self.ec2.describe_images(ImageIds=[c["ImageId"]])["Images"][0]
                self.assertNotEqual(c["ImageId"], ami)
                self.assertEqual(cp["Name"], self.name + "-copy")
                self.assertEqual(cp["RootDeviceType"], "ebs")
            finally:
                self.ec2.deregister_image(ImageId=c["ImageId"])
        finally:
            self.ec2.deregister_image(ImageId=ami)
        # other regions and encryption are refused
        self.assertEqual(code_of(self.ec2.copy_image, SourceImageId=self.ami,
                                 SourceRegion="RegionTwo", Name="copy"), "InvalidParameterValue")
        self.assertEqual(code_of(self.ec2.copy_image, SourceImageId=self.ami,
                                 SourceRegion="RegionOne", Name="copy", Encrypted=True),
                         "InvalidParameterValue")
        self.assertEqual(code_of(self.ec2.copy_image, SourceImageId=self.ami,
                                 SourceRegion="RegionOne", Name="copy", KmsKeyId="alias/x"),
                         "InvalidParameterValue")

    def glance_image(self, ami):
        """Glance's view of an EC2 image (by its name: the EC2 id is ec2gw's)."""
        name = self.ec2.describe_images(ImageIds=[ami])["Images"][0]["Name"]
        listed = json.loads(osc(self.d.env, "image", "list", "--name", name, "-f", "json"))
        self.assertEqual(len(listed), 1, listed)
        return json.loads(osc(self.d.env, "image", "show", listed[0]["ID"], "-f", "json"))

    def test_copy_image_with_data(self):
        seeded = self.seeded()
        src = self.glance_image(seeded["ImageId"])
        name = self.name + "-datacopy"
        token = uuid.uuid4().hex
        c = self.ec2.copy_image(SourceImageId=seeded["ImageId"], SourceRegion="RegionOne",
                                Name=name, Description="copy of cirros", ClientToken=token)
        try:
            im = self.ec2.describe_images(ImageIds=[c["ImageId"]])["Images"][0]
            self.assertEqual(im["State"], "available")  # the answer came after the upload
            self.assertEqual(im["Name"], name)
            self.assertEqual(im["Description"], "copy of cirros")
            self.assertEqual(im["OwnerId"], self.me)
            self.assertFalse(im["Public"])
            dst = self.glance_image(c["ImageId"])
            for k in ("size", "checksum", "os_hash_algo", "os_hash_value", "disk_format",
                      "container_format"):
                # openstackclient shows os_hash_* among the properties
                self.assertEqual(dst.get(k, dst["properties"].get(k)),
                                 src.get(k, src["properties"].get(k)), k)
            self.assertEqual(dst["status"], "active")
            # ClientToken: the same answer again, and no second image
            again = self.ec2.copy_image(SourceImageId=seeded["ImageId"], SourceRegion="RegionOne",
                                        Name=name, Description="copy of cirros", ClientToken=token)
            self.assertEqual(again["ImageId"], c["ImageId"])
            listed = json.loads(osc(self.d.env, "image", "list", "--name", name, "-f", "json"))
            self.assertEqual(len(listed), 1)
            # the same token with other parameters is refused
            self.assertEqual(code_of(self.ec2.copy_image, SourceImageId=seeded["ImageId"],
                                     SourceRegion="RegionOne", Name=name + "-x",
                                     ClientToken=token), "IdempotentParameterMismatch")
        finally:
            self.ec2.deregister_image(ImageId=c["ImageId"])
        self.assertEqual(code_of(self.ec2.describe_images, ImageIds=[c["ImageId"]]),
                         "InvalidAMIID.NotFound")

    def test_register_existing_and_url(self):
        r = self.ec2.register_image(Name=self.name, ImageLocation="glance:" + self.glance_id)
        self.assertEqual(r["ImageId"], self.ami)
        self.assertEqual(code_of(self.ec2.register_image, Name="x-bundle",
                                 ImageLocation="bucket/image.manifest.xml"),
                         "InvalidParameterValue")
        self.assertEqual(code_of(self.ec2.register_image, Name="x-nothing"),
                         "InvalidParameterCombination")
        # web-download: this cloud's Glance filters every URI (no network), so the import is
        # refused; the image created for it must be deleted again (compensation)
        code = code_of(self.ec2.register_image, Name=self.name + "-url",
                       ImageLocation="http://127.0.0.1/none.img")
        self.assertIn(code, (None, "InvalidParameterValue"))
        left = self.ec2.describe_images(Owners=["self"], Filters=[
            {"Name": "name", "Values": [self.name + "-url"]}])["Images"]
        if code is None:  # a cloud that allows the URI: pending, then deregistered here
            self.assertIn(left[0]["State"], ("pending", "failed", "available"))
            self.ec2.deregister_image(ImageId=left[0]["ImageId"])
        else:
            self.assertEqual(left, [])

    # -- CreateImage (needs the compute plugin) ---------------------------------------------
    def test_create_image(self):
        if not self.with_compute:
            self.skipTest("the compute plugin (nova-v2.1) is not loaded")
        seeded = self.seeded()
        run = self.ec2.run_instances(ImageId=seeded["ImageId"], MinCount=1, MaxCount=1,
                                     InstanceType="m1.tiny")
        iid = run["Instances"][0]["InstanceId"]
        try:
            for _ in range(60):
                st = self.ec2.describe_instances(InstanceIds=[iid])
                if st["Reservations"][0]["Instances"][0]["State"]["Name"] == "running":
                    break
                time.sleep(1)
            r = self.ec2.create_image(InstanceId=iid, Name=self.name + "-snap", NoReboot=True,
                                      TagSpecifications=[{"ResourceType": "image",
                                                          "Tags": [{"Key": "k", "Value": "v"}]}])
            ami = r["ImageId"]
            self.assertTrue(ami.startswith("ami-"))
            im = self.ec2.describe_images(ImageIds=[ami])["Images"][0]
            self.assertEqual(im["Name"], self.name + "-snap")
            self.assertEqual(im["Tags"], [{"Key": "k", "Value": "v"}])
            # the cloud's fake hypervisor never uploads snapshot data: the image stays queued
            self.assertIn(im["State"], ("pending", "available"))
            self.ec2.deregister_image(ImageId=ami)
        finally:
            self.ec2.terminate_instances(InstanceIds=[iid])

    def wait_state(self, iid, want, seconds=90):
        for _ in range(seconds):
            st = self.ec2.describe_instances(InstanceIds=[iid])
            got = st["Reservations"][0]["Instances"][0]
            if got["State"]["Name"] == want:
                return got
            time.sleep(1)
        self.fail("instance %s is %s, not %s" % (iid, got["State"]["Name"], want))

    def nova_actions(self, reservation):
        """The Nova actions of the one instance of a reservation (its server is named
        <reservation id>-0 by the compute plugin), oldest first."""
        servers = json.loads(osc(self.d.env, "server", "list", "--name",
                                 "^%s-0$" % reservation, "-f", "json"))
        self.assertEqual(len(servers), 1, servers)
        events = json.loads(osc(self.d.env, "server", "event", "list", servers[0]["ID"],
                                "-f", "json"))
        # Nova lists newest first and its start times have whole seconds: reversing before the
        # stable sort keeps a stop and a createImage of the same second in their real order
        return [e["Action"] for e in sorted(reversed(events), key=lambda e: e["Start Time"])]

    def test_create_image_with_reboot(self):
        """Without NoReboot a running instance is stopped, imaged and started again; a stopped
        one is imaged as it is (awscli, whose create-image reboots by default)."""
        if not self.with_compute:
            self.skipTest("the compute plugin (nova-v2.1) is not loaded")
        seeded = self.seeded()
        run = self.ec2.run_instances(ImageId=seeded["ImageId"], MinCount=1, MaxCount=1,
                                     InstanceType="m1.tiny")
        iid, rid = run["Instances"][0]["InstanceId"], run["ReservationId"]
        amis = []
        try:
            self.wait_state(iid, "running")
            r = harness.aws_cli(self.d, "ec2", "create-image", "--instance-id", iid, "--name",
                                self.name + "-reboot", "--description", "with a reboot")
            self.assertEqual(r.returncode, 0, r.stderr)
            amis.append(json.loads(r.stdout)["ImageId"])
            self.assertTrue(amis[0].startswith("ami-"))
            self.wait_state(iid, "running", 60)  # started again
            actions = self.nova_actions(rid)
            self.assertEqual(actions[-3:], ["stop", "createImage", "start"], actions)
            im = self.ec2.describe_images(ImageIds=[amis[0]])["Images"][0]
            self.assertEqual(im["Name"], self.name + "-reboot")
            self.assertEqual(im["Description"], "with a reboot")
            self.assertIn(im["State"], ("pending", "available"))
            # a stopped instance: imaged directly, and it stays stopped
            self.ec2.stop_instances(InstanceIds=[iid])
            self.wait_state(iid, "stopped")
            r = self.ec2.create_image(InstanceId=iid, Name=self.name + "-stopped")
            amis.append(r["ImageId"])
            self.assertEqual(self.nova_actions(rid)[-2:], ["stop", "createImage"])
            time.sleep(2)
            st = self.ec2.describe_instances(InstanceIds=[iid])
            self.assertEqual(st["Reservations"][0]["Instances"][0]["State"]["Name"], "stopped")
            # a failing step (the name is taken) leaves the instance as it was
            self.ec2.start_instances(InstanceIds=[iid])
            self.wait_state(iid, "running")
            self.assertEqual(code_of(self.ec2.create_image, InstanceId=iid,
                                     Name=self.name + "-reboot"), "InvalidAMIName.Duplicate")
            self.assertEqual(self.wait_state(iid, "running")["State"]["Name"], "running")
        finally:
            for ami in amis:
                self.ec2.deregister_image(ImageId=ami)
            self.ec2.terminate_instances(InstanceIds=[iid])

    # -- bad input ---------------------------------------------------------------------------
    def test_bad_input(self):
        self.assertEqual(code_of(self.ec2.describe_images, ImageIds=["ami-zz"]),
                         "InvalidAMIID.Malformed")
        self.assertEqual(code_of(self.ec2.describe_images, ImageIds=["ami-00000001"]),
                         "InvalidAMIID.NotFound")
        self.assertEqual(code_of(self.ec2.deregister_image, ImageId="ami-00000001"),
                         "InvalidAMIID.NotFound")
        self.assertEqual(code_of(self.ec2.describe_image_attribute, ImageId=self.ami,
                                 Attribute="sriovNetSupport"), "InvalidParameterValue")
        self.assertEqual(code_of(self.ec2.describe_images,
                                 Filters=[{"Name": "no-such-filter", "Values": ["x"]}]),
                         "InvalidParameterValue")
        self.assertEqual(code_of(self.ec2.reset_image_attribute, ImageId=self.ami,
                                 Attribute="description"), "InvalidParameterValue")
        self.assertEqual(code_of(self.ec2.create_image, InstanceId="i-00000001", Name="xyz"),
                         "InvalidInstanceID.NotFound")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
