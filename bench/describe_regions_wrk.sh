#!/bin/bash
# bench/describe_regions_wrk.sh ENDPOINT ACCESS SECRET [CONNECTIONS] [SECONDS]
# DescribeRegions at N connections with wrk, replaying one SigV4-signed request (valid for
# the 15-minute skew window; EC2 has no replay protection). A stop-gap until bench/'s own
# load generator, which signs every request, exists.
set -euo pipefail
EP=${1:?endpoint}; AK=${2:?access key}; SK=${3:?secret}; C=${4:-50}; D=${5:-10}
LUA=$(mktemp --suffix=.lua)
python3 - "$EP" "$AK" "$SK" > "$LUA" <<'PY'
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
ep, ak, sk = sys.argv[1:4]
body = "Action=DescribeRegions&Version=2016-11-15"
req = AWSRequest(method="POST", url=ep + "/", data=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials(ak, sk), "ec2", "RegionOne").add_auth(req)
print('wrk.method = "POST"')
print('wrk.body = "%s"' % body)
for k, v in req.headers.items():
    print('wrk.headers["%s"] = "%s"' % (k, v))
print('''done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f p50_ms %.2f p99_ms %.2f errors %d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect))
end''')
PY
wrk -t2 -c"$C" -d"${D}s" --latency -s "$LUA" "$EP/"
rm -f "$LUA"
