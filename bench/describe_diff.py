"""describe_diff.py BUILD_A BUILD_B [SERVERS] - DescribeInstances answers of two builds must be
byte-identical (requestId aside): both serve one database, on one replay backend with SERVERS
instances (default 100), five queries three times each (the first builds models, the repeats
may reuse kept ones). Prints "identical" or the differing answers (exit 1)."""
import os, re, subprocess, sys, tempfile, urllib.request
import benchlib
import botocore.session, botocore.auth, botocore.awsrequest, botocore.credentials

builds = sys.argv[1:3]
servers = int(sys.argv[3]) if len(sys.argv) > 3 else 100
env = benchlib.second_tenant(benchlib.cloud_env())
port = benchlib.free_port()
replay = subprocess.Popen([sys.executable, os.path.join(benchlib.HERE, "replay_backend.py"), "--port", str(port), "--servers", str(servers)])
db = tempfile.mkdtemp(prefix="h3-diff-") + "/db.sqlite"
def conf_edit(src):
    return re.sub(r"(?m)^(\s*database:\s*).*$", r"\g<1>" + db, src)
QUERIES = [
    {},
    {"Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "running"},
    {"MaxResults": "7"},
    {"Filter.1.Name": "network-interface.group-name", "Filter.1.Value.1": "default"},
    {"Filter.1.Name": "tag-key", "Filter.1.Value.1": "nothing"},
]
def call(gw, params):
    body = "Action=DescribeInstances&Version=2016-11-15&" + "&".join("%s=%s" % kv for kv in params.items())
    req = botocore.awsrequest.AWSRequest(method="POST", url=gw.url + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(gw.access, gw.secret), "ec2", gw.region).add_auth(req)
    p = req.prepare()
    r = urllib.request.urlopen(urllib.request.Request(p.url, data=p.body.encode() if isinstance(p.body, str) else p.body, headers=dict(p.headers), method="POST"), timeout=300)
    return re.sub(rb"<requestId>[^<]*</requestId>", b"", r.read())
out = {}
try:
    benchlib.wait_http("http://127.0.0.1:%d/_replay/stats" % port, replay)
    for b in builds:
        gw = benchlib.start_ec2gwd(env, keystone_url="http://127.0.0.1:%d/_up/ks/v3" % port, build=b, conf_edit=conf_edit)
        try:
            ans = []
            for rep in range(3):
                for q in QUERIES:
                    ans.append(call(gw, q))
            out[b] = ans
        finally:
            gw.stop()
finally:
    replay.terminate()
a, b = out[builds[0]], out[builds[1]]
n = len(QUERIES)
ok = True
for i in range(len(a)):
    if a[i] != b[i] or a[i] != a[i % n] or b[i] != b[i % n]:
        ok = False
        print("DIFF at", i, len(a[i]), len(b[i]), len(a[i % n]))
print("answers", len(a), "sizes", [len(x) for x in a[:n]], "identical" if ok else "DIFFERENT")
sys.exit(0 if ok else 1)
