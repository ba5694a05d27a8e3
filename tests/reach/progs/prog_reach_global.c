/* SPDX-License-Identifier: MIT
 * prog_reach_global.c: a block held by a global is still reachable (not a
 * leak, not listed by default); one nobody holds is definitely lost.
 */
#include <stdlib.h>

#include "prog_reach.h"

static void *volatile kept;

PROG_LEAKY static void allocate(void) {
  kept = malloc(48); /* LEAK:global */
  prog_sink = malloc(24); /* LEAK:lost */
  prog_sink = NULL;
}

int main(void) {
  allocate();
  reach_scrub_stack();
  return 0;
}
