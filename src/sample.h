/* SPDX-License-Identifier: MIT
 * sample.h: the sampled mode (LEAKSCOPE_SAMPLE=BYTES): which heap
 * allocations are recorded, and what a recorded block stands for.
 *
 * The allocations of a thread are laid end to end as one stream of bytes,
 * and sample points fall on it as a Poisson process with mean spacing
 * BYTES (tcmalloc's and heapprofd's scheme). A block that holds at least
 * one point is recorded. Each thread counts down the bytes left to its
 * next point (ls_tls.sample_left, initial-exec TLS): an allocation that
 * does not reach it costs a subtraction and a compare, and no stack walk,
 * no table access. Spacings are drawn from an exponential distribution,
 * so a block of s bytes is recorded with probability
 *   p(s) = 1 - exp(-s / BYTES),
 * whatever came before it (the distribution has no memory). Blocks of
 * BYTES or more are always recorded, with p = 1, and leave the countdown
 * alone: a large block is always seen, and its own size says so.
 * Reports weigh each recorded block by 1/p(size) (ls_sample_weight): the
 * sum of s/p over recorded blocks is an unbiased estimate of the bytes of
 * all blocks, the sum of 1/p of their number. No field of the block table
 * is needed for it: the size is there, the interval is the option's.
 *
 * A free must find out cheaply whether its block was recorded: a counting
 * filter (ls_sample_filter_*), one counter per hash of the address, counts
 * the table's entries. A free whose counter is 0 skips the table.
 *
 * Hot path rules hold: no lock, no allocation, no I/O; the counters are
 * atomics in our .bss, the countdown is the thread's own.
 */
#ifndef LS_SAMPLE_H
#define LS_SAMPLE_H

#include "atomic.h"
#include "common.h"
#include "config.h"
#include "guard.h"

/* Whether an allocation of size bytes is recorded. Exact mode: always.
 * Sampled mode: when the countdown reaches its next point, or size is
 * the interval or more. */
bool ls_sample_crossed(size_t size);
static inline bool ls_sample_take(size_t size) {
  unsigned long interval = ls_config.sample;
  if (ls_likely(!interval))
    return true;
  /* allocations that succeeded are far below 2^63 bytes */
  int64_t left = ls_tls.sample_left - (int64_t)size;
  if (ls_likely(size < interval && left > 0)) {
    ls_tls.sample_left = left;
    return false;
  }
  return ls_sample_crossed(size);
}

/* --- The counting filter of recorded addresses --- */

/* 32 KiB of 8-bit counters: a free reads one of them, at a random
 * address, so the table should stay in L1 (4-byte counters, 128 KiB,
 * missed it on nearly every free: docs/performance.md). A counter that
 * reaches LS_SAMPLE_FILTER_STUCK stays there for good: it no longer
 * knows how many entries it counts, so it answers "maybe" (one table
 * lookup) for ever rather than wrap to 0 and let a free skip a
 * recorded block. */
#define LS_SAMPLE_FILTER_BITS 15
#define LS_SAMPLE_FILTER_STUCK 255
extern _Atomic uint8_t ls_sample_filter[1u << LS_SAMPLE_FILTER_BITS];

static inline _Atomic uint8_t *ls_sample_counter(uintptr_t addr) {
  /* blocks are 16-byte aligned: the granule number, Fibonacci-hashed */
  uint64_t h = (uint64_t)(addr >> 4) * 0x9E3779B97F4A7C15ull;
  return &ls_sample_filter[h >> (64 - LS_SAMPLE_FILTER_BITS)];
}

/* Whether the table may hold addr: false only when it cannot. Meant for
 * free: the caller then skips the table.
 * Why a relaxed load suffices: the block at addr was inserted, and its
 * counter incremented (ls_sample_filter_add, before the allocating call
 * returned), before the program could hand the pointer to the thread that
 * frees it, so the increment happens-before this load, which therefore
 * reads it or a later value of the counter (read-write coherence). A
 * counter is decremented only while it has never been stuck, that is
 * while it counts exactly, and only for an entry whose own increment came
 * earlier in its modification order (an entry is removed only after the
 * insert that counted it); so the value read still counts addr's entry,
 * or is stuck: it is not 0. Counters of other addresses that share the
 * slot can only make it larger (a false "maybe": one table lookup). */
static inline bool ls_sample_filter_maybe(uintptr_t addr) {
  /* relaxed: see above */
  return ls_atomic_load_relaxed(ls_sample_counter(addr)) != 0;
}

/* Set once the options are read (ls_sample_configured). */
extern _Atomic bool ls_sample_options_read;

/* Whether table inserts and removes must keep the filter up to date: in
 * sampled mode, and before the options are read (a block recorded then
 * may be freed in sampled mode). Inline: every insert and remove asks,
 * in the exact mode too. */
static inline bool ls_sample_filter_on(void) {
  /* relaxed: written once, in our constructor, before the program's own
   * threads exist (other libraries' constructors may have started some:
   * they then keep the filter a little longer, harmless) */
  return ls_config.sample || !ls_atomic_load_relaxed(&ls_sample_options_read);
}

/* An entry for addr went into the block table / came out of it. Both
 * run only for recorded blocks (rare in sampled mode): a compare-and-swap
 * loop, so that a stuck counter is never changed again. */
static inline void ls_sample_filter_add(uintptr_t addr) {
  _Atomic uint8_t *c = ls_sample_counter(addr);
  /* relaxed: ordered before the free that reads it by the program's own
   * hand-over of the pointer (see ls_sample_filter_maybe) */
  uint8_t v = ls_atomic_load_relaxed(c);
  do {
    if (v == LS_SAMPLE_FILTER_STUCK)
      return;
  } while (!ls_atomic_cas_weak_relaxed(c, &v, (uint8_t)(v + 1)));
}
static inline void ls_sample_filter_remove(uintptr_t addr) {
  _Atomic uint8_t *c = ls_sample_counter(addr);
  /* relaxed: a counter's decrements only follow increments (above) */
  uint8_t v = ls_atomic_load_relaxed(c);
  do {
    if (v == LS_SAMPLE_FILTER_STUCK)
      return;
  } while (!ls_atomic_cas_weak_relaxed(c, &v, (uint8_t)(v - 1)));
}

/* Called once the options are read (lifecycle.c): from then on the filter
 * is kept only in sampled mode. */
void ls_sample_configured(void);

/* Fork child: the thread that forked draws a new seed (otherwise parent
 * and child would sample the same allocations from then on). */
void ls_sample_after_fork_child(void);

/* --- Report time --- */

/* The number of blocks a recorded block of size bytes stands for, 1/p:
 * 1 in exact mode and for blocks of the interval or more. */
double ls_sample_weight(uint64_t size);

#endif
