#!/usr/bin/env python3
"""Regenerate the seed corpus of tests/fuzz (small files, committed).

- query: form bodies serialized by botocore's own EC2 serializer (what boto3 and awscli send);
- sig:   the signature unit test vectors (botocore, awscli, boto 2, JS v3, Perl, SigV2 clients)
         as "METHOD PATH?QUERY\\nName: value\\n...\\n\\nBODY";
- config: the shipped conf.d files;
- xml:   "<Operation>\\n<JSON model>" with models generated from the operation's output shape;
- filters: Filters/Items/Tags documents and "pattern\\nvalue" pairs.
Run with the python3 that has botocore: tests/fuzz/make_corpus.py
"""
import hashlib
import json
import os
import random

import botocore.session
from botocore.serialize import create_serializer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(kind, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(HERE, 'corpus', kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), 'wb') as f:
        f.write(data)


def query_seeds():
    model = botocore.session.get_session().get_service_model('ec2')
    ser = create_serializer('ec2', include_validation=False)
    calls = [
        ('DescribeInstances', {'InstanceIds': ['i-00000001'], 'Filters': [
            {'Name': 'instance-state-name', 'Values': ['running', 'stop*']},
            {'Name': 'tag:Name', 'Values': ['web ?']}], 'MaxResults': 5}),
        ('RunInstances', {'ImageId': 'ami-00000001', 'MinCount': 1, 'MaxCount': 2,
                          'InstanceType': 'm1.small', 'KeyName': 'k', 'UserData': 'aGVsbG8=',
                          'ClientToken': 'tok-1', 'DryRun': True,
                          'BlockDeviceMappings': [{'DeviceName': '/dev/vdb',
                                                   'Ebs': {'VolumeSize': 1,
                                                           'DeleteOnTermination': True}}],
                          'NetworkInterfaces': [{'DeviceIndex': 0, 'SubnetId': 'subnet-1',
                                                 'Groups': ['sg-1'],
                                                 'PrivateIpAddresses': [{'Primary': True,
                                                    'PrivateIpAddress': '10.0.0.5'}]}],
                          'TagSpecifications': [{'ResourceType': 'instance',
                                                 'Tags': [{'Key': 'a', 'Value': 'b'}]}]}),
        ('CreateTags', {'Resources': ['i-00000001', 'vol-00000001'],
                        'Tags': [{'Key': 'Name', 'Value': 'x y'}, {'Key': 'e', 'Value': ''}]}),
        ('DescribeTags', {'Filters': [{'Name': 'key', 'Values': ['N*']}], 'MaxResults': 1000,
                          'NextToken': 'AQ'}),
        ('ModifyInstanceAttribute', {'InstanceId': 'i-1', 'Attribute': 'disableApiTermination',
                                     'Value': 'False'}),
        ('ModifyInstanceAttribute', {'InstanceId': 'i-1', 'Groups': ['sg-1', 'sg-2']}),
        ('AuthorizeSecurityGroupIngress', {'GroupId': 'sg-1', 'IpPermissions': [
            {'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
             'IpRanges': [{'CidrIp': '0.0.0.0/0', 'Description': 'ssh'}],
             'Ipv6Ranges': [{'CidrIpv6': '::/0'}]}]}),
        ('CreateKeyPair', {'KeyName': 'k', 'KeyType': 'ed25519', 'KeyFormat': 'ppk'}),
        ('ImportKeyPair', {'KeyName': 'k', 'PublicKeyMaterial': b'ssh-ed25519 AAAA x'}),
        ('CreateVolume', {'AvailabilityZone': 'nova', 'Size': 1, 'VolumeType': 'gp2',
                          'Encrypted': False, 'Iops': 100}),
        ('DescribeImages', {'Owners': ['self'], 'ExecutableUsers': ['all'],
                            'IncludeDeprecated': True}),
        ('RegisterImage', {'Name': 'n', 'BlockDeviceMappings': [{'DeviceName': '/dev/vda',
                           'Ebs': {'SnapshotId': 'snap-1'}}], 'RootDeviceName': '/dev/vda'}),
        ('CreateLaunchTemplate', {'LaunchTemplateName': 't', 'LaunchTemplateData': {
            'ImageId': 'ami-1', 'TagSpecifications': [{'ResourceType': 'instance',
                                                       'Tags': [{'Key': 'k', 'Value': 'v'}]}]}}),
        ('DescribeRegions', {'AllRegions': True}),
        ('AllocateAddress', {'Domain': 'vpc'}),
        ('CreateVpc', {'CidrBlock': '10.0.0.0/16', 'AmazonProvidedIpv6CidrBlock': False}),
        ('DescribeInstanceStatus', {'IncludeAllInstances': True, 'MaxResults': 1100}),
        ('CopySnapshot', {'SourceRegion': 'r', 'SourceSnapshotId': 'snap-1',
                          'PresignedUrl': 'http://h/?Action=CopySnapshot&X-Amz-Signature=a'}),
        ('DescribeInstanceTypes', {'InstanceTypes': ['m1.small'], 'MaxResults': -1}),
        ('GetConsoleOutput', {'InstanceId': 'i-1', 'Latest': True}),
    ]
    for op, params in calls:
        req = ser.serialize_to_request(params, model.operation_model(op))
        body = req['body']
        if isinstance(body, dict):
            from urllib.parse import urlencode
            body = urlencode(body)
        put('query', body)
    # hand-made edge cases: escapes, '+', duplicates, legacy spellings, huge indices
    for s in ['Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.1=i-2',
              'Action=RunInstances&MinCount=%2B1&MaxCount=1e3&ImageId=ami%2D1&UserData=%',
              'Action=DescribeTags&Filter.4294967297.Name=key&Filter.0.Value.1=a+b',
              'Action=CreateTags&ResourceId.1=i-1&Tag.1.Key=&Tag.1.Value=%E2%82%AC%FF',
              'Action=DescribeImages&Owner.1=self&ExecutableBy.1=all&DryRun=TRUE',
              'Action=ModifyInstanceAttribute&InstanceId=i-1&DisableApiTermination.Value=fAlSe',
              'Action=DescribeSecurityGroups&GroupName.1=default&MaxResults=0']:
        put('query', s)


def sig_seeds():
    with open(os.path.join(ROOT, 'tests/unit/auth/vectors/sig_vectors.json')) as f:
        vectors = json.load(f)['vectors']
    for v in vectors:
        target = v['path'] + ('?' + v['query'] if v['query'] else '')
        head = ''.join('%s: %s\n' % (n, val) for n, val in v['headers'])
        put('sig', '%s %s\n%s\n%s' % (v['method'], target, head, v['body']))


def config_seeds():
    d = os.path.join(ROOT, 'conf.d')
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), 'rb') as f:
            put('config', f.read())
    put('config', 'a: &x 1\nb: *x\n')
    put('config', 'daemon:\n  listen: [127.0.0.1:8788, "::1"]\n  max_body: 2MiB\n  timeout: 1500ms\n'
                  'daemon:\n  dup: 1\n')
    put('config', 'plugins:\n  - name: !!str nova\n    settings: {a: [1, 2, {b: c}]}\n')


def shape_value(model, shape, depth, rnd):
    t = shape.type_name
    if depth > 5:
        return None
    if t == 'structure':
        out = {}
        for name, m in shape.members.items():
            if rnd.random() < 0.8:
                v = shape_value(model, m, depth + 1, rnd)
                if v is not None:
                    out[name] = v
        return out
    if t == 'list':
        return [x for x in (shape_value(model, shape.member, depth + 1, rnd)
                            for _ in range(rnd.randint(0, 2))) if x is not None]
    if t == 'map':
        return {'k': shape_value(model, shape.value, depth + 1, rnd)}
    if t == 'string':
        if shape.enum:
            return rnd.choice(shape.enum)
        return rnd.choice(['x', '', 'a<b>&"c\'', 'i-00000001', '\u20ac', 'x' * 40])
    if t in ('integer', 'long'):
        return rnd.choice([0, 1, -1, 2147483647])
    if t in ('double', 'float'):
        return rnd.choice([0.5, 1e300, -2.0])
    if t == 'boolean':
        return rnd.choice([True, False])
    if t == 'timestamp':
        return rnd.choice(['2026-11-25T13:00:00Z', '2026-11-25 13:00:00.123456+02:00'])
    if t == 'blob':
        return 'aGVsbG8='
    return None


def xml_seeds():
    model = botocore.session.get_session().get_service_model('ec2')
    rnd = random.Random(11)
    ops = ['DescribeInstances', 'RunInstances', 'DescribeImages', 'DescribeTags',
           'DescribeSecurityGroups', 'DescribeVolumes', 'CreateKeyPair', 'DescribeRegions',
           'DescribeAddresses', 'DescribeVpcs', 'DescribeSubnets', 'DescribeNetworkInterfaces',
           'DescribeInstanceAttribute', 'DescribeInstanceStatus', 'DescribeLaunchTemplateVersions',
           'GetConsoleOutput', 'TerminateInstances', 'CreateTags', 'DescribeRouteTables',
           'DescribeSnapshots']
    for op in ops:
        out = model.operation_model(op).output_shape
        m = shape_value(model, out, 0, rnd) if out is not None else {}
        put('xml', op + '\n' + json.dumps(m))
    put('xml', 'DescribeRegions\n{"Regions": [{"RegionName": "a\\u0000b\\u0001\\ud800"}]}')
    put('xml', 'Bogus\n{"Code": "X\\"><y>", "Message": "m"}')


def filters_seeds():
    put('filters', json.dumps({
        'Filters': [{'Name': 'tag:Name', 'Values': ['w*']},
                    {'Name': 'state', 'Values': ['running', 'st?pped']},
                    {'Name': 'tag-key', 'Values': ['e\\*']}],
        'Items': [{'Id': 'i-00000001', 'state': 'running'}, {'Id': 'i-2', 'state': ['x']}],
        'Tags': {'i-00000001': [{'Key': 'Name', 'Value': 'web'}]}}))
    put('filters', json.dumps({'Filters': [{'Name': 'resource-type', 'Values': ['instance', 'vol*']},
                                           {'Name': 'key', 'Values': ['Name', '', '*']},
                                           {'Name': 'value', 'Values': ['a\\*b\\?c']}],
                               'MaxResults': 5}))
    put('filters', json.dumps({'Filters': [{'Name': 'resource-id', 'Values': ['i-*', 'vpc-00000001']}],
                               'MaxResults': 5, 'NextToken': 'AQAAAAAAAAAAAAAAAGktMDAwMDAwMDEgTmFtZQ'}))
    put('filters', json.dumps({'Filters': [{'Name': 'unknown', 'Values': ['x']}], 'Items': [{}]}))
    for p, v in [('*a*b*c*', 'xxaxxbxxc'), ('\\*?\\\\', '*x\\'), ('??\u20ac*', 'ab\u20acz'),
                 ('*' * 30 + 'b', 'a' * 60)]:
        put('filters', p + '\n' + v)


if __name__ == '__main__':
    query_seeds()
    sig_seeds()
    config_seeds()
    xml_seeds()
    filters_seeds()
