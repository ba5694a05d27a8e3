/* SPDX-License-Identifier: MIT
 * prog_memalign.c: leaks 3 blocks of 1111 bytes, 128-byte aligned, from
 * the obsolete memalign that old code still calls.
 */
#include <malloc.h>

#include "prog.h"

PROG_LEAKY static void leak_memalign(void) {
  for (int i = 0; i < 3; i++)
    prog_sink = memalign(128, 1111); /* LEAK:memalign */
}

int main(void) {
  leak_memalign();
  return 0;
}
