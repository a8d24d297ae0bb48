#!/bin/bash
# contrib/lib/pkg_tree.sh - sourced by contrib/deb/build.sh and contrib/rpm/build.sh.
#
# pkg_copy_tree TOP DEST: the tree a package is built from, copied to DEST:
#  - EC2GW_PKG_REV=<commit>: that commit (git archive; a shared checkout's half-written files
#    stay out);
#  - else, in a git checkout with git installed: the working tree as git sees it (tracked and
#    untracked files, not ignored ones; deleted ones skipped);
#  - else (a release tarball, or a copy without .git, on a machine without git): every file
#    but the top-level .gitignore's build litter (/build*/, /var/, /bench-results/, /ec2rc.sh,
#    node_modules, __pycache__, *.pyc).
# pkg_commit TOP: the commit being built (12 hex digits), "" when unknown; exported as
# EC2GW_GIT_COMMIT, which daemon/CMakeLists.txt takes for ec2gw_build_info when the package's
# private copy has no .git of its own.

pkg_have_git() { command -v git > /dev/null && git -C "$1" rev-parse --git-dir > /dev/null 2>&1; }

pkg_copy_tree() {
    if [ -n "${EC2GW_PKG_REV:-}" ]; then
        pkg_have_git "$1" || { echo "EC2GW_PKG_REV=$EC2GW_PKG_REV needs git and a git checkout in $1" >&2; return 1; }
        git -C "$1" archive "$EC2GW_PKG_REV" | tar -C "$2" -xf -
    elif pkg_have_git "$1"; then
        (cd "$1" && git ls-files -z -co --exclude-standard) |
            (cd "$1" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
            tar -C "$1" --null -T - -cf - | tar -C "$2" -xf -
    else
        tar -C "$1" --exclude=./.git --exclude='./build*' --exclude=./var --exclude=./bench-results \
            --exclude=./ec2rc.sh --exclude=node_modules --exclude=__pycache__ --exclude='*.pyc' \
            -cf - . | tar -C "$2" -xf -
    fi
}

pkg_commit() {
    if pkg_have_git "$1"; then
        git -C "$1" rev-parse --short=12 "${EC2GW_PKG_REV:-HEAD}" 2> /dev/null || true
    fi
}
