/* SPDX-License-Identifier: MIT
 * prec_stripped_lib.c: built -O2 -g, then copied to libprec_stripped.so
 * and stripped of every symbol table but the dynamic one: the report can
 * name the exported function but has no file or line for it.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY void prec_stripped_leak(void) {
  prog_sink = malloc(555);
}
