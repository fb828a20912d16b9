#!/usr/bin/env bash
# The bench command (not part of the test suite): sizes, heap, wire and CPU figures of
# lwm2m-bootstrap, printed as one markdown table with each figure's unit and method.
#
#   bash tests/bench.sh
#   bash tests/bench.sh --budgets   # firmware budgets: tests/bench/budgets.sh
#   bash tests/bench.sh --firmware  # QEMU Cortex-M4 image figures: tests/bench/firmware.sh
#   bash tests/bench.sh --m4        # Cortex-M4 flash per build, budgets, by module: tests/bench/m4size.sh
#
# Builds the release library, measures the stripped cdylib and a statically linked minimal C
# program, runs `cargo bench --bench bootstrap` (tests/bench/bootstrap.rs: heap, wire, time)
# and, when valgrind is installed, counts instructions per run with callgrind. Offline; about
# a minute on 2 cores once dependencies are built. Exits non-zero if any step or sanity check
# fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --budgets ]]; then
    exec bash tests/bench/budgets.sh
fi
if [[ ${1:-} == --firmware ]]; then
    exec bash tests/bench/firmware.sh
fi
if [[ ${1:-} == --m4 ]]; then
    exec bash tests/bench/m4size.sh
fi
export CARGO_NET_OFFLINE="${CARGO_NET_OFFLINE:-true}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
REL="$TARGET_DIR/release"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROWS="$WORK/rows"
: >"$ROWS"

row() { # name value unit method
    printf 'ROW|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"
}
fail() {
    echo "bench.sh: $*" >&2
    exit 1
}

echo "== cargo build --release" >&2
cargo build --release >&2

# 1. The shared library, stripped.
[[ -f "$REL/liblwm2m_bootstrap.so" ]] || fail "no $REL/liblwm2m_bootstrap.so"
cp "$REL/liblwm2m_bootstrap.so" "$WORK/lib.so"
strip --strip-all "$WORK/lib.so"
row "cdylib \`liblwm2m_bootstrap.so\`, stripped" "$(stat -c %s "$WORK/lib.so")" "bytes" \
    "release profile (opt-level s, fat LTO, 1 CGU), \`strip --strip-all\` on a copy, \`stat -c %s\`"

# 2. A statically linked minimal C program (c-examples/minimal.c: new + provision a NoSec
# Bootstrap-Server account, start, tick, free), and what the library adds over a static
# hello-world built the same way.
ARCHIVE="$REL/liblwm2m_bootstrap.a"
MINIMAL=c-examples/minimal.c
[[ -f "$MINIMAL" ]] || fail "no $MINIMAL"
# readelf, not nm: binutils' nm hands the objects (they embed LLVM bitcode, .llvmbc) to the
# system's LLVM gold plugin, which may be too old to read them, and then lists no symbols.
readelf -sW "$ARCHIVE" 2>/dev/null |
    awk '$4 == "FUNC" && $5 == "GLOBAL" && $7 != "UND" && $8 == "lwbs_client_new" { f = 1 } END { exit !f }' ||
    fail "$ARCHIVE does not define lwbs_client_new"
# The native libraries std needs, as rustc reports them for a static library; gcc -static
# adds libc and the static libgcc/libgcc_eh itself, and libgcc_s exists only as a DSO.
echo 'pub fn probe() {}' >"$WORK/probe.rs"
NATIVE=$(rustc --crate-type staticlib --print native-static-libs -o "$WORK/probe.a" \
    "$WORK/probe.rs" 2>&1 | sed -n 's/.*native-static-libs: //p')
NATIVE=$(for l in $NATIVE; do case "$l" in -lgcc_s | -lc) ;; *) printf '%s ' "$l" ;; esac; done)
CFLAGS=(-Os -static -Wl,--gc-sections)
gcc "${CFLAGS[@]}" -o "$WORK/hello" tests/bench/hello.c 2>"$WORK/cc.log" ||
    { cat "$WORK/cc.log" >&2; fail "building the static hello-world"; }
# shellcheck disable=SC2086 # NATIVE is a list of -l flags
gcc "${CFLAGS[@]}" -Iinclude -o "$WORK/minimal" "$MINIMAL" "$ARCHIVE" $NATIVE \
    2>"$WORK/cc.log" || { cat "$WORK/cc.log" >&2; fail "linking $MINIMAL"; }
RC=0
"$WORK/minimal" >"$WORK/minimal.out" 2>&1 || RC=$?
[[ $RC == 0 ]] || { cat "$WORK/minimal.out" >&2; fail "$MINIMAL exited with $RC"; }
strip --strip-all "$WORK/hello" "$WORK/minimal"
SIZE_MIN=$(stat -c %s "$WORK/minimal")
SIZE_HELLO=$(stat -c %s "$WORK/hello")
read -r TEXT DATA BSS _ < <(size "$WORK/minimal" | tail -1)
read -r HTEXT HDATA HBSS _ < <(size "$WORK/hello" | tail -1)
HOW="\`gcc ${CFLAGS[*]}\` $MINIMAL + liblwm2m_bootstrap.a ${NATIVE% }, \`strip --strip-all\`, \`stat -c %s\`; the program ran and exited 0"
row "static minimal C client (\`$(basename "$MINIMAL")\`), stripped" "$SIZE_MIN" "bytes" "$HOW"
row "… added over a static hello-world" "$((SIZE_MIN - SIZE_HELLO))" "bytes" \
    "minus tests/bench/hello.c (printf) built and stripped the same way ($SIZE_HELLO bytes)"
row "… \`size\` text / data / bss" "$TEXT / $DATA / $BSS" "bytes" \
    "\`size\` (Berkeley) of the stripped binary; hello-world: $HTEXT / $HDATA / $HBSS"

# 2b. What DTLS adds: the same two builds without the `dtls` feature (NoSec only), in a
# separate target directory.
NODTLS_DIR="$TARGET_DIR/nodtls"
echo "== cargo build --release --no-default-features --features std" >&2
CARGO_TARGET_DIR="$NODTLS_DIR" cargo build --release --no-default-features --features std >&2
cp "$NODTLS_DIR/release/liblwm2m_bootstrap.so" "$WORK/lib-nodtls.so"
strip --strip-all "$WORK/lib-nodtls.so"
SO_DTLS=$(stat -c %s "$WORK/lib.so")
SO_NODTLS=$(stat -c %s "$WORK/lib-nodtls.so")
row "cdylib without the \`dtls\` feature (NoSec only), stripped" "$SO_NODTLS" "bytes" \
    "\`cargo build --release --no-default-features --features std\`, stripped like the first row"
row "… size added by DTLS (Mbed TLS 2.28, PSK + X.509) to the cdylib" "$((SO_DTLS - SO_NODTLS))" "bytes" \
    "first row minus the row above"
# shellcheck disable=SC2086 # NATIVE is a list of -l flags
gcc "${CFLAGS[@]}" -Iinclude -o "$WORK/minimal-nodtls" "$MINIMAL" \
    "$NODTLS_DIR/release/liblwm2m_bootstrap.a" $NATIVE 2>"$WORK/cc.log" ||
    { cat "$WORK/cc.log" >&2; fail "linking $MINIMAL without dtls"; }
strip --strip-all "$WORK/minimal-nodtls"
SIZE_MIN_NODTLS=$(stat -c %s "$WORK/minimal-nodtls")
row "static minimal C client without \`dtls\`, stripped" "$SIZE_MIN_NODTLS" "bytes" \
    "as the static row above, linked with the archive built without the feature"
row "… size added by DTLS to the static program" "$((SIZE_MIN - SIZE_MIN_NODTLS))" "bytes" \
    "static minimal with DTLS minus without; \`--gc-sections\` keeps Mbed TLS because accounts may be PSK/X.509 at run time"
GLOBALS=$(readelf -sW "$ARCHIVE" 2>/dev/null | awk '$5 == "GLOBAL" && $7 != "UND" && $8 ~ /^mbedtls_/ { print $8 }' | sort -u | wc -l)
row "global \`mbedtls_*\` symbols defined by liblwm2m_bootstrap.a" "$GLOBALS" "symbols" \
    "\`readelf -sW\`, GLOBAL and defined, unique names: they clash with a firmware's own Mbed TLS (docs/linking.md)"

# 3-6. Heap, wire, time: the Rust bench (prints its own ROW lines; panics on a failed check).
echo "== cargo bench --bench bootstrap" >&2
cargo bench --bench bootstrap >"$WORK/bench.out" 2>"$WORK/bench.err" ||
    { cat "$WORK/bench.err" "$WORK/bench.out" >&2; fail "cargo bench --bench bootstrap failed"; }
grep '^ROW|' "$WORK/bench.out" >>"$ROWS" || fail "the bench printed no rows"
EXE=$(sed -n 's/.*Running tests\/bench\/bootstrap.rs (\(.*\))$/\1/p' "$WORK/bench.err" | tail -1)

# 6a. DTLS per mode: heap, CPU, datagrams per handshake (tests/bench/dtls.rs; needs openssl).
echo "== cargo bench --bench dtls" >&2
cargo bench --bench dtls >"$WORK/dtls.out" 2>"$WORK/dtls.err" ||
    { cat "$WORK/dtls.err" "$WORK/dtls.out" >&2; fail "cargo bench --bench dtls failed"; }
grep '^ROW|' "$WORK/dtls.out" >>"$ROWS" || fail "the dtls bench printed no rows"

# 6b. Instructions per run (optional): callgrind over N measured runs only.
N=50
if ! command -v valgrind >/dev/null; then
    row "instructions per bootstrap + register" "skipped" "instructions" "valgrind not installed"
elif [[ -z "$EXE" || ! -x "$EXE" ]]; then
    row "instructions per bootstrap + register" "skipped" "instructions" "bench executable not found"
elif timeout 60 valgrind --tool=callgrind --collect-atstart=no \
    --toggle-collect='*lwbs_bench_measured_run*' --callgrind-out-file="$WORK/callgrind.out" \
    "$EXE" --bench --callgrind "$N" >"$WORK/cg.log" 2>&1; then
    IR=$(sed -n 's/^summary: //p' "$WORK/callgrind.out")
    [[ -n "$IR" && "$IR" -gt 0 ]] || fail "callgrind collected nothing"
    row "instructions per bootstrap + register" "$((IR / N))" "instructions" \
        "\`valgrind --tool=callgrind\` Ir collected only inside the measured function (same lifecycle as the time rows), $N runs, total / $N"
else
    row "instructions per bootstrap + register" "skipped" "instructions" "callgrind failed or took > 60 s"
fi

# The table.
echo "| figure | value | unit | how it was measured |"
echo "| --- | ---: | --- | --- |"
while IFS='|' read -r _ name value unit method; do
    echo "| $name | $value | $unit | $method |"
done <"$ROWS"
