#!/usr/bin/env bash
# `bash tests/bench.sh --budgets`: the firmware budgets of issue 7, one table, each build as
# CMake ships it (the post-processed archive, lwbs_* only):
#   code  a static C program (c-examples/minimal.c: new, provision, start, tick, free) linked
#         with -Os -static -Wl,--gc-sections, stripped, minus a static hello-world built the
#         same way; `size` text/data/bss of that program;
#   heap  lwbs-demo linked with tests/bench/heapcount.c (malloc family wrapped, counts only the
#         program's own objects = the library), peak from start to "EVENT registered":
#         NoSec bootstrap + register (aiocoap Bootstrap-Server + DM server), NoSec register
#         only, DTLS-PSK register only (coap-rd-openssl -k); heap per DTLS session = DTLS-PSK
#         register peak minus NoSec register peak.
# Builds (each in $BUDGET_DIR/<name>, default target/budgets; reused when present):
#   nosec-std  --no-default-features --features std, LWBS_PANIC=abort
#   psk-nostd  LWBS_NO_STD=ON LWBS_NO_STD_DTLS=ON LWBS_TLS_PROFILE=psk (DTLS-PSK no_std trimmed)
#   nosec-nostd LWBS_NO_STD=ON (#![no_std] + alloc, panic=abort), linked with the port layer
#              of tests/c/nostd_port.c (lwbs_port_* over malloc/free/abort)
#   psk-std    LWBS_TLS_PROFILE=psk, LWBS_PANIC=abort        (DTLS-PSK trimmed)
#   psk-unwind LWBS_TLS_PROFILE=psk, LWBS_PANIC=unwind       (what the panic boundary costs)
#   full       defaults: LWBS_TLS_PROFILE=full, LWBS_PANIC=unwind (what CMake ships by default)
# BUDGET_CONFIGS="name ..." measures only those rows. About 10 minutes on 2 cores from scratch. Needs tests/setup.sh (.venv, coap-rd-openssl).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUDGET_DIR=$(realpath -m "${BUDGET_DIR:-target/budgets}")
PY=$ROOT/.venv/bin/python
SERVERS=$ROOT/tests/python/lwbs_testservers
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
    echo "budgets: $*" >&2
    exit 1
}
[[ -x $PY ]] || fail "no .venv: run bash tests/setup.sh"

CONFIGS=(
    "nosec-std|NoSec, std, panic=abort|-DLWBS_PANIC=abort -DLWBS_CARGO_ARGS=--no-default-features;--features;std"
    "nosec-nostd|NoSec, no_std + alloc, panic=abort|-DLWBS_NO_STD=ON"
    "psk-nostd|DTLS-PSK trimmed (psk), no_std + alloc, panic=abort|-DLWBS_NO_STD=ON -DLWBS_NO_STD_DTLS=ON -DLWBS_TLS_PROFILE=psk"
    "psk-std|DTLS-PSK trimmed (psk), std, panic=abort|-DLWBS_PANIC=abort -DLWBS_TLS_PROFILE=psk"
    "psk-unwind|DTLS-PSK trimmed (psk), std, panic=unwind|-DLWBS_TLS_PROFILE=psk"
    "full|full Mbed TLS, std, panic=unwind (CMake default)|"
)

NATIVE="-lutil -lrt -lpthread -lm -ldl"
STATIC=(gcc -Os -static -Wl,--gc-sections)
"${STATIC[@]}" -o "$WORK/hello" tests/bench/hello.c
strip --strip-all "$WORK/hello"
HELLO=$(stat -c %s "$WORK/hello")
WRAP="-Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign"
WRAP+=",--wrap=aligned_alloc,--wrap=fflush"

start_server() { # NAME ARGS...: sets PORT
    local name=$1
    shift
    "$PY" "$SERVERS/$name.py" --bind 127.0.0.1:0 "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$WORK/$name.log" | head -1)
        [[ -n $PORT ]] && return 0
        sleep 0.1
    done
    fail "$name did not start"
}

# heap_until_registered DEMO ARGS...: runs the demo until "EVENT registered", prints the peak.
heap_until_registered() {
    local demo=$1 out=$WORK/heap.out pid peak=""
    shift
    "$demo" --endpoint budget-$RANDOM --state-dir "$WORK/state.$RANDOM" "$@" >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
        peak=$(sed -n '/^EVENT registered/{n;s/^HEAP peak=\([0-9]*\).*/\1/p}' "$out")
        [[ -n $peak ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [[ -n $peak ]] || { cat "$out" >&2; fail "$demo did not register: $*"; }
    echo "$peak"
}

start_server dm_server
DM=$PORT
start_server bootstrap_server --server-uri "coap://127.0.0.1:$DM"
BS=$PORT
RD_PORT=$(PYTHONPATH=tests/python "$PY" -c 'from conftest import free_udp_port
print(free_udp_port(pair=True))')
coap-rd-openssl -A 127.0.0.1 -p "$RD_PORT" -k Secret123 >"$WORK/rd.log" 2>&1 &
PIDS+=($!)
RD_PID=$!

ROWS=()
for config in "${CONFIGS[@]}"; do
    IFS='|' read -r name label args <<<"$config"
    # BUDGET_CONFIGS="nosec-nostd full": only those rows (default: all).
    [[ -z ${BUDGET_CONFIGS:-} || " $BUDGET_CONFIGS " == *" $name "* ]] || continue
    dir=$BUDGET_DIR/$name
    echo "== $name: cmake $args" >&2
    # shellcheck disable=SC2086 # args is a list of -D options
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DLWBS_BUILD_EXAMPLES=OFF \
        -DLWBS_BUILD_SHARED=OFF -DLWBS_INSTALL=OFF $args >"$WORK/cmake.log" 2>&1 ||
        { cat "$WORK/cmake.log" >&2; fail "configure $name"; }
    cmake --build "$dir" -j "$(nproc)" >"$WORK/build.log" 2>&1 ||
        { tail -30 "$WORK/build.log" >&2; fail "build $name"; }
    archive=$dir/lib/liblwm2m_bootstrap.a
    # The no_std archive needs the firmware's lwbs_port_* (counted in "code added": ~0.3 KB).
    port=()
    demo_main=(c-examples/lwbs_demo.c)
    if [[ $args == *LWBS_NO_STD=ON* ]]; then
        port=(-DLWBS_PORT_ONLY tests/c/nostd_port.c)
        demo_main=("$WORK/demo_main.o" tests/c/nostd_port.c)
        gcc -O2 -Iinclude -Dmain=lwbs_demo_main -c c-examples/lwbs_demo.c -o "$WORK/demo_main.o"
    fi

    # shellcheck disable=SC2086
    "${STATIC[@]}" -Iinclude -o "$WORK/minimal" c-examples/minimal.c "${port[@]}" "$archive" $NATIVE \
        2>"$WORK/cc.log" || { cat "$WORK/cc.log" >&2; fail "link minimal ($name)"; }
    "$WORK/minimal" >/dev/null || fail "minimal ($name) failed"
    strip --strip-all "$WORK/minimal"
    added=$(($(stat -c %s "$WORK/minimal") - HELLO))
    read -r text data bss _ < <(size "$WORK/minimal" | tail -1)

    # shellcheck disable=SC2086
    gcc -O2 -Iinclude -Ic-examples -Wl,--gc-sections $WRAP -o "$WORK/demo" \
        "${demo_main[@]}" c-examples/lwbs_events.c c-examples/posix_platform.c c-examples/sim_card.c tests/bench/heapcount.c \
        "$archive" $NATIVE 2>"$WORK/cc.log" || { cat "$WORK/cc.log" >&2; fail "link demo ($name)"; }
    bs_peak=$(heap_until_registered "$WORK/demo" --bootstrap-uri "coap://127.0.0.1:$BS" --exit-after 60)
    reg_peak=$(heap_until_registered "$WORK/demo" --server-uri "coap://127.0.0.1:$DM" --ssid 1 \
        --exit-after 60)
    if [[ $name == nosec-* ]]; then
        psk_peak="n/a"
        session="n/a"
    else
        kill -0 "$RD_PID" 2>/dev/null || fail "coap-rd-openssl is gone"
        psk_peak=$(heap_until_registered "$WORK/demo" --server-uri \
            "coaps://127.0.0.1:$((RD_PORT + 1))" --ssid 1 --psk-identity budget \
            --psk-key 536563726574313233 --exit-after 60)
        session=$((psk_peak - reg_peak))
    fi
    ROWS+=("| $label | $added | $text / $data / $bss | $bs_peak | $reg_peak | $psk_peak | $session |")
done

echo "| build (x86-64, release: opt-level s, fat LTO, 1 CGU) | code added over static hello, bytes | \`size\` text / data / bss | peak heap, NoSec bootstrap + register | peak heap, NoSec register | peak heap, DTLS-PSK register | heap per DTLS session |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo "| **targets** | NoSec no_std ≤ 81920; DTLS-PSK no_std trimmed ≤ 222208 | | ≤ 8192 | ≤ 8192 | ≤ 16384 | |"
echo
echo "Code: \`gcc -Os -static -Wl,--gc-sections\` c-examples/minimal.c + the shipped archive, \`strip --strip-all\`, minus tests/bench/hello.c built the same way ($HELLO bytes); \`size\` is of the stripped minimal program. Heap: tests/bench/heapcount.c wraps the malloc family in lwbs-demo (dynamically linked: libc's own allocations are not counted), bytes as malloc_usable_size, high-water mark from start-up to the line after \"EVENT registered\"; servers: tests/python/lwbs_testservers (aiocoap) and coap-rd-openssl -k (DTLS-PSK, TLS_PSK_WITH_AES_128_CCM_8)."
