/* SPDX-License-Identifier: MIT
 * prog_sample_growth.c: growth between two reports in the sampled mode.
 * Leaks 5 blocks of 1 MiB (always recorded at the test's interval) and
 * asks for a report with the dump signal, waits until the report file
 * holds it, then leaks 5 more: the exit report (LEAKSCOPE_DIFF=1) says
 * the line grew by 5 blocks, exactly.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "prog.h"

static PROG_LEAKY void leak(void) {
  for (int i = 0; i < 5; i++)
    prog_sink = malloc(1 << 20); /* LEAK:grows */
}

int main(void) {
  const char *out = getenv("LEAKSCOPE_OUTPUT");
  if (!out)
    return 2;
  for (int round = 0; round < 2; round++) {
    leak();
    if (round)
      break;
    raise(SIGUSR2);
    /* the dump thread writes the report: wait for it (60 s at most) */
    struct stat st;
    for (int i = 0; i < 6000 && (stat(out, &st) != 0 || st.st_size == 0); i++) {
      struct timespec ms = {0, 10 * 1000 * 1000};
      nanosleep(&ms, NULL);
    }
  }
  prog_sink = NULL;
  return 0;
}
