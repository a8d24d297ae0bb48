"""Helpers shared by the ec2gw Rally context and scenarios (no plugins here).

Rally loads every file of --plugin-paths as a top-level module and puts the directory on
sys.path, so the other files import this one by its plain name.
"""
import time

import boto3
from botocore.config import Config

# Every resource a task makes carries this tag (value: the task's uuid), so the context's
# cleanup finds what a failed iteration left behind.
TAG_KEY = "rally-task"


class WaitTimeout(Exception):
    pass


def client(ec2):
    """A boto3 EC2 client for one user's context entry (one per iteration: boto3 clients are
    not shared across Rally's runner threads)."""
    return boto3.client(
        "ec2", endpoint_url=ec2["url"], region_name=ec2["region"],
        aws_access_key_id=ec2["access"], aws_secret_access_key=ec2["secret"],
        config=Config(retries={"max_attempts": ec2["max_attempts"]},
                      connect_timeout=10, read_timeout=ec2["read_timeout"]))


def wait_for(what, check, timeout, poll):
    """Call check() until it returns a true value; raise WaitTimeout naming what after
    timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise WaitTimeout("%s: not reached within %s s" % (what, timeout))
        time.sleep(poll)


def error_code(exc):
    resp = getattr(exc, "response", None) or {}
    return resp.get("Error", {}).get("Code")


def tag_spec(resource, task_id, name=None):
    tags = [{"Key": TAG_KEY, "Value": task_id}]
    if name:
        tags.append({"Key": "Name", "Value": name})
    return [{"ResourceType": resource, "Tags": tags}]
