#!/usr/bin/env bash
# Sanitizers (README "Reliability"): AddressSanitizer + UndefinedBehaviorSanitizer over the C
# side, Miri over the pure-Rust unit tests.
#   1. CMake build with -DLWBS_SANITIZE=address,undefined (the examples' C code and the
#      platform: posix_platform.c, sim_card.c, lwbs_demo.c), the crate in its debug profile;
#   2. lwbs-minimal, then every demo scenario of the pytest suite (tests/python/test_demo.py,
#      test_demo_smartcard.py: bootstrap, registration, storage and restart, DTLS-PSK,
#      smartcard, error paths; test_platform_tls.py: --platform-tls over GnuTLS, PSK, RPK,
#      certificates, failures; test_session_restart.py: DTLS sessions across a restart)
#      against that demo, with leak detection on; any sanitizer
#      report makes the demo exit 98 and the scenario fail;
#   3. Miri (nightly) over the library's unit tests, std + smartcard + float without DTLS (Mbed TLS is C
#      and cannot run in Miri), property tests cut to 8 cases each (Miri is ~1000x slower).
# Needs tests/setup.sh; `--no-miri` skips step 3, `--miri-only` runs only it.
# Usage: bash tests/sanitizers.sh [--no-miri|--miri-only]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$(realpath -m "${BUILD_DIR:-build}")/sanitize
mode=${1:-all}

if [ "$mode" != --miri-only ]; then
  bash tests/setup.sh
  echo "== ASan+UBSan build ($BUILD)"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DLWBS_CARGO_PROFILE=debug \
    -DLWBS_SANITIZE=address,undefined -DLWBS_INSTALL=OFF >/dev/null
  cmake --build "$BUILD" -j "$(nproc)" >/dev/null
  export ASAN_OPTIONS=detect_leaks=1:exitcode=98:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
  echo "== lwbs-minimal under ASan+UBSan"
  "$BUILD/c-examples/lwbs-minimal" 2>"$BUILD/minimal.err"
  if grep -q 'Sanitizer\|runtime error' "$BUILD/minimal.err"; then
    cat "$BUILD/minimal.err"; exit 1
  fi
  echo "== demo scenarios (pytest) under ASan+UBSan"
  LWBS_DEMO="$BUILD/c-examples/lwbs-demo" \
    LWBS_LIBRARY="$ROOT/target/debug/liblwm2m_bootstrap.so" \
    .venv/bin/pytest tests/python/test_demo.py tests/python/test_demo_smartcard.py \
    tests/python/test_platform_tls.py tests/python/test_session_restart.py -q \
    -p no:cacheprovider \
    --deselect tests/python/test_demo.py::test_full_run_under_valgrind_is_clean
  # (valgrind cannot run an ASan binary; that test runs, against the plain demo, in CI.)
fi

if [ "$mode" != --no-miri ]; then
  echo "== Miri over the unit tests (nightly)"
  if ! rustup +nightly component list --installed 2>/dev/null | grep -q '^miri'; then
    rustup toolchain install nightly --profile minimal --component miri,rust-src
  fi
  PROPTEST_CASES=8 MIRIFLAGS="-Zmiri-disable-isolation" \
    cargo +nightly miri test --lib --no-default-features --features std,smartcard,float
fi
