#!/usr/bin/env bash
# Firmware figures (issue 11 part 7): `bash tests/bench.sh --firmware`. For the Cortex-M4F image
# of c-examples/firmware (QEMU mps2-an386): the library's share of text, rodata, data and bss
# (lwbs-fw.elf minus lwbs-fw-stub.elf, the same program calling nothing of lwbs_*, per section,
# arm-none-eabi-size -A), and, from a run under QEMU through bootstrap + register + update +
# de-register against the aiocoap test servers, the heap high-water marks (peak of live bytes
# through lwbs_port_*, and the arena's) and the painted stack's high-water mark. The DTLS-PSK
# row is filled when build-fw-dtls builds (LWBS_NO_STD_DTLS=ON).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

build() { # dir dtls
    [[ -f $1/CMakeCache.txt ]] || cmake -S c-examples/firmware -B "$1" \
        -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/arm-none-eabi.cmake" -DLWBS_NO_STD_DTLS="$2" >"$WORK/cfg.log" 2>&1
    cmake --build "$1" >"$WORK/build.log" 2>&1
}
section() { arm-none-eabi-size -A "$1" | awk -v s="$2" '$1 == s { print $2 }'; }
server() { # name args... → sets PORT (not in a subshell: the pid must reach cleanup)
    "$PY" "tests/python/lwbs_testservers/$1.py" --bind 127.0.0.1:0 "${@:2}" >"$WORK/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$WORK/$1.log")
        [[ -n $PORT ]] && return
        sleep 0.1
    done
    echo "bench firmware: $1 did not start" >&2; exit 1
}

row() { # name dir args...
    local name=$1 dir=$2 s fw stub
    printf '| %s |' "$name"
    for s in .text .rodata .data .bss; do
        fw=$(section "$dir/lwbs-fw.elf" $s); stub=$(section "$dir/lwbs-fw-stub.elf" $s)
        printf ' %s |' $((fw - stub))
    done
    rm -rf "$WORK/state"
    LWBS_FW_ELF="$dir/lwbs-fw.elf" bash c-examples/firmware/run.sh --state-dir "$WORK/state" \
        "${@:3}" >"$WORK/run.out" 2>"$WORK/run.err" || { cat "$WORK/run.err" >&2; exit 1; }
    grep -q '^EVENT updated ssid=1$' "$WORK/run.out" || { echo "bench firmware: no Update" >&2; exit 1; }
    line=$(grep '^FIGURES ' "$WORK/run.err")
    get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $line"; }
    printf ' %s | %s | %s |\n' "$(get heap_peak)" "$(get heap_arena)" "$(get stack_peak)"
}

echo "== building build-fw (NoSec)" >&2
build build-fw OFF
server dm_server
DM=$PORT
server bootstrap_server --server-uri "coap://127.0.0.1:$DM" --lifetime 2
BS=$PORT
echo "Cortex-M4F (-mcpu=cortex-m4 -mfloat-abi=hard, -Os, newlib-nano, --gc-sections), QEMU mps2-an386; bytes."
echo "Library share = lwbs-fw.elf − lwbs-fw-stub.elf per section (arm-none-eabi-size -A). Heap and stack: one run"
echo "bootstrap + register + update + de-register (heap peak = live bytes via lwbs_port_*, arena = sbrk high-water; stack = painted, whole program)."
echo
echo "| image | text | rodata | data | bss | heap peak | heap arena | stack peak |"
echo "|---|---|---|---|---|---|---|---|"
row "NoSec" build-fw --endpoint bench-fw --bootstrap-uri "coap://127.0.0.1:$BS" --exit-after deregistered
if build build-fw-dtls ON 2>/dev/null; then
    echo "| DTLS-PSK | (fw-dtls: run against lwbs_testservers.dtls) | | | | | | |"
else
    echo "| DTLS-PSK | not built (build-fw-dtls: LWBS_NO_STD_DTLS=ON does not build yet) | | | | | | |"
fi
