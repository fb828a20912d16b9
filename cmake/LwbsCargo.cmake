# Helpers to build the lwm2m-bootstrap crate with cargo from CMake, without fetching anything
# (no Corrosion, no FetchContent): cargo is run as a custom target and its outputs are wrapped
# in IMPORTED targets, exactly the shape that find_package() gives after an install.

# lwbs_cargo_package_version(<out-var> <Cargo.toml>)
# Reads `version = "x.y.z[-pre]"` from the [package] table of a Cargo.toml.
function(lwbs_cargo_package_version out_var manifest)
  file(STRINGS "${manifest}" lines)
  set(section "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ \t]*\\[([^]]*)\\]")
      set(section "${CMAKE_MATCH_1}")
    elseif(section STREQUAL "package" AND line MATCHES "^[ \t]*version[ \t]*=[ \t]*\"([^\"]+)\"")
      set(${out_var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "lwm2m_bootstrap: no [package] version in ${manifest}")
endfunction()

# lwbs_probe_native_static_libs(<out-var> <rustc> <rust-target or "">)
# A Rust static archive carries std but not the system libraries std needs; rustc prints them
# (`note: native-static-libs: -lgcc_s -lutil ...`). We ask it once, at configure time, by
# building an empty staticlib for the same target: the crate itself links no other native
# library, so its list is std's list. Sets NOTFOUND when rustc printed none.
function(lwbs_probe_native_static_libs out_var rustc rust_target)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/native-static-libs-probe")
  file(MAKE_DIRECTORY "${dir}")
  file(WRITE "${dir}/probe.rs" "")
  set(target_args "")
  if(rust_target)
    set(target_args --target "${rust_target}")
  endif()
  execute_process(
    COMMAND "${rustc}" --crate-type staticlib --crate-name lwbs_probe ${target_args}
            --print native-static-libs -o "${dir}/liblwbs_probe.a" "${dir}/probe.rs"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
  file(REMOVE "${dir}/liblwbs_probe.a")
  if(NOT result EQUAL 0 OR NOT out MATCHES "native-static-libs: ([^\r\n]*)")
    # e.g. a bare-metal target without std, where there is nothing to add
    message(WARNING "lwm2m_bootstrap: rustc printed no native-static-libs for "
                    "'${rust_target}'; linking none (set LWBS_NATIVE_STATIC_LIBS):\n${out}")
    set(${out_var} "NOTFOUND" PARENT_SCOPE)
    return()
  endif()
  string(STRIP "${CMAKE_MATCH_1}" flags)
  set(${out_var} "${flags}" PARENT_SCOPE)
endfunction()

# lwbs_link_items(<out-var> "<-lfoo -lbar ...>")
# Turns rustc's flag string into link items for INTERFACE_LINK_LIBRARIES: `-lfoo` → `foo`
# (CMake then adds `-l` itself, or the toolchain's equivalent); anything else is kept as is.
function(lwbs_link_items out_var flags)
  separate_arguments(args UNIX_COMMAND "${flags}")
  set(items "")
  set(framework FALSE)
  foreach(arg IN LISTS args)
    if(framework)                      # macOS: "-framework Foo" is one item
      list(APPEND items "-framework ${arg}")
      set(framework FALSE)
    elseif(arg STREQUAL "-framework")
      set(framework TRUE)
    elseif(arg MATCHES "^-l(.+)$")
      list(APPEND items "${CMAKE_MATCH_1}")
    else()
      list(APPEND items "${arg}")
    endif()
  endforeach()
  set(${out_var} "${items}" PARENT_SCOPE)
endfunction()

# lwbs_rust_target_from_flags(<out-var> "<compiler flags>" "<CMAKE_SYSTEM_PROCESSOR>")
# The Rust target of a Cortex-M cross build, from the C compiler's CPU and float ABI flags (the
# toolchain file's CMAKE_C_FLAGS): -mcpu=cortex-mN, else -march=armv…-m, else a processor name
# like cortex-m4 in CMAKE_SYSTEM_PROCESSOR. -mfloat-abi=hard selects the …-eabihf target where
# Rust has one (soft and softfp, the GCC default, pass floats in integer registers: …-eabi).
# Sets "" when nothing names a Cortex-M core (the caller then asks for LWBS_RUST_TARGET).
function(lwbs_rust_target_from_flags out_var flags processor)
  string(TOLOWER "${flags}" flags)
  string(TOLOWER "${processor}" processor)
  set(arch "")
  # The last -mcpu / -march wins, as with GCC. "+nofp", "+nodsp" extensions are dropped.
  string(REGEX MATCHALL "-mcpu=[^ \t]+" cpus "${flags}")
  string(REGEX MATCHALL "-march=[^ \t]+" marchs "${flags}")
  set(cpu "")
  if(cpus)
    list(GET cpus -1 cpu)
    string(REGEX REPLACE "^-mcpu=([^+]*).*" "\\1" cpu "${cpu}")
  elseif(NOT marchs AND processor MATCHES "^cortex-m")
    set(cpu "${processor}")
  endif()
  if(cpu)
    if(cpu MATCHES "^cortex-m(0|0plus|0\\.small-multiply|0plus\\.small-multiply|1|1\\.small-multiply)$")
      set(arch v6m)
    elseif(cpu STREQUAL "cortex-m3")
      set(arch v7m)
    elseif(cpu MATCHES "^cortex-m(4|7)$")
      set(arch v7em)
    elseif(cpu STREQUAL "cortex-m23")
      set(arch v8m.base)
    elseif(cpu MATCHES "^cortex-m(33|35p|52|55|85)$")
      set(arch v8m.main)
    endif()
  elseif(marchs)
    list(GET marchs -1 march)
    string(REGEX REPLACE "^-march=([^+]*).*" "\\1" march "${march}")
    if(march MATCHES "^armv6s?-m$")
      set(arch v6m)
    elseif(march STREQUAL "armv7-m")
      set(arch v7m)
    elseif(march STREQUAL "armv7e-m")
      set(arch v7em)
    elseif(march STREQUAL "armv8-m.base")
      set(arch v8m.base)
    elseif(march MATCHES "^armv8(\\.1)?-m\\.main$")
      set(arch v8m.main)
    endif()
  endif()
  if(NOT arch)
    set(${out_var} "" PARENT_SCOPE)
    return()
  endif()
  set(abi eabi)
  string(REGEX MATCHALL "-mfloat-abi=[a-z]+" float_abis "${flags}")
  if(float_abis)
    list(GET float_abis -1 float_abi)
    # Rust has hard-float targets for v7em and v8m.main only (v6m, v7m, v8m.base have no FPU).
    if(float_abi STREQUAL "-mfloat-abi=hard" AND arch MATCHES "^(v7em|v8m\\.main)$")
      set(abi eabihf)
    endif()
  endif()
  set(${out_var} "thumb${arch}-none-${abi}" PARENT_SCOPE)
endfunction()

# lwbs_check_rust_target(<rustc> <triple>)
# Stops the configure with the command to run when the standard library of <triple> is not
# installed (`rustc --print sysroot`/lib/rustlib/<triple>). Custom targets (a .json file)
# are not checked.
function(lwbs_check_rust_target rustc triple)
  if(triple MATCHES "\\.json$")
    return()
  endif()
  execute_process(COMMAND "${rustc}" --print sysroot OUTPUT_VARIABLE sysroot
                  RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR sysroot STREQUAL "")
    message(FATAL_ERROR "lwm2m_bootstrap: `${rustc} --print sysroot` failed")
  endif()
  if(NOT IS_DIRECTORY "${sysroot}/lib/rustlib/${triple}/lib")
    message(FATAL_ERROR
      "lwm2m_bootstrap: the Rust target ${triple} is not installed (no "
      "${sysroot}/lib/rustlib/${triple}/lib). Install it with:\n"
      "  rustup target add ${triple}\n"
      "or choose another one with -DLWBS_RUST_TARGET=<triple>.")
  endif()
endfunction()
