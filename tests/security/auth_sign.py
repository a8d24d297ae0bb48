"""Signed raw requests for the authentication/data security tests (issue 11, #5-#8, #11-#13):
botocore's own SigV4 signer with any scope, sent with http.client (no client-side validation,
no retries), answers parsed into (status, code or None, body)."""
import http.client
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402,F401  (the integration tests' daemon runner, reused as is)

from botocore.auth import SigV4Auth, SigV4QueryAuth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402


def keys(daemon, which=1):
    suffix = "" if which == 1 else "_2"
    return daemon.env["EC2_ACCESS_KEY" + suffix], daemon.env["EC2_SECRET_KEY" + suffix]


def send(daemon, method, target, headers, body=b""):
    c = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=60)
    try:
        c.request(method, target, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
    finally:
        c.close()
    code = None
    if r.status >= 400:
        el = ET.fromstring(data).find("./Errors/Error/Code")
        code = el.text if el is not None else None
    return r.status, code, data


def signed(daemon, params, access=None, secret=None, region="RegionOne", service="ec2"):
    """POST @params (a dict or a list of pairs) signed with SigV4 for @region/@service."""
    if access is None:
        access, secret = keys(daemon)
    body = urllib.parse.urlencode(dict({"Version": "2016-11-15"}, **dict(params)))
    req = AWSRequest(method="POST", url=daemon.url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(access, secret), service, region).add_auth(req)
    return send(daemon, "POST", "/", dict(req.headers.items()), body.encode())


def presigned(daemon, params, expires=300, method="GET"):
    """A URL presigned for @params and @method (SigV4 query form, UNSIGNED-PAYLOAD as botocore's
    generate_presigned_url does; it signs POST for EC2)."""
    access, secret = keys(daemon)
    q = urllib.parse.urlencode(dict({"Version": "2016-11-15"}, **dict(params)))
    req = AWSRequest(method=method, url=daemon.url + "/?" + q)
    SigV4QueryAuth(Credentials(access, secret), "ec2", "RegionOne", expires=expires).add_auth(req)
    return urllib.parse.urlsplit(req.url)
