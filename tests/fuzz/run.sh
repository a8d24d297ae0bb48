#!/bin/bash
# tests/fuzz/run.sh [SECONDS] - build the libFuzzer harnesses with clang
# (-fsanitize=fuzzer,address,undefined) in their own build directory and run each for SECONDS
# (default 20) from the seed corpus in tests/fuzz/corpus/<harness> (new inputs go to a working
# corpus in the build directory, never into the tree). Any crash, leak or sanitizer report
# fails the script; the crashing input is kept in $FUZZ_BUILD/artifacts/.
# FUZZ_BUILD (default build-fuzz/ in this checkout: a build dir shared between checkouts
# makes CMake refuse the other source tree), FUZZ_ONLY="sig xml" (a subset), FUZZ_JOBS.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${1:-20}
B=${FUZZ_BUILD:-$(cd "$HERE/../.." && pwd)/build-fuzz}
HARNESSES=${FUZZ_ONLY:-"query sig config xml filters"}
CC=${FUZZ_CC:-$(command -v clang || command -v clang-14)}

cmake -S "$HERE" -B "$B" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j"${FUZZ_JOBS:-2}" >/dev/null
mkdir -p "$B/artifacts"
rc=0
for h in $HARNESSES; do
    work="$B/corpus/$h"
    mkdir -p "$work"
    dict=()
    [ -f "$HERE/dict/$h.dict" ] && dict=(-dict="$HERE/dict/$h.dict")
    log="$B/fuzz_$h.log"
    if "$B/fuzz_$h" "$work" "$HERE/corpus/$h" "${dict[@]}" -max_total_time="$SECS" \
        -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/artifacts/$h-" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        rc=1
    fi
    # "#N DONE cov: C ft: F corp: ..." and the executions count of the final stats
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/' || true)
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    echo "fuzz_$h: $status execs=${execs:-?} $last"
    if [ "$status" != ok ]; then
        grep -E 'ERROR|SUMMARY|artifact' "$log" | head -20 || true
    fi
done
exit $rc
