#!/bin/bash
# bench/loadgen_vs_wrk.sh [CONNECTIONS] [SECONDS] [THREADS]
# Overhead check: saturate nginx serving a static 200 on 127.0.0.1 with wrk and with
# ec2gw-loadgen (unsigned GET, then SigV4-signed POST, as it loads ec2gw), and print the
# figures side by side. The load generator passes when it reaches the same order of magnitude
# as wrk (ratio >= 0.1; ideally >= 0.5). nginx runs with its own config and pid file under a
# temporary directory and is stopped afterwards.
set -euo pipefail
C=${1:-50}; D=${2:-5}; T=${3:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
LOADGEN=${EC2GW_LOADGEN:-$HERE/../build-bench/bench/ec2gw-loadgen}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$LOADGEN" ] || { echo "no $LOADGEN (build it, or set EC2GW_LOADGEN)" >&2; exit 1; }
[ -x "$NGINX" ] || { echo "nginx missing: apt-get install nginx-light" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
DIR=$(mktemp -d /tmp/ec2gw-nginx-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$DIR/tmp"
cat > "$DIR/nginx.conf" <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
daemon on;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/tmp;
    proxy_temp_path $DIR/tmp;
    fastcgi_temp_path $DIR/tmp;
    uwsgi_temp_path $DIR/tmp;
    scgi_temp_path $DIR/tmp;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$PORT;
        location / {
            default_type text/xml;
            return 200 "<DescribeRegionsResponse><requestId>x</requestId></DescribeRegionsResponse>\n";
        }
    }
}
CONF
"$NGINX" -c "$DIR/nginx.conf" -p "$DIR"
trap 'kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true; sleep 0.3; rm -rf "$DIR"' EXIT
sleep 0.3
URL="http://127.0.0.1:$PORT/"
echo "== nginx static 200 on $URL, $C connections, ${D}s, nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
WRK=$(wrk -t"$T" -c"$C" -d"${D}s" "$URL" | awk '/Requests\/sec/ {print $2}')
"$LOADGEN" --raw -e "$URL" -c "$C" -t "$T" -d "$D" -o "$DIR/raw.json" > "$DIR/raw.txt"
"$LOADGEN" -e "$URL" -a AKIDBENCH -s secretbench -c "$C" -t "$T" -d "$D" -o "$DIR/signed.json" \
    > "$DIR/signed.txt"
python3 - "$WRK" "$DIR/raw.json" "$DIR/signed.json" "$T" <<'PY'
import json, sys
wrk = float(sys.argv[1])
raw, signed = (json.load(open(p)) for p in sys.argv[2:4])
print("%-40s %12s %8s %8s %10s" % ("client (%s thread)" % sys.argv[4], "req/s", "p50 ms", "p99 ms", "vs wrk"))
print("%-40s %12.0f %8s %8s %10s" % ("wrk", wrk, "-", "-", "1.00"))
for name, r in (("ec2gw-loadgen GET, unsigned", raw), ("ec2gw-loadgen POST, SigV4 per request", signed)):
    print("%-40s %12.0f %8.2f %8.2f %10.2f" % (name, r["requests_per_s"], r["latency_ms"]["p50"],
          r["latency_ms"]["p99"], r["requests_per_s"] / wrk))
worst = min(raw["requests_per_s"], signed["requests_per_s"]) / wrk
print("verdict: %s (slowest loadgen mode at %.0f%% of wrk; same order of magnitude needs >= 10%%)"
      % ("PASS" if worst >= 0.1 else "FAIL", 100 * worst))
sys.exit(0 if worst >= 0.1 else 1)
PY
