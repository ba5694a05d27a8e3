/* SPDX-License-Identifier: MIT
 * prog_valloc.c: leaks 2 page-aligned blocks of 3333 bytes from valloc.
 */
#include <malloc.h>

#include "prog.h"

PROG_LEAKY static void leak_valloc(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = valloc(3333); /* LEAK:valloc */
}

int main(void) {
  leak_valloc();
  return 0;
}
