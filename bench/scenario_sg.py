"""scenario_sg.py - the security-groups scenario (bench/README.md), registered in scenarios.py.

-n (20) security groups made through Neutron (REST), each with 10 ingress rules (one bulk
call), then DescribeSecurityGroups at each of --clients (1,10), with the one Neutron read the
plugin makes (GET /v2.0/security-groups?project_id=P, rules embedded) issued directly by the
same load generator at the same concurrency: its p50 is the floor. The groups are deleted
after (--keep keeps them).
"""

import os

import benchlib

RULES_PER_GROUP = 10
PREFIX = "ec2gw-bench-sg-"


def _ensure_groups(os_, n):
    have = [g for g in os_.call("GET", "network", "/v2.0/security-groups?project_id=" +
                                os_.project_id)["security_groups"]
            if g["name"].startswith(PREFIX)]
    made = []
    for k in range(len(have), n):
        g = os_.call("POST", "network", "/v2.0/security-groups", {"security_group": {
            "name": "%s%02d" % (PREFIX, k), "description": "ec2gw bench"}})["security_group"]
        made.append(g["id"])
        os_.call("POST", "network", "/v2.0/security-group-rules", {"security_group_rules": [
            {"security_group_id": g["id"], "direction": "ingress", "ethertype": "IPv4",
             "protocol": "tcp", "port_range_min": 1000 + r, "port_range_max": 1000 + r,
             "remote_ip_prefix": "10.%d.%d.0/24" % (k, r)} for r in range(RULES_PER_GROUP)]})
    print("  setup: %d bench groups with %d rules each in Neutron (%d created)" % (
        len(have) + len(made), RULES_PER_GROUP, len(made)))
    return made


def security_groups(t, o):
    import scenarios  # the floor table printer; imported here (scenarios imports this file)
    os_ = benchlib.OpenStack(o.env)
    made = _ensure_groups(os_, o.count)
    path = "/v2.0/security-groups?project_id=%s" % os_.project_id
    rows = []
    try:
        for clients in [int(x) for x in o.clients.split(",")]:
            label = "%dx%d-c%d" % (o.count, RULES_PER_GROUP, clients)
            g = benchlib.measured(
                t, "security-groups", label,
                ["-c", clients, "-t", 1, "-d", o.duration, "-A", "DescribeSecurityGroups"],
                o.out, "DescribeSecurityGroups, %d groups x %d rules, %d clients (report; p50 "
                "vs the Neutron call it makes)" % (o.count, RULES_PER_GROUP, clients))
            d = benchlib.loadgen(t, ["--raw", "-e", os_.catalog["network"] + path,
                                     "-H", "X-Auth-Token: " + os_.token,
                                     "-H", "Accept: application/json",
                                     "-c", clients, "-t", 1, "-d", o.duration],
                                 os.path.join(o.out, "floor-DescribeSecurityGroups-%s.json"
                                              % label), "floor " + path)
            rows.append(("DescribeSecurityGroups c%d" % clients, g, (path, d)))
        scenarios.print_floor(rows)
    finally:
        if not o.keep:
            for gid in made:
                os_.call("DELETE", "network", "/v2.0/security-groups/" + gid)
