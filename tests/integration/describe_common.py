"""What the DescribeInstances consistency tests (test_describe_consistency.py,
test_describe_multiproc.py) share: the staleness bound a daemon's conf.d sets, and one
DescribeInstances as {instance id: (state, tags)}."""
import os
import re

DEFAULT_STALENESS_S = 2.0  # the largest allowed default, when the daemon names none


def seconds(text):
    """A conf.d duration (ms/s/m/h suffix, bare number: seconds) in seconds."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m|h)?\s*", text)
    if not m:
        raise ValueError("not a duration: %r" % text)
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def staleness_s(d):
    """How old a DescribeInstances answer of daemon @d may be: the compute plugin's
    describe_staleness (unless "daemon"), else the daemon's describe_max_staleness, else the
    issue's largest default (a daemon without either has no cache: any bound holds)."""
    found = {}
    for name in sorted(os.listdir(d.conf)):
        with open(os.path.join(d.conf, name)) as f:
            for line in f:
                s = line.split("#", 1)[0].strip()
                for key in ("describe_staleness", "describe_max_staleness"):
                    if s.startswith(key + ":"):
                        found[key] = s.split(":", 1)[1].strip().strip("'\"")
    if found.get("describe_staleness", "daemon") != "daemon":
        return seconds(found["describe_staleness"])
    if "describe_max_staleness" in found:
        return seconds(found["describe_max_staleness"])
    return DEFAULT_STALENESS_S


def snapshot(ec2, **kw):
    """{instance id: (state, {tag key: value})} of one DescribeInstances (every page)."""
    out, token = {}, None
    while True:
        if token:
            kw["NextToken"] = token
        page = ec2.describe_instances(**kw)
        for r in page["Reservations"]:
            for i in r["Instances"]:
                out[i["InstanceId"]] = (i["State"]["Name"],
                                        {t["Key"]: t["Value"] for t in i.get("Tags", [])})
        token = page.get("NextToken")
        if not token:
            return out
