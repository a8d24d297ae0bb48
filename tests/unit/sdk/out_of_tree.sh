#!/bin/sh
# out_of_tree.sh <ec2gw build dir> <example source dir> [<plugin the example wraps>]
#
# Installs the SDK component of an ec2gw build into a temporary prefix and builds the example
# plugin against it twice, as a third party would: with pkg-config and a plain compiler line,
# and with CMake's find_package(ec2gw-sdk). Each module must export only `ec2gw_plugin`.
# Then a fake-host test links the installed libec2gw_testhost.a through pkg-config's
# testhost_libs and runs the module: the example's own test_<name>.c when it has one (given
# the module and the wrapped plugin; CMake's build runs it through ctest too), else a small
# one that expects the hello example.
set -eu

build=$1
example=$2
wrapped=${3:-}
name=$(basename "$example")
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ec2gw-sdk-oot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

say() { printf 'out_of_tree: %s\n' "$*"; }

# Only the modules' own exports: the descriptor, nothing else (sanitizer runtimes aside).
check_exports() {
    exports=$(nm -D --defined-only "$1" | awk '{print $3}' | grep -v '^_' | grep -v '^$' || true)
    if [ "$exports" != "ec2gw_plugin" ]; then
        say "$1 exports: $exports"
        exit 1
    fi
}

say "installing the SDK into $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" --component sdk >"$tmp/install.log"
pc=$(find "$tmp/prefix" -name ec2gw-sdk.pc | head -n 1)
config=$(find "$tmp/prefix" -name ec2gw-sdk-config.cmake | head -n 1)
for f in "$pc" "$config" "$tmp/prefix/include/ec2gw/plugin.h" \
         "$tmp/prefix/include/ec2gw/testing.h"; do
    if [ -z "$f" ] || [ ! -f "$f" ]; then say "missing installed file ($f)"; cat "$tmp/install.log"; exit 1; fi
done
find "$tmp/prefix" -name libec2gw_testhost.a | grep -q . || { say "no libec2gw_testhost.a"; exit 1; }

say "pkg-config build"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
pkg-config --exists --print-errors ec2gw-sdk
[ "$(pkg-config --variable=abi_major ec2gw-sdk)" -ge 1 ]
mkdir -p "$tmp/pc"
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fPIC -shared -fvisibility=hidden \
    $(pkg-config --cflags ec2gw-sdk) "$example/$name.c" -o "$tmp/pc/$name.so" \
    $(pkg-config --libs ec2gw-sdk) -Wl,--no-undefined
check_exports "$tmp/pc/$name.so"

san=""
if nm "$(find "$tmp/prefix" -name libec2gw_testhost.a | head -n 1)" 2>/dev/null |
    grep -q __asan_; then
    san="-fsanitize=address,undefined" # the SDK came from a sanitizer build
fi

# An example with its own test links the installed fake host: with its sanitizers, if any.
test_san=""
if [ -f "$example/test_$name.c" ]; then test_san=$san; fi

say "CMake find_package build"
cmake -S "$example" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_C_FLAGS="$test_san" -DCMAKE_EXE_LINKER_FLAGS="$test_san" -DNOVA_SO="$wrapped" \
    -DEC2GW_WERROR=ON >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/cm" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
so=$(find "$tmp/cm" -name "*.so" | head -n 1)
[ -n "$so" ] || { say "no module built"; cat "$tmp/build.log"; exit 1; }
case $(basename "$so") in lib*) say "module has a lib prefix: $so"; exit 1 ;; esac
check_exports "$so"

if [ -f "$example/test_$name.c" ]; then
    # Recorded conversations are replayed from the installed copies, not the source tree's.
    EC2GW_TEST_FIXTURES=$(find "$tmp/prefix" -type d -path "*/ec2gw/fixtures" | head -n 1)
    [ -n "$EC2GW_TEST_FIXTURES" ] || { say "no installed fixtures"; exit 1; }
    export EC2GW_TEST_FIXTURES
    say "the example's test: ctest in the CMake build"
    (cd "$tmp/cm" && ctest --output-on-failure) || exit 1
    say "the example's test linked against the installed libec2gw_testhost.a (pkg-config)"
    # shellcheck disable=SC2046,SC2086
    "$cc" -std=c11 -Wall -Wextra -Werror $san $(pkg-config --cflags ec2gw-sdk) \
        "$example/test_$name.c" -o "$tmp/t" $(pkg-config --variable=testhost_libs ec2gw-sdk) \
        $(pkg-config --libs ec2gw-sdk)
    "$tmp/t" "$tmp/pc/$name.so" "$wrapped"
    say "ok"
    exit 0
fi

say "fake-host test linked against the installed libec2gw_testhost.a"
cat >"$tmp/t.c" <<'TEST'
#include <stdio.h>
#include <string.h>

#include <ec2gw/testing.h>

int
main(int argc, char **argv)
{
    ec2gw_test_host_t *h = ec2gw_test_host_new(argv[argc - 1], "platforms: [EC2]");
    json_t *m = h ? ec2gw_test_action(h, "DescribeAccountAttributes", NULL) : NULL;
    const char *v = json_string_value(json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(m, "AccountAttributes"), 0),
                                       "AttributeValues"),
                       0),
        "AttributeValue"));
    int ok = v != NULL && strcmp(v, "EC2") == 0;

    if (!ok)
        fprintf(stderr, "fake host: %s\n", h ? "unexpected model" : ec2gw_test_load_error());
    json_decref(m);
    ec2gw_test_host_free(h);
    return ok ? 0 : 1;
}
TEST
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $san $(pkg-config --cflags ec2gw-sdk) "$tmp/t.c" \
    -o "$tmp/t" $(pkg-config --variable=testhost_libs ec2gw-sdk) $(pkg-config --libs ec2gw-sdk)
"$tmp/t" "$tmp/pc/$name.so"
say "ok"
