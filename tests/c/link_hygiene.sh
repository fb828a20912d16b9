# Link hygiene of the shipped artifacts (issue 7, item 1). Sourced by tests/c/run_c_tests.sh
# after the CMake build, the install and the servers' helpers are defined; uses its check,
# start_server, stop_servers, demo_scenario, BUILD, PREFIX, WORK, PY, ROOT.
#
#   - the shipped static archive ($BUILD/lib, and the installed one) and the shared library
#     define only lwbs_* globally (nm, readelf); the .so has DT_SONAME liblwm2m_bootstrap.so.0
#     and exports version LWBS_1.0; with std nothing is asked of the firmware (no lwbs_port_*);
#   - tests/c/coexist.c, linked with the shipped archive, Debian's Mbed TLS (static and shared)
#     and a second Rust static library (tests/c/other_rust_lib), in both link orders (and once
#     with our shared library), with --gc-sections: each Mbed TLS does its own work (the
#     system's version string and SHA-256 from C) while ours bootstraps over NoSec from the
#     aiocoap servers and registers over DTLS-PSK with coap-rd-openssl -k;
#   - --gc-sections still drops most of the archive from a static program.
# Needs libmbedtls-dev (tests/setup.sh).

SHIPPED_A=$BUILD/lib/liblwm2m_bootstrap.a
SHIPPED_SO=$BUILD/lib/liblwm2m_bootstrap.so.0
HYG=$WORK/hygiene
mkdir -p "$HYG"

# only_lwbs_globals FILE...: nm and readelf agree that every defined global is lwbs_*.
only_lwbs_globals() {
  local f bad count
  for f in "$@"; do
    count=$(nm -g --defined-only "$f" | awk 'NF == 3 && $3 ~ /^lwbs_/' | wc -l)
    bad=$(nm -g --defined-only "$f" | awk 'NF == 3 && $3 !~ /^lwbs_/ { print $3 }')
    bad+=$(readelf -sW "$f" |
      awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 !~ /^lwbs_/ { print $8 }')
    echo "$f: $count lwbs_* globals"
    [ "$count" -ge 20 ] && [ -z "$bad" ] || { echo "other globals: $bad" | head -20; return 1; }
  done
}
# The .so: dynamic symbols are lwbs_* plus the version node LWBS_1.0; SONAME .so.0.
shared_exports_ok() {
  local bad
  bad=$(nm -D --defined-only "$SHIPPED_SO" | awk '$3 !~ /^lwbs_/ && $3 != "LWBS_1.0" { print $3 }')
  [ -z "$bad" ] || { echo "exported besides lwbs_*: $bad" | head -20; return 1; }
  readelf -d "$SHIPPED_SO" | grep -q 'SONAME.*\[liblwm2m_bootstrap\.so\.0\]' &&
    readelf -W --dyn-syms "$SHIPPED_SO" | grep -q 'lwbs_client_new@@LWBS_1.0' &&
    [ -L "$BUILD/lib/liblwm2m_bootstrap.so" ] && [ -L "$PREFIX/lib/liblwm2m_bootstrap.so.0" ]
}
# With std, the firmware provides no hook: no undefined lwbs_* (lwbs_port_* would be listed).
no_port_hooks_with_std() {
  local undefined
  undefined=$(nm -u "$SHIPPED_A" | awk '{ print $2 }' | grep '^lwbs_')
  [ -z "$undefined" ] || { echo "undefined lwbs_ symbols: $undefined"; return 1; }
  echo "undefined symbols (all from libc/libgcc): $(nm -u "$SHIPPED_A" | wc -l)"
}
check "shipped archive and installed archive define only lwbs_* globally (nm, readelf)" \
  only_lwbs_globals "$SHIPPED_A" "$PREFIX/lib/liblwm2m_bootstrap.a"
check "shared library exports only lwbs_* (LWBS_1.0), SONAME liblwm2m_bootstrap.so.0" \
  shared_exports_ok
check "std build asks no lwbs_port_* hook of the firmware" no_port_hooks_with_std

# ---- coexistence --------------------------------------------------------------------------
build_coexist() {
  local cflags=(-std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -ffunction-sections)
  CARGO_TARGET_DIR="$BUILD/other_rust_lib" cargo build --release --offline --locked \
    --manifest-path "$ROOT/tests/c/other_rust_lib/Cargo.toml" &&
    gcc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L -c "$ROOT/tests/c/coexist.c" -o "$HYG/coexist.o" &&
    gcc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L -Dmain=lwbs_demo_main \
      -c "$ROOT/c-examples/lwbs_demo.c" -o "$HYG/demo.o" &&
    gcc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L \
      -c "$ROOT/c-examples/posix_platform.c" -o "$HYG/platform.o" &&
    gcc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L \
      -c "$ROOT/c-examples/sim_card.c" -o "$HYG/sim_card.o" &&
    gcc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L \
      -c "$ROOT/c-examples/lwbs_events.c" -o "$HYG/events.o" || return 1
  local objs=("$HYG/coexist.o" "$HYG/demo.o" "$HYG/events.o" "$HYG/platform.o" "$HYG/sim_card.o")
  local other=$BUILD/other_rust_lib/release/libother_rust_lib.a
  local mbed=(-lmbedtls -lmbedx509 -lmbedcrypto)
  local ours=("$SHIPPED_A" $LWBS_NATIVE)
  local link=(gcc -Wl,--gc-sections)
  "${link[@]}" -o "$HYG/static-ours-first" "${objs[@]}" "${ours[@]}" "$other" \
      -Wl,-Bstatic "${mbed[@]}" -Wl,-Bdynamic &&
    "${link[@]}" -o "$HYG/static-theirs-first" "${objs[@]}" -Wl,-Bstatic "${mbed[@]}" \
      -Wl,-Bdynamic "$other" "${ours[@]}" &&
    "${link[@]}" -o "$HYG/shared-ours-first" "${objs[@]}" "${ours[@]}" "$other" "${mbed[@]}" &&
    "${link[@]}" -o "$HYG/shared-theirs-first" "${objs[@]}" "${mbed[@]}" "$other" "${ours[@]}" &&
    "${link[@]}" -o "$HYG/our-so" "${objs[@]}" "${mbed[@]}" "$other" \
      -L"$BUILD/lib" -llwm2m_bootstrap -Wl,-rpath,"$BUILD/lib" &&
    readelf -d "$HYG/shared-ours-first" | grep -q 'NEEDED.*libmbedcrypto' &&
    ! readelf -d "$HYG/static-ours-first" | grep -q 'NEEDED.*libmbed' &&
    readelf -d "$HYG/our-so" | grep -q 'NEEDED.*\[liblwm2m_bootstrap\.so\.0\]'
}
# rustc's native-static-libs for our archive and the other one (same list: std's).
LWBS_NATIVE=$(sed -n 's/^Libs.private: //p' "$PREFIX/lib/pkgconfig/lwm2m_bootstrap.pc")
check "coexist: links with system Mbed TLS (static, shared), another Rust lib, both orders" \
  build_coexist
COEXIST_VARIANTS=(static-ours-first static-theirs-first shared-ours-first shared-theirs-first our-so)

# coexist_nosec BINARY: the whole demo scenario (bootstrap, register, deregister) plus the
# COEXIST line (system Mbed TLS and the other Rust library worked before and after).
coexist_nosec() {
  demo_scenario "$1" &&
    grep -qx 'COEXIST system-mbedtls=2\.[0-9.]* other-rust=42' "$WORK/demo.out"
}

# dtls_psk_registration BINARY: lwbs-demo (or coexist) registers over DTLS-PSK with
# coap-rd-openssl -k (any identity); killed once registered (coap-rd-openssl 4.3.1 aborts on
# De-register, PEERS.md). Also used by run_c_tests.sh for the trimmed-profile build.
dtls_psk_registration() {
  local bin=$1 port rd pid out=$HYG/psk.out
  # No subshells here: they would run run_c_tests.sh's EXIT trap (which deletes $WORK).
  PYTHONPATH="$ROOT/tests/python" "$PY" -c 'from conftest import free_udp_port
print(free_udp_port(pair=True))' >"$HYG/port" || return 1
  port=$(<"$HYG/port")
  coap-rd-openssl -A 127.0.0.1 -p "$port" -k Secret123 >"$HYG/rd.log" 2>&1 &
  rd=$!
  PIDS+=("$rd")
  PYTHONPATH="$ROOT/tests/python" "$PY" -c "import sys; from conftest import coap_ping
sys.exit(0 if coap_ping($port, 15.0) else 1)" || { echo "coap-rd-openssl did not come up"; return 1; }
  local state
  state=$(mktemp -d "$HYG/state.XXXXXX") || return 1
  "$bin" --endpoint coexist-psk --state-dir "$state" \
    --server-uri "coaps://127.0.0.1:$((port + 1))" --ssid 1 --psk-identity coexist \
    --psk-key 536563726574313233 --exit-after 120 >"$out" 2>&1 &
  pid=$!
  # Up to 90 s: a loaded 2-core CI machine may need a DTLS retransmission or two.
  for _ in $(seq 900); do
    grep -q '^EVENT registered' "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  kill "$rd" 2>/dev/null; wait "$rd" 2>/dev/null
  cat "$out"; echo "coap-rd-openssl:"; tail -5 "$HYG/rd.log"
  grep -q '^EVENT registered ssid=1 location=/rd/' "$out" && ! grep -q 'Sanitizer' "$out"
}
coexist_psk() {
  dtls_psk_registration "$1" &&
    grep -qx 'COEXIST system-mbedtls=2\.[0-9.]* other-rust=42' "$HYG/psk.out"
}
for v in "${COEXIST_VARIANTS[@]}"; do
  check "coexist $v: NoSec bootstrap + register + deregister" coexist_nosec "$HYG/$v"
  check "coexist $v: DTLS-PSK registration (our Mbed TLS) beside the system's" \
    coexist_psk "$HYG/$v"
done

# ---- --gc-sections still works on the post-processed archive -------------------------------
# The partial link keeps one output section per input section (ld -r --unique), so the final
# link can still drop what a program does not reach: minimal.c never calls
# lwbs_client_registration_location, whose code must go with --gc-sections and stay without.
gc_sections_effective() {
  local with without
  gcc -Os -I"$ROOT/include" -o "$HYG/min-gc" "$ROOT/c-examples/minimal.c" -Wl,--gc-sections \
    "$SHIPPED_A" $LWBS_NATIVE &&
    gcc -Os -I"$ROOT/include" -o "$HYG/min-nogc" "$ROOT/c-examples/minimal.c" \
      "$SHIPPED_A" $LWBS_NATIVE && "$HYG/min-gc" >/dev/null || return 1
  nm "$HYG/min-nogc" >"$HYG/nm-nogc" && nm "$HYG/min-gc" >"$HYG/nm-gc" || return 1
  grep -q ' T lwbs_client_registration_location$' "$HYG/nm-nogc" || return 1
  ! grep -q ' lwbs_client_registration_location$' "$HYG/nm-gc" || return 1
  strip "$HYG/min-gc" "$HYG/min-nogc"
  with=$(stat -c %s "$HYG/min-gc")
  without=$(stat -c %s "$HYG/min-nogc")
  echo "minimal.c stripped: $with bytes with --gc-sections, $without without"
  [ "$with" -lt "$without" ]
}
check "--gc-sections drops unreached code of the shipped archive" gc_sections_effective
