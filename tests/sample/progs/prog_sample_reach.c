/* SPDX-License-Identifier: MIT
 * prog_sample_reach.c: the sampled mode's reachability rule. A small
 * block (64 bytes: with LEAKSCOPE_SAMPLE=1048576 recorded with
 * probability 6e-5, so not recorded) held by a global holds the only
 * pointer to a 1 MiB block (the interval or more: always recorded). The
 * large block is reachable, though no recorded block and no root outside
 * the heap points to it. A second 1 MiB block nobody points to is
 * definitely lost.
 */
#include <stdlib.h>

#include "prog_reach.h"

struct holder {
  void *held;
  char pad[56];
};

static struct holder *volatile holder;

PROG_LEAKY static void allocate(void) {
  struct holder *h = malloc(sizeof *h);
  h->held = malloc(1 << 20); /* LEAK:held */
  memset(h->held, 1, 1 << 20);
  holder = h;
  prog_sink = malloc(1 << 20); /* LEAK:lost */
  memset(prog_sink, 2, 1 << 20);
  prog_sink = NULL;
}

int main(void) {
  allocate();
  reach_scrub_stack();
  return 0;
}
