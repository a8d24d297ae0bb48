#!/bin/bash
# contrib/deb/build.sh OUTDIR: build the ec2gw and ec2gw-sdk-dev .debs from the tree (in a git
# checkout: what git sees, tracked and untracked files, not ignored ones; without git: every file
# but the build litter; EC2GW_PKG_REV=<commit>: that commit; contrib/lib/pkg_tree.sh) in a
# private copy, so the checkout gets no debian/ build litter, then move the .debs, .buildinfo
# and .changes to OUTDIR.
# Needs the build dependencies installed (tools/deps.sh) and debhelper (tools/deps.sh --test has both).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=contrib/lib/pkg_tree.sh
. "$top/contrib/lib/pkg_tree.sh"
mkdir -p "$1"
out=$(cd "$1" && pwd)
command -v dpkg-buildpackage >/dev/null || { echo "$0: dpkg-buildpackage not found (apt-get install debhelper)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/ec2gw-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/ec2gw"
mkdir "$src"
pkg_copy_tree "$top" "$src"
# the private copy has no .git: ec2gw_build_info's commit comes from here
EC2GW_GIT_COMMIT=${EC2GW_GIT_COMMIT:-$(pkg_commit "$top")}
export EC2GW_GIT_COMMIT

export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}"
log="$work/dpkg-buildpackage.log"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "$0: dpkg-buildpackage failed (log above, last 60 lines)" >&2
    exit 1
fi
shopt -s nullglob
files=("$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes)
mv -f "${files[@]}" "$out"/
cp "$log" "$out"/dpkg-buildpackage.log
for f in "${files[@]}"; do echo "$out/$(basename "$f")"; done
