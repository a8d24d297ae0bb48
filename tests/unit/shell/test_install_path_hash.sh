#!/bin/bash
# tests/unit/shell/test_install_path_hash.sh SRC - what tests/fresh/install_path_hash.sh sees:
# every file of the install path by name and content, but of the other CMake files only their
# dependency lines as one set, so a new plugin directory that needs nothing new keeps the hash.
set -euo pipefail
SRC=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/tools/lib" "$T/tests/fresh" "$T/plugins/a"
cp "$SRC/tools/lib/errtrap.sh" "$T/tools/lib/"
cp "$SRC/tests/fresh/install_path_hash.sh" "$T/tests/fresh/"
echo 'apt-get install foo' > "$T/tools/deps.sh"
echo 'project(x)' > "$T/CMakeLists.txt"
printf 'add_library(a a.c)\n  pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)\n' > "$T/plugins/a/CMakeLists.txt"
echo 'readme' > "$T/README.md"

fails=0
h() { bash "$T/tests/fresh/install_path_hash.sh" "$T"; }
base=$(h)
check() { # check same|differs WHAT
    local now
    now=$(h)
    if { [ "$1" = same ] && [ "$now" = "$base" ]; } || { [ "$1" = differs ] && [ "$now" != "$base" ]; }; then
        echo "ok: $2 -> hash $1"
    else
        echo "FAIL: $2 -> hash should be $1 ($base -> $now)"
        fails=$((fails + 1))
    fi
    base=$now
}
[[ $base =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: not a sha256: $base"; exit 1; }
check same "run twice"
mkdir -p "$T/plugins/b" && printf 'add_library(b b.c)\nadd_subdirectory(c)\n' > "$T/plugins/b/CMakeLists.txt"
check same "a new plugin directory without dependency lines"
echo 'pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)' >> "$T/plugins/b/CMakeLists.txt"
check same "a dependency line another CMake file already has"
mv "$T/plugins/a" "$T/plugins/z"
check same "a plugin directory renamed"
echo 'find_package(Foo REQUIRED)' > "$T/plugins/b/foo.cmake"
check differs "a new find_package in a .cmake file"
echo 'pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)' >> "$T/plugins/b/CMakeLists.txt"
check differs "a new pkg_check_modules"
sed -i 's/yaml-0.1/yaml-0.2/' "$T/plugins/b/CMakeLists.txt"
check differs "a changed dependency line"
echo 'add_executable(t t.c)' >> "$T/plugins/b/CMakeLists.txt"
check same "a non-dependency line"
echo 'apt-get install foo bar' > "$T/tools/deps.sh"
check differs "tools/deps.sh changed"
cp "$T/tools/deps.sh" "$T/tools/deps2.sh"
check differs "a new file under tools/"
echo 'cmake_minimum_required(VERSION 3.25)' >> "$T/CMakeLists.txt"
check differs "the root CMakeLists.txt changed"
mkdir -p "$T/debian" "$T/contrib/deb" "$T/contrib/systemd" "$T/contrib/grafana"
echo 'Source: ec2gw' > "$T/debian/control"
check differs "debian/control (the package's build)"
echo 'exit 0' > "$T/contrib/deb/build.sh"
check differs "contrib/deb/build.sh"
echo '[Service]' > "$T/contrib/systemd/ec2gwd.service"
check differs "the unit the package installs"
echo '{}' > "$T/contrib/grafana/dashboard.json"
check same "a contrib/ file outside the packaging (a dashboard)"
mkdir -p "$T/tests/cloud"
echo '# notes' > "$T/tests/cloud/README.md"
check same "a Markdown file under tests/cloud (prose runs nothing)"
echo 'other' > "$T/README.md"
echo 'proof' > "$T/tests/fresh/proven.sha256"
check same "README and the proof itself"
[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
