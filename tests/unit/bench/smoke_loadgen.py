"""smoke_loadgen.py LOADGEN JSON - run ec2gw-loadgen for half a second against a stub EC2
server (DescribeRegions answers 200, DescribeTags an EC2 error) and check that it produced
figures: requests counted, latencies, the error code parsed from the body, signed requests."""

import http.server
import json
import subprocess
import sys
import threading

SEEN = {"signed": 0, "unsigned": 0}


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        auth = self.headers.get("Authorization", "")
        ok = auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDSMOKE/") and \
            "/RegionOne/ec2/aws4_request" in auth and self.headers.get("X-Amz-Date")
        SEEN["signed" if ok else "unsigned"] += 1
        if "Action=DescribeTags" in body:
            code, out = 400, ("<Response><Errors><Error><Code>InvalidParameterValue</Code>"
                              "<Message>x</Message></Error></Errors></Response>")
        else:
            code, out = 200, "<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>"
        self.send_response(code)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *args):
        pass


def main():
    loadgen, out = sys.argv[1:3]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/" % srv.server_address[1]
    p = subprocess.run([loadgen, "-e", url, "-a", "AKIDSMOKE", "-s", "secret", "-c", "2",
                        "-d", "0.5", "--mix", "DescribeRegions:1,DescribeTags:1", "-o", out],
                       capture_output=True, text=True, timeout=30)
    srv.shutdown()
    print(p.stdout, p.stderr)
    assert p.returncode == 0, p.returncode
    assert "requests/s" in p.stdout and "p99" in p.stdout
    r = json.load(open(out))
    assert r["requests"] > 0 and r["requests_per_s"] > 0, r
    assert r["latency_ms"]["p50"] > 0 and r["latency_ms"]["max"] >= r["latency_ms"]["p99"], r
    assert r["actions"]["DescribeRegions"]["requests"] > 0, r
    assert r["error_codes"].get("InvalidParameterValue", 0) > 0, r
    assert r["status"]["2xx"] > 0 and r["status"]["4xx"] > 0, r
    assert SEEN["signed"] > 0 and SEEN["unsigned"] == 0, SEEN
    print("ok")


if __name__ == "__main__":
    main()
