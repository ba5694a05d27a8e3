/* SPDX-License-Identifier: MIT
 * prog_malloc.c: leaks 3 blocks of 1234 bytes from malloc.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static void leak_malloc(void) {
  for (int i = 0; i < 3; i++)
    prog_sink = malloc(1234); /* LEAK:malloc */
}

int main(void) {
  leak_malloc();
  return 0;
}
