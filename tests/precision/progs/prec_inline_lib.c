/* SPDX-License-Identifier: MIT
 * prec_inline_lib.c: libprec_inline.so, built -O2 -g: an always_inline
 * helper allocates, inlined into inline_caller. The report must show the
 * helper as an inlined frame on top of its caller, each with its line.
 */
#include <stdlib.h>

#include "prog.h"

static inline __attribute__((always_inline)) void *make_inlined(size_t n) {
  return malloc(n); /* LEAK:inl_alloc */
}

PROG_LEAKY void inline_caller(void) {
  prog_sink = make_inlined(432); /* LEAK:inl_call */
}
