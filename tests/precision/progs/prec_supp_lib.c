/* SPDX-License-Identifier: MIT
 * prec_supp_lib.c: libprec_supp.so, two leaking functions in a shared
 * library for the suppression tests (built -O0: one call site each, so one
 * group each).
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY void leak_alpha(void) {
  for (int i = 0; i < 3; i++)
    prog_sink = malloc(100); /* LEAK:alpha */
}

PROG_LEAKY void leak_beta(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = malloc(50); /* LEAK:beta */
}
