#!/bin/sh
# lwbs_localize.sh: turns cargo's static archive into the one lwm2m-bootstrap ships, whose only
# global definitions are the `lwbs_*` symbols of the C ABI (docs/linking.md).
#
#   sh cmake/lwbs_localize.sh IN.a OUT.a [SHARED.so SONAME CC VERSION_SCRIPT NATIVE_LIBS...]
#
# A Rust static archive defines ~2,100 global symbols: Rust's std (rust_eh_personality, ...),
# the vendored Mbed TLS (mbedtls_*). Beside a firmware's own Mbed TLS or a second Rust library
# they either fail to link (multiple definition) or, worse, silently swap implementations.
# Steps:
#   1. list the archive's defined global `lwbs_*` symbols (readelf: nm may hand the objects to
#      an LLVM plugin too old for their bitcode sections and list nothing);
#   2. partially link the archive into one relocatable object, rooted at those symbols
#      (`ld -r -u sym ...`): only the members they need come in; `--unique` keeps one output
#      section per input section, so the final link's --gc-sections still works;
#   3. make every other global symbol local, and drop the sections that break that: COMDAT
#      `.group`s (else a second Rust library fails on DW.ref.rust_eh_personality), LLVM
#      bitcode (`.llvmbc`, `.llvmcmd`) and debug info;
#   4. archive that object as OUT.a.
# With SHARED.so, also links the shared library from OUT.a (--whole-archive) with a version
# script exporting `lwbs_*` only (cargo's cdylib would leak mbedtls_log) and DT_SONAME SONAME;
# --no-undefined makes a reference the archive cannot satisfy (say, a function a trimmed Mbed
# TLS profile removed) a build error, not a failure at load time.
#
# Tools: $LD (default ld), $OBJCOPY (objcopy), $READELF (readelf), $AR (ar); CMake passes the
# ones of its toolchain.
set -eu
in=$1
out=$2
LD=${LD:-ld}
OBJCOPY=${OBJCOPY:-objcopy}
READELF=${READELF:-readelf}
AR=${AR:-ar}

tmp="$out.tmp.d"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

"$READELF" -sW "$in" 2>/dev/null |
    awk '$5 == "GLOBAL" && $7 != "UND" && $8 ~ /^lwbs_/ { print $8 }' | sort -u >"$tmp/keep.txt"
if [ ! -s "$tmp/keep.txt" ]; then
    echo "lwbs_localize.sh: $in defines no global lwbs_* symbol" >&2
    exit 1
fi
# LWBS_LIBC_MEM=1 (no_std archives): the C library's memory and string functions are used, not
# the weak copies Rust's compiler_builtins carries (one archive member per function): those
# members are left out, so the references stay undefined for the firmware's C library.
if [ "${LWBS_LIBC_MEM:-0}" = 1 ]; then
    members=$("$READELF" -sW "$in" 2>/dev/null | awk '
        /^File: / { member = $2; sub(/^.*\(/, "", member); sub(/\)$/, "", member) }
        $5 == "WEAK" && $7 != "UND" &&
        $8 ~ /^(__aeabi_mem(cpy|move|set|clr)[48]?|memcpy|memmove|memset|memcmp|bcmp|strlen)$/ {
            print member
        }' | sort -u)
    if [ -n "$members" ]; then
        cp "$in" "$tmp/in.a"
        in="$tmp/in.a"
        # shellcheck disable=SC2086 # one archive member name per word
        "$AR" d "$in" $members
    fi
fi
roots=$(sed 's/^/-u /' "$tmp/keep.txt")
# shellcheck disable=SC2086 # roots is a list of "-u symbol" pairs
"$LD" -r --unique -o "$tmp/all.o" $roots "$in"
"$OBJCOPY" --keep-global-symbols="$tmp/keep.txt" --remove-section=.group \
    --remove-section=.llvmbc --remove-section=.llvmcmd --strip-debug \
    "$tmp/all.o" "$tmp/lwm2m_bootstrap.o"
rm -f "$out"
"$AR" rcs "$out" "$tmp/lwm2m_bootstrap.o"

# The check this script exists for: nothing but lwbs_* is defined globally.
leaked=$("$READELF" -sW "$out" |
    awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 !~ /^lwbs_/ { print $8 }' | head -5)
if [ -n "$leaked" ]; then
    echo "lwbs_localize.sh: $out still defines non-lwbs_ globals: $leaked" >&2
    exit 1
fi

[ $# -ge 6 ] || exit 0
shared=$3
soname=$4
cc=$5
version_script=$6
shift 6
# shellcheck disable=SC2068 # the native libraries are separate words (-lgcc_s -lc ...)
"$cc" -shared -o "$shared.tmp" -Wl,-soname,"$soname" -Wl,--version-script="$version_script" \
    -Wl,--no-undefined -Wl,--gc-sections -Wl,--whole-archive "$out" -Wl,--no-whole-archive $@
mv -f "$shared.tmp" "$shared"
