# ec2gw-sdk-config.cmake - the ec2gw plugin SDK for CMake (c-style.md §5.1, §7.3).
#
# Out of tree:                                   In tree (sdk/CMakeLists.txt):
#   find_package(ec2gw-sdk 1.0 REQUIRED)           include(cmake/ec2gw-sdk-config.cmake)
#   ec2gw_add_plugin(my-plugin SOURCES a.c b.c)    ec2gw_add_plugin(nova-v2.1 SOURCES ...)
#
# Provides
#   ec2gw::sdk       INTERFACE target: the include directory of <ec2gw/plugin.h> and
#                    <ec2gw/testing.h>, and jansson (the one third-party type in the ABI).
#   ec2gw::testhost  the fake host for plugin unit tests (libec2gw_testhost.a; links libxml2,
#                    libcrypto, -lm and -ldl: it runs the daemon's model checks).
#   ec2gw_add_plugin(<name> SOURCES <src...> [LIBRARIES <lib...>] [OUTPUT_DIRECTORY <dir>]
#                    [INSTALL_DIR <dir>] [NO_INSTALL])
#       A MODULE library <name>.so without the `lib` prefix, C11, hidden visibility (only the
#       EC2GW_EXPORT'ed `ec2gw_plugin` descriptor is exported), linked with -Wl,--no-undefined
#       and jansson, built with the project's warnings (Ec2gwWarnings.cmake; -Werror when
#       EC2GW_WERROR is on). In tree, modules land in ${CMAKE_BINARY_DIR}/plugins/ so that
#       `ec2gwd --plugin-dir build/plugins` finds all of them. Installed into
#       ${CMAKE_INSTALL_LIBDIR}/ec2gw/plugins unless INSTALL_DIR, NO_INSTALL, or the variable
#       EC2GW_PLUGIN_NO_INSTALL is set in the calling directory.
#   EC2GW_SDK_VERSION, EC2GW_SDK_INCLUDE_DIR, EC2GW_SDK_PLUGIN_DIR (installed SDK only).
include_guard(GLOBAL)
include(GNUInstallDirs)

if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/ec2gw-sdk-paths.cmake")
  # Installed under <prefix>/<libdir>/cmake/ec2gw-sdk/: every path is relative to this file,
  # so the SDK can be moved (cmake --install --prefix, DESTDIR, a package).
  include("${CMAKE_CURRENT_LIST_DIR}/ec2gw-sdk-paths.cmake")
  get_filename_component(_ec2gw_sdk_prefix "${CMAKE_CURRENT_LIST_DIR}/${EC2GW_SDK_REL_PREFIX}"
                         ABSOLUTE)
  set(EC2GW_SDK_INCLUDE_DIR "${_ec2gw_sdk_prefix}/${EC2GW_SDK_REL_INCLUDEDIR}")
  set(EC2GW_SDK_LIB_DIR "${_ec2gw_sdk_prefix}/${EC2GW_SDK_REL_LIBDIR}")
  set(EC2GW_SDK_PLUGIN_DIR "${_ec2gw_sdk_prefix}/${EC2GW_SDK_REL_LIBDIR}/ec2gw/plugins")
  include("${CMAKE_CURRENT_LIST_DIR}/Ec2gwWarnings.cmake")

  find_package(PkgConfig REQUIRED)
  if(NOT TARGET PkgConfig::EC2GW_SDK_JANSSON)
    pkg_check_modules(EC2GW_SDK_JANSSON REQUIRED IMPORTED_TARGET GLOBAL jansson)
  endif()
  if(NOT TARGET ec2gw::sdk)
    add_library(ec2gw::sdk INTERFACE IMPORTED GLOBAL)
    set_target_properties(ec2gw::sdk PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${EC2GW_SDK_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES PkgConfig::EC2GW_SDK_JANSSON)
  endif()
  if(NOT TARGET ec2gw::testhost AND EXISTS "${EC2GW_SDK_LIB_DIR}/libec2gw_testhost.a")
    add_library(ec2gw::testhost STATIC IMPORTED GLOBAL)
    set_target_properties(ec2gw::testhost PROPERTIES
      IMPORTED_LOCATION "${EC2GW_SDK_LIB_DIR}/libec2gw_testhost.a"
      INTERFACE_LINK_LIBRARIES "ec2gw::sdk;xml2;crypto;m;${CMAKE_DL_LIBS}")
  endif()
  set(ec2gw-sdk_FOUND TRUE)
else()
  # In tree: sdk/CMakeLists.txt defined ec2gw_sdk_headers (and ec2gw::sdk) before including
  # this file. Plugins of the whole tree land in one directory, ready for --plugin-dir.
  if(NOT TARGET ec2gw_sdk_headers)
    message(FATAL_ERROR "ec2gw-sdk-config.cmake: include it from sdk/CMakeLists.txt after "
                        "ec2gw_sdk_headers, or use find_package(ec2gw-sdk) on an installed SDK")
  endif()
  if(NOT COMMAND ec2gw_apply_warnings)
    include("${CMAKE_CURRENT_LIST_DIR}/Ec2gwWarnings.cmake")
  endif()
  set_property(GLOBAL PROPERTY EC2GW_SDK_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins")
endif()

function(ec2gw_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "OUTPUT_DIRECTORY;INSTALL_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "ec2gw_add_plugin(${name}): SOURCES is required")
  endif()
  if(P_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ec2gw_add_plugin(${name}): unknown arguments ${P_UNPARSED_ARGUMENTS}")
  endif()
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${name}"
    SUFFIX ".so"
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  target_link_libraries(${name} PRIVATE ec2gw::sdk ${P_LIBRARIES})
  ec2gw_apply_warnings(${name})

  get_property(out GLOBAL PROPERTY EC2GW_SDK_OUTPUT_DIR)
  if(P_OUTPUT_DIRECTORY)
    set(out "${P_OUTPUT_DIRECTORY}")
  endif()
  if(out)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${out}")
  endif()

  if(NOT P_NO_INSTALL AND NOT EC2GW_PLUGIN_NO_INSTALL)
    set(dest "${CMAKE_INSTALL_LIBDIR}/ec2gw/plugins")
    if(P_INSTALL_DIR)
      set(dest "${P_INSTALL_DIR}")
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION "${dest}" COMPONENT plugins)
  endif()
endfunction()
