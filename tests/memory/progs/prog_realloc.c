/* SPDX-License-Identifier: MIT
 * prog_realloc.c: one block goes through realloc calls that move it, grow
 * it in place and shrink it, and then leaks.
 *
 * The report must charge the leak to the last realloc only (its size and
 * its stack): one block of 2345 bytes, and nothing at the earlier lines,
 * whose blocks realloc freed or replaced. The program checks that the
 * first realloc did move, since glibc decides that, and exits 2 if not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static int leak_after_reallocs(void) {
  char *p = malloc(100); /* LEAK:realloc_origin */
  /* Allocated right after p, so p cannot grow where it is. */
  char *neighbour = malloc(100);
  prog_sink = neighbour;
  /* Kept as an integer: comparing a freed pointer is undefined. */
  uintptr_t before = (uintptr_t)p;
  p = realloc(p, 3000); /* LEAK:realloc_move */
  if ((uintptr_t)p == before)
    return 2;
  free(neighbour);
  p = realloc(p, 6000); /* LEAK:realloc_grow */
  p = realloc(p, 2345); /* LEAK:realloc_shrink */
  prog_sink = p;
  return 0;
}

int main(void) {
  return leak_after_reallocs();
}
