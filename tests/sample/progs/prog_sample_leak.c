/* SPDX-License-Identifier: MIT
 * prog_sample_leak.c: leaks COUNT blocks of SIZE bytes from one line and
 * FDS descriptors from another, with churn of released blocks around them
 * (what a service does), for the sampled mode's tests.
 *
 * Usage: prog_sample_leak COUNT SIZE [FDS]
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "prog.h"

static PROG_LEAKY void leak_blocks(long count, size_t size) {
  for (long i = 0; i < count; i++) {
    prog_sink = malloc(size); /* LEAK:blocks */
    /* released churn between the leaks: never reported */
    void *volatile churn = malloc(64 + (size_t)(i % 512));
    free(churn);
  }
}

static PROG_LEAKY void leak_fds(long n) {
  for (long i = 0; i < n; i++)
    if (open("/dev/null", O_RDONLY) < 0) /* LEAK:fds */
      _exit(2);
}

int main(int argc, char **argv) {
  if (argc < 3)
    return 2;
  leak_blocks(atol(argv[1]), (size_t)atol(argv[2]));
  leak_fds(argc > 3 ? atol(argv[3]) : 0);
  prog_sink = NULL;
  return 0;
}
