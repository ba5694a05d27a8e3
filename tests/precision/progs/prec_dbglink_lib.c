/* SPDX-License-Identifier: MIT
 * prec_dbglink_lib.c: built -O2 -g, then copied to libprec_dbglink.so
 * with its debug information moved to libprec_dbglink.debug next to it,
 * found through .gnu_debuglink: the report must still have file and line.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY void prec_dbglink_leak(void) {
  prog_sink = malloc(666); /* LEAK:dbglink */
}
