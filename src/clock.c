/* SPDX-License-Identifier: MIT
 * clock.c: milliseconds since start (see clock.h).
 *
 * The clock is libc's own clock_gettime, looked up in libc itself rather
 * than through the symbol the program sees: another preload may interpose
 * clock_gettime (libfaketime does), and its version may allocate, call
 * dlsym, take locks or report a fake time. A leak's age is real time.
 */
#include "clock.h"

#include <dlfcn.h>
#include <time.h>

#include "atomic.h"

typedef int (*clock_fn_t)(clockid_t, struct timespec *);

/* libc's clock_gettime once ls_clock_start found it; until then (and if it
 * cannot be found) the one the program sees. Written once at start-up,
 * before the tables are published; relaxed: any value is a working clock. */
static _Atomic(clock_fn_t) clock_fn = clock_gettime;
static struct timespec start_time;

static clock_fn_t libc_clock(void) {
  /* RTLD_NOLOAD: libc is loaded (we link it); this only names it. */
  void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  clock_fn_t fn = libc ? (clock_fn_t)dlsym(libc, "clock_gettime") : NULL;
  return fn ? fn : clock_gettime;
}

void ls_clock_start(void) {
  clock_fn_t fn = libc_clock();
  ls_atomic_store_relaxed(&clock_fn, fn);
  fn(CLOCK_MONOTONIC_COARSE, &start_time);
}

uint32_t ls_now_ms(void) {
  struct timespec now;
  ls_atomic_load_relaxed (&clock_fn)(CLOCK_MONOTONIC_COARSE, &now);
  return (uint32_t)((now.tv_sec - start_time.tv_sec) * 1000 +
                    (now.tv_nsec - start_time.tv_nsec) / 1000000);
}
