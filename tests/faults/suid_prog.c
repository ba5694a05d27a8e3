/* SPDX-License-Identifier: MIT
 * suid_prog.c: linked against libleakscope (not preloaded: the loader
 * drops LD_PRELOAD for set-uid programs, but not a DT_NEEDED library), so
 * test_security can check the library's own set-uid rules. Prints its
 * user ids, leaks a little, exits 0.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "leakscope.h"

static void *volatile sink;

int main(void) {
  sink = malloc(42);
  printf("ruid %d euid %d leakscope %s\n", (int)getuid(), (int)geteuid(),
         leakscope_active() ? "active" : "inactive");
  return 0;
}
