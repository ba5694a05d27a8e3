# SPDX-License-Identifier: MIT
# check_output.cmake: runs the cmocka example and passes only if exactly
# the deliberately leaking test fails, every other test passes, and the
# leak report names the leaking lines (the LEAK markers in SOURCE).
#
#   cmake -DEXAMPLE=<cmocka_example> -DSOURCE=<kvconfig_test.c>
#         -DLIBRARY_SOURCE=<kvconfig.c> -P check_output.cmake

foreach(var EXAMPLE SOURCE LIBRARY_SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_output.cmake: -D${var}=... is required")
  endif()
endforeach()

set(LEAKING_TEST test_overwrite_leaks)
# The exit report would repeat the same leaks; only the one the teardown
# prints may satisfy the checks below.
set(ENV{LEAKSCOPE_OUTPUT} /dev/null)
execute_process(COMMAND ${EXAMPLE} RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
set(all "${out}\n${err}")
set(problems "")

# cmocka's exit status is the number of tests that failed.
if(NOT rc STREQUAL "1")
  string(APPEND problems "exit status: expected 1 (one failed test), got ${rc}\n")
endif()

# A failed teardown shows as "[  ERROR   ] name", a failed assertion as
# "[  FAILED  ] name"; either counts as the test failing.
string(REGEX MATCHALL "\\[  (FAILED|ERROR) +\\] [A-Za-z0-9_]+\n" verdicts "${all}")
list(TRANSFORM verdicts REPLACE "^.*\\] ([A-Za-z0-9_]+)\n$" "\\1")
list(REMOVE_DUPLICATES verdicts)
if(NOT verdicts STREQUAL LEAKING_TEST)
  string(APPEND problems "failed tests: expected only ${LEAKING_TEST}, got '${verdicts}'\n")
endif()

file(READ ${SOURCE} source)
string(REGEX MATCHALL "LEAK_CHECKED\\(test_[a-z0-9_]+\\)" tests "${source}")
list(TRANSFORM tests REPLACE "LEAK_CHECKED\\((.*)\\)" "\\1")
list(LENGTH tests ntests)
if(ntests LESS 2)
  string(APPEND problems "found only ${ntests} tests in ${SOURCE}\n")
endif()
foreach(t IN LISTS tests)
  if(NOT t STREQUAL LEAKING_TEST AND NOT all MATCHES "\\[       OK \\] ${t}\n")
    string(APPEND problems "${t} did not pass\n")
  endif()
endforeach()

# 27 bytes: the struct (16) and its strings "user" (5) and "alice" (6).
set(summary "leakscope: test leaked 27 bytes in 3 blocks and 1 fds")
string(FIND "${err}" "${summary}" at)
if(at EQUAL -1)
  string(APPEND problems "no line \"${summary}\"\n")
endif()

# ls_marker_line(<file> <name> <var>): the line number of "/* LEAK:name */".
function(ls_marker_line file name var)
  file(STRINGS ${file} lines)
  set(n 0)
  set(found "")
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    string(FIND "${line}" "/* LEAK:${name} */" hit)
    if(NOT hit EQUAL -1)
      list(APPEND found ${n})
    endif()
  endforeach()
  list(LENGTH found count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "marker LEAK:${name}: expected once in ${file}, found ${count} times")
  endif()
  set(${var} ${found} PARENT_SCOPE)
endfunction()

# Every leaked block's stack passes through the overwritten call, the
# stream's starts at the fopen, and the blocks come from kvconfig_parse.
foreach(marker overwritten log)
  ls_marker_line(${SOURCE} ${marker} line)
  set(frame "${LEAKING_TEST} (${SOURCE}:${line})")
  string(FIND "${err}" "${frame}" at)
  if(at EQUAL -1)
    string(APPEND problems "the report has no frame \"${frame}\"\n")
  endif()
endforeach()
string(FIND "${err}" "kvconfig_parse (${LIBRARY_SOURCE}:" at)
if(at EQUAL -1)
  string(APPEND problems "the report has no frame in kvconfig_parse (${LIBRARY_SOURCE})\n")
endif()

if(problems)
  message(FATAL_ERROR "${problems}--- stdout:\n${out}\n--- stderr:\n${err}")
endif()
message(STATUS "cmocka example: ${LEAKING_TEST} alone failed, with its leaks reported")
