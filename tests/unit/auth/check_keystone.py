#!/usr/bin/python3
"""Check the /v3/ec2tokens bodies ec2gw builds with Keystone's own signer.

test_sig_sign dumps {name, secret, body} for every accepted vector to
<build>/auth_keystone_bodies.json; this script runs keystoneclient's Ec2Signer on each body the
way keystone/api/ec2tokens.py does (signature as sent, then once more with the port removed
from "host") and compares.  Run with Debian's /usr/bin/python3 (python3-keystoneclient).
Exit 77 (skipped) when keystoneclient is not installed.

Known Keystone limitations (expected to fail there, verified locally by ec2gw):
- HmacSHA1: Ec2Signer always recomputes SigV2 with HmacSHA256;
- a presigned URL signed for POST: Ec2Signer's canonical query is empty for POST;
- a V4 host signed without the port: Keystone's port retry changes "host", which only SigV2
  uses; V4 reads the Host header.
"""
import copy
import json
import sys
import urllib.parse

try:
    from keystoneclient.contrib.ec2.utils import Ec2Signer
except ImportError:
    print('keystoneclient not installed: skipped')
    sys.exit(77)

KEYSTONE_CANNOT = {
    'sigv2-hmacsha1',
    'botocore-generate-presigned-url',
    'perl-host-without-port-us-east-1-ec2',
}


def keystone_accepts(secret, credentials):
    """keystone.api.ec2tokens.EC2TokensResource._check_signature."""
    creds = copy.deepcopy(credentials)
    if Ec2Signer(secret).generate(creds) == creds['signature']:
        return True
    if ':' in creds['host']:
        creds['host'] = urllib.parse.urlsplit('//' + creds['host']).hostname
        return Ec2Signer(secret).generate(creds) == creds['signature']
    return False


def main(path):
    with open(path) as f:
        entries = json.load(f)
    bad = 0
    for e in entries:
        ok = keystone_accepts(e['secret'], e['body']['credentials'])
        want = e['name'] not in KEYSTONE_CANNOT
        print('%-40s keystone %s%s' % (e['name'], 'accepts' if ok else 'rejects',
                                       '' if ok == want else '  <-- UNEXPECTED'))
        bad += ok != want
    print('%d bodies, %d unexpected' % (len(entries), bad))
    return 1 if bad or not entries else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
