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
