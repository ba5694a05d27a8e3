# SPDX-License-Identifier: MIT
# Runs stage_folded under the library with folded output, turns the report
# into an SVG with flamegraph.py and checks the result names the leaking
# functions with their weights. Invoked by CTest (tests/staging/CMakeLists.txt)
# with PYTHON, SCRIPT, LIB, PROG and WORK defined.

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(folded ${WORK}/leaks.folded)

# stage_folded waits for EOF on stdin: give it an empty file.
file(WRITE ${WORK}/empty "")
execute_process(
  # Every block listed, as in the other staging tests (the program keeps
  # pointers to what it leaks, which reachability would call reachable).
  COMMAND ${CMAKE_COMMAND} -E env LD_PRELOAD=${LIB} LEAKSCOPE_FORMAT=folded LEAKSCOPE_REACHABILITY=0
          LEAKSCOPE_OUTPUT=${folded} ${PROG}
  INPUT_FILE ${WORK}/empty
  RESULT_VARIABLE rc
  TIMEOUT 30)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "stage_folded exited ${rc}")
endif()

execute_process(
  COMMAND ${PYTHON} ${SCRIPT} --title "stage_folded" ${folded}
  OUTPUT_FILE ${WORK}/leaks.svg
  RESULT_VARIABLE rc
  ERROR_VARIABLE err
  TIMEOUT 30)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "flamegraph.py exited ${rc}: ${err}")
endif()
execute_process(
  COMMAND ${PYTHON} ${SCRIPT} --kind fd ${folded}
  OUTPUT_FILE ${WORK}/fds.svg
  RESULT_VARIABLE rc
  ERROR_VARIABLE err
  TIMEOUT 30)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "flamegraph.py --kind fd exited ${rc}: ${err}")
endif()

file(READ ${WORK}/leaks.svg svg)
foreach(want "<svg " "</svg>" "total: 6,541 bytes" "<title>read_config_file (1,500 bytes"
             "<title>build_response (4,000 bytes" "<title>cache_insert (1,024 bytes"
             "<title>parse_entry (17 bytes")
  string(FIND "${svg}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "leaks.svg lacks '${want}'")
  endif()
endforeach()
string(FIND "${svg}" "[fd:" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "leaks.svg draws fd frames in the memory graph")
endif()
file(READ ${WORK}/fds.svg svg)
foreach(want "<title>[fd:eventfd] (1 fds" "<title>start_worker (1 fds")
  string(FIND "${svg}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "fds.svg lacks '${want}'")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
