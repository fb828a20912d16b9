# CMake toolchain file for bare-metal Arm Cortex-M with the GNU Arm toolchain (arm-none-eabi-gcc,
# newlib / newlib-nano), the way vendor SDKs ship one:
#
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi.cmake \
#         -DLWBS_NO_STD=ON [-DLWBS_ARM_CPU_FLAGS="-mcpu=cortex-m0plus -mthumb"]
#
# Cache variables (all optional):
#   LWBS_ARM_TOOLCHAIN_PREFIX  compiler prefix, a name on PATH or a full path without the "gcc"
#                              (default arm-none-eabi-; e.g. /opt/gcc-arm/bin/arm-none-eabi-)
#   LWBS_ARM_CPU_FLAGS         CPU and float ABI flags, for C, C++, assembler and the link
#                              (default Cortex-M4F: -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
#                              -mfpu=fpv4-sp-d16). lwm2m_bootstrap derives its Rust target from
#                              them (docs/cross-build.md).
#   LWBS_ARM_LINK_SPECS        newlib specs for linking executables (default
#                              --specs=nano.specs --specs=nosys.specs: newlib-nano, no system
#                              calls; semihosting firmware uses --specs=nano.specs
#                              --specs=rdimon.specs instead)
# Every compile gets -ffunction-sections -fdata-sections and every executable -Wl,--gc-sections.
# try_compile() builds static libraries (no startup code or linker script is needed to link).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(LWBS_ARM_TOOLCHAIN_PREFIX "arm-none-eabi-" CACHE STRING
    "GNU Arm toolchain prefix (name on PATH or full path, without gcc)")
set(LWBS_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" CACHE STRING
    "CPU and float ABI flags (C, C++, ASM, link)")
set(LWBS_ARM_LINK_SPECS "--specs=nano.specs --specs=nosys.specs" CACHE STRING
    "newlib specs for linking executables")

set(CMAKE_C_COMPILER "${LWBS_ARM_TOOLCHAIN_PREFIX}gcc")
set(CMAKE_CXX_COMPILER "${LWBS_ARM_TOOLCHAIN_PREFIX}g++")
set(CMAKE_ASM_COMPILER "${LWBS_ARM_TOOLCHAIN_PREFIX}gcc")

# Bare metal: try_compile() cannot link an executable without the firmware's startup code.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# try_compile() projects see the same choices.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
     LWBS_ARM_TOOLCHAIN_PREFIX LWBS_ARM_CPU_FLAGS LWBS_ARM_LINK_SPECS)

set(CMAKE_C_FLAGS_INIT "${LWBS_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${LWBS_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${LWBS_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${LWBS_ARM_CPU_FLAGS} ${LWBS_ARM_LINK_SPECS} -Wl,--gc-sections")

# Programs (cargo, rustc, python) come from the host; libraries, headers and packages from the
# target side (CMAKE_FIND_ROOT_PATH / CMAKE_SYSROOT, or a CMAKE_PREFIX_PATH / <Pkg>_DIR given
# explicitly: an install prefix of a cross build).
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
