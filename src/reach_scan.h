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

#include "arena.h"

typedef ls_span_t range_t;

/* Everything the scan reads besides the blocks, gathered by reach.c. */
typedef struct ls_reach_roots {
  const regions_t *rg;    /* /proc/self/maps, read with the world stopped */
  const range_t *modules; /* writable PT_LOAD segments but libleakscope's */
  size_t nmodules;
  const range_t *own; /* libleakscope's writable segments: never roots */
  size_t nown;
  range_t *skip;        /* workspace for the mapping pass: room for */
  size_t skip_cap;      /* LS_MAP_LIST_MAX + modules + own + 2 per thread */
  const world_t *world; /* the stopped threads */
  uintptr_t my_sp;      /* the calling thread's stack is scanned from here */
  size_t static_tls;    /* bytes of static TLS below a thread pointer */
  bool glibc;           /* the allocator is glibc's: filter chunk headers */
  bool heap_roots;      /* the allocator's heaps are roots too (sampled
                              mode: see below) */
} ls_reach_roots_t;

/* Roots, in this order: the module segments; each thread's registers,
 * its stack from its stack pointer up, its static TLS, TCB and DTV; then
 * every other readable, writable mapping (Valgrind scans them all), but:
 *  - leakscope's own memory: ls_map's mappings and libleakscope's data;
 *  - the allocator's heaps (they hold the blocks themselves, which are
 *    scanned only once found, and freed chunks full of stale addresses):
 *    [heap], and under glibc each non-main arena's heap, found by its
 *    heap_info header at a 64 MiB boundary;
 *  - below the stack pointer of every thread (dead stack);
 *  - the stack of a thread that has exited (glibc keeps it for reuse),
 *    found by the thread descriptor at its top: only its TLS and
 *    descriptor count;
 *  - the bytes of the blocks themselves (glibc's chunks of 128 KiB and
 *    more are mappings of their own);
 *  - anonymous mappings above 64 GiB: a sanitizer's shadow or an
 *    allocator's reserve, not data (reading it would take hours).
 * With heap_roots (the sampled mode, sample.h), the allocator's heaps are
 * roots, but for the recorded blocks in them: most live blocks are not
 * recorded there, so they are not nodes of the graph, and one of them may
 * hold the only pointer to a recorded block. Scanning all the heap memory
 * outside recorded blocks (live unrecorded blocks, and freed chunks with
 * their stale words too) can call a lost block reachable, never a
 * reachable one lost: sampled reports under-report lost memory.
 * Sets blocks[i].cls (sorted, non-overlapping blocks) to DEFINITE,
 * INDIRECT, POSSIBLE, REACHABLE or GONE. stack holds n entries (the mark
 * stack). still_live may be NULL. Must run with the world stopped: it
 * calls no malloc, takes no lock; a page that faults is skipped. */
void ls_reach_scan(ls_reach_block_t *blocks, size_t n, const ls_reach_roots_t *roots,
                   uint32_t *stack, ls_reach_live_fn still_live, void *ctx);

#endif /* x86-64 Linux */
#endif
