/* SPDX-License-Identifier: MIT
 * block_sort.c: an in-place most-significant-digit radix sort (American
 * flag sort) of ls_block_t by address (see block_sort.h).
 *
 * Why not qsort: the exit report of 2 million live blocks spent more time
 * in glibc's merge sort (a comparison callback per step over 21 levels,
 * and a malloc'd copy of the 48 MB array) than in the reachability scan.
 * Why in place: on a virtual machine, memory touched for the first time
 * costs more than the sort itself (a 48 MB scratch array was a third of
 * the sort's time, zeroing pages). Live addresses differ only in their
 * middle bits: the key is (addr - lowest) >> common alignment; a heap of
 * 2M 32-byte blocks needs 23 bits, three levels of 8-bit digits, and the
 * small buckets left at the last level are insertion-sorted.
 */
#include "block_sort.h"

#define MAX_DIGIT_BITS 11 /* 2048 buckets: the counters stay in L1 */
#define MAX_LEVELS 6      /* 64 bits of key / MAX_DIGIT_BITS, rounded up */
#define SMALL 32          /* buckets this small: insertion sort */

typedef struct sorter {
  uintptr_t lo;
  size_t mask;
  unsigned levels;
  unsigned shift[MAX_LEVELS]; /* of each level's digit, most significant first */
} sorter_t;

/* Each level's bucket starts and fill points. Static (under the report
 * lock): 2 x 6 x 16 KiB would be a lot for a dump thread's stack. A level
 * uses its own pair while the next levels sort its buckets one by one. */
static size_t start[MAX_LEVELS][(1u << MAX_DIGIT_BITS) + 1];
static size_t fill[MAX_LEVELS][1u << MAX_DIGIT_BITS];

static void insertion_sort(ls_block_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    ls_block_t x = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1].addr > x.addr; j--)
      a[j] = a[j - 1];
    a[j] = x;
  }
}

static inline size_t digit(const sorter_t *s, uintptr_t addr, unsigned level) {
  return (size_t)(((uint64_t)(addr - s->lo) >> s->shift[level]) & s->mask);
}

static void sort_level(const sorter_t *s, ls_block_t *a, size_t n, unsigned level) {
  if (n <= SMALL) {
    insertion_sort(a, n);
    return;
  }
  size_t *st = start[level], *fl = fill[level];
  for (size_t d = 0; d <= s->mask + 1; d++)
    st[d] = 0;
  for (size_t i = 0; i < n; i++)
    st[digit(s, a[i].addr, level) + 1]++;
  for (size_t d = 0; d <= s->mask; d++) {
    st[d + 1] += st[d];
    fl[d] = st[d];
  }
  /* Cycle each misplaced block to the next free place of its bucket;
   * bucket d is done when its fill point reaches the next one's start. */
  for (size_t d = 0; d <= s->mask; d++) {
    while (fl[d] < st[d + 1]) {
      ls_block_t x = a[fl[d]];
      size_t k = digit(s, x.addr, level);
      while (k != d) {
        ls_block_t t = a[fl[k]];
        a[fl[k]++] = x;
        x = t;
        k = digit(s, x.addr, level);
      }
      a[fl[d]++] = x;
    }
  }
  if (level + 1 == s->levels)
    return; /* keys are distinct: the last digit leaves one per bucket */
  for (size_t d = 0; d <= s->mask; d++) {
    size_t from = st[d], len = st[d + 1] - st[d];
    if (len > 1)
      sort_level(s, a + from, len, level + 1);
  }
}

void ls_blocks_sort_by_addr(ls_block_t *a, size_t n) {
  if (n < 2)
    return;
  uintptr_t lo = a[0].addr, hi = a[0].addr;
  for (size_t i = 1; i < n; i++) {
    uintptr_t v = a[i].addr;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  /* The common alignment: low bits every key shares carry no order. */
  uintptr_t bits_set = 0;
  for (size_t i = 0; i < n; i++)
    bits_set |= a[i].addr - lo;
  if (!bits_set)
    return; /* every address equal: sorted */
  unsigned shift = (unsigned)__builtin_ctzll(bits_set);
  uint64_t top = (uint64_t)(hi - lo) >> shift;
  unsigned bits = 64u - (unsigned)__builtin_clzll(top);
  sorter_t s = {.lo = lo, .levels = (bits + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS};
  unsigned width = (bits + s.levels - 1) / s.levels; /* even digits: fewer buckets */
  s.mask = ((size_t)1 << width) - 1;
  for (unsigned l = 0; l < s.levels; l++) {
    int at = (int)bits - (int)(width * (l + 1)); /* the last digit may be short */
    s.shift[l] = shift + (unsigned)(at > 0 ? at : 0);
  }
  sort_level(&s, a, n, 0);
}
