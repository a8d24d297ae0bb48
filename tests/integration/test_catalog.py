#!/usr/bin/env python3
"""`ec2gw-manage catalog register` (issue 20) against the real cloud's Keystone: a dry run
writes nothing and exits 3; register creates the ec2 service and its three endpoints; a second
run changes nothing; a new URL updates the same endpoints; `catalog show` lists them; the URL a
dashboard user gets for service type ec2 (Horizon's url_for('ec2'), through Debian's
keystoneauth, and `openstack catalog show ec2`) is ec2gw's; the ec2rc.sh Horizon renders from it
and from `ec2gw-manage credentials create`, sourced in bash, drives `aws ec2 describe-regions`
through a running ec2gwd. The catalog is put back as it was at the end."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import catalog_common
import harness

MANAGE = os.path.join(harness.BUILD, "daemon/ec2gw-manage")
PORT = 18810  # this test's ec2gwd
URL = "http://127.0.0.1:%d" % PORT
OTHER_URL = "http://127.0.0.1:18811/moved"

D = None
ADMIN = None  # the cloud admin's OS_* (cloud.sh env --admin)
BEFORE = None  # the ec2 catalog entries before the test
WORK = None
CREDS = []  # (user, access) made by the test


def manage(*args):
    """ec2gw-manage as an operator runs it: the admin of the OS_* environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(ADMIN)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    p = subprocess.run([MANAGE, "--config-dir", D.conf] + list(args), capture_output=True,
                       text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def ours(snap, url=None):
    """The ec2 service register uses (named ec2gw first) and its endpoints by interface."""
    svcs = sorted(snap["services"], key=lambda s: s.get("name") != "ec2gw")
    if not svcs:
        return None, {}
    eps = {e["interface"]: e for e in snap["endpoints"]
           if e["service_id"] == svcs[0]["id"] and e["region_id"] == "RegionOne"}
    return svcs[0], eps


def setUpModule():
    global D, ADMIN, BEFORE, WORK
    ADMIN = catalog_common.admin_env()
    BEFORE = catalog_common.snapshot(ADMIN)
    WORK = tempfile.mkdtemp(prefix="ec2gw-catalog-it-")
    D = harness.Daemon()
    path = os.path.join(D.conf, "00-daemon.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"port: %d\b" % D.port, "port: %d" % PORT, text, count=1))
    D.port, D.url = PORT, URL
    D.start()


def tearDownModule():
    try:
        for user, access in CREDS:
            subprocess.run(["openstack", "ec2", "credentials", "delete", "--user", user, access],
                           env=dict(os.environ, **ADMIN), capture_output=True, timeout=60)
        if ADMIN is not None and BEFORE is not None:
            print("\nrestore: " + (catalog_common.restore(ADMIN, BEFORE).strip() or "nothing"))
            after = catalog_common.snapshot(ADMIN)
            assert after == BEFORE, "catalog not restored: %r != %r" % (after, BEFORE)
    finally:
        harness.stop_daemon(D)
        shutil.rmtree(WORK, ignore_errors=True)


class Catalog(unittest.TestCase):
    # unittest runs the methods in name order: the steps build on each other.

    def test_01_dry_run_writes_nothing(self):
        rc, out, err = manage("catalog", "register", "--url", URL, "--dry-run")
        self.assertEqual(rc, 3, out + err)
        self.assertIn("nothing written", out)
        self.assertEqual(catalog_common.snapshot(ADMIN), BEFORE)

    def test_02_register_creates(self):
        rc, out, err = manage("catalog", "register", "--url", URL)
        self.assertEqual(rc, 0, err)
        print("\n" + out)
        self.assertRegex(out, r"catalog: \d+ changes? made")
        svc, eps = ours(catalog_common.snapshot(ADMIN))
        self.assertIsNotNone(svc)
        self.assertEqual(svc["type"], "ec2")
        if not BEFORE["services"]:
            self.assertEqual(svc["name"], "ec2gw")
        self.assertEqual(sorted(eps), ["admin", "internal", "public"])
        for e in eps.values():
            self.assertEqual(e["url"], URL)
            self.assertTrue(e["enabled"])

    def test_03_second_run_changes_nothing(self):
        snap = catalog_common.snapshot(ADMIN)
        rc, out, err = manage("catalog", "register", "--url", URL)
        self.assertEqual(rc, 0, err)
        self.assertIn("catalog: unchanged, nothing to do", out)
        self.assertEqual(out.count(": unchanged\n"), 3, out)
        self.assertEqual(catalog_common.snapshot(ADMIN), snap)
        rc, out, err = manage("catalog", "register", "--url", URL, "--dry-run")
        self.assertEqual(rc, 0, out + err)

    def test_04_new_url_updates_in_place(self):
        before_ids = {i: e["id"] for i, e in ours(catalog_common.snapshot(ADMIN))[1].items()}
        rc, out, err = manage("catalog", "register", "--url", OTHER_URL, "--interfaces",
                              "public,internal")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.count("updated (was %s)" % URL), 2, out)
        _, eps = ours(catalog_common.snapshot(ADMIN))
        self.assertEqual({i: e["id"] for i, e in eps.items()}, before_ids)
        self.assertEqual(eps["public"]["url"], OTHER_URL)
        self.assertEqual(eps["admin"]["url"], URL)
        rc, out, err = manage("catalog", "register", "--url", URL)
        self.assertEqual(rc, 0, err)
        self.assertIn("catalog: 2 changes made", out)
        _, eps = ours(catalog_common.snapshot(ADMIN))
        self.assertEqual({e["url"] for e in eps.values()}, {URL})

    def test_05_show(self):
        rc, out, err = manage("catalog", "show")
        self.assertEqual(rc, 0, err)
        for iface in ("public", "internal", "admin"):
            self.assertRegex(out, r"endpoint %s\s+RegionOne %s\n" % (iface, re.escape(URL)))
        rc, out, err = manage("catalog", "show", "--region", "NoSuchRegion")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("endpoint", out)

    def test_06_users_catalog_gives_ec2gw(self):
        # a plain member (demo) logging in now, as Horizon's user does
        got = catalog_common.url_for(D.env)
        self.assertEqual(got["url"], URL, got)
        p = subprocess.run(["openstack", "catalog", "show", "ec2", "-f", "json"],
                           env=dict({k: v for k, v in os.environ.items()
                                     if not k.startswith("OS_")},
                                    **{k: v for k, v in D.env.items() if k.startswith("OS_")}),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        shown = json.loads(p.stdout)
        self.assertEqual(shown["type"], "ec2")
        self.assertIn(URL, json.dumps(shown["endpoints"]))

    def test_07_horizon_ec2rc_answers(self):
        for _ in range(3):
            rc, out, err = manage("credentials", "create", "--user", "demo", "--project", "demo")
            # ec2gw-manage waits 10 s for Keystone; the shared test machine's is sometimes slower
            if "no answer" not in err:
                break
        self.assertEqual(rc, 0, err)
        keys = dict(re.findall(r"^export (EC2_ACCESS_KEY|EC2_SECRET_KEY)='([^']*)'$", out, re.M))
        CREDS.append(("demo", keys["EC2_ACCESS_KEY"]))
        endpoint = catalog_common.url_for(D.env)["url"]
        path = os.path.join(WORK, "ec2rc.sh")
        with open(path, "w") as f:
            f.write(horizon_ec2rc(keys["EC2_ACCESS_KEY"], keys["EC2_SECRET_KEY"], endpoint))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OS_", "AWS_", "EC2_"))}
        script = ('set -e; . ./ec2rc.sh; echo "EC2_URL=$EC2_URL"; '
                  'AWS_ACCESS_KEY_ID="$EC2_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$EC2_SECRET_KEY" '
                  'AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=4 aws ec2 describe-regions --endpoint-url "$EC2_URL" '
                  '--region RegionOne --output json')
        p = subprocess.run(["bash", "-c", script], cwd=WORK, env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        first, rest = p.stdout.split("\n", 1)
        self.assertEqual(first, "EC2_URL=" + URL)
        regions = [r["RegionName"] for r in json.loads(rest)["Regions"]]
        self.assertIn("RegionOne", regions)


def horizon_ec2rc(access, secret, ec2_endpoint, s3_endpoint=None):
    """The ec2rc.sh of Horizon's project/api_access/ec2rc.sh.template with the context its
    _get_ec2_credentials gives (ec2_endpoint from url_for('ec2', endpoint_type='publicURL'));
    openstack-dashboard is not installed here, so the fields are rendered by hand."""
    lines = [
        "#!/bin/bash",
        "",
        'NOVARC=$(readlink -f "${BASH_SOURCE:-${0}}" 2>/dev/null) ||',
        "    NOVARC=$(python3 -c 'import os,sys; print(os.path.abspath(os.path.realpath("
        "sys.argv[1])))' \"${BASH_SOURCE:-${0}}\")",
        "NOVA_KEY_DIR=${NOVARC%/*}",
        "export EC2_ACCESS_KEY=%s" % access,
        "export EC2_SECRET_KEY=%s" % secret,
        "export EC2_URL=%s" % ec2_endpoint,
        "export EC2_USER_ID=42 # nova does not use user id, but bundling requires it",
        "export EC2_PRIVATE_KEY=${NOVA_KEY_DIR}/pk.pem",
        "export EC2_CERT=${NOVA_KEY_DIR}/cert.pem",
        "export NOVA_CERT=${NOVA_KEY_DIR}/cacert.pem",
        "export EUCALYPTUS_CERT=${NOVA_CERT} # euca-bundle-image seems to require this set",
    ]
    if s3_endpoint:
        lines.append("export S3_URL=%s" % s3_endpoint)
    lines += [
        "",
        'alias ec2-bundle-image="ec2-bundle-image --cert ${EC2_CERT} --privatekey '
        '${EC2_PRIVATE_KEY} --user 42 --ec2cert ${NOVA_CERT}"',
        'alias ec2-upload-bundle="ec2-upload-bundle -a ${EC2_ACCESS_KEY} -s ${EC2_SECRET_KEY} '
        '--url ${S3_URL} --ec2cert ${NOVA_CERT}"',
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    raise SystemExit(harness.summary(result))
