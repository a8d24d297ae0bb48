#!/bin/bash
# tests/fresh/install_path_hash.sh [DIR] - sha256 over the install path of the checkout in DIR
# (default: this checkout): what tests/fresh/fresh.sh proves. .ci/run compares it with the
# first line of tests/fresh/proven.sha256 and runs fresh.sh when they differ.
#
# The install path: tools/**, tests/cloud/**, tests/fresh/** (but the proof itself and .md prose),
# tests/run.sh, .ci/run, the root CMakeLists.txt, the packaging (debian/**, contrib/deb|rpm|lib/**
# and the unit and logrotate files the packages install), and the dependency lines (find_package,
# pkg_check_modules, find_program, find_library, find_path) of every other CMake file, as one
# sorted set without file names: a new library in a subdirectory needs a package on a fresh
# machine too, but a new plugin directory that asks for nothing new changes nothing here.
DIR=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
# shellcheck source=tools/lib/errtrap.sh
. "$DIR/tools/lib/errtrap.sh"
ec2gw_errtrap tests/fresh/install_path_hash.sh
cd "$DIR"
PHASE=list

# The checkout's files: git's view (tracked and untracked, not ignored) when there is a .git,
# else every file (a copy made by fresh.sh holds exactly git's view).
files() {
    if [ -e .git ]; then
        git ls-files -z -co --exclude-standard
    else
        find . -type f ! -path './.git/*' -printf '%P\0'
    fi
}

PHASE='hash files'
deps=$(mktemp)
ec2gw_at_exit "rm -f '$deps'"
{
    files | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
        [ -f "$f" ] || continue # deleted in the working tree
        case $f in
            tests/fresh/proven.sha256 | *__pycache__* | *.pyc | *.md) ;; # prose runs nothing
            tools/* | tests/cloud/* | tests/fresh/* | tests/run.sh | .ci/run | CMakeLists.txt | \
                debian/* | contrib/deb/* | contrib/rpm/* | contrib/lib/* | contrib/systemd/* | contrib/logrotate/*)
                printf '%s\n' "$f"
                sha256sum < "$f"
                ;;
            *CMakeLists.txt | *.cmake)
                { grep -E '^[[:space:]]*(find_package|pkg_check_modules|find_program|find_library|find_path)[[:space:]]*\(' "$f" || true; } |
                    sed 's/^[[:space:]]*//; s/[[:space:]]*$//' >> "$deps"
                ;;
        esac
    done
    echo "dependency lines of the other CMake files"
    LC_ALL=C sort -u "$deps" | sha256sum
} | sha256sum | cut -d' ' -f1
