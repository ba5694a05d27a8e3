/* SPDX-License-Identifier: MIT
 * prog_reallocarray.c: leaks 3 blocks of 7 * 321 = 2247 bytes from
 * reallocarray(NULL, 7, 321).
 */
#include <stdlib.h>

#include "prog.h"

/* Read through a volatile for the same reason as in prog_realloc_null.c. */
static void *volatile no_block;

PROG_LEAKY static void leak_reallocarray(void) {
  for (int i = 0; i < 3; i++)
    prog_sink = reallocarray(no_block, 7, 321); /* LEAK:reallocarray */
}

int main(void) {
  leak_reallocarray();
  return 0;
}
