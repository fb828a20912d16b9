# Install rules: the libraries, the header, a CMake package (Config + Version + Targets) and a
# pkg-config file. Two components, so a firmware SDK can take the static library alone:
#   Development  archive, header, CMake package, .pc files (cmake --install b --component Development)
#   Runtime      the shared library
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LWBS_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/lwm2m_bootstrap")
get_filename_component(LWBS_STATIC_NAME "${LWBS_STATIC_LIBRARY}" NAME)
get_filename_component(LWBS_SHARED_NAME "${LWBS_SHARED_LIBRARY}" NAME)   # liblwm2m_bootstrap.so.X.Y.Z

install(FILES "${LWBS_STATIC_LIBRARY}" DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        COMPONENT Development)
install(FILES "${LWBS_INCLUDE_DIR}/lwm2m_bootstrap.h" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT Development)
if(LWBS_BUILD_SHARED)
  # The real file and its two symlinks: .so.MAJOR (the DT_SONAME, what executables load) and
  # .so (what -llwm2m_bootstrap finds). file(INSTALL) keeps symlinks as symlinks.
  install(PROGRAMS "${LWBS_SHARED_LIBRARY}" DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          COMPONENT Runtime)
  install(FILES "${LWBS_LIB_DIR}/${LWBS_SONAME}" "${LWBS_LIB_DIR}/${LWBS_SHARED_LINK_NAME}"
          DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT Runtime)
endif()

# --- CMake package ------------------------------------------------------------------------------
configure_package_config_file(cmake/lwm2m_bootstrapConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/lwm2m_bootstrapConfig.cmake"
  INSTALL_DESTINATION "${LWBS_CMAKE_DIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
# Before 1.0 a minor release may break the ABI (Cargo's semver rule), so 0.1 accepts 0.1.x only.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(compatibility SameMinorVersion)
else()
  set(compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/lwm2m_bootstrapConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY ${compatibility})
configure_file(cmake/lwm2m_bootstrapTargets.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/lwm2m_bootstrapTargets.cmake" @ONLY)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/lwm2m_bootstrapConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/lwm2m_bootstrapConfigVersion.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/lwm2m_bootstrapTargets.cmake"
  DESTINATION "${LWBS_CMAKE_DIR}"
  COMPONENT Development)

# --- pkg-config ---------------------------------------------------------------------------------
# prefix= must be the prefix actually installed to, which `cmake --install --prefix P` can
# change after configuring. So everything else is filled in now and prefix at install time.
# (A ${pcfiledir}-relative prefix would also relocate, but breaks PKG_CONFIG_SYSROOT_DIR in
# cross builds, which prepends the sysroot to paths that already contain it.)
set(LWBS_PC_PREFIX "@LWBS_PC_PREFIX@")                      # kept for the install-time pass
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(LWBS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(LWBS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(LWBS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(LWBS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Two files: lwm2m_bootstrap.pc (-llwm2m_bootstrap: the .so when installed, else the archive)
# and lwm2m_bootstrap-static.pc (always the archive, by path, with its system libraries).
foreach(pc lwm2m_bootstrap lwm2m_bootstrap-static)
  set(pc_stage "${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc.in")
  set(pc_file "${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc")
  configure_file(cmake/${pc}.pc.in "${pc_stage}" @ONLY)
  install(CODE "
    set(LWBS_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${pc_stage}\" \"${pc_file}\" @ONLY)
  " COMPONENT Development)
  install(FILES "${pc_file}" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
          COMPONENT Development)
endforeach()
