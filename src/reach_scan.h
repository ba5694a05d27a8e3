/* SPDX-License-Identifier: MIT
 * reach_scan.h: the conservative pointer scan and the marking that gives
 * each heap block its class, run while the other threads are stopped
 * (reach_stop.h). reach_scan.c has the rules.
 */
#ifndef LS_REACH_SCAN_H
#define LS_REACH_SCAN_H

#include "reach.h"
#include "reach_stop.h"

#if defined(__x86_64__) && defined(__linux__)

typedef struct range {
  uintptr_t lo, hi;
} range_t;

/* Everything the scan reads besides the blocks, gathered by reach.c. */
typedef struct ls_reach_roots {
  const regions_t *rg;     /* /proc/self/maps, read with the world stopped */
  const range_t *modules;  /* writable PT_LOAD segments but libleakscope's */
  size_t nmodules;
  const world_t *world;    /* the stopped threads */
  uintptr_t my_sp;         /* the calling thread's stack is scanned from here */
  size_t static_tls;       /* bytes of static TLS below a thread pointer */
  bool glibc;              /* the allocator is glibc's: filter chunk headers */
} ls_reach_roots_t;

/* Sets blocks[i].cls (sorted, non-overlapping blocks) to DEFINITE,
 * INDIRECT, POSSIBLE, REACHABLE or GONE. stack holds n entries (the mark
 * stack). still_live may be NULL. Must run with the world stopped: it
 * calls no malloc, takes no lock; a page that faults is skipped. */
void ls_reach_scan(ls_reach_block_t *blocks, size_t n, const ls_reach_roots_t *roots,
                   uint32_t *stack, ls_reach_live_fn still_live, void *ctx);

#endif /* x86-64 Linux */
#endif
