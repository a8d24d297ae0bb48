#!/usr/bin/env python3
"""Regenerate model/ec2-2016-11-15.json from botocore's EC2 service model.

The output is botocore's ec2/2016-11-15 service-2.json without documentation, plus the
paginators (paginators-1.json) under "paginators" and the MaxResults ranges under
"max_results". Keys are sorted for stable diffs, except the "members" objects of structures,
which keep the model's order: the XML renderer emits members in that order.

Usage: tools/gen_ec2_model.py [--botocore DIR] [-o model/ec2-2016-11-15.json]
"""
import argparse
import gzip
import json
import os
import re
import sys

API_VERSION = "2016-11-15"
DROP_KEYS = {"documentation", "documentationUrl", "examples"}
OP_KEYS = {"name", "input", "output", "idempotent", "deprecated", "deprecatedMessage"}
SHAPE_KEYS = {"type", "members", "required", "member", "min", "max", "enum", "sensitive",
              "flattened", "locationName", "deprecated"}
MEMBER_KEYS = {"shape", "locationName", "queryName", "idempotencyToken", "deprecated",
               "flattened", "xmlNamespace"}
RANGE_RES = (
    re.compile(r"(?:between|range is|from) (\d+) (?:and|to) (\d+)"),
    re.compile(r"Minimum value of (\d+)\. Maximum value of (\d+)"),
)


def find_botocore_dir(explicit):
    if explicit:
        return explicit
    try:
        import botocore  # noqa: F401 (data only; we never call into it)
        return os.path.dirname(botocore.__file__)
    except ImportError:
        pass
    debian = "/usr/lib/python3/dist-packages/botocore"
    if os.path.isdir(debian):
        return debian
    sys.exit("gen_ec2_model: botocore not found (pip install botocore, or --botocore DIR)")


def botocore_version(bdir):
    init = os.path.join(bdir, "__init__.py")
    try:
        with open(init, encoding="utf-8") as f:
            m = re.search(r"__version__ = ['\"]([^'\"]+)", f.read())
            return m.group(1) if m else "unknown"
    except OSError:
        return "unknown"


def load_json(base):
    for path, opener in ((base + ".gz", gzip.open), (base, open)):
        if os.path.exists(path):
            with opener(path, "rt", encoding="utf-8") as f:
                return json.load(f)
    sys.exit("gen_ec2_model: missing " + base + "[.gz]")


def sorted_dict(d):
    """Return a copy of d with its keys in sorted order (json.dumps keeps insertion order)."""
    return {k: d[k] for k in sorted(d)}


def strip_op(op):
    return sorted_dict({k: v for k, v in op.items() if k in OP_KEYS})


def strip_member(m):
    return sorted_dict({k: v for k, v in m.items() if k in MEMBER_KEYS})


def strip_shape(sh):
    out = {}
    for k in sorted(sh):
        if k not in SHAPE_KEYS:
            continue
        v = sh[k]
        if k == "members":
            # Model order on purpose: it is the XML element order.
            v = {name: strip_member(m) for name, m in v.items()}
        elif k == "member":
            v = strip_member(v)
        out[k] = v
    return out


def max_results_ranges(model):
    """{"Op": [min, max]} from the MaxResults shape's min/max, else from its documentation."""
    shapes = model["shapes"]
    out = {}
    for name, op in model["operations"].items():
        inp = op.get("input")
        member = shapes[inp["shape"]].get("members", {}).get("MaxResults") if inp else None
        if member is None:
            continue
        target = shapes[member["shape"]]
        doc = re.sub(r"<[^>]+>", "", member.get("documentation", "")).replace(",", "")
        found = None
        for rx in RANGE_RES:
            m = rx.search(doc)
            if m:
                found = [int(m.group(1)), int(m.group(2))]
                break
        if "min" in target and "max" in target:
            found = [int(target["min"]), int(target["max"])]
        if found:
            out[name] = found
    return sorted_dict(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--botocore", help="botocore package directory")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("-o", "--output",
                    default=os.path.normpath(
                        os.path.join(here, "..", "model", "ec2-%s.json" % API_VERSION)))
    args = ap.parse_args()

    bdir = find_botocore_dir(args.botocore)
    ddir = os.path.join(bdir, "data", "ec2", API_VERSION)
    model = load_json(os.path.join(ddir, "service-2.json"))
    pag = load_json(os.path.join(ddir, "paginators-1.json")).get("pagination", {})

    out = {
        "botocore_version": botocore_version(bdir),
        "max_results": max_results_ranges(model),
        "metadata": sorted_dict(model["metadata"]),
        "operations": sorted_dict({k: strip_op(v) for k, v in model["operations"].items()}),
        "paginators": sorted_dict({k: sorted_dict(v) for k, v in pag.items()}),
        "shapes": sorted_dict({k: strip_shape(v) for k, v in model["shapes"].items()}),
        "version": model.get("version", "2.0"),
    }
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    assert "documentation" not in text.replace('"documentationUrl"', "")
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n")
    print("gen_ec2_model: wrote %s (%d operations, %d shapes, botocore %s)"
          % (args.output, len(out["operations"]), len(out["shapes"]), out["botocore_version"]))


if __name__ == "__main__":
    main()
