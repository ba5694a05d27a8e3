# SPDX-License-Identifier: MIT
# extras.cmake: what an installation carries besides the library, headers
# and CLI (man pages, shell completion, the flame-graph helper, the report's
# JSON Schema), and the Debian package (`cpack -G DEB` in the build tree).
# Included from the top-level CMakeLists.txt.

install(FILES man/leakscope.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES man/leakscope.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
# bash-completion loads completions/<command> on first use of the command.
install(FILES completion/leakscope.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME leakscope)
# The dependency-free SVG writer for folded reports (docs/flamegraph.md).
install(PROGRAMS tests/staging/flamegraph.py
  DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME leakscope-flamegraph)
install(FILES schema/leakscope-report.schema.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/leakscope)

# --- Debian package: cpack -G DEB (tests/eco/deb.sh installs it) ---
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME leakscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "leakscope maintainers <leakscope@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "finds heap and file-descriptor leaks in Linux programs (LD_PRELOAD)")
set(CPACK_PACKAGE_DESCRIPTION
  "leakscope reports the heap memory and file descriptors an unmodified,
dynamically linked program never released, grouped by the stack that
created them, with file:line. It also answers a running process
(leakscope dump) and lets test suites assert no leaks per test case.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The run-time dependencies (libunwind8, libdw1, libc6) from the binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# Only the installation, not the build tree's tests or benchmarks.
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/")
include(CPack)
