/* SPDX-License-Identifier: MIT
 * prog_dlopen.c: loads the plugin (LS_PLUGIN_PATH, set by the build), calls
 * its leaking function and unloads it before exit.
 *
 * Exits 2 if the plugin is still mapped after dlclose: the test is about a
 * module that is gone by the time the report is written.
 */
#include <dlfcn.h>

#include "prog.h"

PROG_LEAKY static int call_plugin(void) {
  void *handle = dlopen(LS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  void (*run)(void) = handle ? (void (*)(void))dlsym(handle, "plugin_run") : NULL;
  if (!run) {
    prog_say("prog_dlopen: %s\n", dlerror());
    return 1;
  }
  run(); /* LEAK:plugin_call */
  dlclose(handle);
  return dlopen(LS_PLUGIN_PATH, RTLD_NOW | RTLD_NOLOAD) ? 2 : 0;
}

int main(void) {
  return call_plugin();
}
