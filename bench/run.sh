#!/bin/bash
# bench/run.sh SCENARIO [options] - see bench/README.md and bench/run.sh --help.
# Environment: EC2GW_BUILD (build dir, default build-bench), EC2GW_LOADGEN (loadgen binary).
# bench/run.sh soak [options]: bench/soak.py (its --help), the long mixed-load run.
if [ "${1:-}" = soak ]; then
    shift
    exec python3 "$(dirname "$0")/soak.py" "$@"
fi
exec python3 "$(dirname "$0")/run.py" "$@"
