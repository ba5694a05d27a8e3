/* SPDX-License-Identifier: MIT
 * kind_mapping.c: the program's memory mappings (see kind_mapping.h).
 *
 * state = generation << 8 | USED | LIVE. A claimer sets USED with a
 * CAS, writes the record, then sets LIVE with a release CAS; a remover
 * matches only LIVE records. The range (start, len) changes after that
 * (a partial munmap): each change is a write of a per-slot sequence
 * count made odd, the fields, even again (the fdtable.c seqlock); a
 * reader retries while it is odd or changed. Two threads unmapping
 * different parts of one mapping at once both write the record: the
 * count stays consistent, one of the two ranges may be kept (a program
 * racing munmaps on one mapping loses precision, not safety).
 */
#include "kind_mapping.h"

#include "arena.h"
#include "atomic.h"

#define MAX_MAPPINGS (1u << 16)
#define PAGE 4096u

enum { USED = 1, LIVE = 2 };

typedef struct slot {
  _Atomic uint32_t state;
  _Atomic uint32_t seq; /* odd: start/len being written */
  _Atomic uintptr_t start;
  _Atomic uint64_t len;
  _Atomic int prot, kind;
  _Atomic uint32_t stack, stamp, thread;
} slot_t;

static slot_t *_Atomic slots;
static _Atomic uint32_t high;

static slot_t *table(void) {
  /* acquire: pairs with the CAS that installed the mapping */
  slot_t *s = ls_atomic_load_acquire(&slots);
  if (ls_likely(s != NULL))
    return s;
  slot_t *fresh = ls_map(MAX_MAPPINGS * sizeof(slot_t));
  if (!fresh)
    return NULL;
  slot_t *expected = NULL;
  if (!ls_atomic_cas_acq_rel(&slots, &expected, fresh)) {
    ls_unmap(fresh, MAX_MAPPINGS * sizeof(slot_t));
    return expected;
  }
  return fresh;
}

static uint32_t gen_of(uint32_t state) { return state >> 8; }

/* Seqlock write of the range. RMWs keep the count consistent if two
 * writers meet (see the file comment). */
static void write_range(slot_t *s, uintptr_t start, uint64_t len) {
  /* relaxed RMW + release fence: the odd count is visible before the
   * fields change (the standard seqlock writer) */
  ls_atomic_add_relaxed(&s->seq, 1);
  ls_atomic_fence_release();
  ls_atomic_store_relaxed(&s->start, start);
  ls_atomic_store_relaxed(&s->len, len);
  /* release: the fields before the even count; pairs with read_range */
  ls_atomic_add_acq_rel(&s->seq, 1);
}

/* Reads the range (retrying while it is being written). */
static void read_range(slot_t *s, uintptr_t *start, uint64_t *len) {
  for (;;) {
    /* acquire: pairs with write_range's final increment */
    uint32_t before = ls_atomic_load_acquire(&s->seq);
    if (before & 1)
      continue;
    *start = ls_atomic_load_relaxed(&s->start);
    *len = ls_atomic_load_relaxed(&s->len);
    /* acquire fence: the loads complete before the re-check */
    ls_atomic_fence_acquire();
    if (ls_atomic_load_relaxed(&s->seq) == before)
      return;
  }
}

static void add_info(const ls_kmap_info_t *m) {
  slot_t *t = table();
  for (uint32_t i = 0; t && i < MAX_MAPPINGS; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_relaxed(&s->state);
    if ((st & USED) || !ls_atomic_cas_acq_rel(&s->state, &st, st | USED))
      continue;
    write_range(s, m->start, m->len);
    /* relaxed: published by the LIVE flag's release CAS */
    ls_atomic_store_relaxed(&s->prot, m->prot);
    ls_atomic_store_relaxed(&s->kind, m->kind);
    ls_atomic_store_relaxed(&s->stack, m->stack);
    ls_atomic_store_relaxed(&s->stamp, m->stamp);
    ls_atomic_store_relaxed(&s->thread, m->thread);
    uint32_t h = ls_atomic_load_relaxed(&high);
    /* relaxed: a scan bound */
    while (h <= i && !ls_atomic_cas_weak_relaxed(&high, &h, i + 1))
      ;
    st |= USED;
    /* acq_rel: the record before LIVE; nothing else changes USED slots'
     * state while they are not LIVE */
    ls_atomic_cas_acq_rel(&s->state, &st, st | LIVE);
    return;
  }
  ls_track_count_untracked();
}

void ls_kmap_add(const ls_origin_t *o, uintptr_t start, uint64_t len, int prot, int kind) {
  ls_kmap_info_t m = {.start = start,
                      .len = (len + PAGE - 1) & ~(uint64_t)(PAGE - 1),
                      .prot = prot,
                      .kind = kind,
                      .stack = o->stack,
                      .stamp = o->stamp,
                      .thread = o->thread};
  if (m.len)
    add_info(&m);
}

static void info_of(slot_t *s, ls_kmap_info_t *m) {
  read_range(s, &m->start, &m->len);
  m->prot = ls_atomic_load_relaxed(&s->prot);
  m->kind = ls_atomic_load_relaxed(&s->kind);
  m->stack = ls_atomic_load_relaxed(&s->stack);
  m->stamp = ls_atomic_load_relaxed(&s->stamp);
  m->thread = (uint16_t)ls_atomic_load_relaxed(&s->thread);
}

static void free_slot(slot_t *s, uint32_t st) {
  /* acq_rel: our reads of the record before a new claimer's writes */
  ls_atomic_cas_acq_rel(&s->state, &st, ((gen_of(st) + 1) & 0xffffff) << 8);
}

bool ls_kmap_remove(uintptr_t start, uint64_t len, ls_kmap_info_t *first) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  uintptr_t end = start + ((len + PAGE - 1) & ~(uint64_t)(PAGE - 1));
  bool found = false;
  for (uint32_t i = 0; t && i < n; i++) {
    slot_t *s = &t[i];
    /* acquire: pairs with the CAS that set LIVE */
    uint32_t st = ls_atomic_load_acquire(&s->state);
    if ((st & (USED | LIVE)) != (USED | LIVE))
      continue;
    ls_kmap_info_t m;
    info_of(s, &m);
    uintptr_t mend = m.start + m.len;
    if (mend <= start || m.start >= end)
      continue;
    if (first && !found)
      *first = m;
    found = true;
    if (m.start >= start && mend <= end) {
      free_slot(s, st);
    } else if (m.start < start && mend > end) {
      /* the middle goes: the record keeps its head, a new one the tail */
      write_range(s, m.start, start - m.start);
      ls_kmap_info_t tail = m;
      tail.start = end;
      tail.len = mend - end;
      add_info(&tail);
    } else if (m.start < start) {
      write_range(s, m.start, start - m.start);
    } else {
      write_range(s, end, mend - end);
    }
  }
  return found;
}

bool ls_kmap_remove_at(uintptr_t start, uint64_t *len) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_acquire(&s->state);
    if ((st & (USED | LIVE)) != (USED | LIVE))
      continue;
    uintptr_t at;
    uint64_t l;
    read_range(s, &at, &l);
    if (at == start) {
      *len = l;
      free_slot(s, st);
      return true;
    }
  }
  return false;
}

void ls_kmap_foreach(ls_kmap_visit_fn fn, void *ctx) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_acquire(&s->state);
    if ((st & (USED | LIVE)) != (USED | LIVE))
      continue;
    ls_kmap_info_t m;
    info_of(s, &m);
    /* acquire fence: the loads complete before the re-check */
    ls_atomic_fence_acquire();
    if (ls_atomic_load_relaxed(&s->state) != st)
      continue;
    fn(&m, ctx);
  }
}
