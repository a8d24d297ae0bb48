#!/usr/bin/python3
"""The batch-system workflow through boto 2 (Debian python3-boto 2.49) as old tooling uses it.

Run by tests/integration/test_client_boto2.py with Debian's /usr/bin/python3. The main
connection is boto.connect_ec2_endpoint(url) (Rally, HTCondor-era scripts): boto 2.49 signs
EC2 with SigV4 (region and service guessed from the host name: "0" and "127" for 127.0.0.1)
and sends API version 2014-10-01. A second connection signs with SigV2 ("ec2" capability,
what boto 2 releases before 2.25 and Eucalyptus-era tools used) and repeats the reads and the
error path. Environment and output as in clients/clientrun.py.
"""
import base64
import os
import sys
import time

import boto
import boto.ec2.connection
from boto.ec2.regioninfo import RegionInfo
from boto.exception import EC2ResponseError

E = os.environ
RUN = E["EC2GW_RUN"]
FAILED = []
PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0SQ1/b5qx5JDVc+kSgsx0JeN+mWZ0hUuvmFa5CnEX it"
USER_DATA = "#!/bin/sh\necho hello from boto 2\n"


def step(name, cond, detail=""):
    print("%s %s\t%s" % ("ok" if cond else "FAIL", name, detail), flush=True)
    if not cond:
        FAILED.append(name)
    return cond


class SigV2Connection(boto.ec2.connection.EC2Connection):
    """boto 2 before 2.25 (and euca2ools' boto) signed EC2 with SignatureVersion 2."""

    def _required_auth_capability(self):
        return ["ec2"]


def wait(instances, state, timeout=300):
    """instance.update() polling, as boto 2 scripts do."""
    end = time.time() + timeout
    while time.time() < end:
        if all(i.update() == state for i in instances):
            return True
        time.sleep(2)
    return False


def not_found(fn, code):
    try:
        fn()
        return "no error"
    except EC2ResponseError as e:
        return "" if (e.status, e.error_code) == (400, code) else "%s %s" % (e.status, e.error_code)


def network_steps(conn, inst):
    gname = RUN + "-sg"
    sg = conn.create_security_group(gname, "boto 2 test group")
    step("create_security_group", sg.id.startswith("sg-"), sg.id)
    step("authorize_security_group",
         conn.authorize_security_group(group_id=sg.id, ip_protocol="tcp", from_port=22,
                                       to_port=22, cidr_ip="10.0.0.0/8"))
    got = conn.get_all_security_groups(group_ids=[sg.id])[0]
    step("get_all_security_groups", any(r.from_port == "22" and "10.0.0.0/8" in
                                        [str(g) for g in r.grants] for r in got.rules),
         str([(r.ip_protocol, r.from_port, r.grants) for r in got.rules]))
    addr = conn.allocate_address(domain="vpc")
    step("allocate_address", bool(addr.public_ip) and bool(addr.allocation_id), addr.public_ip)
    step("associate_address", conn.associate_address(instance_id=inst.id,
                                                     allocation_id=addr.allocation_id))
    got = conn.get_all_addresses(allocation_ids=[addr.allocation_id])[0]
    step("get_all_addresses", got.instance_id == inst.id, str(got.instance_id))
    step("disassociate_address", conn.disassociate_address(association_id=got.association_id))
    step("release_address", conn.release_address(allocation_id=addr.allocation_id))
    return sg


def sigv2_steps(inst_id):
    url = E["EC2GW_URL"]
    conn = SigV2Connection(E["EC2GW_ACCESS_KEY"], E["EC2GW_SECRET_KEY"], is_secure=False,
                           region=RegionInfo(name="us-east-1", endpoint=E["EC2GW_HOST"]),
                           port=int(E["EC2GW_PORT"]), path="/")
    step("sigv2 connection", conn._auth_handler.__class__.__name__ ==
         "QuerySignatureV2AuthHandler", "%s %s" % (url, conn._auth_handler.__class__.__name__))
    step("sigv2 get_all_zones", [z.name for z in conn.get_all_zones()] == ["nova"])
    got = conn.get_only_instances(instance_ids=[inst_id])
    step("sigv2 get_only_instances", [i.id for i in got] == [inst_id])
    step("sigv2 unknown instance", not_found(
        lambda: conn.get_only_instances(instance_ids=["i-0123456789abcdef0"]),
        "InvalidInstanceID.NotFound") == "")


def main():
    conn = boto.connect_ec2_endpoint(E["EC2GW_URL"], E["EC2GW_ACCESS_KEY"],
                                     E["EC2GW_SECRET_KEY"])
    handler = conn._auth_handler.__class__.__name__
    step("connect_ec2_endpoint", conn.APIVersion == "2014-10-01" and handler == "HmacAuthV4Handler",
         "boto %s, %s, API version %s" % (boto.__version__, handler, conn.APIVersion))

    zones = conn.get_all_zones()
    step("get_all_zones", [z.name for z in zones] == ["nova"] and zones[0].state == "available")
    images = conn.get_all_images(filters={"name": "cirros-fake"})
    step("get_all_images", len(images) == 1 and images[0].id.startswith("ami-"), str(images))
    kname, iname = RUN + "-key", RUN + "-imp"
    kp = conn.create_key_pair(kname)
    step("create_key_pair", "PRIVATE KEY" in kp.material, kp.fingerprint)
    imp = conn.import_key_pair(iname, PUB.encode())
    step("import_key_pair", imp.name == iname, imp.fingerprint)
    got = conn.get_all_key_pairs(keynames=[kname, iname])
    step("get_all_key_pairs", sorted(k.name for k in got) == sorted([kname, iname]))

    res = conn.run_instances(images[0].id, min_count=2, max_count=2, key_name=kname,
                             user_data=USER_DATA, instance_type="t2.micro", placement="nova")
    insts = res.instances
    ids = [i.id for i in insts]
    step("run_instances", len(ids) == 2 and res.id.startswith("r-"), "%s %s" % (res.id, ids))
    step("create_tags", conn.create_tags(ids, {"Name": RUN, "batch": RUN, "empty": ""}))
    step("running", wait(insts, "running"), str([i.private_ip_address for i in insts]))

    got = conn.get_only_instances(filters={"tag:batch": RUN, "instance-state-name": "running"})
    step("get_only_instances filter", sorted(i.id for i in got) == sorted(ids),
         str([(i.id, i.tags) for i in got]))
    inst = insts[0]
    inst.update()
    step("instance fields", inst.key_name == kname and inst.instance_type == "t2.micro" and
         inst.placement == "nova" and inst.tags.get("Name") == RUN and
         inst.image_id == images[0].id, "%s %s %s" % (inst.key_name, inst.placement, inst.tags))
    attr = conn.get_instance_attribute(inst.id, "userData")
    step("get_instance_attribute userData",
         base64.b64decode(attr["userData"]).decode() == USER_DATA, str(attr))
    out = conn.get_console_output(inst.id)
    step("get_console_output", "FAKE CONSOLE OUTPUT" in out.output.decode(),
         repr(out.output[:30]))
    tags = {t.name: t.value for t in conn.get_all_tags(filters={"resource-id": inst.id})}
    step("get_all_tags", tags == {"Name": RUN, "batch": RUN, "empty": ""}, str(tags))
    step("delete_tags", conn.delete_tags([inst.id], {"empty": None}) and
         "empty" not in {t.name for t in conn.get_all_tags(filters={"resource-id": inst.id})})

    stopped = conn.stop_instances([inst.id])
    step("stop_instances", [i.id for i in stopped] == [inst.id])
    step("stopped", wait([inst], "stopped"))
    started = conn.start_instances([inst.id])
    step("start_instances", [i.id for i in started] == [inst.id])
    step("running again", wait([inst], "running"))
    step("reboot_instances", conn.reboot_instances([insts[1].id]))

    sg = network_steps(conn, inst) if E.get("EC2GW_NETWORK") == "1" else None

    step("unknown instance", not_found(
        lambda: conn.get_only_instances(instance_ids=["i-0123456789abcdef0"]),
        "InvalidInstanceID.NotFound") == "")
    step("unknown key pair", not_found(lambda: conn.get_all_key_pairs(keynames=[RUN + "-nope"]),
                                       "InvalidKeyPair.NotFound") == "")
    sigv2_steps(inst.id)

    gone = conn.terminate_instances(ids)
    step("terminate_instances", sorted(i.id for i in gone) == sorted(ids))
    step("terminated", wait(insts, "terminated"))
    if sg is not None:
        step("delete_security_group", conn.delete_security_group(group_id=sg.id))
    step("delete_key_pair", conn.delete_key_pair(kname) and conn.delete_key_pair(iname))
    left = [k.name for k in conn.get_all_key_pairs()]
    step("key pairs gone", kname not in left and iname not in left)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
