/* SPDX-License-Identifier: MIT
 * prog_posix_memalign.c: leaks 2 blocks of 3000 bytes, 64-byte aligned,
 * from posix_memalign.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static int leak_posix_memalign(void) {
  for (int i = 0; i < 2; i++) {
    void *p;
    if (posix_memalign(&p, 64, 3000) != 0) /* LEAK:posix_memalign */
      return 1;
    prog_sink = p;
  }
  return 0;
}

int main(void) {
  return leak_posix_memalign();
}
