/* SPDX-License-Identifier: MIT
 * prec_sym.c: one leak from each library of the symbolization tests. The
 * inline and C++ ones are linked; the stripped and debuglink copies are
 * made after linking, so they are loaded by path (and stay loaded).
 */
#include <dlfcn.h>

#include "prog.h"

void inline_caller(void);
void prec_widget_leak(void);

static void call(const char *path, const char *fn) {
  void *h = dlopen(path, RTLD_NOW);
  void (*f)(void) = h ? (void (*)(void))dlsym(h, fn) : NULL;
  if (!f) {
    prog_say("cannot call %s in %s: %s\n", fn, path, dlerror());
    _exit(2);
  }
  f();
}

int main(void) {
  inline_caller();
  prec_widget_leak();
  call(PREC_STRIPPED_LIB, "prec_stripped_leak");
  call(PREC_DBGLINK_LIB, "prec_dbglink_leak");
  return 0;
}
