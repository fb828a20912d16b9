#!/usr/bin/env bash
# `bash tests/bench.sh --m4`: the library's flash on Cortex-M4F (thumbv7em-none-eabihf,
# arm-none-eabi-gcc -Os -ffunction-sections -fdata-sections -Wl,--gc-sections, newlib-nano),
# measured the way a firmware sees it: tests/cross_consumer links cross-consumer.elf (a C
# program referencing every exported lwbs_* function, so --gc-sections keeps the whole library)
# and cross-empty.elf (the same program without the library); the library's share is the
# difference, per section and in `size`'s Berkeley text (text + rodata), the unit of the budgets.
#
# Rows (one CMake build each in $M4_BENCH_DIR/<name>, default target/m4bench; reused):
#   nosec         LWBS_NO_STD=ON, LWBS_SMARTCARD=OFF: Client Initiated, Factory and Server
#                 Initiated bootstrap, registration, TLV/text/opaque/link-format
#   nosec-card    the same with Bootstrap from Smartcard (the CMake default); "smartcard adds"
#   psk           DTLS-PSK: LWBS_NO_STD_DTLS=ON, LWBS_TLS_PROFILE=psk, with the Mbed TLS it needs
#   nosec-senml-json  nosec with LWBS_SENML_JSON=ON; "SenML JSON adds"
#   nosec-senml-cbor  nosec with LWBS_SENML_CBOR=ON; "SenML CBOR adds"
#   nosec-lwm2m-cbor  nosec with LWBS_LWM2M_CBOR=ON; "LwM2M CBOR adds"
#   nosec-formats     nosec with the three formats; "all three formats add"
#   nosec-nightly nosec with LWBS_NIGHTLY_IMMEDIATE_ABORT=ON (nightly, -Zbuild-std=core,alloc,
#                 -Cpanic=immediate-abort); "skipped" without nightly + rust-src
# then the nosec image's symbols (arm-none-eabi-nm -S -C) grouped by Rust module, and its 20
# largest symbols. Not a test: figures only. About 3 minutes on 2 cores from scratch.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DIR=$(realpath -m "${M4_BENCH_DIR:-target/m4bench}")
TOOLCHAIN=$ROOT/cmake/toolchains/arm-none-eabi.cmake
mkdir -p "$DIR"
fail() {
    echo "bench m4: $*" >&2
    exit 1
}
command -v arm-none-eabi-gcc >/dev/null || fail "no arm-none-eabi-gcc: run bash tests/setup.sh"

build() { # NAME CMAKE-ARGS...: configures (once) and builds tests/cross_consumer
    local name=$1 dir=$DIR/$1
    shift
    echo "== building $name" >&2
    if [[ ! -f $dir/CMakeCache.txt ]]; then
        cmake -S tests/cross_consumer -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
            -DCMAKE_BUILD_TYPE=MinSizeRel "$@" >"$dir.configure.log" 2>&1 ||
            { tail -20 "$dir.configure.log" >&2; return 1; }
    fi
    cmake --build "$dir" >"$dir.build.log" 2>&1 || { tail -20 "$dir.build.log" >&2; return 1; }
}
section() { # ELF SECTION
    arm-none-eabi-size -A "$1" | awk -v s="$2" '$1 == s { n = $2 } END { print n + 0 }'
}
berkeley() { # ELF: text (text + rodata + the small code sections)
    arm-none-eabi-size "$1" | awk 'NR == 2 { print $1 }'
}
# share NAME: sets TEXT RODATA DATA BSS TOTAL (library share of the build NAME)
share() {
    local fw=$DIR/$1/cross-consumer.elf empty=$DIR/$1/cross-empty.elf
    TEXT=$(($(section "$fw" .text) - $(section "$empty" .text)))
    RODATA=$(($(section "$fw" .rodata) - $(section "$empty" .rodata)))
    DATA=$(($(section "$fw" .data) - $(section "$empty" .data)))
    BSS=$(($(section "$fw" .bss) - $(section "$empty" .bss)))
    TOTAL=$(($(berkeley "$fw") - $(berkeley "$empty")))
}
verdict() { # VALUE BUDGET
    if (($1 <= $2)); then echo "OK"; else echo "OVER by $(($1 - $2))"; fi
}
row() { # LABEL BUDGET (after share)
    printf '| %s | %s | %s | %s | %s | **%s** | %s | %s |\n' "$1" "$TEXT" "$RODATA" "$DATA" "$BSS" \
        "$TOTAL" "$2" "$(if [[ $2 == - ]]; then echo -; else verdict "$TOTAL" "$2"; fi)"
}

build nosec -DLWBS_SMARTCARD=OFF
build nosec-card -DLWBS_SMARTCARD=ON
build psk -DLWBS_SMARTCARD=OFF -DLWBS_NO_STD_DTLS=ON -DLWBS_TLS_PROFILE=psk
build nosec-senml-json -DLWBS_SMARTCARD=OFF -DLWBS_SENML_JSON=ON
build nosec-senml-cbor -DLWBS_SMARTCARD=OFF -DLWBS_SENML_CBOR=ON
build nosec-lwm2m-cbor -DLWBS_SMARTCARD=OFF -DLWBS_LWM2M_CBOR=ON
build nosec-formats -DLWBS_SMARTCARD=OFF -DLWBS_SENML_JSON=ON -DLWBS_SENML_CBOR=ON -DLWBS_LWM2M_CBOR=ON
nightly=""
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    nightly="skipped: no nightly toolchain (rustup toolchain install nightly)"
elif ! rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
    nightly="skipped: no rust-src for nightly (rustup +nightly component add rust-src)"
elif ! build nosec-nightly -DLWBS_SMARTCARD=OFF -DLWBS_NIGHTLY_IMMEDIATE_ABORT=ON; then
    nightly="skipped: the nightly build failed ($DIR/nosec-nightly.build.log)"
fi

echo "Cortex-M4F ($(arm-none-eabi-gcc -dumpversion), -Os, newlib-nano, --gc-sections): the library's"
echo "share of a program referencing every lwbs_* export (cross-consumer.elf − cross-empty.elf), bytes."
echo "Budgets are in Berkeley text (text + rodata)."
echo
echo "| build | .text | .rodata | .data | .bss | text+rodata | budget | |"
echo "|---|---|---|---|---|---|---|---|"
share nosec
NOSEC=$TOTAL
row "NoSec (no smartcard), stable" 58000
if [[ -z $nightly ]]; then
    share nosec-nightly
    row "NoSec (no smartcard), nightly immediate-abort" 58000
else
    echo "| NoSec (no smartcard), nightly immediate-abort | $nightly | | | | | | |"
fi
share nosec-card
CARD=$((TOTAL - NOSEC))
row "NoSec with smartcard" -
printf '| smartcard adds | | | | | **%s** | 12000 | %s |\n' "$CARD" "$(verdict "$CARD" 12000)"
share psk
row "DTLS-PSK (psk Mbed TLS profile, no smartcard)" 140000
share nosec-senml-json
printf '| SenML JSON adds (LWBS_SENML_JSON) | | | | | **%s** | - | - |\n' "$((TOTAL - NOSEC))"
share nosec-senml-cbor
printf '| SenML CBOR adds (LWBS_SENML_CBOR, minicbor) | | | | | **%s** | - | - |\n' "$((TOTAL - NOSEC))"
share nosec-lwm2m-cbor
printf '| LwM2M CBOR adds (LWBS_LWM2M_CBOR, minicbor) | | | | | **%s** | - | - |\n' "$((TOTAL - NOSEC))"
share nosec-formats
printf '| all three formats add | | | | | **%s** | - | - |\n' "$((TOTAL - NOSEC))"
echo
echo "Goal for NoSec: 46,000 (0.8 × Eclipse Wakaama's client on the same MCU and flags, 58,048)."
echo
echo "NoSec (no smartcard), stable: symbol sizes by module (arm-none-eabi-nm -S -C)"
echo
arm-none-eabi-nm -S --size-sort -C "$DIR/nosec/cross-consumer.elf" |
    python3 -c '
import collections, re, sys
rows = []
for line in sys.stdin:
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) == 4:
        rows.append((int(parts[1], 16), parts[3]))
def module(name):
    m = re.search(r"lwm2m_bootstrap::([a-z_0-9]+)", name)
    if m:
        return "lwm2m_bootstrap::" + m.group(1)
    m = re.search(r"\b(core|alloc|compiler_builtins|heapless|zeroize)::([a-z_0-9]+)", name)
    if m:
        return m.group(1) + "::" + m.group(2)
    if name.startswith("lwbs_"):
        return "lwbs_* exports"
    return "other (C library, outlined code)"
groups = collections.Counter()
for size, name in rows:
    groups[module(name)] += size
print("| module | bytes |\n|---|---|")
for name, size in groups.most_common():
    print(f"| {name} | {size} |")
print("\nLargest 20 symbols:\n\n| bytes | symbol |\n|---|---|")
for size, name in sorted(rows, reverse=True)[:20]:
    print(f"| {size} | `{name[:110]}` |")
'
