#!/usr/bin/env python3
"""Generate the signature test vectors of tests/unit/auth with the real clients.

Run with the python3 that has botocore (1.43 in the development image; Debian's
/usr/bin/python3 with python3-botocore 1.29 gives the same signatures):

    python3 tests/unit/auth/make_vectors.py > tests/unit/auth/vectors/sig_vectors.json

Every vector is a request as it arrives on the wire (method, path, raw query, headers in
order, raw body), the secret, the server's clock ("now") and the expected verdict: "ok" or
the EC2 error code.  Vectors with a "sign" member were signed by botocore's SigV4Auth with the
signed headers content-type;host;x-amz-date; the C test checks that ec2gw_sigv4_sign
reproduces their Authorization header byte for byte.

The clock is frozen by replacing botocore.auth.get_current_datetime; SigV2 timestamps are
frozen by replacing time.gmtime inside botocore.auth.
"""
import base64
import calendar
import datetime
import hashlib
import hmac
import json
import sys
import time
import urllib.parse

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

NOW = datetime.datetime(2024, 1, 2, 3, 4, 5)
NOW_EPOCH = calendar.timegm(NOW.timetuple())
AMZ_DATE = NOW.strftime('%Y%m%dT%H%M%SZ')
ACCESS = 'AKIDEXAMPLE0123456789'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
FORM = 'application/x-www-form-urlencoded; charset=utf-8'

botocore.auth.get_current_datetime = lambda *a, **k: NOW  # botocore >= 1.31


class _FrozenDatetimeModule:
    """Older botocore (Debian's 1.29) calls datetime.datetime.utcnow() in botocore.auth."""

    def __getattr__(self, name):
        return getattr(datetime, name)

    class datetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return NOW


botocore.auth.datetime = _FrozenDatetimeModule()
_real_gmtime = time.gmtime


class _FrozenTime:
    """Stands in for the time module inside botocore.auth (SigV2 uses time.gmtime())."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def gmtime(secs=None):
        return _real_gmtime(NOW_EPOCH if secs is None else secs)


botocore.auth.time = _FrozenTime()

vectors = []


def add(name, method, url, headers, body, expect='ok', secret=SECRET, sign=None, note=None):
    """Record a request as the server sees it; adds Host (and Content-Length) as urllib3 does."""
    parts = urllib.parse.urlsplit(url)
    hdrs = [[k, v.decode() if isinstance(v, bytes) else str(v)] for k, v in headers]
    if not any(k.lower() == 'host' for k, _ in hdrs):
        hdrs.insert(0, ['Host', parts.netloc])
    if body is None:
        body = b''
    if isinstance(body, str):
        body = body.encode()
    if body and not any(k.lower() == 'content-length' for k, _ in hdrs):
        hdrs.append(['Content-Length', str(len(body))])
    v = {
        'name': name,
        'method': method,
        'path': parts.path or '/',
        'query': parts.query,
        'headers': hdrs,
        'body': body.decode(),
        'access': ACCESS,
        'secret': secret,
        'now': NOW_EPOCH,
        'expect': expect,
    }
    if sign:
        v['sign'] = sign
    if note:
        v['note'] = note
    vectors.append(v)


def prepared_headers(prepared):
    return [[k, v] for k, v in prepared.headers.items()]


# --- 1. Real botocore EC2 client calls, captured before they are sent -------------------------

def client_call(endpoint, region, op, params, token=None, sigv='v4'):
    session = botocore.session.get_session()
    cfg = botocore.config.Config(signature_version=sigv, retries={'max_attempts': 0})
    client = session.create_client('ec2', region_name=region, endpoint_url=endpoint,
                                   aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                                   aws_session_token=token, config=cfg)
    captured = {}

    def before_send(request, **kwargs):
        captured['r'] = request

        class Raw:
            def stream(self, *a, **k):
                yield b''

        resp = AWSResponse(request.url, 200, {}, Raw())
        resp._content = (b'<R xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                         b'<requestId>r</requestId></R>')
        return resp

    client.meta.events.register('before-send.ec2.*', before_send)
    try:
        getattr(client, op)(**params)
    except Exception:  # the fake answer need not parse; the request is what matters
        pass
    return client, captured['r']


def botocore_client_vectors():
    endpoint = 'http://ec2.example.org:8788'
    _, r = client_call(endpoint, 'RegionOne', 'describe_regions',
                       {'RegionNames': ['a b', 'c~d', 'x/y+z', 'caf\u00e9']})
    add('botocore-client-post-regionone', r.method, r.url, prepared_headers(r), r.body,
        sign={'region': 'RegionOne', 'service': 'ec2', 'host': 'ec2.example.org:8788',
              'content_type': FORM, 'amz_date': AMZ_DATE,
              'authorization': r.headers['Authorization'].decode()})

    _, r = client_call('https://ec2.example.org', 'us-east-1', 'describe_instances',
                       {'InstanceIds': ['i-12345678'], 'MaxResults': 5})
    add('botocore-client-https-default-port', r.method, r.url, prepared_headers(r), r.body,
        sign={'region': 'us-east-1', 'service': 'ec2', 'host': 'ec2.example.org',
              'content_type': FORM, 'amz_date': AMZ_DATE,
              'authorization': r.headers['Authorization'].decode()})

    _, r = client_call('http://10.0.0.5:8788/services/Cloud', 'RegionOne', 'describe_key_pairs',
                       {})
    add('botocore-client-path-prefix', r.method, r.url, prepared_headers(r), r.body,
        sign={'region': 'RegionOne', 'service': 'ec2', 'host': '10.0.0.5:8788',
              'content_type': FORM, 'amz_date': AMZ_DATE, 'path': '/services/Cloud',
              'authorization': r.headers['Authorization'].decode()})

    _, r = client_call(endpoint, 'RegionOne', 'describe_regions', {}, token='FQoGZXIvYXdzEXAMPLE')
    add('botocore-client-session-token', r.method, r.url, prepared_headers(r), r.body,
        expect='AuthFailure')

    _, r = client_call(endpoint, 'RegionOne', 'describe_regions', {'RegionNames': ['r 1']},
                       sigv='v2')
    add('botocore-client-sigv2-post', r.method, r.url, prepared_headers(r), r.body)


# --- 2. Signers applied directly: odd scopes, GET, Perl-style host ---------------------------

def v4_header(method, url, region, service, headers=None, data=None, params=None, host=None):
    creds = Credentials(ACCESS, SECRET)
    hdrs = dict(headers or {})
    if host:
        hdrs['Host'] = host
    req = AWSRequest(method=method, url=url, headers=hdrs, data=data, params=params)
    botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    return req.prepare()


def signer_vectors():
    body = {'Action': 'DescribeInstances', 'Version': '2014-10-01'}
    p = v4_header('POST', 'http://127.0.0.1:8788/', '0', '127', {'Content-Type': FORM}, body)
    add('boto2-bare-ip-scope-0-127', p.method, p.url, prepared_headers(p), p.body,
        sign={'region': '0', 'service': '127', 'host': '127.0.0.1:8788', 'content_type': FORM,
              'amz_date': AMZ_DATE, 'authorization': p.headers['Authorization']})

    # Perl AWS::Signature4 / Net::Amazon::EC2: scope us-east-1/s3, host signed WITHOUT the port,
    # while the HTTP library sends Host: name:port.
    p = v4_header('POST', 'http://ec2.example.org:8788/', 'us-east-1', 's3',
                  {'Content-Type': 'application/x-www-form-urlencoded'},
                  {'Action': 'DescribeImages', 'Version': '2014-06-15', 'Owner.1': 'self'},
                  host='ec2.example.org')
    hdrs = [[k, 'ec2.example.org:8788' if k == 'Host' else v] for k, v in p.headers.items()]
    add('perl-host-without-port-us-east-1-s3', p.method, p.url, hdrs, p.body)

    # A request that already has a Date header: botocore signs "date" and sends no X-Amz-Date.
    p = v4_header('POST', 'http://ec2.example.org:8788/', 'RegionOne', 'ec2',
                  {'Content-Type': FORM, 'Date': 'Mon, 01 Jan 2024 00:00:00 GMT'},
                  {'Action': 'DescribeRegions', 'Version': '2016-11-15'})
    add('sigv4-date-header', p.method, p.url, prepared_headers(p), p.body)

    p = v4_header('GET', 'http://ec2.example.org:8788/', 'RegionOne', 'ec2', {},
                  params={'Action': 'DescribeInstances', 'Version': '2016-11-15',
                          'Filter.1.Name': 'tag:Name', 'Filter.1.Value.1': 'web server~1',
                          'Filter.1.Value.2': '*', 'Empty': ''})
    add('sigv4-get-query', p.method, p.url, prepared_headers(p), p.body)

    # JS v3 style: x-amz-content-sha256 and more headers signed, odd spacing in a value.
    body = 'Action=DescribeVpcs&Version=2016-11-15'
    sha = hashlib.sha256(body.encode()).hexdigest()
    extra = {'Content-Type': 'application/x-www-form-urlencoded', 'X-Amz-Content-SHA256': sha,
             'amz-sdk-invocation-id': 'b0b0b0b0-1111-2222-3333-444455556666',
             'amz-sdk-request': 'attempt=1; max=3', 'x-amz-user-agent': 'aws-sdk-js/3.0.0   x',
             'Content-Length': str(len(body))}
    p = v4_header('POST', 'http://ec2.example.org:8788/', 'RegionOne', 'ec2', extra, body)
    add('jsv3-content-sha256', p.method, p.url, prepared_headers(p), p.body)

    extra['X-Amz-Content-SHA256'] = 'UNSIGNED-PAYLOAD'
    p = v4_header('POST', 'http://ec2.example.org:8788/', 'RegionOne', 'ec2', extra, body)
    add('unsigned-payload-rejected', p.method, p.url, prepared_headers(p), p.body,
        expect='AuthFailure')


# --- 3. Presigned URLs -----------------------------------------------------------------------

def presigned_vectors():
    captured = {}
    orig = botocore.auth.SigV4QueryAuth.add_auth

    def spy(self, request):
        orig(self, request)
        captured['method'] = request.method

    botocore.auth.SigV4QueryAuth.add_auth = spy
    client, _ = client_call('http://ec2.example.org:8788', 'RegionOne', 'describe_regions', {})
    url = client.generate_presigned_url('describe_regions', ExpiresIn=300,
                                        Params={'RegionNames': ['RegionOne', 'a b']})
    botocore.auth.SigV4QueryAuth.add_auth = orig
    add('botocore-generate-presigned-url', captured['method'], url, [], b'',
        note='botocore signs the operation\'s method (POST for EC2), body moved to the query')

    creds = Credentials(ACCESS, SECRET)
    req = AWSRequest(method='GET', url='http://ec2.example.org:8788/',
                     params={'Action': 'CopySnapshot', 'SourceRegion': 'RegionTwo',
                             'SourceSnapshotId': 'snap-1234abcd', 'Version': '2016-11-15'})
    botocore.auth.SigV4QueryAuth(creds, 'ec2', 'RegionTwo', expires=3600).add_auth(req)
    p = req.prepare()
    add('sigv4-query-auth-get', p.method, p.url, prepared_headers(p), p.body)


# --- 4. SigV2 --------------------------------------------------------------------------------

def v2_sign(method, host, path, params, digest):
    """Hand-computed SigV2 (the HmacSHA1 case botocore cannot produce)."""
    pairs = ['%s=%s' % (urllib.parse.quote(k, safe=''), urllib.parse.quote(str(params[k]),
                                                                           safe='-_~'))
             for k in sorted(params)]
    sts = '%s\n%s\n%s\n%s' % (method, host.lower(), path, '&'.join(pairs))
    return base64.b64encode(hmac.new(SECRET.encode(), sts.encode(), digest).digest()).decode()


def sigv2_vectors():
    creds = Credentials(ACCESS, SECRET)
    req = AWSRequest(method='GET', url='http://ec2.example.org:8788/',
                     params={'Action': 'DescribeInstances', 'Version': '2016-11-15',
                             'Filter.1.Name': 'instance-state-name',
                             'Filter.1.Value.1': 'running now'})
    botocore.auth.SigV2Auth(creds).add_auth(req)
    p = req.prepare()
    add('botocore-sigv2-get', p.method, p.url, prepared_headers(p), p.body)

    req = AWSRequest(method='POST', url='http://ec2.example.org:8788/',
                     headers={'Content-Type': FORM},
                     data={'Action': 'CreateKeyPair', 'Version': '2016-11-15',
                           'KeyName': 'my key+1'})
    botocore.auth.SigV2Auth(creds).add_auth(req)
    p = req.prepare()
    add('botocore-sigv2-post', p.method, p.url, prepared_headers(p), p.body)

    base = {'Action': 'DescribeImages', 'Version': '2014-05-01', 'AWSAccessKeyId': ACCESS,
            'SignatureVersion': '2'}

    def hand(name, extra, digest, method='POST', expect='ok', host='ec2.example.org:8788',
             sign_host=None):
        params = dict(base, **extra)
        params['Signature'] = v2_sign(method, sign_host or host, '/', params, digest)
        enc = urllib.parse.urlencode(params)
        hdrs = [['Host', host]]
        if method == 'POST':
            hdrs.append(['Content-Type', 'application/x-www-form-urlencoded'])
            add(name, method, 'http://%s/' % host, hdrs, enc, expect=expect)
        else:
            add(name, method, 'http://%s/?%s' % (host, enc), hdrs, b'', expect=expect)

    ts = NOW.strftime('%Y-%m-%dT%H:%M:%SZ')
    hand('sigv2-hmacsha1', {'SignatureMethod': 'HmacSHA1', 'Timestamp': ts}, hashlib.sha1)
    hand('sigv2-java-millis', {'SignatureMethod': 'HmacSHA256',
                               'Timestamp': NOW.strftime('%Y-%m-%dT%H:%M:%S.123Z')},
         hashlib.sha256, method='GET')
    hand('sigv2-offset-timestamp', {'SignatureMethod': 'HmacSHA256',
                                    'Timestamp': NOW.strftime('%Y-%m-%dT%H:%M:%S+00:00')},
         hashlib.sha256)
    hand('sigv2-expires', {'SignatureMethod': 'HmacSHA256',
                           'Expires': (NOW + datetime.timedelta(minutes=5)).strftime(
                               '%Y-%m-%dT%H:%M:%SZ')}, hashlib.sha256)
    hand('sigv2-host-without-port', {'SignatureMethod': 'HmacSHA256', 'Timestamp': ts},
         hashlib.sha256, sign_host='EC2.example.org')
    hand('sigv2-timestamp-and-expires', {'SignatureMethod': 'HmacSHA256', 'Timestamp': ts,
                                         'Expires': ts}, hashlib.sha256,
         expect='InvalidParameterCombination')
    hand('sigv2-security-token', {'SignatureMethod': 'HmacSHA256', 'Timestamp': ts,
                                  'SecurityToken': 'tok'}, hashlib.sha256, expect='AuthFailure')
    hand('sigv2-expires-passed', {'SignatureMethod': 'HmacSHA256',
                                  'Expires': (NOW - datetime.timedelta(seconds=1)).strftime(
                                      '%Y-%m-%dT%H:%M:%SZ')}, hashlib.sha256,
         expect='RequestExpired')
    hand('sigv2-version-1', {'SignatureVersion': '1', 'SignatureMethod': 'HmacSHA256',
                             'Timestamp': ts}, hashlib.sha256, expect='AuthFailure')


def main():
    botocore_client_vectors()
    signer_vectors()
    presigned_vectors()
    sigv2_vectors()
    out = {'generator': 'tests/unit/auth/make_vectors.py',
           'botocore': botocore.__version__, 'vectors': vectors}
    json.dump(out, sys.stdout, indent=1, ensure_ascii=True)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
