#!/bin/bash
# contrib/deb/build.sh OUTDIR: build the ec2gw and ec2gw-sdk-dev .debs from the working tree
# (what git sees: tracked and untracked files, not ignored ones) in a private copy, so the
# checkout gets no debian/ build litter, then move the .debs, .buildinfo and .changes to OUTDIR.
# Needs the build dependencies installed (tools/deps.sh) and debhelper (tools/deps.sh --test has both).
set -euo pipefail

# The working tree (files git lists, deleted ones skipped), or with EC2GW_PKG_REV=<commit>
# that commit only (a shared checkout's half-written files stay out).
copy_tree() {
    if [ -n "${EC2GW_PKG_REV:-}" ]; then
        git -C "$1" archive "$EC2GW_PKG_REV" | tar -C "$2" -xf -
        return
    fi
    (cd "$1" && git ls-files -z -co --exclude-standard) |
        (cd "$1" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
        tar -C "$1" --null -T - -cf - | tar -C "$2" -xf -
}

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
for tool in git dpkg-buildpackage; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/ec2gw-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/ec2gw"
mkdir "$src"
copy_tree "$top" "$src"

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
