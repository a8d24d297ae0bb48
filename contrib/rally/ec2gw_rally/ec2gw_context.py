"""Rally context "ec2gw": EC2 credentials for each Rally user and the gateway's URL.

For every user of the task (Rally-created or the deployment's existing users) it makes an EC2
credential with Keystone's OS-EC2 API, with that user's own token, for the user's project; the
gateway's URL comes from the context's `url` or else from the Keystone catalog's `ec2` service.
Cleanup removes what the task's scenarios left through the gateway (instances, volumes and
security groups tagged or named with the task's uuid), then deletes the credentials.
"""
from rally.common import logging
from rally.common import validation
from rally import exceptions

from rally_openstack.common import osclients
from rally_openstack.task import context

import ec2gw_common

LOG = logging.getLogger(__name__)

IDENTITY = {"service_type": "identity", "interface": "public", "version": (3, 0)}


@validation.add("required_platform", platform="openstack", users=True)
@context.configure(name="ec2gw", platform="openstack", order=510)
class EC2gwCredentials(context.OpenStackContext):
    """EC2 credentials (Keystone OS-EC2) for each user and the ec2gw URL."""

    CONFIG_SCHEMA = {
        "type": "object",
        "properties": {
            "url": {"type": "string",
                    "description": "ec2gw's URL; empty: the catalog's ec2 service"},
            "region": {"type": "string"},
            "max_attempts": {"type": "integer", "minimum": 1},
            "read_timeout": {"type": "integer", "minimum": 1},
            "cleanup_timeout": {"type": "integer", "minimum": 1},
        },
        "additionalProperties": False,
    }
    DEFAULT_CONFIG = {"url": "", "region": "RegionOne", "max_attempts": 1,
                      "read_timeout": 120, "cleanup_timeout": 300}

    def _url(self, keystone):
        if self.config["url"]:
            return self.config["url"]
        try:
            return keystone.auth_ref.service_catalog.url_for(
                service_type="ec2", interface="public", region_name=self.config["region"])
        except Exception as e:
            raise exceptions.ContextSetupFailure(
                ctx_name=self.get_name(),
                msg="no ec2gw URL: the context has no 'url' and the Keystone catalog has no "
                    "public 'ec2' endpoint in %s (%s)" % (self.config["region"], e))

    def setup(self):
        task_id = self.get_owner_id()
        self.context["ec2gw"] = {"task_id": task_id, "group_prefix": "rally-%s-" % task_id}
        for user in self.context["users"]:
            keystone = osclients.Clients(user["credential"]).keystone
            sess, _ = keystone.get_session()
            user_id = keystone.auth_ref.user_id
            project_id = keystone.auth_ref.project_id
            resp = sess.post("/users/%s/credentials/OS-EC2" % user_id, endpoint_filter=IDENTITY,
                             json={"tenant_id": project_id})
            cred = resp.json()["credential"]
            LOG.info("ec2gw context: made EC2 credential %s for user %s"
                     % (cred["access"], user_id))
            user["ec2gw"] = {
                "url": self._url(keystone), "region": self.config["region"],
                "access": cred["access"], "secret": cred["secret"], "user_id": user_id,
                "max_attempts": self.config["max_attempts"],
                "read_timeout": self.config["read_timeout"]}
            self.context["ec2gw"]["url"] = user["ec2gw"]["url"]

    def cleanup(self):
        task_id = self.context.get("ec2gw", {}).get("task_id", self.get_owner_id())
        for user in self.context.get("users", []):
            ec2 = user.get("ec2gw")
            if not ec2:
                continue
            try:
                self._sweep(ec2gw_common.client(ec2), task_id)
            except Exception as e:
                LOG.error("ec2gw context: cleanup through ec2gw for user %s failed: %s"
                          % (ec2["user_id"], e))
            keystone = osclients.Clients(user["credential"]).keystone
            sess, _ = keystone.get_session()
            sess.delete("/users/%s/credentials/OS-EC2/%s" % (ec2["user_id"], ec2["access"]),
                        endpoint_filter=IDENTITY)
            LOG.info("ec2gw context: deleted EC2 credential %s" % ec2["access"])

    def _sweep(self, ec2, task_id):
        """Remove what failed iterations left: volumes detached, instances terminated, then
        volumes and security groups deleted."""
        timeout = self.config["cleanup_timeout"]
        tag = [{"Name": "tag:" + ec2gw_common.TAG_KEY, "Values": [task_id]}]
        vols = [v["VolumeId"] for v in ec2.describe_volumes(Filters=tag)["Volumes"]]
        for v in vols:
            try:
                ec2.detach_volume(VolumeId=v, Force=True)
            except Exception:
                pass  # not attached
        iids = [i["InstanceId"]
                for r in ec2.describe_instances(Filters=tag)["Reservations"]
                for i in r["Instances"] if i["State"]["Name"] != "terminated"]
        if iids:
            LOG.warning("ec2gw context: terminating leftover instances %s" % iids)
            ec2.terminate_instances(InstanceIds=iids)
        for v in vols:
            LOG.warning("ec2gw context: deleting leftover volume %s" % v)

            def deleted(v=v):
                code = _code_of(ec2.delete_volume, VolumeId=v)
                return code in (None, "InvalidVolume.NotFound")
            ec2gw_common.wait_for("delete " + v, deleted, timeout, 3)
        prefix = self.context["ec2gw"]["group_prefix"]
        for g in ec2.describe_security_groups()["SecurityGroups"]:
            if g["GroupName"].startswith(prefix):
                LOG.warning("ec2gw context: deleting leftover group %s" % g["GroupId"])
                ec2.delete_security_group(GroupId=g["GroupId"])


def _code_of(fn, **kw):
    try:
        fn(**kw)
        return None
    except Exception as e:
        return ec2gw_common.error_code(e) or repr(e)
