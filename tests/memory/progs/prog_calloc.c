/* SPDX-License-Identifier: MIT
 * prog_calloc.c: leaks 2 blocks of 13 * 101 = 1313 bytes from calloc.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static void leak_calloc(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = calloc(13, 101); /* LEAK:calloc */
}

int main(void) {
  leak_calloc();
  return 0;
}
