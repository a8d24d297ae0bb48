#!/usr/bin/env python3
"""Apache libcloud's EC2 NodeDriver (Debian python3-libcloud) against the daemon.

clients/libcloud/workflow.py runs under Debian's /usr/bin/python3 (where apt puts libcloud):
region us-east-1, so SigV2 and every call a GET with the parameters in the URL, API version
2016-11-15, a strict namespace check. libcloud only knows AWS region names and filters
DescribeAvailabilityZones by its own, so the daemon's region is us-east-1 here.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "clients"))
import clientrun  # noqa: E402
import harness  # noqa: E402

D = None
STEPS = ["signature", "list_locations", "list_images", "list_sizes", "create_key_pair",
         "import_key_pair_from_string", "list_key_pairs", "get_key_pair", "create_node",
         "wait_until_running", "list_nodes filter", "node extra", "ex_get_console_output",
         "ex_create_tags/ex_describe_tags", "ex_delete_tags", "stop_node", "stopped",
         "start_node", "running again", "reboot_node", "unknown instance", "unknown key pair",
         "terminated", "delete_key_pair", "key pairs gone"]
NET_STEPS = ["ex_create_security_group", "ex_authorize_security_group_ingress",
             "ex_allocate_address", "ex_associate_address_with_node", "ex_release_address",
             "ex_delete_security_group_by_id"]


def setUpModule():
    global D
    D = clientrun.start_daemon(region="us-east-1")


def tearDownModule():
    if D is not None:
        D.stop()
        D.cleanup()


class Libcloud(unittest.TestCase):
    def test_workflow(self):
        self.assertTrue(os.path.exists("/usr/lib/python3/dist-packages/libcloud"),
                        "python3-libcloud is not installed (tools/deps.sh --test installs it)")
        net = clientrun.network_served(D)
        script = os.path.join(HERE, "clients/libcloud/workflow.py")
        clientrun.run(self, D, ["/usr/bin/python3", script], STEPS + (NET_STEPS if net else []),
                      env_extra={"EC2GW_NETWORK": "1" if net else "0"})


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
