/* SPDX-License-Identifier: MIT
 * prog_realloc_null.c: leaks 4 blocks of 2222 bytes from realloc(NULL, n),
 * which allocates like malloc.
 */
#include <stdlib.h>

#include "prog.h"

/* Read through a volatile so the compiler cannot see the NULL: GCC rewrites
 * a literal realloc(NULL, n) into malloc(n), which is not what this
 * program is about. Real code reaches this case through a variable too. */
static void *volatile no_block;

PROG_LEAKY static void leak_realloc_null(void) {
  for (int i = 0; i < 4; i++)
    prog_sink = realloc(no_block, 2222); /* LEAK:realloc_null */
}

int main(void) {
  leak_realloc_null();
  return 0;
}
