/* SPDX-License-Identifier: MIT
 * prog_reach.h: what the reachability programs share, on top of prog.h.
 *
 * A conservative scanner (leakscope's, Valgrind's) counts every stale copy
 * of an address, so each program drops its last pointer inside a noinline
 * function and then wipes the dead stack below main's frame, as a test
 * must to get exact, repeatable counts. The thread programs also share
 * starting a thread that is still running at exit.
 */
#ifndef LS_TEST_REACH_PROG_H
#define LS_TEST_REACH_PROG_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "prog.h"

/* Zeroes the stack below the caller: no dead frame keeps an address. */
PROG_UNUSED PROG_LEAKY static void reach_scrub_stack(void) {
  volatile char area[64 * 1024];
  memset((char *)area, 0, sizeof area);
  __asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
                   "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
                   "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d"
                   ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

PROG_UNUSED static void reach_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
  nanosleep(&ts, NULL);
}

/* Starts fn on a thread that never ends, and returns once fn has set
 * *started; false if the thread cannot be created. */
PROG_UNUSED static bool reach_start_thread(void *(*fn)(void *), volatile int *started) {
  pthread_t t;
  if (pthread_create(&t, NULL, fn, NULL) != 0)
    return false;
  while (!*started)
    reach_sleep_ms(1);
  return true;
}

#endif
