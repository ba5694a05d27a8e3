/* SPDX-License-Identifier: MIT
 * prog_sample_service.c: issue 17's service, with time taken out (the
 * sampler counts bytes, not seconds): for each of SECONDS "seconds" it
 * allocates and releases 1 MB of churn (blocks of 64..4095 bytes, up to
 * 256 live at a time) and leaks 1 KiB from one line. At the end every
 * churn block is released.
 *
 * Usage: prog_sample_service SECONDS
 */
#include <stdlib.h>

#include "prog.h"

#define WINDOW 256

static void *window[WINDOW];

static PROG_LEAKY void churn(unsigned *seed) {
  size_t done = 0;
  while (done < 1000000) {
    size_t n = 64 + (size_t)(rand_r(seed) % 4032);
    size_t slot = (size_t)rand_r(seed) % WINDOW;
    free(window[slot]);
    window[slot] = malloc(n); /* LEAK:churn */
    done += n;
  }
}

static PROG_LEAKY void leak_one(void) {
  prog_sink = malloc(1024); /* LEAK:leak */
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  unsigned seed = 1;
  for (long s = atol(argv[1]); s > 0; s--) {
    churn(&seed);
    leak_one();
  }
  for (size_t i = 0; i < WINDOW; i++)
    free(window[i]);
  prog_sink = NULL;
  return 0;
}
