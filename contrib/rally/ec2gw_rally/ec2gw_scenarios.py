"""Rally scenarios driving ec2gw with boto3, as the users of the "ec2gw" context.

Each EC2 call (and each wait for a state) is one atomic action, so Rally's HTML report charts
them. Every resource is tagged (or, for security groups, named) with the task's uuid, and
removed again by the iteration itself, or else by the context's cleanup.
"""
from rally.task import atomic
from rally.task import validation

from rally_openstack.task import scenario

import ec2gw_common

wait_for = ec2gw_common.wait_for


class EC2gwScenario(scenario.OpenStackScenario):
    """Base: a boto3 client for this iteration's user, and the timed helpers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ec2 = None

    @property
    def ec2(self):
        if self._ec2 is None:
            self._ec2 = ec2gw_common.client(self.context["user"]["ec2gw"])
        return self._ec2

    @property
    def task_id(self):
        return self.context["ec2gw"]["task_id"]

    def _image_id(self, image_name):
        with atomic.ActionTimer(self, "ec2.describe_images_by_name"):
            imgs = self.ec2.describe_images(
                Filters=[{"Name": "name", "Values": [image_name]}])["Images"]
        if not imgs:
            raise ValueError("no image named %r in DescribeImages" % image_name)
        return imgs[0]["ImageId"]

    def _states(self, ids):
        out = self.ec2.describe_instances(InstanceIds=ids)
        return {i["InstanceId"]: i["State"]["Name"]
                for r in out["Reservations"] for i in r["Instances"]}

    def _boot(self, image_id, instance_type, count, timeout, poll):
        with atomic.ActionTimer(self, "ec2.run_instances"):
            out = self.ec2.run_instances(
                ImageId=image_id, InstanceType=instance_type, MinCount=count, MaxCount=count,
                TagSpecifications=ec2gw_common.tag_spec("instance", self.task_id))
        ids = [i["InstanceId"] for i in out["Instances"]]
        if len(ids) != count:
            raise ValueError("RunInstances answered %d instances, asked %d" % (len(ids), count))
        return ids

    def _wait_running(self, ids, timeout, poll):
        def running():
            states = self._states(ids)
            bad = {i: s for i, s in states.items() if s not in ("pending", "running")}
            if bad:
                raise ValueError("instances left pending for %s" % bad)
            return len(states) == len(ids) and all(s == "running" for s in states.values())
        with atomic.ActionTimer(self, "ec2.wait_running"):
            wait_for("%s running" % ids, running, timeout, poll)

    def _terminate(self, ids, timeout, poll):
        with atomic.ActionTimer(self, "ec2.terminate_instances"):
            self.ec2.terminate_instances(InstanceIds=ids)

        def gone():
            try:
                states = self._states(ids)
            except Exception as e:
                if ec2gw_common.error_code(e) == "InvalidInstanceID.NotFound":
                    return True
                raise
            return all(s == "terminated" for s in states.values())
        with atomic.ActionTimer(self, "ec2.wait_terminated"):
            wait_for("%s terminated" % ids, gone, timeout, poll)


@validation.add("required_platform", platform="openstack", users=True)
@scenario.configure(name="EC2gw.boot_describe_terminate", context={"ec2gw": {}},
                    platform="openstack")
class BootDescribeTerminate(EC2gwScenario):

    def run(self, image_name="cirros-fake", instance_type="m1.tiny", count=1, timeout=300,
            poll=2):
        """RunInstances, wait running (DescribeInstances), find them by tag,
        TerminateInstances and wait until they are gone.

        :param image_name: the image's name (DescribeImages filter name)
        :param instance_type: EC2 instance type (a Nova flavor name)
        :param count: instances per RunInstances
        :param timeout: seconds each wait may take
        :param poll: seconds between DescribeInstances polls
        """
        ids = self._boot(self._image_id(image_name), instance_type, count, timeout, poll)
        try:
            self._wait_running(ids, timeout, poll)
            with atomic.ActionTimer(self, "ec2.describe_instances_by_tag"):
                out = self.ec2.describe_instances(Filters=[
                    {"Name": "tag:" + ec2gw_common.TAG_KEY, "Values": [self.task_id]},
                    {"Name": "instance-state-name", "Values": ["running"]}])
            found = {i["InstanceId"] for r in out["Reservations"] for i in r["Instances"]}
            self.assertTrue(set(ids) <= found,
                            "tag filter found %s, not all of %s" % (sorted(found), ids))
        finally:
            self._terminate(ids, timeout, poll)


@validation.add("required_platform", platform="openstack", users=True)
@scenario.configure(name="EC2gw.describe_instances", context={"ec2gw": {}},
                    platform="openstack")
class DescribeInstances(EC2gwScenario):

    def run(self, repeat=1):
        """DescribeInstances of the user's project (run it under concurrency).

        :param repeat: calls per iteration, each timed
        """
        for _ in range(repeat):
            with atomic.ActionTimer(self, "ec2.describe_instances"):
                self.ec2.describe_instances()


@validation.add("required_platform", platform="openstack", users=True)
@scenario.configure(name="EC2gw.create_attach_delete_volume", context={"ec2gw": {}},
                    platform="openstack")
class CreateAttachDeleteVolume(EC2gwScenario):

    def _volume(self, vid):
        return self.ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]

    def _wait_volume(self, vid, state, attached, timeout, poll):
        def reached():
            v = self._volume(vid)
            if v["State"] == "error":
                raise ValueError("volume %s went to error" % vid)
            att = [a["State"] for a in v.get("Attachments", [])]
            return v["State"] == state and (att == ["attached"] if attached else not att)
        wait_for("%s %s" % (vid, state), reached, timeout, poll)

    def run(self, size=1, availability_zone="nova", device="/dev/sdf",
            image_name="cirros-fake", instance_type="m1.tiny", timeout=300, poll=2):
        """Boot an instance; CreateVolume, wait available, AttachVolume, wait in-use,
        DetachVolume, wait available, DeleteVolume, wait gone; terminate the instance.

        :param size: volume size in GiB
        :param availability_zone: the volume's zone
        :param device: AttachVolume's device name
        :param image_name: the instance's image name
        :param instance_type: the instance's type
        :param timeout: seconds each wait may take
        :param poll: seconds between polls
        """
        ids = self._boot(self._image_id(image_name), instance_type, 1, timeout, poll)
        vid = None
        try:
            self._wait_running(ids, timeout, poll)
            with atomic.ActionTimer(self, "ec2.create_volume"):
                vid = self.ec2.create_volume(
                    Size=size, AvailabilityZone=availability_zone,
                    TagSpecifications=ec2gw_common.tag_spec("volume", self.task_id))["VolumeId"]
            with atomic.ActionTimer(self, "ec2.wait_volume_available"):
                self._wait_volume(vid, "available", False, timeout, poll)
            with atomic.ActionTimer(self, "ec2.attach_volume"):
                self.ec2.attach_volume(VolumeId=vid, InstanceId=ids[0], Device=device)
            with atomic.ActionTimer(self, "ec2.wait_volume_in_use"):
                self._wait_volume(vid, "in-use", True, timeout, poll)
            with atomic.ActionTimer(self, "ec2.detach_volume"):
                self.ec2.detach_volume(VolumeId=vid)
            with atomic.ActionTimer(self, "ec2.wait_volume_detached"):
                self._wait_volume(vid, "available", False, timeout, poll)
            with atomic.ActionTimer(self, "ec2.delete_volume"):
                self.ec2.delete_volume(VolumeId=vid)
            deleted, vid = vid, None

            def gone():
                try:
                    return self._volume(deleted)["State"] == "deleted"
                except Exception as e:
                    if ec2gw_common.error_code(e) == "InvalidVolume.NotFound":
                        return True
                    raise
            with atomic.ActionTimer(self, "ec2.wait_volume_deleted"):
                wait_for("%s deleted" % deleted, gone, timeout, poll)
        finally:
            if vid is not None:  # a failed step: the context's cleanup deletes the volume
                try:
                    self.ec2.detach_volume(VolumeId=vid, Force=True)
                except Exception:
                    pass
            self._terminate(ids, timeout, poll)


@validation.add("required_platform", platform="openstack", users=True)
@scenario.configure(name="EC2gw.security_group_churn", context={"ec2gw": {}},
                    platform="openstack")
class SecurityGroupChurn(EC2gwScenario):

    def run(self, rules=3):
        """CreateSecurityGroup, AuthorizeSecurityGroupIngress (rules ports), check them in
        DescribeSecurityGroups, RevokeSecurityGroupIngress, DeleteSecurityGroup.

        :param rules: ingress rules (TCP ports 2000..) to authorize and revoke
        """
        name = self.context["ec2gw"]["group_prefix"] + self.generate_random_name()
        perms = [{"IpProtocol": "tcp", "FromPort": 2000 + i, "ToPort": 2000 + i,
                  "IpRanges": [{"CidrIp": "192.0.2.0/24"}]} for i in range(rules)]
        with atomic.ActionTimer(self, "ec2.create_security_group"):
            gid = self.ec2.create_security_group(
                GroupName=name, Description="ec2gw rally churn")["GroupId"]
        try:
            with atomic.ActionTimer(self, "ec2.authorize_security_group_ingress"):
                self.ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
            with atomic.ActionTimer(self, "ec2.describe_security_groups"):
                g = self.ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
            ports = sorted(p["FromPort"] for p in g["IpPermissions"] if p.get("FromPort"))
            self.assertEqual(ports, [2000 + i for i in range(rules)])
            with atomic.ActionTimer(self, "ec2.revoke_security_group_ingress"):
                self.ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=perms)
        finally:
            with atomic.ActionTimer(self, "ec2.delete_security_group"):
                self.ec2.delete_security_group(GroupId=gid)


@validation.add("required_platform", platform="openstack", users=True)
@scenario.configure(name="EC2gw.describe_images", context={"ec2gw": {}},
                    platform="openstack")
class DescribeImages(EC2gwScenario):

    def run(self, image_name=None):
        """DescribeImages (every image, or those with image_name, which must be found).

        :param image_name: optional name filter; the answer must then hold that image
        """
        kw = {}
        if image_name:
            kw["Filters"] = [{"Name": "name", "Values": [image_name]}]
        with atomic.ActionTimer(self, "ec2.describe_images"):
            imgs = self.ec2.describe_images(**kw)["Images"]
        if image_name:
            self.assertTrue(imgs, "no image named %r" % image_name)
