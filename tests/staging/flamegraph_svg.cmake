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

# flamegraph(<svg> <arg>...): flamegraph.py <args> on the folded report,
# into WORK/<svg>.
function(flamegraph svg)
  execute_process(
    COMMAND ${PYTHON} ${SCRIPT} ${ARGN} ${folded}
    OUTPUT_FILE ${WORK}/${svg}
    RESULT_VARIABLE rc
    ERROR_VARIABLE err
    TIMEOUT 30)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "flamegraph.py ${ARGN} exited ${rc}: ${err}")
  endif()
endfunction()

# expect_in(<svg> <text>...): fails unless WORK/<svg> holds every text.
function(expect_in svg)
  file(READ ${WORK}/${svg} content)
  foreach(want IN LISTS ARGN)
    string(FIND "${content}" "${want}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${svg} lacks '${want}'")
    endif()
  endforeach()
endfunction()

flamegraph(leaks.svg --title stage_folded)
flamegraph(fds.svg --kind fd)

expect_in(leaks.svg "<svg " "</svg>" "total: 6,541 bytes" "<title>read_config_file (1,500 bytes"
  "<title>build_response (4,000 bytes" "<title>cache_insert (1,024 bytes"
  "<title>parse_entry (17 bytes")
file(READ ${WORK}/leaks.svg svg)
string(FIND "${svg}" "[fd:" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "leaks.svg draws fd frames in the memory graph")
endif()
expect_in(fds.svg "<title>[fd:eventfd] (1 fds" "<title>start_worker (1 fds")
file(REMOVE_RECURSE ${WORK})
