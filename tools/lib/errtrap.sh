# tools/lib/errtrap.sh - no script of the project may exit silently (issue 10).
# Sourced, never executed, by every script under tools/, tests/cloud/, tests/fresh/,
# tests/run.sh and .ci/run:
#
#   . "$ROOT/tools/lib/errtrap.sh"; ec2gw_errtrap NAME
#
# A command that makes `set -e` end the script prints NAME, the phase ($PHASE), the command,
# file:line, the exit status, the function stack and the log to read ($ERR_LOG, or "the output
# above"). A non-zero exit that printed nothing (a bare `exit 1`) is reported by the EXIT trap.
# Scripts set PHASE and ERR_LOG as they go; die()-style helpers set ERR_REPORTED=1 after
# printing their own message. Extra exit work goes through ec2gw_at_exit, never `trap … EXIT`,
# which would replace the report.

ERR_NAME=${ERR_NAME:-$(basename "$0")}
ERR_REPORTED=0
PHASE=${PHASE:-}
ERR_LOG=${ERR_LOG:-}
EC2GW_AT_EXIT=()

_ec2gw_on_err() {
    local rc=$1 cmd=$2 i stack="" sub=""
    # set -e is off in command substitutions and in `if`/`||` contexts: a failure there is
    # an answer, not an error; the caller sees it when it matters.
    case $- in *e*) ;; *) return 0 ;; esac
    if [ "$BASH_SUBSHELL" != 0 ]; then sub=" (subshell)"; fi
    for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
        stack="$stack ${FUNCNAME[$i]}@${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
    done
    {
        echo "ERROR in $ERR_NAME, phase '${PHASE:-?}'$sub:"
        echo "  command: $cmd"
        echo "  exit status $rc at ${BASH_SOURCE[1]:-$0}:${BASH_LINENO[0]}${stack:+ (stack:$stack)}"
        echo "  read: ${ERR_LOG:-the output above}"
    } >&2
    ERR_REPORTED=1
}

_ec2gw_on_exit() {
    local rc=$? f
    trap - ERR    # the exit status stays $rc; nothing here may report twice
    for f in "${EC2GW_AT_EXIT[@]}"; do
        # a failed clean-up fails a run that had succeeded (it prints its own message)
        eval "$f" || if [ "$rc" = 0 ]; then rc=1 ERR_REPORTED=1; fi
    done
    if [ "$rc" != 0 ] && [ "$ERR_REPORTED" = 0 ]; then
        echo "ERROR in $ERR_NAME, phase '${PHASE:-?}': exit status $rc; read: ${ERR_LOG:-the output above}" >&2
    fi
    exit "$rc"
}

# ec2gw_fail MSG : report MSG in the same format and exit 1.
ec2gw_fail() {
    echo "ERROR in $ERR_NAME, phase '${PHASE:-?}': $*; read: ${ERR_LOG:-the output above}" >&2
    ERR_REPORTED=1
    exit 1
}

# ec2gw_at_exit CMD : run CMD (eval'd) when the script exits, before the report; a CMD that
# fails makes a successful script exit 1.
ec2gw_at_exit() { EC2GW_AT_EXIT+=("$1"); }

# ec2gw_errtrap NAME : install the traps in this shell; functions, command substitutions
# and subshells inherit the ERR trap (set -E).
ec2gw_errtrap() {
    ERR_NAME=$1
    set -eEuo pipefail
    trap '_ec2gw_on_err $? "$BASH_COMMAND"' ERR
    trap _ec2gw_on_exit EXIT
}
