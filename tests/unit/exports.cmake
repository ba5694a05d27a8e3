# SPDX-License-Identifier: MIT
# The library exports only the libc names it interposes and leakscope_*:
# anything else would interpose on the host by accident. The interposed
# names are read from src/real.h's LS_REAL_FUNCS list (plus reallocarray,
# built on realloc, and vfork, which makes the system call itself), so the
# check follows that list.
# The leakscope_* names carry a version node LEAKSCOPE_0.N (default
# version, "@@"; cmake/leakscope.map: 0.1, then one node per addition),
# the interposed names none: a
# versioned malloc would not bind a program's malloc@GLIBC_2.2.5.
# Run: cmake -DLIB=<libleakscope.so> -DREAL_H=<src/real.h> -P exports.cmake
cmake_minimum_required(VERSION 3.18)
execute_process(COMMAND nm -D --defined-only ${LIB} OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
file(READ ${REAL_H} real)
string(REGEX MATCHALL "X\\([01], [^,]+, ([A-Za-z_0-9]+)," entries "${real}")
set(allowed reallocarray vfork)
foreach(e IN LISTS entries)
  string(REGEX REPLACE "X\\([01], [^,]+, ([A-Za-z_0-9]+)," "\\1" name "${e}")
  list(APPEND allowed ${name})
endforeach()
string(REPLACE "\n" ";" lines "${nm_out}")
set(count 0)
set(versioned 0)
set(has_node FALSE)
foreach(line IN LISTS lines)
  # Global (upper-case type) symbols only; local ones are not exported.
  if(line MATCHES "^0+ A LEAKSCOPE_[0-9.]+$")
    # The version node's own definition.
    set(has_node TRUE)
  elseif(line MATCHES "^[0-9a-f]+ [A-Z] (.+)$")
    set(sym ${CMAKE_MATCH_1})
    math(EXPR count "${count} + 1")
    if(sym MATCHES "^leakscope_[a-z_]+@@LEAKSCOPE_0\\.[0-9]+$")
      math(EXPR versioned "${versioned} + 1")
    elseif(sym MATCHES "^leakscope_")
      message(FATAL_ERROR "API symbol without a LEAKSCOPE_0.N version: ${sym}")
    elseif(sym MATCHES "@")
      message(FATAL_ERROR "interposed symbol with a version (would not interpose): ${sym}")
    elseif(NOT sym IN_LIST allowed)
      message(FATAL_ERROR "unexpected exported symbol: ${sym}")
    endif()
  endif()
endforeach()
if(count LESS 20)
  message(FATAL_ERROR "only ${count} exported symbols: nm output not understood")
endif()
if(NOT has_node OR versioned LESS 10)
  message(FATAL_ERROR "the leakscope_* symbols are not versioned (${versioned} are)")
endif()
message(STATUS "${count} exported symbols, all interposed libc names or leakscope_* "
  "(${versioned} of them versioned LEAKSCOPE_0.N)")
