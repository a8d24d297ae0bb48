"""Keystone's `ec2` catalog entry for test_catalog and test_puppet: a snapshot before a test and
its restoration after (only what the test created or changed), and the URL a dashboard user
gets for service type ec2 (Horizon's url_for('ec2', endpoint_type='publicURL')).

The Keystone side runs under Debian's /usr/bin/python3 (keystoneauth1, as Horizon and the
openstack client use it): `/usr/bin/python3 catalog_common.py snapshot|restore|url-for`, with
the identity in the OS_* environment. The test side calls it through the functions below."""
import json
import os
import subprocess
import sys

DEBIAN_PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------ test side (any python)

def _run(cmd, env, stdin=None):
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        raise AssertionError("%s (Debian's python with keystoneauth1) is missing" % DEBIAN_PYTHON)
    full = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    full.update({k: v for k, v in env.items() if k.startswith("OS_")})
    p = subprocess.run([DEBIAN_PYTHON, os.path.abspath(__file__), cmd], input=stdin,
                       capture_output=True, text=True, env=full, timeout=120)
    if p.returncode != 0:
        raise AssertionError("catalog_common %s failed: %s" % (cmd, p.stderr))
    return p.stdout


def admin_env():
    """The cloud admin's OS_* (`cloud.sh env --admin`)."""
    root = os.path.abspath(os.path.join(HERE, "..", ".."))
    out = subprocess.run(["bash", os.path.join(root, "tests/cloud/cloud.sh"), "env", "--admin"],
                         check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            k, v = line[len("export "):].split("=", 1)
            env[k] = v.strip().strip("'\"")
    return env


def snapshot(admin):
    """{"services": [...], "endpoints": [...]} of every service of type ec2."""
    return json.loads(_run("snapshot", admin))


def restore(admin, before):
    """Delete what is new since @p before, put back URLs and enabled flags it changed."""
    return _run("restore", admin, stdin=json.dumps(before))


def url_for(user_env, region="RegionOne"):
    """What Horizon's url_for('ec2', endpoint_type='publicURL') gives the user of @p user_env:
    {"url": ..., "catalog": [the token's ec2 entries]}."""
    env = dict(user_env)
    env["OS_REGION_NAME"] = region
    return json.loads(_run("url-for", env))


# ------------------------------------------------------------------ Keystone side (Debian's python)

def _session():
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    e = os.environ
    auth = v3.Password(auth_url=e["OS_AUTH_URL"], username=e["OS_USERNAME"],
                       password=e["OS_PASSWORD"], project_name=e["OS_PROJECT_NAME"],
                       user_domain_name=e.get("OS_USER_DOMAIN_NAME", "Default"),
                       project_domain_name=e.get("OS_PROJECT_DOMAIN_NAME", "Default"))
    return session.Session(auth=auth)


def _state(s):
    ident = {"service_type": "identity", "interface": "public"}
    services = s.get("/services?type=ec2", endpoint_filter=ident).json()["services"]
    endpoints = []
    for svc in services:
        endpoints += s.get("/endpoints?service_id=%s" % svc["id"],
                           endpoint_filter=ident).json()["endpoints"]
    keep = ("id", "service_id", "interface", "region_id", "url", "enabled", "name", "type")
    return {"services": [{k: v for k, v in x.items() if k in keep} for x in services],
            "endpoints": [{k: v for k, v in x.items() if k in keep} for x in endpoints]}


def _restore(s, before):
    ident = {"service_type": "identity", "interface": "public"}
    now = _state(s)
    old_eps = {e["id"]: e for e in before["endpoints"]}
    old_svcs = {x["id"] for x in before["services"]}
    done = []
    for e in now["endpoints"]:
        o = old_eps.get(e["id"])
        if o is None:
            s.delete("/endpoints/%s" % e["id"], endpoint_filter=ident)
            done.append("deleted endpoint %s %s" % (e["interface"], e["url"]))
        elif (o["url"], o["enabled"]) != (e["url"], e["enabled"]):
            s.patch("/endpoints/%s" % e["id"], endpoint_filter=ident,
                    json={"endpoint": {"url": o["url"], "enabled": o["enabled"]}})
            done.append("restored endpoint %s %s" % (e["interface"], o["url"]))
    for x in now["services"]:
        if x["id"] not in old_svcs:
            s.delete("/services/%s" % x["id"], endpoint_filter=ident)
            done.append("deleted service %s %s" % (x.get("name"), x["id"]))
    return done


def _url_for(s):
    from keystoneauth1 import exceptions
    region = os.environ.get("OS_REGION_NAME", "RegionOne")
    s.invalidate()  # a fresh token: its catalog is what a user logging in now gets
    catalog = s.auth.get_access(s).service_catalog
    try:
        url = s.get_endpoint(service_type="ec2", interface="public", region_name=region)
    except exceptions.EndpointNotFound:
        url = None
    entries = [e for e in catalog.catalog if e.get("type") == "ec2"]
    return {"url": url, "catalog": entries}


def main():
    s = _session()
    cmd = sys.argv[1]
    if cmd == "snapshot":
        print(json.dumps(_state(s)))
    elif cmd == "restore":
        print("\n".join(_restore(s, json.load(sys.stdin))))
    elif cmd == "url-for":
        print(json.dumps(_url_for(s)))
    else:
        sys.exit("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
