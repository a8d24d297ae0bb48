#!/bin/bash
# contrib/rpm/build.sh OUTDIR: make a git-archive-style tarball (ec2gw-VERSION/...) of the
# tree (as contrib/deb/build.sh takes it: contrib/lib/pkg_tree.sh), then rpmbuild -bb it with a
# private _topdir and move the .rpms to OUTDIR. --nodeps: on Debian, rpm's database knows none
# of the build dependencies (the Debian packages provide them).
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
for tool in rpmbuild tar; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
work=$(mktemp -d /var/tmp/ec2gw-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{SOURCES,BUILD,RPMS,SRPMS,SPECS,tree/src}
pkg_copy_tree "$top" "$work/tree/src"
# the private copy has no .git: ec2gw_build_info's commit comes from here
EC2GW_GIT_COMMIT=${EC2GW_GIT_COMMIT:-$(pkg_commit "$top")}
export EC2GW_GIT_COMMIT
# The spec of the tree being built (EC2GW_PKG_REV's, not the checkout's).
version=$(sed -n 's/^Version:[[:space:]]*//p' "$work/tree/src/contrib/rpm/ec2gw.spec")
mv "$work/tree/src" "$work/tree/ec2gw-$version"
spec="$work/tree/ec2gw-$version/contrib/rpm/ec2gw.spec"
tar -C "$work/tree" --owner=0 --group=0 -czf "$work/SOURCES/ec2gw-$version.tar.gz" \
    "ec2gw-$version"

log="$work/rpmbuild.log"
if ! rpmbuild -bb --nodeps --define "_topdir $work" "$spec" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "$0: rpmbuild failed (log above, last 60 lines)" >&2
    exit 1
fi
cp "$log" "$out"/rpmbuild.log
for f in "$work"/RPMS/*/*.rpm; do
    mv -f "$f" "$out"/
    echo "$out/$(basename "$f")"
done
