/* SPDX-License-Identifier: MIT
 * arena.c: mmap-backed bookkeeping memory (see arena.h).
 * The arena is a list of 1 MiB chunks with an atomic bump pointer; a
 * racing thread that finds the chunk full installs a new one with CAS and
 * the loser unmaps its spare. Nothing here ever calls malloc.
 */
#include "arena.h"

#include <sys/mman.h>

#include "atomic.h"

#define LS_CHUNK_SIZE (1u << 20)

typedef struct chunk {
  _Atomic size_t used; /* bytes handed out, header included */
} chunk_t;

static _Atomic(chunk_t *) current;

static void note_mapping(uintptr_t lo, size_t len);
static void forget_mapping(uintptr_t lo);

void *ls_map(size_t size) {
  size = (size + 4095) & ~(size_t)4095;
  void *p =
      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  note_mapping((uintptr_t)p, size);
  return p;
}

void *ls_remap(void *p, size_t old_size, size_t new_size) {
  if (!p)
    return ls_map(new_size);
  old_size = (old_size + 4095) & ~(size_t)4095;
  new_size = (new_size + 4095) & ~(size_t)4095;
  void *q = mremap(p, old_size, new_size, MREMAP_MAYMOVE);
  if (q == MAP_FAILED)
    return NULL;
  forget_mapping((uintptr_t)p);
  note_mapping((uintptr_t)q, new_size);
  return q;
}

/* Transparent huge pages, which the kernel's usual "madvise" mode gives
 * only on request: a 2 MiB page is one fault where 512 small pages trap
 * one by one, which dominated filling a report's arrays of millions of
 * blocks on a virtual machine. Only for memory filled from its start and
 * used whole: each 2 MiB touched becomes resident at once. */
#define LS_HUGE_MIN (4u << 20)

void ls_map_advise_filled(void *p, size_t size) {
  if (p && size >= LS_HUGE_MIN)
    madvise(p, (size + 4095) & ~(size_t)4095, MADV_HUGEPAGE);
}

void ls_unmap(void *p, size_t size) {
  size = (size + 4095) & ~(size_t)4095;
  forget_mapping((uintptr_t)p);
  munmap(p, size);
}

void *ls_arena_alloc(size_t size, size_t align) {
  if (size > LS_CHUNK_SIZE / 2)
    return ls_map(size);
  for (;;) {
    /* acquire: pairs with the release CAS that installed the chunk, so its
     * header is initialised */
    chunk_t *c = ls_atomic_load_acquire(&current);
    if (c) {
      /* relaxed: the bump only hands out disjoint ranges; the memory
       * itself is fresh from mmap (zero) */
      size_t old = ls_atomic_load_relaxed(&c->used);
      for (;;) {
        size_t start = (old + align - 1) & ~(align - 1);
        if (start + size > LS_CHUNK_SIZE)
          break;
        if (ls_atomic_cas_weak_relaxed(&c->used, &old, start + size))
          return (char *)c + start;
      }
    }
    chunk_t *fresh = ls_map(LS_CHUNK_SIZE);
    if (!fresh)
      return NULL;
    ls_atomic_init(&fresh->used, sizeof(chunk_t)); /* published by the CAS */
    /* release: publishes the initialised header; pairs with the acquire
     * load above (and the failure acquire: c is the winner's chunk) */
    if (!ls_atomic_cas_acq_rel(&current, &c, fresh))
      ls_unmap(fresh, LS_CHUNK_SIZE);
  }
}

/* --- The list of our mappings (for the reachability scan) ---
 *
 * A fixed table in our own .bss: a slot is free while lo is 0. note_mapping
 * claims a free slot with a CAS on lo, then publishes len; forget_mapping
 * clears len, then lo. No lock: ls_map runs on the hot path (table growth).
 * A reader (ls_map_list) runs with the other threads stopped, so it sees
 * a slot half-written only if a thread stopped inside these few
 * instructions: a slot with len 0 is skipped, and that mapping (fresh or
 * on its way out) is scanned as if it were the program's: a block may read
 * reachable, never lost. A mapping that finds no free slot is counted in
 * missed, with the same consequence. */

#define MAX_MAPPINGS LS_MAP_LIST_MAX

static struct {
  _Atomic uintptr_t lo;
  _Atomic size_t len;
} mappings[MAX_MAPPINGS];
static _Atomic uint32_t mappings_high; /* slots ever used: readers stop here */
static _Atomic uint32_t mappings_missed;

static void note_mapping(uintptr_t lo, size_t len) {
  for (uint32_t i = 0; i < MAX_MAPPINGS; i++) {
    uintptr_t expected = 0;
    /* relaxed pre-check: most slots are taken; the CAS decides */
    if (ls_atomic_load_relaxed(&mappings[i].lo) != 0 ||
        !ls_atomic_cas_acq_rel(&mappings[i].lo, &expected, lo))
      continue;
    /* release: lo before len, so a reader that sees len sees its lo */
    ls_atomic_store_release(&mappings[i].len, len);
    uint32_t high = ls_atomic_load_relaxed(&mappings_high);
    /* acq_rel CAS: raises the high mark; readers acquire it */
    while (high < i + 1 && !ls_atomic_cas_acq_rel(&mappings_high, &high, i + 1))
      ;
    return;
  }
  ls_atomic_add_relaxed(&mappings_missed, 1); /* relaxed: a statistic */
}

static void forget_mapping(uintptr_t lo) {
  uint32_t high = ls_atomic_load_acquire(&mappings_high); /* pairs with note_mapping's CAS */
  for (uint32_t i = 0; i < high; i++) {
    /* relaxed: only the thread that owns a mapping forgets it */
    if (ls_atomic_load_relaxed(&mappings[i].lo) == lo) {
      ls_atomic_store_relaxed(&mappings[i].len, 0);
      /* release: len cleared before the slot is free for another claim */
      ls_atomic_store_release(&mappings[i].lo, 0);
      return;
    }
  }
}

void ls_map_register(void *p, size_t size) {
  note_mapping((uintptr_t)p, (size + 4095) & ~(size_t)4095);
}

size_t ls_map_list(ls_span_t *out, size_t cap, size_t *missed) {
  size_t n = 0;
  uint32_t high = ls_atomic_load_acquire(&mappings_high); /* pairs with note_mapping's CAS */
  for (uint32_t i = 0; i < high && n < cap; i++) {
    /* acquire: pairs with the release of len in note_mapping */
    size_t len = ls_atomic_load_acquire(&mappings[i].len);
    uintptr_t lo = ls_atomic_load_relaxed(&mappings[i].lo);
    if (len && lo) {
      out[n++] = (ls_span_t){lo, lo + len};
    }
  }
  if (missed)
    *missed = ls_atomic_load_relaxed(&mappings_missed); /* relaxed: a statistic */
  return n;
}
