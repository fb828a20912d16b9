#!/usr/bin/env bash
# Firmware figures: `bash tests/bench.sh --firmware`. For the Cortex-M4F image
# of c-examples/firmware (QEMU mps2-an386): the library's share of text, rodata, data and bss
# (lwbs-fw.elf minus lwbs-fw-stub.elf, the same program calling nothing of lwbs_*, per section,
# arm-none-eabi-size -A), and, from a run under QEMU through bootstrap + register + update +
# de-register against the aiocoap test servers, the heap high-water marks (peak of live bytes
# through lwbs_port_*, and the arena's) and the painted stack's high-water mark. The DTLS-PSK
# row: the image of build-fw-dtls (LWBS_NO_STD_DTLS=ON), the same cycle over DTLS-PSK against
# the aiocoap/tinydtls servers of tests/python/test_firmware.py (Mbed TLS's allocations are
# counted: they go through lwbs_port_malloc/free).
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
echo "== building build-fw-dtls (DTLS-PSK, LWBS_NO_STD_DTLS=ON)" >&2
build build-fw-dtls ON || { tail -30 "$WORK/build.log" >&2; echo "bench firmware: build-fw-dtls failed" >&2; exit 1; }
# The DTLS-PSK Bootstrap-Server and DM server of tests/python/test_firmware.py (aiocoap on the
# tinydtls server transport), in one background process that prints their ports.
cat >"$WORK/dtls_servers.py" <<'EOF'
import signal, sys, threading
sys.path.insert(0, "tests/python")
from test_firmware import dtls_servers
gen = dtls_servers.__wrapped__()
bs, dm = next(gen)
print(f"READY port={bs.port} dm={dm.port}", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
next(gen, None)
EOF
"$PY" "$WORK/dtls_servers.py" >"$WORK/dtls_servers.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$WORK/dtls_servers.log")
    [[ -n $PORT ]] && break
    sleep 0.1
done
[[ -n $PORT ]] || { cat "$WORK/dtls_servers.log" >&2; echo "bench firmware: DTLS servers did not start" >&2; exit 1; }
row "DTLS-PSK" build-fw-dtls --endpoint bench-fw-dtls --bootstrap-uri "coaps://127.0.0.1:$PORT" \
    --psk-identity fw-dtls-bs --psk-key 000102030405060708090a0b0c0d0e0f --exit-after deregistered
echo
echo "DTLS-PSK: Mbed TLS 2.28 (psk profile: TLS_PSK_WITH_AES_128_CCM_8, 1536-byte records) built by"
echo "arm-none-eabi-gcc; its calloc/free go through lwbs_port_malloc/free, so the heap figures include it."
