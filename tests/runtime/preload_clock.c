/* SPDX-License-Identifier: MIT
 * preload_clock.c: a preload that interposes clock_gettime the way
 * libfaketime does, calling back into malloc, free and dlsym (with a
 * failing lookup, so dlsym frees its error string) on every call. With it
 * loaded before or after leakscope, any program must run as it does bare
 * (issue 13, item 1).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*clock_fn_t)(clockid_t, struct timespec *);

/* The project builds with hidden visibility; this must be exported. */
__attribute__((visibility("default"))) int clock_gettime(clockid_t id, struct timespec *ts) {
  /* a lookup that fails: glibc allocates the error string and frees it at
   * the next dlsym or dlerror */
  (void)dlsym(RTLD_NEXT, "ls_test_no_such_symbol");
  clock_fn_t next = (clock_fn_t)dlsym(RTLD_NEXT, "clock_gettime");
  char *s = malloc(40);
  if (s) {
    strcpy(s, "clock");
    free(s);
  }
  (void)dlerror();
  return next ? next(id, ts) : -1;
}

/* The constructor runs before or after leakscope's, depending on the
 * order: it calls into all of the above once more. */
__attribute__((constructor)) static void start(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
}
