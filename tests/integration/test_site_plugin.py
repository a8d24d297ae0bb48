#!/usr/bin/env python3
"""A site plugin customising what the stock compute plugin sends to Nova (issue 16 #1): the
SDK example sdk/examples/site_boot (ABI 1.3 OpenStack request hooks) wrapping nova-v2.1 in a
real ec2gwd on the all-in-one cloud.

- enabled by one YAML line (`wrap: { compute: site-boot }`): awscli run-instances boots a
  server whose Nova metadata has site=cern (`openstack server show`), the instance carries the
  site tag (DescribeInstances), and the same ClientToken twice gives one reservation and one
  server through the wrapper;
- the long form with a setting: a Nova server group's uuid as the scheduler hint, and the
  server is a member of that group in Nova;
- an ABI 1.1 plugin (descriptor header and size as SDK 1.1 built them) still loads and wraps
  compute beside it; a plugin of another major and one of a newer minor are refused.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = harness.ROOT

# One source, three ABI headers: what SDK 1.1 wrote (the descriptor did not grow from 1.0 to
# 1.2, so its size is EC2GW_PLUGIN_SIZE_V1_0), a newer minor, another major.
ABI_PLUGIN = r"""
#include <ec2gw/plugin.h>

EC2GW_HOST_DECLARE;

static void
edit(ec2gw_req_t *req, json_t *model, void *arg)
{
    (void)arg;
    json_array_append_new(json_object_get(model, "AvailabilityZones"),
                          json_pack("{s:s, s:s, s:s}", "ZoneName", "abi-1-1-zone", "State",
                                    "available", "RegionName", "RegionOne"));
    ec2gw->finish(req, model);
}

static int
zones(ec2gw_req_t *req, void *inst)
{
    (void)inst;
    return ec2gw->delegate(req, edit, NULL);
}

static int
load(const ec2gw_host_api_t *host)
{
    ec2gw = host;
    return 0;
}

static const ec2gw_action_t actions[] = {
    { "DescribeAvailabilityZones", zones, EC2GW_ACT_READONLY }, { NULL, NULL, 0 }
};

EC2GW_EXPORT const ec2gw_plugin_t ec2gw_plugin = {
    .hdr = { EC2GW_PLUGIN_MAGIC, ABI_MAJOR, ABI_MINOR, ABI_SIZE },
    .name = "abi-test", .version = "1.1.0", .actions = actions, .load = load,
};
"""


def build_abi_plugin(tmp, name, major, minor, size):
    src = os.path.join(tmp, "abi_plugin.c")
    with open(src, "w") as f:
        f.write(ABI_PLUGIN)
    cflags = subprocess.run(["pkg-config", "--cflags", "jansson"], capture_output=True,
                            text=True, check=True).stdout.split()
    so = os.path.join(tmp, name + ".so")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-fPIC", "-shared",
                    "-fvisibility=hidden", "-I", os.path.join(ROOT, "sdk/include")] + cflags +
                   ["-DABI_MAJOR=%s" % major, "-DABI_MINOR=%s" % minor, "-DABI_SIZE=%s" % size,
                    src, "-o", so], check=True)
    os.chmod(so, 0o755)
    return so


def abi_minor():
    with open(os.path.join(ROOT, "sdk/include/ec2gw/plugin.h")) as f:
        for line in f:
            if line.startswith("#define EC2GW_ABI_MINOR"):
                return int(line.split()[2])
    raise AssertionError("no EC2GW_ABI_MINOR in plugin.h")


def osc(env, *args):
    """openstackclient as demo (Debian's python3: PATH reset, OS_* from the cloud)."""
    e = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    e.update({k: v for k, v in env.items() if k.startswith("OS_")})
    r = subprocess.run(["/usr/bin/openstack"] + list(args), capture_output=True, text=True,
                       env=e, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("openstack %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def stock_conf():
    """The project's compute and image instances, as shipped."""
    out = []
    for name in ("10-compute.yaml", "30-image.yaml"):
        with open(os.path.join(ROOT, "conf.d", name)) as f:
            out.append((name, f.read()))
    return out


def ami(ec2):
    imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["cirros-fake"]}])["Images"]
    assert imgs, "no cirros-fake image on the cloud"
    return imgs[0]["ImageId"]


def servers_of(nova, reservation_id):
    """Nova's servers of one EC2 reservation (the compute plugin's ec2_reservation_id)."""
    servers = nova.get("/servers/detail")["servers"]
    return [s for s in servers
            if s.get("metadata", {}).get("ec2_reservation_id") == reservation_id]


def tags_of(instance):
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def terminate(ec2, ids):
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=ids, WaiterConfig={"Delay": 2, "MaxAttempts": 90})


class OneLineSitePlugin(unittest.TestCase):
    """`wrap: { compute: site-boot }`: the example with its default settings (site cern)."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon(plugins=stock_conf() +
                               [("90-site.yaml", "wrap: { compute: site-boot }\n")]).start()
        cls.ec2 = harness.boto3_client(cls.d)
        cls.nova = harness.OpenStackAs(cls.d.env, "compute")
        cls.ids = []

    @classmethod
    def tearDownClass(cls):
        try:
            terminate(cls.ec2, cls.ids)
        finally:
            harness.stop_daemon(cls.d)

    def run_cli(self, image, token):
        r = harness.aws_cli(self.d, "ec2", "run-instances", "--image-id", image,
                            "--instance-type", "m1.tiny", "--count", "1", "--client-token",
                            token, "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_boot_metadata_tag_and_client_token(self):
        image = ami(self.ec2)
        token = "site-" + uuid.uuid4().hex
        first = self.run_cli(image, token)
        inst = first["Instances"][0]
        self.ids.append(inst["InstanceId"])
        # the site tag is in RunInstances' own answer ...
        self.assertEqual(tags_of(inst).get("site"), "cern")
        # ... and the same ClientToken again answers the same reservation, booting nothing
        again = self.run_cli(image, token)
        self.assertEqual(again["ReservationId"], first["ReservationId"])
        self.assertEqual([i["InstanceId"] for i in again["Instances"]], [inst["InstanceId"]])
        servers = servers_of(self.nova, first["ReservationId"])
        self.assertEqual(len(servers), 1, servers)
        # Nova has the site's metadata beside the compute plugin's own
        self.assertEqual(servers[0]["metadata"].get("site"), "cern")
        show = json.loads(osc(self.d.env, "server", "show", servers[0]["id"], "-f", "json"))
        props = show.get("properties")
        if isinstance(props, str):  # older openstackclients print key='value', ...
            self.assertIn("site='cern'", props)
        else:
            self.assertEqual(props.get("site"), "cern")
        # DescribeInstances shows the tag (from the tag store, not the boot's answer)
        desc = self.ec2.describe_instances(InstanceIds=[inst["InstanceId"]])
        self.assertEqual(tags_of(desc["Reservations"][0]["Instances"][0]).get("site"), "cern")
        desc = self.ec2.describe_instances(Filters=[{"Name": "tag:site", "Values": ["cern"]}])
        self.assertIn(inst["InstanceId"],
                      [i["InstanceId"] for r in desc["Reservations"] for i in r["Instances"]])


class SitePluginWithGroupAndOldAbi(unittest.TestCase):
    """The long form with settings (a server group as the scheduler hint), and an ABI 1.1
    plugin wrapping the site plugin by one more line."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ec2gw-site-it-")
        env = harness.cloud_env()
        cls.nova = harness.OpenStackAs(env, "compute")
        cls.group = cls.nova.post("/os-server-groups", {"server_group": {
            "name": "ec2gw-site-" + uuid.uuid4().hex[:8], "policies": ["affinity"]}})[
                "server_group"]["id"]
        old = build_abi_plugin(cls.tmp, "abi_1_1", 1, 1, "EC2GW_PLUGIN_SIZE_V1_0")
        site = ("plugin: site-boot\ninstance: site\nwraps: compute\nsettings:\n"
                "  site: cern-b\n  server_group: %s\n" % cls.group)
        cls.d = harness.Daemon(plugins=stock_conf() + [
            ("90-site.yaml", site), ("95-old.yaml", "wrap: { site: %s }\n" % old)]).start()
        cls.ec2 = harness.boto3_client(cls.d)
        cls.ids = []

    @classmethod
    def tearDownClass(cls):
        try:
            terminate(cls.ec2, cls.ids)
        finally:
            try:
                harness.stop_daemon(cls.d)
            finally:
                cls.nova.delete("/os-server-groups/" + cls.group)
                subprocess.run(["rm", "-rf", cls.tmp], check=False)

    def test_scheduler_hint_puts_the_server_in_the_group(self):
        res = self.ec2.run_instances(ImageId=ami(self.ec2), MinCount=1, MaxCount=1,
                                     InstanceType="m1.tiny", TagSpecifications=[{
                                         "ResourceType": "instance",
                                         "Tags": [{"Key": "Name", "Value": "site-it"}]}])
        inst = res["Instances"][0]
        self.ids.append(inst["InstanceId"])
        self.assertEqual(tags_of(inst), {"Name": "site-it", "site": "cern-b"})
        servers = servers_of(self.nova, res["ReservationId"])
        self.assertEqual(len(servers), 1)
        self.assertEqual(servers[0]["metadata"].get("site"), "cern-b")
        members = self.nova.get("/os-server-groups/" + self.group)["server_group"]["members"]
        self.assertEqual(members, [servers[0]["id"]])

    def test_abi_1_1_plugin_loads_and_serves(self):
        zones = [z["ZoneName"] for z in
                 self.ec2.describe_availability_zones()["AvailabilityZones"]]
        self.assertIn("nova", zones)  # compute answered, through site-boot's instance
        self.assertIn("abi-1-1-zone", zones)  # and the 1.1 wrapper edited it

    def test_wrong_major_and_newer_minor_are_refused(self):
        for name, major, minor, want in (
                ("abi_2_0", 2, 0, "built for ABI 2.0, this ec2gwd provides ABI 1."),
                ("abi_next", 1, "(EC2GW_ABI_MINOR + 1)", "rebuild the plugin against SDK 1.")):
            so = build_abi_plugin(self.tmp, name, major, minor, "sizeof(ec2gw_plugin_t)")
            d = harness.Daemon(plugins=stock_conf() + [("95-x.yaml",
                                                        "wrap: { compute: %s }\n" % so)])
            try:
                p = subprocess.run(
                    [os.path.join(harness.BUILD, "daemon/ec2gwd"), "-c", d.conf,
                     "--check-config", "--plugin-dir", os.path.join(harness.BUILD, "plugins")],
                    capture_output=True, text=True,
                    env=dict(os.environ, EC2GW_SERVICE_PASSWORD="x"))
            finally:
                d.cleanup()
            out = p.stdout + p.stderr
            self.assertEqual(p.returncode, 1, out)
            self.assertIn(so, out)
            self.assertIn(want, out)
        self.assertIn("built for ABI 1.%d" % (abi_minor() + 1), out)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
