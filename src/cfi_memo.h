/* SPDX-License-Identifier: MIT
 * cfi_memo.h: the CFI walker's per-thread memo of recent stacks: its
 * layout, the checks a capture makes to reuse a memoized stack, and the
 * pool memos come from (cfi_memo.c). The walk (unwind_cfi.c) looks a
 * stack up, records and splices ways.
 *
 * The checks are static inline here, not in a .c of their own: they are
 * the walk's hot path and must inline into it (memo_verify runs two or
 * three times a capture).
 */
#ifndef LS_CFI_MEMO_H
#define LS_CFI_MEMO_H

#include <string.h>

#include "common.h"

/* The walker reads other frames' stack slots on purpose. */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define LS_NO_ASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef LS_NO_ASAN
#define LS_NO_ASAN
#endif

/* A walk is a pure function of its starting pc/sp/fp, the rules (fixed
 * within an epoch) and the stack words it reads: each frame's return
 * address slot, and its saved-rbp slot when a later frame uses rbp. So a
 * thread keeps its last few walks, and a capture that starts from the same
 * sp and fp needs only to check that those words still hold the same
 * values (independent loads, no rule lookups) to reuse the result. A walk
 * that reaches a frame of the most recent stack (same pc, sp and, if it
 * matters, fp) checks the rest of that stack the same way and splices it.
 * Every address checked was inside this thread's stack when recorded, and
 * the thread matches from the same sp, so these reads are safe too.
 * Ways are grouped in sets chosen by the starting pc and sp: a program
 * that allocates from many places in turn (an interpreter, a compiler)
 * keeps its hot stacks, and a lookup still tries only MEMO_ASSOC ways
 * (python3's misses: 4 ways in all, 720,000; 16 ways, 39,000). */
#define MEMO_SETS 4
#define MEMO_ASSOC                                                                                 \
  4 /* ways per set: stacks with the same start (one call
                        site, the same depth) share a set */
#define MEMO_WAYS (MEMO_SETS * MEMO_ASSOC)
#define MEMO_DEPTH 48 /* frames a way holds; deeper walks are not kept */
#define MEMO_CHECKS (2 * MEMO_DEPTH)

/* The set of a walk that starts at pc with stack pointer sp. */
static inline uint32_t memo_set(uintptr_t pc, uintptr_t sp) {
  return (uint32_t)(((pc ^ sp << 16) * 0x9E3779B97F4A7C15ull) >> 62);
}
LS_STATIC_ASSERT(MEMO_SETS == 4, "memo_set takes 2 bits");

typedef struct memo_check {
  uintptr_t addr, val; /* a stack word the walk read, and its value */
} memo_check_t;

typedef struct memo_way {
  uint32_t k;                   /* frames walked (each read one return address); 0: empty */
  uint32_t n;                   /* frames output: k, or k-1 when the last read ended it */
  uint32_t max;                 /* the max it was walked with */
  uint32_t epoch;               /* cache epoch of the rules it used */
  uint32_t nchk;                /* checks in chk */
  uint32_t hot;                 /* the check that failed last: tried first */
  bool natural;                 /* ended by the stack's end, not by max */
  uint32_t tag;                 /* the caller's name for this stack, 0: none yet (see
                     ls_cfi_backtrace); reset by every new walk */
  uintptr_t pc0;                /* the pc the walk started at */
  uint64_t needfp;              /* bit i (0..k): frame i's walk uses its fp */
  uintptr_t sp[MEMO_DEPTH + 1]; /* state entering frame i */
  uintptr_t fp[MEMO_DEPTH + 1];
  uintptr_t ra[MEMO_DEPTH];         /* the return address frame i read */
  uint16_t rbp_slot[MEMO_DEPTH];    /* frame i reloads fp from sp[i+1]-this */
  uint8_t chk_from[MEMO_DEPTH + 1]; /* frame i's first check */
  memo_check_t chk[MEMO_CHECKS];    /* frame by frame: return address, fp */
} memo_way_t;

typedef struct memo {
  uint32_t mru;            /* the last way used: walks splice from it */
  uint8_t hint[MEMO_SETS]; /* per set: the way (in the set) to try first */
  uint8_t next[MEMO_SETS]; /* per set: the way (in the set) to overwrite */
  uint32_t busy;           /* a capture on this thread is using it */
  struct memo_way *got;    /* the way holding the current capture's stack, if any */
  struct memo *next_free;
  memo_way_t way[MEMO_WAYS];
} memo_t;

/* Copies n frames with 8-byte moves: the caller reads them back at once,
 * and a wide memcpy store would stall that load (no store forwarding). */
static inline void copy_frames(uintptr_t *dst, const uintptr_t *src, uint32_t n) {
  for (const uintptr_t *end = src + n; src < end;) {
    *dst++ = *src++;
    __asm__("" : "+r"(dst)); /* keeps the compiler from calling memcpy */
  }
}

/* Returns true if the words that frames c..k-1 of w read still hold the
 * same values; else false, with w->hot set to the check that failed. The
 * check that failed last time goes first (ways often differ in one frame);
 * the rest are compared without branches so the loads overlap. Inlined:
 * it runs two or three times a capture. */
static LS_NO_ASAN LS_ALWAYS_INLINE bool memo_verify(memo_way_t *w, uint32_t c) {
  uint32_t from = w->chk_from[c], hot = w->hot;
  if (hot > from && hot < w->nchk && *(const uintptr_t *)w->chk[hot].addr != w->chk[hot].val)
    return false;
  uintptr_t diff = 0;
  for (uint32_t j = from; j < w->nchk; j++)
    diff |= *(const uintptr_t *)w->chk[j].addr ^ w->chk[j].val;
  if (ls_likely(diff == 0))
    return true;
  for (uint32_t j = from; j < w->nchk; j++)
    if (*(const uintptr_t *)w->chk[j].addr != w->chk[j].val) {
      w->hot = j;
      break;
    }
  return false;
}

/* The first frame whose checks all come after check j. */
static inline uint32_t frame_after_check(const memo_way_t *w, uint32_t j) {
  uint32_t i = 0;
  while (i < w->k && w->chk_from[i] <= j)
    i++;
  return i;
}

static inline bool fp_matches(const memo_way_t *w, uint32_t i, uintptr_t fp) {
  return !(w->needfp >> i & 1) || w->fp[i] == fp;
}

/* A memo with every way empty: one a thread gave back at its exit, or a
 * new one from the arena; NULL if out of memory. Lock-free but for a
 * try-lock on the pop (busy: a new one). */
memo_t *ls_cfi_memo_take(void);

/* Gives m back for another thread (lock-free). */
void ls_cfi_memo_give(memo_t *m);

#endif
