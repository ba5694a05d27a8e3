/* SPDX-License-Identifier: MIT
 * prog_reach_interior.c: a global points into the middle of a block (as
 * code that keeps only &s->field, or a pointer past a header, does): the
 * block is possibly lost.
 */
#include <stdlib.h>

#include "prog_reach.h"

static char *volatile middle;

PROG_LEAKY static void keep_middle(void) {
  char *block = malloc(80); /* LEAK:interior */
  prog_sink = block;
  middle = block + 40;
  prog_sink = NULL;
}

int main(void) {
  keep_middle();
  reach_scrub_stack();
  return 0;
}
