/* SPDX-License-Identifier: MIT
 * prog_reach_list.c: the lost head of a linked list. The head is
 * definitely lost; the 4 nodes behind it are indirectly lost.
 */
#include <stdlib.h>

#include "prog_reach.h"

typedef struct node {
  struct node *next;
  long payload[3];
} node_t; /* 32 bytes */

PROG_LEAKY static void build_and_drop_list(void) {
  node_t *head = calloc(1, sizeof *head); /* LEAK:head */
  prog_sink = head;
  node_t *tail = head;
  for (int i = 0; i < 4; i++) {
    tail->next = calloc(1, sizeof *tail); /* LEAK:node */
    tail = tail->next;
    prog_sink = tail;
  }
  prog_sink = NULL;
}

int main(void) {
  build_and_drop_list();
  reach_scrub_stack();
  return 0;
}
