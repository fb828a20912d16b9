#!/usr/bin/env bash
# Runs the firmware example under QEMU mps2-an386 (docs/firmware.md):
#
#   bash c-examples/firmware/run.sh --endpoint EP --bootstrap-uri coap://127.0.0.1:PORT
#        [--hold-off S] [--server-uri URI --ssid N [--lifetime S]]
#        [--exit-after registered|updated|deregistered|bootstrapped|SECONDS]
#        [--psk-identity ID --psk-key HEX] [--state-dir DIR] [--timeout S]
#
# Builds the image if needed (CMake, cmake/toolchains/arm-none-eabi.cmake, in build-fw/ or, with
# --psk-identity, the DTLS image in build-fw-dtls/; LWBS_FW_BUILD_DIR overrides), then starts
# the bridge (bridge.py), which starts QEMU and prints the EVENT lines of lwbs-demo on stdout.
# Exit status 0 on the requested state, 1 with "lwbs-fw: <reason>" on stderr otherwise, 2 for
# bad arguments. QEMU and the bridge are stopped on every path (Ctrl-C deregisters first).
# LWBS_FW_ELF=<image> skips the build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dtls=OFF
for arg in "$@"; do
    [[ $arg == --psk-identity ]] && dtls=ON
done
if [[ -z ${LWBS_FW_ELF:-} ]]; then
    if [[ $dtls == ON ]]; then
        build="${LWBS_FW_BUILD_DIR:-$root/build-fw-dtls}"
    else
        build="${LWBS_FW_BUILD_DIR:-$root/build-fw}"
    fi
    if [[ ! -f $build/CMakeCache.txt ]]; then
        cmake -S "$here" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/arm-none-eabi.cmake" \
            -DLWBS_NO_STD_DTLS=$dtls >"$build.configure.log" 2>&1 ||
            { cat "$build.configure.log" >&2; echo "lwbs-fw: cmake configure failed" >&2; exit 1; }
    fi
    cmake --build "$build" --target lwbs-fw >"$build.build.log" 2>&1 ||
        { tail -40 "$build.build.log" >&2; echo "lwbs-fw: image build failed" >&2; exit 1; }
    LWBS_FW_ELF="$build/lwbs-fw.elf"
fi
exec python3 "$here/bridge.py" --elf "$LWBS_FW_ELF" "$@"
