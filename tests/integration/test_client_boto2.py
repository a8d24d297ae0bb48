#!/usr/bin/env python3
"""boto 2 (Debian python3-boto 2.49, importable by Debian's /usr/bin/python3) against the daemon.

clients/boto2/workflow.py connects with boto.connect_ec2_endpoint (SigV4 with the region and
service boto guesses from the host name, API version 2014-10-01, POST) and repeats the reads
and the error path over a SigV2 connection, as boto 2 before 2.25 and euca2ools signed.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "clients"))
import clientrun  # noqa: E402
import harness  # noqa: E402

D = None
STEPS = ["connect_ec2_endpoint", "get_all_zones", "get_all_images", "create_key_pair",
         "import_key_pair", "get_all_key_pairs", "run_instances", "create_tags", "running",
         "get_only_instances filter", "instance fields", "get_instance_attribute userData",
         "get_console_output", "get_all_tags", "delete_tags", "stop_instances", "stopped",
         "start_instances", "running again", "reboot_instances", "unknown instance",
         "unknown key pair", "sigv2 connection", "sigv2 get_all_zones",
         "sigv2 get_only_instances", "sigv2 unknown instance", "terminate_instances",
         "terminated", "delete_key_pair", "key pairs gone"]
NET_STEPS = ["create_security_group", "authorize_security_group", "get_all_security_groups",
             "allocate_address", "associate_address", "get_all_addresses",
             "disassociate_address", "release_address", "delete_security_group"]


def setUpModule():
    global D
    D = clientrun.start_daemon()


def tearDownModule():
    if D is not None:
        D.stop()
        D.cleanup()


class Boto2(unittest.TestCase):
    def test_workflow(self):
        self.assertTrue(os.path.exists("/usr/lib/python3/dist-packages/boto/ec2"),
                        "python3-boto is not installed (tools/deps.sh --test installs it)")
        net = clientrun.network_served(D)
        script = os.path.join(HERE, "clients/boto2/workflow.py")
        clientrun.run(self, D, ["/usr/bin/python3", script], STEPS + (NET_STEPS if net else []),
                      env_extra={"EC2GW_NETWORK": "1" if net else "0"})


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
