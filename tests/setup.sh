#!/usr/bin/env bash
# Installs what the build, the demo and the tests need on a fresh Debian machine, and creates
# the Python virtual environment in .venv. Idempotent: quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
command -v coap-rd-openssl >/dev/null 2>&1 || need_apt+=(libcoap3-bin)
# bindgen (mbedtls-sys-auto, feature dtls) needs libclang and its headers: check the package,
# not a file glob (libclang-cpp*.so, present without it, fooled an earlier check).
dpkg -s libclang-dev >/dev/null 2>&1 || need_apt+=(libclang-dev)
# Link hygiene tests link the library beside Debian's own Mbed TLS (static and shared).
dpkg -s libmbedtls-dev >/dev/null 2>&1 || need_apt+=(libmbedtls-dev)
# DTLSSocket (aiocoap[tinydtls], the DTLS Bootstrap Server of the pytest suite) builds
# tinydtls from source with autoreconf.
command -v autoreconf >/dev/null 2>&1 || need_apt+=(autoconf automake libtool)
# Cross builds for Cortex-M (docs/cross-build.md, tests/cross/): GNU Arm toolchain, newlib
# (and newlib-nano), QEMU for the firmware images.
command -v arm-none-eabi-gcc >/dev/null 2>&1 || need_apt+=(gcc-arm-none-eabi)
dpkg -s libnewlib-arm-none-eabi >/dev/null 2>&1 || need_apt+=(libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null 2>&1 || need_apt+=(qemu-system-arm)
# lwbs-demo --platform-tls (c-examples/gnutls_security.c, built when CMake finds GnuTLS) and
# tests/python/test_platform_tls.py, which makes its keys with the openssl CLI.
dpkg -s libgnutls28-dev >/dev/null 2>&1 || need_apt+=(libgnutls28-dev)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# Without GnuTLS the demo would silently lose --platform-tls and test_platform_tls.py fail.
if ! pkg-config --exists 'gnutls >= 3.6.13'; then
  echo "tests/setup.sh: GnuTLS >= 3.6.13 not found by pkg-config (Debian libgnutls28-dev);" \
       "lwbs-demo --platform-tls and tests/python/test_platform_tls.py need it" >&2
  exit 1
fi

if ! rustup component list --installed 2>/dev/null | grep -q '^rustfmt'; then
  rustup component add rustfmt clippy
fi

# Rust targets of the Cortex-M cores: M0/M0+/M1, M3, M4F/M7F, M33/M55 (soft float).
need_targets=()
installed_targets=$(rustup target list --installed 2>/dev/null || true)
for t in thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabi; do
  grep -qx "$t" <<<"$installed_targets" || need_targets+=("$t")
done
if [ ${#need_targets[@]} -gt 0 ]; then
  echo "== rustup target add ${need_targets[*]}"
  rustup target add "${need_targets[@]}"
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import aiocoap, pytest, DTLSSocket, cbor2' 2>/dev/null; then
  echo "== python venv (.venv)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
fi

# The fuzz targets (fuzz/, cargo-fuzz) need a nightly toolchain; CI runs each briefly.
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "== rustup toolchain install nightly"
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.2 -q
fi
