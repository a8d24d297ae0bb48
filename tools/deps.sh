#!/bin/bash
# tools/deps.sh - install the Debian 12 packages ec2gw needs to build and test (as root).
# Idempotent: installs only what is missing.
set -euo pipefail
PKGS="build-essential cmake pkg-config clang-format libevent-dev libcurl4-openssl-dev
libjansson-dev libyaml-dev libsqlite3-dev libxml2-dev libssl-dev libcmocka-dev sqlite3 curl"
[ "${1:-}" = "--test" ] && PKGS="$PKGS python3 python3-boto3 awscli putty-tools"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# The python3 on PATH may be another Python that already has boto3 and awscli.
if [ "${1:-}" = "--test" ] && python3 -c 'import boto3' 2>/dev/null && command -v aws >/dev/null; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e python3 -e python3-boto3 -e awscli | tr '\n' ' ')
fi
if [ -n "${missing// /}" ]; then
    echo "[deps] installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
echo "[deps] build dependencies present"
