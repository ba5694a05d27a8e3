/* SPDX-License-Identifier: MIT
 * kind_process.c: the program's child processes (see kind_process.h).
 *
 * state = generation << 8 | USED. A claimer sets USED with a CAS, writes
 * the fields, then publishes them with a release store of `seq` (the
 * record's creation number, never 0); readers and the forgetters match
 * a record only with seq != 0 read with acquire, and a reader keeps its
 * copy only if the generation did not change meanwhile. Freeing clears
 * seq and bumps the generation.
 */
#include "kind_process.h"

#include "arena.h"
#include "atomic.h"

#define MAX_CHILDREN (1u << 15)

enum { USED = 1 };

typedef struct slot {
  _Atomic uint32_t state;
  _Atomic int pid;
  _Atomic uint32_t stack, stamp, thread;
  _Atomic uint64_t seq; /* creation number; 0: not yet published */
  _Atomic uintptr_t obj;
} slot_t;

static slot_t *_Atomic slots;
static _Atomic uint32_t high;
static _Atomic uint64_t next_seq = 1;

static slot_t *table(void) {
  /* acquire: pairs with the CAS that installed the mapping */
  slot_t *s = ls_atomic_load_acquire(&slots);
  if (ls_likely(s != NULL))
    return s;
  slot_t *fresh = ls_map(MAX_CHILDREN * sizeof(slot_t));
  if (!fresh)
    return NULL;
  slot_t *expected = NULL;
  if (!ls_atomic_cas_acq_rel(&slots, &expected, fresh)) {
    ls_unmap(fresh, MAX_CHILDREN * sizeof(slot_t));
    return expected;
  }
  return fresh;
}

static uint32_t gen_of(uint32_t state) { return state >> 8; }

void ls_kproc_add(const ls_origin_t *o, pid_t pid, const void *obj) {
  slot_t *t = table();
  for (uint32_t i = 0; t && i < MAX_CHILDREN; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_relaxed(&s->state);
    if ((st & USED) || !ls_atomic_cas_acq_rel(&s->state, &st, st | USED))
      continue;
    /* relaxed: published by the release store of seq */
    ls_atomic_store_relaxed(&s->pid, pid);
    ls_atomic_store_relaxed(&s->stack, o->stack);
    ls_atomic_store_relaxed(&s->stamp, o->stamp);
    ls_atomic_store_relaxed(&s->thread, o->thread);
    ls_atomic_store_relaxed(&s->obj, (uintptr_t)obj);
    /* relaxed: numbers only need to grow; the order against a wait's
     * mark comes from the kernel (a pid is reused only after the reap) */
    uint64_t seq = ls_atomic_add_relaxed(&next_seq, 1);
    /* release: the fields above before a reader sees seq != 0 */
    ls_atomic_store_release(&s->seq, seq);
    uint32_t h = ls_atomic_load_relaxed(&high);
    /* relaxed: a scan bound */
    while (h <= i && !ls_atomic_cas_weak_relaxed(&high, &h, i + 1))
      ;
    return;
  }
  ls_track_count_untracked();
}

uint64_t ls_kproc_mark(void) { return ls_atomic_load_relaxed(&next_seq); }

/* Frees slot s if it still holds generation gen. */
static void free_slot(slot_t *s, uint32_t st) {
  ls_atomic_store_relaxed(&s->seq, 0);
  /* acq_rel: our reads of the record before a new claimer's writes */
  ls_atomic_cas_acq_rel(&s->state, &st, ((gen_of(st) + 1) & 0xffffff) << 8);
}

/* Frees the first published record for which match(s) holds. */
static void forget(bool (*match)(slot_t *s, uintptr_t key, uint64_t mark), uintptr_t key,
                   uint64_t mark) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_acquire(&s->state);
    /* acquire: pairs with the release store of seq in ls_kproc_add */
    uint64_t seq = ls_atomic_load_acquire(&s->seq);
    if ((st & USED) && seq && seq < mark && match(s, key, mark)) {
      free_slot(s, st);
      return;
    }
  }
}

static bool pid_is(slot_t *s, uintptr_t pid, uint64_t mark) {
  return ls_atomic_load_relaxed(&s->pid) == (int)pid;
}

static bool obj_is(slot_t *s, uintptr_t obj, uint64_t mark) {
  return ls_atomic_load_relaxed(&s->obj) == obj;
}

void ls_kproc_reaped(pid_t pid, uint64_t mark) { forget(pid_is, (uintptr_t)pid, mark); }

void ls_kproc_stream_gone(const void *obj) {
  if (obj)
    forget(obj_is, (uintptr_t)obj, UINT64_MAX);
}

void ls_kproc_foreach(ls_kproc_visit_fn fn, void *ctx) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_acquire(&s->state);
    if (!(st & USED) || !ls_atomic_load_acquire(&s->seq))
      continue;
    ls_kproc_info_t info = {
        .pid = ls_atomic_load_relaxed(&s->pid),
        .stack = ls_atomic_load_relaxed(&s->stack),
        .stamp = ls_atomic_load_relaxed(&s->stamp),
        .thread = (uint16_t)ls_atomic_load_relaxed(&s->thread),
    };
    /* acquire fence: the loads above complete before the re-check */
    ls_atomic_fence_acquire();
    if (ls_atomic_load_relaxed(&s->state) != st)
      continue;
    fn(&info, ctx);
  }
}

void ls_kproc_after_fork_child(void) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    /* relaxed: the child is single-threaded here */
    uint32_t st = ls_atomic_load_relaxed(&t[i].state);
    if (st & USED) {
      ls_atomic_store_relaxed(&t[i].seq, 0);
      ls_atomic_store_relaxed(&t[i].state, ((gen_of(st) + 1) & 0xffffff) << 8);
    }
  }
}
