#!/usr/bin/env bash
# Cross build tests (Cortex-M, cmake/toolchains/arm-none-eabi.cmake, docs/cross-build.md):
#   - the Rust target derived from CPU / float ABI flags (tests/cross/rust_target_mapping.cmake),
#     and from real configure runs with several LWBS_ARM_CPU_FLAGS; -DLWBS_RUST_TARGET wins;
#   - a Rust target whose standard library is missing stops the configure, naming
#     `rustup target add <triple>` (a rustc whose sysroot has no target);
#   - cargo's environment names the toolchain's compiler, archiver, CPU flags (merged with a
#     Mbed TLS profile's) and bindgen's include folders for the triple;
#   - tests/cross_consumer through add_subdirectory(): the no_std archive (thumbv7em-none-eabihf)
#     linked into a bare-metal image: ARM, v7E-M, hard-float, every lwbs_* in it;
#   - `cmake --install` of a cross build, then tests/cross_consumer through find_package().
# One cross cargo build (~20 s here), shared by both routes through LWBS_CARGO_TARGET_DIR.
# tests/c/run_c_tests.sh sources this file (its check() and counters); run alone, it prints
# "cross tests: N passed, M failed" and exits non-zero if any check failed.
# Environment: BUILD_DIR (default build; this uses $BUILD_DIR/cross).
set -uo pipefail

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  CROSS_STANDALONE=1
  cd "$(dirname "$0")/../.."
  ROOT=$PWD
  BUILD=$(realpath -m "${BUILD_DIR:-build}")
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  passed=0
  failed=0
  check() {
    local name=$1; shift
    local log="$WORK/log.$((passed + failed))"
    if "$@" >"$log" 2>&1; then
      passed=$((passed + 1)); echo "ok   $name"
    else
      failed=$((failed + 1)); echo "FAIL $name"; tail -n 40 "$log" | sed 's/^/     /'
    fi
  }
else
  CROSS_STANDALONE=0
fi

CROSS=$BUILD/cross
TOOLCHAIN=$ROOT/cmake/toolchains/arm-none-eabi.cmake
CROSS_CARGO=$CROSS/cargo
CROSS_JOBS=$(nproc)
mkdir -p "$CROSS"

# cross_configure DIR ARGS...: configures the library for the target (configure only).
cross_configure() {
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S "$ROOT" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DLWBS_NO_STD=ON \
    -DLWBS_INSTALL=OFF -DLWBS_CARGO_TARGET_DIR="$CROSS_CARGO" "$@"
}

# derives EXPECTED_STATUS ARGS...: the configure succeeds and reports the Rust target.
derives() {
  local expected=$1; shift
  cross_configure "$WORK/derive" "$@" | tee "$WORK/derive.out" || return 1
  grep -qF -- "cargo firmware for $expected;" "$WORK/derive.out"
}

tools_present() {
  local tool
  for tool in arm-none-eabi-gcc arm-none-eabi-ld arm-none-eabi-readelf arm-none-eabi-nm \
    arm-none-eabi-size; do
    command -v "$tool" || { echo "$tool missing: run tests/setup.sh"; return 1; }
  done
}
check "cross: GNU Arm toolchain present (arm-none-eabi-gcc, binutils)" tools_present
check "cross: Rust target mapping from CPU / float ABI flags (cmake -P)" \
  cmake -P "$ROOT/tests/cross/rust_target_mapping.cmake"
check "cross: toolchain default flags (Cortex-M4F) -> thumbv7em-none-eabihf" \
  derives "thumbv7em-none-eabihf (from the C flags)"
check "cross: -mcpu=cortex-m0plus -> thumbv6m-none-eabi" \
  derives "thumbv6m-none-eabi (from the C flags)" "-DLWBS_ARM_CPU_FLAGS=-mcpu=cortex-m0plus -mthumb"
check "cross: -mcpu=cortex-m3 -> thumbv7m-none-eabi" \
  derives "thumbv7m-none-eabi (from the C flags)" "-DLWBS_ARM_CPU_FLAGS=-mcpu=cortex-m3 -mthumb"
check "cross: -mcpu=cortex-m33 (soft float) -> thumbv8m.main-none-eabi" \
  derives "thumbv8m.main-none-eabi (from the C flags)" "-DLWBS_ARM_CPU_FLAGS=-mcpu=cortex-m33 -mthumb"
check "cross: -DLWBS_RUST_TARGET=thumbv7m-none-eabi overrides the derived target" \
  derives "thumbv7m-none-eabi" -DLWBS_RUST_TARGET=thumbv7m-none-eabi

# A rustc whose sysroot has no target library at all: the configure must stop and say how
# to install the derived target.
missing_target() {
  mkdir -p "$WORK/fake-sysroot/lib/rustlib"
  cat >"$WORK/fake-rustc" <<FAKE
#!/bin/sh
if [ "\$1" = "--print" ] && [ "\$2" = "sysroot" ]; then echo "$WORK/fake-sysroot"; exit 0; fi
exec rustc "\$@"
FAKE
  chmod +x "$WORK/fake-rustc"
  if cross_configure "$WORK/missing" -DLWBS_RUSTC="$WORK/fake-rustc" >"$WORK/missing.out" 2>&1
  then
    echo "configure succeeded without the target"; return 1
  fi
  cat "$WORK/missing.out"
  grep -q "the Rust target thumbv7em-none-eabihf is not installed" "$WORK/missing.out" &&
    grep -qx " *rustup target add thumbv7em-none-eabihf" "$WORK/missing.out"
}
check "cross: a missing Rust target stops the configure with 'rustup target add <triple>'" \
  missing_target

# cargo_env_ok DIR: the cargo command line of the build in DIR.
cargo_env_ok() {
  local cmdline gcc_dir
  cmdline=$(grep -h -o 'env CARGO_TARGET_DIR=.*' "$1"/CMakeFiles/lwbs_cargo_build.dir/build.make |
    head -1)
  echo "$cmdline"
  gcc_dir=$(dirname "$(arm-none-eabi-gcc -print-file-name=include)")
  grep -qF "CC_thumbv7em_none_eabihf=$(command -v arm-none-eabi-gcc) " <<<"$cmdline" &&
    grep -qF "AR_thumbv7em_none_eabihf=$(command -v arm-none-eabi-ar) " <<<"$cmdline" &&
    grep -qE '"CFLAGS_thumbv7em_none_eabihf=[^"]*-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16' <<<"$cmdline" &&
    grep -qF "\"BINDGEN_EXTRA_CLANG_ARGS_thumbv7em-none-eabihf=--target=thumbv7em-none-eabihf -isystem $gcc_dir/include -isystem $gcc_dir/include-fixed -isystem /" <<<"$cmdline"
}
default_env_ok() {
  cross_configure "$WORK/env" >/dev/null && cargo_env_ok "$WORK/env"
}
check "cross: cargo gets the toolchain's CC/AR/CFLAGS and bindgen's include folders" \
  default_env_ok
tls_merge_ok() {
  cross_configure "$WORK/env-psk" -DLWBS_TLS_PROFILE=psk >/dev/null || return 1
  grep -h -o '"CFLAGS_thumbv7em_none_eabihf=[^"]*"' \
    "$WORK/env-psk"/CMakeFiles/lwbs_cargo_build.dir/build.make | tee "$WORK/psk.out"
  grep -q -- '-mfloat-abi=hard .*-DTARGET_LIKE_MBED .*-I.*/cmake/mbedtls/psk"' "$WORK/psk.out"
}
check "cross: LWBS_TLS_PROFILE=psk adds its CFLAGS to the CPU flags" tls_merge_ok

# image_ok ELF: a Cortex-M4F image with the whole C ABI.
image_ok() {
  local elf=$1 count
  arm-none-eabi-readelf -h "$elf" | tee "$WORK/hdr.out"
  grep -q 'Machine: *ARM' "$WORK/hdr.out" && grep -q 'hard-float ABI' "$WORK/hdr.out" || return 1
  arm-none-eabi-readelf -A "$elf" | grep -q 'Tag_CPU_arch: v7E-M' || return 1
  arm-none-eabi-nm "$elf" >"$WORK/nm.out"
  grep -q ' T lwbs_client_new$' "$WORK/nm.out" || return 1
  # 25 exported functions + 4 port hooks of firmware.c
  count=$(grep -c ' T lwbs_' "$WORK/nm.out")
  echo "lwbs_* functions in the image: $count"
  [ "$count" -eq "$(grep -cE '^[a-z].*[ *]lwbs_[a-z0-9_]+\(' "$ROOT/include/lwm2m_bootstrap.h")" ]
}
archive_ok() {   # ARCHIVE: ARM objects, only lwbs_* defined globally
  arm-none-eabi-readelf -h "$1" | grep -q 'Machine: *ARM' || return 1
  ! arm-none-eabi-readelf -sW "$1" |
    awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 !~ /^lwbs_/ { print; bad = 1 }
         END { exit !bad }'
}

libc_mem_ok() {   # ARCHIVE ELF: memory functions left to the C library (LWBS_LIBC_MEM, default ON)
  arm-none-eabi-readelf -sW "$1" >"$WORK/archive.syms"
  awk '$7 == "UND" && $8 ~ /^(__aeabi_mem|mem(cpy|move|set))/' "$WORK/archive.syms" | grep -q . ||
    return 1
  ! awk '$7 != "UND" && $8 ~ /^(__aeabi_mem|memcpy$|memmove$|memset$)/ { print; bad = 1 }
         END { exit !bad }' "$WORK/archive.syms" || return 1
  ! arm-none-eabi-nm -C "$2" | grep 'compiler_builtins::mem::'
}

consumer_build() {   # DIR ARGS...: configures and builds tests/cross_consumer
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S "$ROOT/tests/cross_consumer" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
    -DCMAKE_BUILD_TYPE=MinSizeRel "$@" && cmake --build "$dir" -j "$CROSS_JOBS"
}
check "cross: add_subdirectory consumer builds (cargo for thumbv7em-none-eabihf, no_std)" \
  consumer_build "$CROSS/sub" -DLWBS_CONSUMER_MODE=subdirectory \
    -DLWBS_CARGO_TARGET_DIR="$CROSS_CARGO"
check "cross: localized archive is ARM and defines only lwbs_*" \
  archive_ok "$CROSS/sub/lwm2m_bootstrap/lib/liblwm2m_bootstrap.a"
check "cross: add_subdirectory image is ARM v7E-M hard-float with every lwbs_* function" \
  image_ok "$CROSS/sub/cross-consumer.elf"
check "cross: memcpy, memmove, memset, __aeabi_mem* come from the C library, not compiler_builtins" \
  libc_mem_ok "$CROSS/sub/lwm2m_bootstrap/lib/liblwm2m_bootstrap.a" "$CROSS/sub/cross-consumer.elf"

install_cross() {
  rm -rf "$CROSS/lib" "$CROSS/prefix"
  cmake -S "$ROOT" -B "$CROSS/lib" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DLWBS_NO_STD=ON \
    -DLWBS_CARGO_TARGET_DIR="$CROSS_CARGO" -DCMAKE_INSTALL_PREFIX="$CROSS/prefix" &&
    cmake --build "$CROSS/lib" -j "$CROSS_JOBS" && cmake --install "$CROSS/lib" &&
    grep -qx 'set(lwm2m_bootstrap_RUST_TARGET "thumbv7em-none-eabihf")' \
      "$CROSS/prefix/lib/cmake/lwm2m_bootstrap/lwm2m_bootstrapConfig.cmake" &&
    archive_ok "$CROSS/prefix/lib/liblwm2m_bootstrap.a"
}
check "cross: cmake --install of the cross build (archive, header, package)" install_cross
check "cross: find_package consumer builds against the cross install" \
  consumer_build "$CROSS/pkg" -DLWBS_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH="$CROSS/prefix"
check "cross: find_package image is ARM v7E-M hard-float with every lwbs_* function" \
  image_ok "$CROSS/pkg/cross-consumer.elf"

# What the library adds to a Cortex-M4F image (-Os, --gc-sections, newlib-nano), for the log.
if [ -f "$CROSS/sub/cross-consumer.elf" ] && [ -f "$CROSS/sub/cross-empty.elf" ]; then
  lib_text=$(( $(arm-none-eabi-size "$CROSS/sub/cross-consumer.elf" | awk 'NR == 2 { print $1 }') -
    $(arm-none-eabi-size "$CROSS/sub/cross-empty.elf" | awk 'NR == 2 { print $1 }') ))
  echo "     cross: the no_std NoSec library adds $lib_text bytes of text (thumbv7em-none-eabihf)"
fi

if [ "$CROSS_STANDALONE" = 1 ]; then
  echo "cross tests: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
fi
