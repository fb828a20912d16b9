#!/usr/bin/env bash
# C-side tests of lwm2m-bootstrap, as a firmware build sees the library:
#   - CMake configure + build of the library and the examples (-std=c99 -Wall -Wextra -Werror);
#   - the generated header compiles as strict C99 and as C++;
#   - lwbs-minimal runs and reports the library and header versions;
#   - `cmake --install` lays out lib/, include/, lib/cmake/lwm2m_bootstrap/, lib/pkgconfig/;
#   - tests/cmake_consumer builds against it through find_package() and through
#     add_subdirectory(), linking the static and the shared target; a newer minor version is
#     refused by the version file;
#   - plain Makefile-style builds through pkg-config (shared, and --static from a
#     static-only install);
#   - README.md's snippets as README shows them (tests/readme_snippets.sh): the two commands'
#     demo, the library build, the demo against "your" server, c-examples/quickstart.c from the
#     build tree, through pkg-config and through the CMake package, the Python and Rust
#     quickstarts against the test servers;
#   - lwbs-demo bootstraps from the aiocoap Bootstrap-Server, registers with the aiocoap DM
#     server and deregisters; once as built, once built with AddressSanitizer (+UBSan, with
#     leak detection) over a debug build of the crate; and, under ASan, registers to the
#     server named by a smartcard EF (--smartcard, the simulated UICC);
#   - link hygiene (tests/c/link_hygiene.sh): the shipped archive and shared library export
#     only lwbs_*; a program with Debian's Mbed TLS (static/shared) and a second Rust library,
#     in both link orders, bootstraps (NoSec) and registers over DTLS-PSK; --gc-sections works;
#   - the no_std archive (-DLWBS_NO_STD=ON): exports only lwbs_*, leaves lwbs_port_* to the
#     firmware; tests/c/nostd_port.c (port layer over malloc/free/abort) runs the demo's
#     bootstrap + registration against the aiocoap servers, and a DTLS-PSK registration.
#   - the cross build for Cortex-M (tests/cross/run_cross_tests.sh): Rust target derived from
#     the toolchain file's CPU flags, the missing-target error, a bare-metal consumer linking the
#     no_std archive through add_subdirectory() and through find_package() of a cross install.
# Needs `bash tests/setup.sh` (cmake, pkg-config, .venv with aiocoap). Ends with
# "C tests: N passed, M failed" and exits non-zero if any check failed.
# Environment: BUILD_DIR (default build; the ASan build goes to $BUILD_DIR/asan).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=$(realpath -m "${BUILD_DIR:-build}")
PY=$ROOT/.venv/bin/python
SERVERS=$ROOT/tests/python/lwbs_testservers
JOBS=$(nproc)
WORK=$(mktemp -d)
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -1)
MAJOR_MINOR=${VERSION%.*}
passed=0
failed=0
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# check NAME CMD...: runs CMD (output to a log), counts the result, shows the log on failure.
check() {
  local name=$1; shift
  local log="$WORK/log.$((passed + failed))"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; tail -n 40 "$log" | sed 's/^/     /'
  fi
}

# minimal_ok BINARY: lwbs-minimal's output names this version twice and a result string.
minimal_ok() {
  local out
  out=$("$1") || return 1
  echo "$out"
  grep -qx "lwbs-minimal: library $VERSION header $VERSION" <<<"$out" &&
    grep -qx 'lwbs-minimal: result 0 ".\+"' <<<"$out" &&
    grep -qx 'lwbs-minimal: started, state [0-9]\+' <<<"$out"
}

needs_lib() {   # needs_lib BINARY yes|no: is liblwm2m_bootstrap.so a DT_NEEDED of BINARY?
  local found=no
  readelf -d "$1" | grep -q 'NEEDED.*liblwm2m_bootstrap\.so' && found=yes
  [ "$found" = "$2" ] || { echo "$1: liblwm2m_bootstrap.so needed: $found, expected $2"; return 1; }
}

static_and_shared_ok() {   # DIR: consumer-static and consumer-shared in DIR link and run
  minimal_ok "$1/consumer-static" && needs_lib "$1/consumer-static" no &&
    minimal_ok "$1/consumer-shared" && needs_lib "$1/consumer-shared" yes
}

# ---- build ------------------------------------------------------------------------------------
check "cmake configure" cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLWBS_BUILD_EXAMPLES=ON
check "cmake build (library, lwbs-demo, lwbs-minimal; -Werror)" cmake --build "$BUILD" -j "$JOBS"
check "header compiles as C99 -pedantic" \
  gcc -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c include/lwm2m_bootstrap.h
check "header compiles as C++11" \
  g++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -x c++ include/lwm2m_bootstrap.h
check "lwbs-minimal runs" minimal_ok "$BUILD/c-examples/lwbs-minimal"

# ---- install ----------------------------------------------------------------------------------
PREFIX=$WORK/prefix
installed_layout_ok() {
  local f
  for f in lib/liblwm2m_bootstrap.a lib/liblwm2m_bootstrap.so include/lwm2m_bootstrap.h \
      lib/cmake/lwm2m_bootstrap/lwm2m_bootstrapConfig.cmake \
      lib/cmake/lwm2m_bootstrap/lwm2m_bootstrapConfigVersion.cmake \
      lib/cmake/lwm2m_bootstrap/lwm2m_bootstrapTargets.cmake lib/pkgconfig/lwm2m_bootstrap.pc \
      lib/pkgconfig/lwm2m_bootstrap-static.pc; do
    [ -f "$PREFIX/$f" ] || { echo "missing $f"; return 1; }
  done
  grep -qx "prefix=$PREFIX" "$PREFIX/lib/pkgconfig/lwm2m_bootstrap.pc" &&
    grep -qx "Libs.private: .*-lgcc_s.*" "$PREFIX/lib/pkgconfig/lwm2m_bootstrap.pc" &&
    grep -qx "prefix=$PREFIX" "$PREFIX/lib/pkgconfig/lwm2m_bootstrap-static.pc" &&
    grep -qx 'Libs: ${libdir}/liblwm2m_bootstrap.a .*-lgcc_s.*' \
      "$PREFIX/lib/pkgconfig/lwm2m_bootstrap-static.pc"
}
check "cmake --install" cmake --install "$BUILD" --prefix "$PREFIX"
check "installed layout and .pc prefix" installed_layout_ok

# ---- CMake consumers -------------------------------------------------------------------------
consumer_build() {   # DIR ARGS...: configure and build tests/cmake_consumer into DIR
  local dir=$1; shift
  cmake -S tests/cmake_consumer -B "$dir" -DLWBS_CONSUMER_VERSION="$MAJOR_MINOR" "$@" &&
    cmake --build "$dir" -j "$JOBS"
}
check "consumer: find_package build" \
  consumer_build "$WORK/consumer-pkg" -DCMAKE_PREFIX_PATH="$PREFIX"
check "consumer: find_package static + shared run" static_and_shared_ok "$WORK/consumer-pkg"
next_minor="${VERSION%%.*}.$(( $(cut -d. -f2 <<<"$VERSION") + 1 ))"
version_refused() {
  local out
  out=$(cmake -S tests/cmake_consumer -B "$WORK/consumer-newer" -DCMAKE_PREFIX_PATH="$PREFIX" \
        -DLWBS_CONSUMER_VERSION="$next_minor" 2>&1) && { echo "$out"; return 1; }
  echo "$out"
  grep -q "compatible with requested version" <<<"$out"
}
check "consumer: find_package $next_minor refused (SameMinorVersion)" version_refused
# Shares the main build's cargo output (LWBS_CARGO_TARGET_DIR), so cargo has nothing to do.
check "consumer: add_subdirectory build" consumer_build "$WORK/consumer-sub" \
  -DLWBS_CONSUMER_MODE=subdirectory -DLWBS_CARGO_TARGET_DIR="$BUILD/cargo"
check "consumer: add_subdirectory static + shared run" static_and_shared_ok "$WORK/consumer-sub"

# ---- pkg-config ------------------------------------------------------------------------------
pkgconfig_shared() {
  local flags
  flags=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags --libs lwm2m_bootstrap) &&
    echo "pkg-config: $flags" &&
    gcc -std=c99 -Wall -Wextra -Werror c-examples/minimal.c $flags \
      -Wl,-rpath,"$PREFIX/lib" -o "$WORK/pc-shared" &&
    minimal_ok "$WORK/pc-shared" && needs_lib "$WORK/pc-shared" yes
}
# With the .so beside the .a, -llwm2m_bootstrap picks the .so; a static-only install (the
# Development component) is how a Makefile build links the archive. This proves Libs.private.
pkgconfig_static() {
  local flags
  cmake --install "$BUILD" --prefix "$WORK/prefix-static" --component Development &&
    [ ! -e "$WORK/prefix-static/lib/liblwm2m_bootstrap.so" ] &&
    flags=$(PKG_CONFIG_PATH=$WORK/prefix-static/lib/pkgconfig \
            pkg-config --cflags --libs --static lwm2m_bootstrap) &&
    echo "pkg-config --static: $flags" &&
    gcc -std=c99 -Wall -Wextra -Werror c-examples/minimal.c $flags -o "$WORK/pc-static" &&
    minimal_ok "$WORK/pc-static" && needs_lib "$WORK/pc-static" no
}
check "pkg-config: shared build runs" pkgconfig_shared
check "pkg-config --static: build from a static-only install runs" pkgconfig_static

# ---- the demo against the aiocoap servers -------------------------------------------------
# start_server NAME ARGS...: port 0 lets the server pick a free port; sets PORT from READY.
start_server() {
  local name=$1; shift
  # Truncate in this shell: the background job's own redirection may run after the READY
  # poll below has read a previous run's log (and its dead port).
  : >"$WORK/$name.log"
  "$PY" "$SERVERS/$name.py" --bind 127.0.0.1:0 "$@" >>"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$WORK/$name.log" | head -1)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:"; cat "$WORK/$name.log"
  return 1
}

stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  PIDS=()
}

EXPECTED_EVENTS='EVENT bootstrap-started
EVENT bootstrap-finished accounts=1
EVENT configuration-changed
EVENT registered ssid=1 location=/rd/1
EVENT deregistered ssid=1
EVENT stopped'

# demo_scenario BINARY: bootstrap, register, deregister; exit 0, the expected EVENT lines,
# the image of generation 1 in slot 1, nothing on stderr that a sanitizer would print.
demo_scenario() {
  local demo=$1 status=0 state
  state=$(mktemp -d "$WORK/state.XXXXXX") || return 1
  start_server dm_server || return 1
  local dm=$PORT
  start_server bootstrap_server --server-uri "coap://127.0.0.1:$dm" || return 1
  local bs=$PORT
  timeout 60 "$demo" --endpoint demo-1 --bootstrap-uri "coap://127.0.0.1:$bs" \
    --state-dir "$state" --exit-after registered >"$WORK/demo.out" 2>"$WORK/demo.err" || status=$?
  stop_servers
  echo "exit $status"; cat "$WORK/demo.out"; cat "$WORK/demo.err"
  [ "$status" -eq 0 ] &&
    [ "$(grep '^EVENT' "$WORK/demo.out")" = "$EXPECTED_EVENTS" ] &&
    [ -s "$state/slot1.img" ] && [ ! -e "$state/slot0.img" ] &&
    ! grep -q 'Sanitizer\|runtime error' "$WORK/demo.err" &&
    grep -q '^FINISH 2.04' "$WORK/bootstrap_server.log" &&
    grep -q '^DEREGISTERED location=/rd/1' "$WORK/dm_server.log"
}

# smartcard_scenario BINARY: --smartcard with an EF naming the DM server (built by the Python EF
# builder): the card's server is registered without a bootstrap, nothing stored, clean stderr.
smartcard_scenario() {
  local demo=$1 status=0 state ef
  state=$(mktemp -d "$WORK/state.XXXXXX") && ef=$(mktemp "$WORK/ef.XXXXXX") || return 1
  start_server dm_server || return 1
  local dm=$PORT
  (cd "$ROOT/tests/python" && "$PY" -c "import sys; from lwbs_testservers.ef import server_ef
sys.stdout.buffer.write(server_ef('coap://127.0.0.1:$dm', ssid=5, lifetime=300))") >"$ef" ||
    return 1
  timeout 60 "$demo" --endpoint demo-card --smartcard "$ef" --state-dir "$state" \
    --exit-after registered >"$WORK/demo.out" 2>"$WORK/demo.err" || status=$?
  stop_servers
  echo "exit $status"; cat "$WORK/demo.out"; cat "$WORK/demo.err"
  [ "$status" -eq 0 ] &&
    [ "$(grep '^EVENT' "$WORK/demo.out")" = 'EVENT smartcard-applied accounts=1 detail="bootstrap_account=0 ignored_objects=0"
EVENT registered ssid=5 location=/rd/1
EVENT deregistered ssid=5
EVENT stopped' ] &&
    [ ! -e "$state/slot0.img" ] && [ ! -e "$state/slot1.img" ] &&
    ! grep -q 'Sanitizer\|runtime error' "$WORK/demo.err"
}

servers_available() {
  [ -x "$PY" ] && [ -f "$SERVERS/bootstrap_server.py" ] ||
    { echo "no .venv or test servers: run bash tests/setup.sh"; return 1; }
}
check "test servers available" servers_available
check "lwbs-demo: bootstrap + register + deregister" demo_scenario "$BUILD/c-examples/lwbs-demo"

# ---- README.md's snippets, as README shows them (tests/readme.rs: every block is covered) ----
# shellcheck source=tests/readme_snippets.sh
source "$ROOT/tests/readme_snippets.sh"

# ---- link hygiene: only lwbs_* leaves the library; coexistence with Mbed TLS and Rust ----------
# shellcheck source=tests/c/link_hygiene.sh
source "$ROOT/tests/c/link_hygiene.sh"

# The ASan build also carries the trimmed Mbed TLS profile psk-ecdhe (1536-byte records, no
# RSA): free here (the debug build compiles Mbed TLS anyway), and it proves the hook.
ASAN_BUILD=$BUILD/asan
check "ASan+UBSan build (crate: debug profile, LWBS_TLS_PROFILE=psk-ecdhe)" bash -c "
  cmake -S . -B '$ASAN_BUILD' -DCMAKE_BUILD_TYPE=Debug -DLWBS_CARGO_PROFILE=debug \
    -DLWBS_SANITIZE=address,undefined -DLWBS_INSTALL=OFF -DLWBS_TLS_PROFILE=psk-ecdhe &&
  cmake --build '$ASAN_BUILD' -j $JOBS"
export ASAN_OPTIONS=detect_leaks=1:exitcode=98 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
check "lwbs-demo under ASan+UBSan: bootstrap + register + deregister" \
  demo_scenario "$ASAN_BUILD/c-examples/lwbs-demo"
check "lwbs-demo --smartcard under ASan+UBSan: the card's server registers" \
  smartcard_scenario "$ASAN_BUILD/c-examples/lwbs-demo"
check "lwbs-demo under ASan+UBSan, psk-ecdhe (1536-byte records): DTLS-PSK registration" \
  dtls_psk_registration "$ASAN_BUILD/c-examples/lwbs-demo"
unset ASAN_OPTIONS UBSAN_OPTIONS

# tls_profile_applied: the target-config hook works. Cargo's raw archives: the trimmed build
# has no RSA/DES/Camellia code and bindgen saw 1536-byte records; the full build has both.
# Fails if a crate upgrade drops the hook (the trimmed build would then equal the full one).
profile_symbols() {   # ARCHIVE: the removed-by-profile symbols it defines
  readelf -sW "$1" 2>/dev/null | awk '$7 != "UND" && ($8 == "mbedtls_rsa_init" ||
    $8 == "mbedtls_des_init" || $8 == "mbedtls_camellia_init") { print $8 }' | sort -u | xargs
}
in_content_len() {    # CARGO_OUT_DIR: MBEDTLS_SSL_IN_CONTENT_LEN as bindgen saw it
  local f
  f=$(ls -t "$1"/build/mbedtls-sys-auto-*/out/bindings.rs | head -1)
  sed -n 's/^pub const SSL_IN_CONTENT_LEN: .* = \([0-9]*\);/\1/p' "$f"
}
tls_profile_applied() {
  local trimmed full
  trimmed=$(profile_symbols "$ASAN_BUILD/cargo/debug/liblwm2m_bootstrap.a")
  full=$(profile_symbols "$BUILD/cargo/release/liblwm2m_bootstrap.a")
  echo "psk-ecdhe archive defines: [$trimmed]; full archive defines: [$full]"
  echo "SSL_IN_CONTENT_LEN psk-ecdhe $(in_content_len "$ASAN_BUILD/cargo/debug"), full $(in_content_len "$BUILD/cargo/release")"
  [ -z "$trimmed" ] && [ "$full" = "mbedtls_camellia_init mbedtls_des_init mbedtls_rsa_init" ] &&
    [ "$(in_content_len "$ASAN_BUILD/cargo/debug")" = 1536 ] &&
    [ "$(in_content_len "$BUILD/cargo/release")" = 16384 ]
}
check "Mbed TLS profile hook applied (psk-ecdhe: no RSA/DES/Camellia, 1536-byte records)" \
  tls_profile_applied

# ---- the no_std archive (LWBS_NO_STD=ON: panic = abort, lwbs_port_* hooks) -------------------
# One extra release build of the crate without std, with DTLS (dtls-nostd) and the psk profile
# (~2 min: Mbed TLS is compiled again); tests/c/nostd_port.c provides the port layer over
# malloc/free/abort and runs the demo (posix platform) against the servers, over NoSec and
# DTLS-PSK. The NoSec-only no_std build is checked by tests/run_all.sh (cargo clippy) and
# measured by the budgets.
NOSTD_BUILD=$BUILD/nostd
NOSTD_A=$NOSTD_BUILD/lib/liblwm2m_bootstrap.a
check "no_std build (LWBS_NO_STD=ON, LWBS_NO_STD_DTLS=ON, psk; archive only, firmware profile)" \
  bash -c "cmake -S . -B '$NOSTD_BUILD' -DCMAKE_BUILD_TYPE=Release -DLWBS_NO_STD=ON \
    -DLWBS_NO_STD_DTLS=ON -DLWBS_TLS_PROFILE=psk -DLWBS_INSTALL=OFF &&
    cmake --build '$NOSTD_BUILD' -j $JOBS"
# nostd_archive_ok: only lwbs_* defined globally (rand() of the no_std mbedtls crate and the
# rust_eh_personality stand-in are local), the four
# lwbs_port_* hooks left undefined for the firmware, and no std inside (no std:: symbol).
nostd_archive_ok() {
  local hooks
  only_lwbs_globals "$NOSTD_A" || return 1
  hooks=$(nm -u "$NOSTD_A" | awk '$2 ~ /^lwbs_/ { print $2 }' | sort -u | xargs)
  echo "undefined lwbs_*: [$hooks]"
  [ "$hooks" = "lwbs_port_free lwbs_port_malloc lwbs_port_panic lwbs_port_realloc" ] || return 1
  ! readelf -sW "$NOSTD_A" | awk '$7 != "UND"' | grep -q 'std[0-9]*panicking' &&
    ! readelf -sW "$NOSTD_A" | awk '$5 != "LOCAL" && $7 != "UND" && $8 == "rand"' | grep -q .
}
check "no_std archive: only lwbs_* defined, lwbs_port_* left to the firmware, no std" \
  nostd_archive_ok
# Mbed TLS allocates through the port hooks (cmake/mbedtls/port_alloc.h): nothing of the C
# library's allocator is left undefined (the nostd_port scenario's live=0 then also covers
# Mbed TLS's blocks).
nostd_no_libc_alloc() {
  local libc glue
  libc=$(nm -u "$NOSTD_A" | awk '$2 ~ /^(calloc|malloc|realloc|free)$/ { print $2 }' | sort -u | xargs)
  echo "undefined libc allocator: [$libc]"
  [ -z "$libc" ] || return 1
  # The glue is there, local (a variable, not nm | grep -q: pipefail and SIGPIPE).
  glue=$(readelf -sW "$NOSTD_A" | awk '$5 == "LOCAL" && $8 ~ /^lwbsint_mbedtls_(calloc|free)$/ { print $8 }' |
    sort -u | xargs)
  echo "local glue: [$glue]"
  [ "$glue" = "lwbsint_mbedtls_calloc lwbsint_mbedtls_free" ]
}
check "no_std DTLS archive: no calloc/malloc/realloc/free left undefined (Mbed TLS uses lwbs_port_*)" \
  nostd_no_libc_alloc
build_nostd_port() {
  local cflags=(-std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -D_POSIX_C_SOURCE=200809L)
  gcc "${cflags[@]}" -c "$ROOT/tests/c/nostd_port.c" -o "$HYG/nostd_port.o" &&
    gcc "${cflags[@]}" -Dmain=lwbs_demo_main -c "$ROOT/c-examples/lwbs_demo.c" \
      -o "$HYG/nostd_demo.o" &&
    gcc "${cflags[@]}" -c "$ROOT/c-examples/lwbs_events.c" -o "$HYG/nostd_events.o" &&
    gcc -Wl,--gc-sections -o "$HYG/nostd-port" "$HYG/nostd_port.o" "$HYG/nostd_demo.o" \
      "$HYG/nostd_events.o" \
      "$HYG/platform.o" "$HYG/sim_card.o" "$NOSTD_A"
}
check "nostd_port: links the no_std archive with the posix platform and demo" build_nostd_port
nostd_scenario() {
  demo_scenario "$HYG/nostd-port" &&
    grep -qx 'NOSTD port malloc=[1-9][0-9]* realloc=[0-9]* free=[0-9]* live=0' "$WORK/demo.out"
}
check "nostd_port: bootstrap + register + deregister over NoSec, every block freed" \
  nostd_scenario
check "nostd_port: DTLS-PSK registration (no_std Mbed TLS, psk profile)" \
  dtls_psk_registration "$HYG/nostd-port"

# ---- without Bootstrap from Smartcard (-DLWBS_SMARTCARD=OFF, NoSec no_std: ~40 s) ----------------
# The C ABI stays whole: lwbs_client_set_smartcard returns LWBS_ERR_UNSUPPORTED, a platform
# card_transmit is ignored with a warning (tests/c/no_smartcard.c), no card code is linked.
NOCARD_BUILD=$BUILD/nocard
check "no-smartcard build (LWBS_SMARTCARD=OFF, LWBS_NO_STD=ON; archive only)" \
  bash -c "cmake -S . -B '$NOCARD_BUILD' -DCMAKE_BUILD_TYPE=Release -DLWBS_NO_STD=ON \
    -DLWBS_SMARTCARD=OFF -DLWBS_INSTALL=OFF && cmake --build '$NOCARD_BUILD' -j $JOBS"
no_smartcard_ok() {
  local cflags=(-std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -D_POSIX_C_SOURCE=200809L)
  gcc "${cflags[@]}" -DLWBS_PORT_ONLY -c "$ROOT/tests/c/nostd_port.c" -o "$HYG/nocard_port.o" &&
    gcc "${cflags[@]}" -o "$HYG/no-smartcard" "$ROOT/tests/c/no_smartcard.c" \
      "$HYG/nocard_port.o" "$NOCARD_BUILD/lib/liblwm2m_bootstrap.a" &&
    "$HYG/no-smartcard" | grep -qx 'no_smartcard: ok' &&
    ! readelf -sW "$NOCARD_BUILD/lib/liblwm2m_bootstrap.a" | grep -q 'CardReader\|pkcs15\|scp03'
}
check "no-smartcard build: set_smartcard is LWBS_ERR_UNSUPPORTED, card_transmit ignored with a warning" \
  no_smartcard_ok

# ---- cross build for Cortex-M (cmake/toolchains/arm-none-eabi.cmake) ---------------------------
# shellcheck source=../cross/run_cross_tests.sh
source "$ROOT/tests/cross/run_cross_tests.sh"

echo "C tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
