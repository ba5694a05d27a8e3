/* SPDX-License-Identifier: MIT
 * prog_loop.c: one call site leaks 100 blocks of 48 bytes in a loop; the
 * report must show a single group of 100 blocks, 4800 bytes.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static void leak_in_loop(void) {
  for (int i = 0; i < 100; i++)
    prog_sink = malloc(48); /* LEAK:loop */
}

int main(void) {
  leak_in_loop();
  return 0;
}
