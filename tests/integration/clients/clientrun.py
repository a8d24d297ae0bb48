"""Run one client program (tests/integration/clients/<name>/) against a fresh daemon.

The program drives the batch-system workflow as that client would and prints one line per
step: "ok STEP<tab>detail" or "FAIL STEP<tab>detail". This module gives it the endpoint and the
credentials in its environment (EC2GW_URL, EC2GW_HOST, EC2GW_PORT, EC2GW_ACCESS_KEY,
EC2GW_SECRET_KEY, EC2GW_RUN: a unique prefix for every name it creates), checks that every
required step printed "ok", and removes with boto3 whatever a failed run left behind.
"""
import os
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402


def start_daemon(region=None):
    """A daemon with the plugins of conf.d/; @p region replaces RegionOne (libcloud, boto 2)."""
    d = harness.Daemon()
    if region is not None:
        path = os.path.join(d.conf, "00-daemon.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("region: RegionOne", "region: %s" % region))
    return d.start()


def network_served(daemon):
    """True when the daemon routes the security group and address actions (network plugin)."""
    from botocore.exceptions import ClientError
    try:
        ec2 = harness.boto3_client(daemon)
        ec2.describe_addresses()
        ec2.describe_security_groups()
        return True
    except ClientError:
        return False


def run(testcase, daemon, argv, required, timeout=900, cwd=None, env_extra=None):
    """Run @p argv; fail @p testcase unless it exits 0 and printed "ok" for every step name in
    @p required. Returns the parsed steps {name: detail}."""
    run_id = "it-%s" % uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "EC2GW_URL": daemon.url, "EC2GW_HOST": "127.0.0.1", "EC2GW_PORT": str(daemon.port),
        "EC2GW_ACCESS_KEY": daemon.env["EC2_ACCESS_KEY"],
        "EC2GW_SECRET_KEY": daemon.env["EC2_SECRET_KEY"], "EC2GW_RUN": run_id,
    })
    env.update(env_extra or {})
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = e.stdout or "", e.stderr or "", "timeout"
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
    cleanup(daemon, run_id, out)
    print(out, end="")
    if err:
        print(err, end="", file=sys.stderr)
    ok, failed = {}, []
    for line in out.splitlines():
        word, _, rest = line.partition(" ")
        name, _, detail = rest.partition("\t")
        if word == "ok":
            ok[name] = detail
        elif word == "FAIL":
            failed.append(name)
    testcase.assertEqual(failed, [], "steps failed (the FAIL lines above)")
    testcase.assertEqual(rc, 0, "%s exited %s; its stderr is above" % (argv[-1], rc))
    missing = [s for s in required if s not in ok]
    testcase.assertEqual(missing, [], "steps that never printed ok")
    return ok


def cleanup(daemon, run_id, out):
    """Terminate instances and delete key pairs and groups whose names start with run_id;
    release addresses whose IP the program printed."""
    from botocore.exceptions import ClientError
    ec2 = harness.boto3_client(daemon)
    try:
        res = ec2.describe_instances()
        ids = [i["InstanceId"] for r in res["Reservations"] for i in r["Instances"]
               if i.get("KeyName", "").startswith(run_id) and
               i["State"]["Name"] not in ("terminated", "shutting-down")]
        if ids:
            print("cleanup: terminating %s" % ids)
            ec2.terminate_instances(InstanceIds=ids)
        for k in ec2.describe_key_pairs()["KeyPairs"]:
            if k["KeyName"].startswith(run_id):
                print("cleanup: key pair %s" % k["KeyName"])
                ec2.delete_key_pair(KeyName=k["KeyName"])
    except ClientError as e:
        print("cleanup: %s" % e)
    if not network_served(daemon):
        return
    try:
        for a in ec2.describe_addresses()["Addresses"]:
            if a["PublicIp"] in out:
                print("cleanup: address %s" % a["PublicIp"])
                if a.get("AssociationId"):
                    ec2.disassociate_address(AssociationId=a["AssociationId"])
                ec2.release_address(AllocationId=a["AllocationId"])
        for g in ec2.describe_security_groups()["SecurityGroups"]:
            if g["GroupName"].startswith(run_id):
                print("cleanup: security group %s" % g["GroupName"])
                ec2.delete_security_group(GroupId=g["GroupId"])
    except ClientError as e:
        print("cleanup: %s" % e)
