#!/usr/bin/env bash
# Runs every test of lwm2m-bootstrap. README.md names this script as the test command.
#   1. installs what is missing (tests/setup.sh: apt packages, .venv with aiocoap + pytest);
#   2. cargo fmt --check and clippy with warnings as errors;
#   3. Rust unit, property, scenario, C ABI and header tests;
#   4. the CMake build, package and consumer tests, the demo under AddressSanitizer;
#   5. pytest over real UDP on 127.0.0.1: ETS scenarios through the C ABI (ctypes), the demo
#      against the aiocoap test servers and coap-rd-openssl, the demo under valgrind;
#   6. every fuzz target built and run for a few seconds from its seeds (fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --all-targets -- -D warnings
echo "== cargo clippy, no_std NoSec with and without smartcard (the C tests build no_std with DTLS)"
cargo clippy --lib --no-default-features --features smartcard --profile firmware -- -D warnings
cargo clippy --lib --no-default-features --profile firmware -- -D warnings
echo "== cargo clippy and test without smartcard (std, NoSec)"
cargo clippy --all-targets --no-default-features --features std -- -D warnings
cargo test --no-default-features --features std
echo "== cargo test"
cargo test --all-targets
echo "== C: CMake build, package consumers, demo (ASan)"
bash tests/c/run_c_tests.sh
echo "== Python: ctypes and demo scenarios over UDP"
cargo build
LWBS_LIBRARY="$PWD/target/debug/liblwm2m_bootstrap.so" .venv/bin/pytest tests/python -q -p no:cacheprovider
echo "== fuzz targets: build, and run each for 5 s from the committed seeds"
JOBS=2 bash fuzz/run.sh 5
