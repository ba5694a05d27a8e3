/* SPDX-License-Identifier: MIT
 * plugin.c: a shared object that prog_dlopen loads, calls and unloads.
 *
 * plugin_leak leaks 2 blocks of 777 bytes. The program dlclose()s the
 * plugin before exit, so the library must symbolize these frames from what
 * it recorded about the module, not from the (gone) mapping.
 */
#include <stdlib.h>

#include "prog.h"

PROG_LEAKY static void plugin_leak(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = malloc(777); /* LEAK:plugin */
}

/* The build hides symbols by default; this is the one dlsym() looks up. */
__attribute__((visibility("default"))) void plugin_run(void) {
  plugin_leak();
}
