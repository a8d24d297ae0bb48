#!/bin/bash
# bench/run.sh SCENARIO [options] - see bench/README.md and bench/run.sh --help.
# Environment: EC2GW_BUILD (build dir, default build-bench), EC2GW_LOADGEN (loadgen binary).
exec python3 "$(dirname "$0")/run.py" "$@"
