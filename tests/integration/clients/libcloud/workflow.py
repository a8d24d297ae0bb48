#!/usr/bin/python3
"""The batch-system workflow through Apache libcloud's EC2 NodeDriver (Debian python3-libcloud).

Run by tests/integration/test_client_libcloud.py with Debian's /usr/bin/python3. The driver is
used as a libcloud user would: region us-east-1 (SigV2, every call a GET), host/port/secure=False.
Environment: EC2GW_HOST, EC2GW_PORT, EC2GW_ACCESS_KEY, EC2GW_SECRET_KEY, EC2GW_RUN (a unique
prefix for names), EC2GW_NETWORK=1 to also drive security groups and addresses. Prints one
line per step ("ok STEP<tab>detail" or "FAIL STEP<tab>detail") and exits 1 if a step failed.
"""
import os
import sys
import time

import libcloud
from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.drivers.ec2 import EC2NodeDriver
from libcloud.compute.types import KeyPairDoesNotExistError, NodeState

E = os.environ
RUN = E["EC2GW_RUN"]
FAILED = []
PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0SQ1/b5qx5JDVc+kSgsx0JeN+mWZ0hUuvmFa5CnEX it"


def step(name, cond, detail=""):
    print("%s %s\t%s" % ("ok" if cond else "FAIL", name, detail), flush=True)
    if not cond:
        FAILED.append(name)
    return cond


def wait_state(drv, ids, state, timeout=300):
    """list_nodes until every node of ids is in state; the nodes, or None on timeout."""
    end = time.time() + timeout
    while time.time() < end:
        nodes = drv.list_nodes(ex_node_ids=ids)
        if len(nodes) == len(ids) and all(n.state == state for n in nodes):
            return nodes
        time.sleep(2)
    return None


def network_steps(drv, node):
    """Security group and elastic address calls of the ex_ API."""
    gname = RUN + "-sg"
    sg = drv.ex_create_security_group(gname, "libcloud test group")
    gid = sg["group_id"]
    step("ex_create_security_group", gid.startswith("sg-"), gid)
    drv.ex_authorize_security_group_ingress(gid, 22, 22, cidr_ips=["10.0.0.0/8"])
    groups = drv.ex_get_security_groups(group_ids=[gid])
    rules = groups[0].ingress_rules if groups else []
    step("ex_authorize_security_group_ingress",
         any(str(r["from_port"]) == "22" and "10.0.0.0/8" in r["cidr_ips"] for r in rules), str(rules))
    addr = drv.ex_allocate_address()
    step("ex_allocate_address", bool(addr.ip), addr.ip)
    drv.ex_associate_address_with_node(node, addr)
    mapped = drv.ex_describe_addresses([node])[node.id]
    step("ex_associate_address_with_node", addr.ip in mapped, str(mapped))
    drv.ex_disassociate_address(addr)
    step("ex_release_address", drv.ex_release_address(addr))
    return gid


def main():
    drv = EC2NodeDriver(E["EC2GW_ACCESS_KEY"], E["EC2GW_SECRET_KEY"], secure=False,
                        host=E["EC2GW_HOST"], port=int(E["EC2GW_PORT"]))
    # us-east-1 is a SigV2 region in libcloud's table; its EC2 connection issues only GETs
    step("signature", drv.signature_version == "2" and drv.connection.version == "2016-11-15",
         "libcloud %s, SigV%s, GET, API version %s" %
         (libcloud.__version__, drv.signature_version, drv.connection.version))

    locs = drv.list_locations()
    step("list_locations", [loc.name for loc in locs] == ["nova"], str(locs))
    images = drv.list_images(ex_filters={"name": "cirros-fake"})
    step("list_images", len(images) == 1 and images[0].id.startswith("ami-"), str(images))
    sizes = {s.id: s for s in drv.list_sizes()}
    step("list_sizes", "t2.micro" in sizes, "%d sizes" % len(sizes))

    kname, iname = RUN + "-key", RUN + "-imp"
    kp = drv.create_key_pair(kname)
    step("create_key_pair", "PRIVATE KEY" in (kp.private_key or ""), kp.fingerprint)
    imp = drv.import_key_pair_from_string(iname, PUB)
    step("import_key_pair_from_string", imp.name == iname, imp.fingerprint)
    names = [k.name for k in drv.list_key_pairs()]
    step("list_key_pairs", kname in names and iname in names)
    step("get_key_pair", drv.get_key_pair(iname).name == iname)

    nodes = drv.create_node(name=RUN, size=sizes["t2.micro"], image=images[0], location=locs[0],
                            ex_keyname=kname, ex_userdata="#!/bin/sh\necho hello from libcloud\n",
                            ex_mincount=2, ex_maxcount=2, ex_metadata={"batch": RUN})
    ids = [n.id for n in nodes] if isinstance(nodes, list) else [nodes.id]
    step("create_node", len(ids) == 2 and all(i.startswith("i-") for i in ids), str(ids))
    try:
        up = drv.wait_until_running(nodes, wait_period=2, timeout=300,
                                    ssh_interface="private_ips")
        step("wait_until_running", len(up) == 2, str([n.private_ips for n, _ in up]))
    except Exception as e:  # libcloud raises a plain LibcloudError on timeout
        step("wait_until_running", False, repr(e))

    found = drv.list_nodes(ex_filters={"tag:Name": RUN, "instance-state-name": "running"})
    step("list_nodes filter", sorted(n.id for n in found) == sorted(ids),
         str([(n.id, n.name, n.extra.get("tags")) for n in found]))
    node = found[0] if found else drv.list_nodes(ex_node_ids=ids[:1])[0]
    step("node extra", node.extra.get("key_name") == kname and
         node.extra.get("instance_type") == "t2.micro" and node.name == RUN,
         "%s %s" % (node.extra.get("key_name"), node.extra.get("instance_type")))
    out = drv.ex_get_console_output(node)
    step("ex_get_console_output", out["instance_id"] == node.id and
         "FAKE CONSOLE OUTPUT" in (out["output"] or ""), repr((out["output"] or "")[:40]))

    drv.ex_create_tags(node, {"stage": "stopped-once", "empty": ""})
    tags = drv.ex_describe_tags(node)
    step("ex_create_tags/ex_describe_tags", tags.get("stage") == "stopped-once" and
         tags.get("Name") == RUN and tags.get("empty") in ("", None), str(tags))
    step("ex_delete_tags", drv.ex_delete_tags(node, {"empty": ""}) and
         "empty" not in drv.ex_describe_tags(node))

    step("stop_node", drv.stop_node(node))
    step("stopped", wait_state(drv, [node.id], NodeState.STOPPED) is not None)
    step("start_node", drv.start_node(node))
    step("running again", wait_state(drv, [node.id], NodeState.RUNNING) is not None)
    step("reboot_node", drv.reboot_node(node))

    gid = None
    if E.get("EC2GW_NETWORK") == "1":
        gid = network_steps(drv, node)

    # the error path: libcloud's own exceptions, not parse failures
    try:
        drv.list_nodes(ex_node_ids=["i-0123456789abcdef0"])
        step("unknown instance", False, "no error")
    except BaseHTTPError as e:
        step("unknown instance", e.code == 400 and "InvalidInstanceID.NotFound" in e.message,
             "%s %s" % (e.code, e.message))
    try:
        drv.get_key_pair(RUN + "-nope")
        step("unknown key pair", False, "no error")
    except KeyPairDoesNotExistError as e:
        step("unknown key pair", e.name == RUN + "-nope", repr(e))

    for n in drv.list_nodes(ex_node_ids=ids):
        step("destroy_node %s" % n.id, drv.destroy_node(n))
    step("terminated", wait_state(drv, ids, NodeState.TERMINATED) is not None)
    if gid is not None:
        step("ex_delete_security_group_by_id", drv.ex_delete_security_group_by_id(gid))
    step("delete_key_pair", drv.delete_key_pair(kp) and drv.delete_key_pair(imp))
    left = [k.name for k in drv.list_key_pairs()]
    step("key pairs gone", kname not in left and iname not in left)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
