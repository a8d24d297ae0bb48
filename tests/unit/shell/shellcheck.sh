#!/bin/bash
# tests/unit/shell/shellcheck.sh [SOURCE_DIR] - Debian's shellcheck over every shell script of
# the project: *.sh and any file whose first line is a sh/bash shebang (.ci/run). Settings in
# the root .shellcheckrc; runs from the root, where the source= directives are relative to.
ROOT=$(cd "${1:-$(dirname "$0")/../../..}" && pwd)
cd "$ROOT"
# shellcheck source=tools/lib/errtrap.sh
. tools/lib/errtrap.sh
ec2gw_errtrap tests/unit/shell/shellcheck.sh
PHASE=shellcheck
command -v shellcheck > /dev/null || ec2gw_fail "shellcheck missing: tools/deps.sh --test installs it"

files() {
    if [ -e .git ]; then
        git ls-files -z -co --exclude-standard
    else
        find . -type f ! -path './.git/*' ! -path './build*' -printf '%P\0'
    fi
}
mapfile -d '' -t all < <(files)
scripts=()
for f in "${all[@]}"; do
    [ -f "$f" ] || continue # deleted in the working tree
    case $f in
        *.sh) scripts+=("$f") ;;
        *.py | *.c | *.h | *.md | *.json | *.yaml | *.txt | *.js) ;;
        *) head -n1 "$f" 2> /dev/null | grep -qE '^#!.*(/|env )(ba)?sh\b' && scripts+=("$f") ;;
    esac
done
[ ${#scripts[@]} -gt 0 ] || ec2gw_fail "no shell script found under $ROOT"
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#scripts[@]} scripts"
shellcheck -x "${scripts[@]}" || ec2gw_fail "shellcheck findings above (fix them, or disable one with a reason)"
echo "shellcheck clean"
