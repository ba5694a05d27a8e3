/* SPDX-License-Identifier: MIT
 * prog_pvalloc.c: leaks 2 blocks from pvalloc(5000).
 *
 * pvalloc rounds the size up to whole pages: each block is 8192 bytes, as
 * malloc_usable_size says, and the report must say 8192 per block.
 */
#include <malloc.h>

#include "prog.h"

PROG_LEAKY static void leak_pvalloc(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = pvalloc(5000); /* LEAK:pvalloc */
}

int main(void) {
  leak_pvalloc();
  return 0;
}
