#!/usr/bin/env bash
# Runs every test of lwm2m-bootstrap: format check, clippy with warnings as errors, and the
# Rust unit, property and scenario tests. README.md names this script as the test command.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --all-targets -- -D warnings
echo "== cargo test"
cargo test --all-targets
