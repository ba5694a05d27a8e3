/* SPDX-License-Identifier: MIT
 * prog_reach_indirect.c: a block reachable only from another leaked
 * block: the parent is definitely lost, the child indirectly lost.
 */
#include <stdlib.h>

#include "prog_reach.h"

typedef struct parent {
  char *child;
  char name[56];
} parent_t; /* 64 bytes */

PROG_LEAKY static void leak_parent(void) {
  parent_t *p = calloc(1, sizeof *p); /* LEAK:parent */
  prog_sink = p;
  p->child = calloc(1, 100); /* LEAK:child */
  prog_sink = p->child;
  prog_sink = NULL;
}

int main(void) {
  leak_parent();
  reach_scrub_stack();
  return 0;
}
