/* SPDX-License-Identifier: MIT
 * prog_pvalloc.c: leaks 2 blocks from pvalloc(5000).
 *
 * pvalloc rounds the size up to whole pages (8192 bytes here), but the
 * report must give the requested 5000 per block, as for every other
 * allocator: leak sizes are what the program asked for.
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
