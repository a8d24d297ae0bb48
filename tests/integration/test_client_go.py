#!/usr/bin/env python3
"""aws-sdk-go v1 (Debian golang-github-aws-aws-sdk-go-dev) against the daemon.

clients/go/main.go is built offline with Debian's Go in GOPATH mode (GO111MODULE=off, GOPATH
including /usr/share/gocode where the package puts the SDK; no module proxy is needed), into
the build directory with its Go build cache there (the first build of the EC2 package takes
minutes on a loaded machine; later ones seconds). The EC2 client with a custom endpoint signs
SigV4, sends API version 2016-11-15 and uses the SDK's waiters.
"""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "clients"))
import clientrun  # noqa: E402
import harness  # noqa: E402

D = None
STEPS = ["client", "DescribeAvailabilityZones", "DescribeImages", "CreateKeyPair",
         "ImportKeyPair", "DescribeKeyPairs", "RunInstances", "WaitUntilInstanceRunning",
         "DescribeInstances filter", "DescribeInstanceAttribute userData", "GetConsoleOutput",
         "CreateTags/DescribeTags", "WaitUntilInstanceStopped", "running again",
         "RebootInstances", "unknown instance", "unknown key pair",
         "WaitUntilInstanceTerminated", "DeleteKeyPair"]
NET_STEPS = ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AllocateAddress",
             "AssociateAddress", "DisassociateAddress", "ReleaseAddress", "DeleteSecurityGroup"]


def setUpModule():
    global D
    D = clientrun.start_daemon()


def tearDownModule():
    if D is not None:
        D.stop()
        D.cleanup()


def build():
    """Build clients/go into the build directory; the binary's path."""
    out = os.path.join(harness.BUILD, "clients-go")
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="", GOPROXY="off",
               GOPATH=os.path.join(out, "gopath") + ":/usr/share/gocode",
               GOCACHE=os.path.join(out, "cache"))
    binary = os.path.join(out, "ec2workflow")
    p = subprocess.run(["go", "build", "-o", binary, "."], cwd=os.path.join(HERE, "clients/go"),
                       env=env, capture_output=True, text=True, timeout=900)
    return binary, p


class GoSdk(unittest.TestCase):
    def test_workflow(self):
        self.assertIsNotNone(shutil.which("go"), "golang-go is not installed "
                             "(tools/deps.sh --test installs it)")
        self.assertTrue(os.path.isdir("/usr/share/gocode/src/github.com/aws/aws-sdk-go"),
                        "golang-github-aws-aws-sdk-go-dev is not installed")
        binary, p = build()
        self.assertEqual(p.returncode, 0, "go build failed:\n" + p.stdout + p.stderr)
        net = clientrun.network_served(D)
        clientrun.run(self, D, [binary], STEPS + (NET_STEPS if net else []),
                      env_extra={"EC2GW_NETWORK": "1" if net else "0"})


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(harness.summary(result))
