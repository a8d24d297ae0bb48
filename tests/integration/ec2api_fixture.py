#!/usr/bin/env python3
"""Make an ec2-api database for `ec2gw-manage db import-ec2api` tests.

The schema is what ec2-api's only migration (ec2api/db/sqlalchemy/migrate_repo/versions/
001_juno.py) makes on SQLite through SQLAlchemy, with sqlalchemy-migrate's version table; the
rows follow openstack-mapping.md section 18 (ids `<kind>-<8 hex>`, os_id unique, data JSON per
kind, NULL project for mapping-only image rows, tags keyed by project, item and key).

    ec2api_fixture.py OUT.sqlite --items 10000 --projects P1,P2 [--seed 17]

prints one JSON line: {"items": n, "tags": n, "by_project": {...}}.
"""
import argparse
import json
import random
import sqlite3
import uuid

DDL = """
CREATE TABLE migrate_version (
\trepository_id VARCHAR(250) NOT NULL, 
\trepository_path TEXT, 
\tversion INTEGER, 
\tPRIMARY KEY (repository_id)
);
CREATE TABLE items (
\tid VARCHAR(30) NOT NULL, 
\tproject_id VARCHAR(64), 
\tvpc_id VARCHAR(12), 
\tos_id VARCHAR(36), 
\tdata TEXT, 
\tPRIMARY KEY (id), 
\tCONSTRAINT items_os_id_idx UNIQUE (os_id)
);
CREATE TABLE tags (
\tproject_id VARCHAR(64) NOT NULL, 
\titem_id VARCHAR(30) NOT NULL, 
\t"key" VARCHAR(127) NOT NULL, 
\tvalue VARCHAR(255), 
\tPRIMARY KEY (project_id, item_id, "key")
);
"""

# kind: (weight, has os_id, in a VPC)
KINDS = {
    "i": (30, True, True), "vol": (15, True, False), "snap": (8, True, False),
    "sg": (8, True, True), "vpc": (4, True, False), "subnet": (6, True, True),
    "eni": (8, True, True), "eipalloc": (4, True, False), "rtb": (4, False, True),
    "igw": (3, False, True), "dopt": (2, False, False), "ami": (4, True, False),
    "cgw": (1, False, False), "vgw": (1, False, True),
}


def data_for(kind, rnd, vpc):
    if kind == "i":
        return {"reservation_id": "r-%08x" % rnd.getrandbits(32), "launch_index": 0}
    if kind == "ami":
        return {"is_public": rnd.random() < 0.3, "description": "image %d" % rnd.randrange(999)}
    if kind == "vpc":
        return {"cidr_block": "10.%d.0.0/16" % rnd.randrange(256), "is_default": False,
                "route_table_id": "rtb-%08x" % rnd.getrandbits(32)}
    if kind == "subnet":
        return {"route_table_id": None} if rnd.random() < 0.5 else {}
    if kind == "eni":
        return {"subnet_id": "subnet-%08x" % rnd.getrandbits(32), "description": "",
                "private_ip_address": "10.0.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))}
    if kind == "eipalloc":
        return {"public_ip": "172.24.4.%d" % rnd.randrange(1, 255)}
    if kind == "rtb":
        return {"routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": None}]}
    if kind == "dopt":
        return {"dhcp_configuration": {"domain-name": ["example.org"]}}
    if kind == "cgw":
        return {"ip_address": "198.51.100.%d" % rnd.randrange(1, 255)}
    return {}


def generate(path, n_items, projects, seed):
    rnd = random.Random(seed)
    db = sqlite3.connect(path)
    db.executescript(DDL)
    db.execute("INSERT INTO migrate_version VALUES ('ec2api', "
               "'/usr/lib/python3/dist-packages/ec2api/db/sqlalchemy/migrate_repo', 1)")
    kinds = [k for k, (w, _, _) in KINDS.items() for _ in range(w)]
    used, items, tags = set(), [], []
    by_project = {}
    vpcs = {p: [] for p in projects}
    while len(items) < n_items:
        kind = rnd.choice(kinds)
        ec2_id = "%s-%08x" % (kind, rnd.getrandbits(32))
        if ec2_id in used:
            continue  # ec2-api would have failed the insert; keep the fixture loadable
        used.add(ec2_id)
        _, has_os, in_vpc = KINDS[kind]
        project = rnd.choice(projects)
        if kind == "ami" and rnd.random() < 0.25:
            project = None  # a mapping-only row of another project's public image
        vpc = None
        if in_vpc and project is not None and vpcs[project] and rnd.random() < 0.7:
            vpc = rnd.choice(vpcs[project])
        if kind == "vpc" and project is not None:
            vpcs[project].append(ec2_id)
        os_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4)) if has_os else None
        items.append((ec2_id, project, vpc, os_id,
                      json.dumps(data_for(kind, rnd, vpc)) if project else "{}"))
        if project is None:
            continue
        by_project.setdefault(project, {"items": 0, "tags": 0})
        by_project[project]["items"] += 1
        for k in range(rnd.choice((0, 1, 2, 3, 4))):
            key = ("Name", "env", "owner", "cost-center", "app")[k]
            value = "%s-%s-%d" % (key, kind, rnd.randrange(100000))
            tags.append((project, ec2_id, key, value))
            by_project[project]["tags"] += 1
    db.executemany("INSERT INTO items (id, project_id, vpc_id, os_id, data) "
                   "VALUES (?, ?, ?, ?, ?)", items)
    db.executemany('INSERT INTO tags (project_id, item_id, "key", value) VALUES (?, ?, ?, ?)',
                   tags)
    db.commit()
    db.close()
    return {"items": len(items), "tags": len(tags), "by_project": by_project}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--projects", default="project-a,project-b")
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    print(json.dumps(generate(a.out, a.items, a.projects.split(","), a.seed)))


if __name__ == "__main__":
    main()
