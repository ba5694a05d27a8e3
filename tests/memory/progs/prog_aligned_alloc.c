/* SPDX-License-Identifier: MIT
 * prog_aligned_alloc.c: leaks 2 blocks of 2560 bytes, 256-byte aligned,
 * from aligned_alloc (the size is a multiple of the alignment, as C11
 * requires).
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static void leak_aligned_alloc(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = aligned_alloc(256, 2560); /* LEAK:aligned_alloc */
}

int main(void) {
  leak_aligned_alloc();
  return 0;
}
