/* SPDX-License-Identifier: MIT
 * kind_thread.c: the program's threads (see kind_thread.h).
 *
 * state = generation << 8 | flags. USED: the slot is claimed (by a
 * pthread_create in progress or done); LIVE: the real pthread_create
 * succeeded, so reports list it; EXITED: the start routine returned,
 * called pthread_exit or was cancelled; DETACHED: pthread_detach was
 * called. A record is freed (flags cleared, generation + 1) by a
 * successful join, by a failed create, and by whichever of "detach" and
 * "exit" comes second: each sets its flag with a CAS and frees when it
 * sees the other's flag already set, so exactly one of them frees.
 *
 * Fields other than `state` are written by the claimer before the real
 * pthread_create (which publishes them to the new thread), and by the
 * thread itself (tid, name). Reports read them with relaxed loads
 * between two acquire loads of `state` and keep the copy only if the
 * generation did not change (a seqlock whose sequence is the
 * generation).
 */
#include "kind_thread.h"

#include <sys/prctl.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"

#define MAX_THREADS (1u << 16)

enum { USED = 1, LIVE = 2, EXITED = 4, DETACHED = 8, FLAGS = 0xff };

typedef struct slot {
  _Atomic uint32_t state;
  _Atomic uint32_t stack, stamp, thread;
  _Atomic int tid;
  _Atomic uintptr_t handle;
  _Atomic uint64_t stacksize;
  _Atomic uint64_t name[2]; /* 16 bytes, NUL-terminated */
  void *(*fn)(void *);      /* for the trampoline only */
  void *arg;
} slot_t;

static slot_t *_Atomic slots;
static _Atomic uint32_t high; /* one past the highest slot ever claimed */

static slot_t *table(void) {
  /* acquire: pairs with the release CAS that installed the mapping */
  slot_t *s = ls_atomic_load_acquire(&slots);
  if (ls_likely(s != NULL))
    return s;
  slot_t *fresh = ls_map(MAX_THREADS * sizeof(slot_t));
  if (!fresh)
    return NULL;
  slot_t *expected = NULL;
  /* acq_rel: publishes the mapping; pairs with the acquire load above */
  if (!ls_atomic_cas_acq_rel(&slots, &expected, fresh)) {
    ls_unmap(fresh, MAX_THREADS * sizeof(slot_t));
    return expected;
  }
  return fresh;
}

static uint32_t gen_of(uint32_t state) { return state >> 8; }

/* Sets `set` in the slot's flags if it still holds generation gen and is
 * claimed; returns the flags before, or 0 if it was not. acq_rel: a
 * flag set by one thread is seen, with what preceded it, by the thread
 * that sees it set (detach/exit pairing above). */
static uint32_t set_flags(slot_t *s, uint32_t gen, uint32_t set) {
  uint32_t old = ls_atomic_load_acquire(&s->state);
  do {
    if (gen_of(old) != gen || !(old & USED))
      return 0;
  } while (!ls_atomic_cas_acq_rel(&s->state, &old, old | set));
  return old & FLAGS;
}

/* Frees the slot if it still holds generation gen. release: every use of
 * the record happens-before a new claimer's writes. */
static void free_slot(slot_t *s, uint32_t gen) {
  uint32_t old = ls_atomic_load_relaxed(&s->state);
  do {
    if (gen_of(old) != gen || !(old & USED))
      return;
  } while (!ls_atomic_cas_acq_rel(&s->state, &old, ((gen + 1) & 0xffffff) << 8));
}

void *ls_kthread_begin(const ls_origin_t *o, void *(*fn)(void *), void *arg, size_t stacksize) {
  slot_t *t = table();
  for (uint32_t i = 0; t && i < MAX_THREADS; i++) {
    slot_t *s = &t[i];
    uint32_t st = ls_atomic_load_relaxed(&s->state);
    if ((st & USED) || !ls_atomic_cas_acq_rel(&s->state, &st, st | USED))
      continue;
    /* relaxed: published by the LIVE flag's release (reports) and by
     * pthread_create itself (the trampoline) */
    ls_atomic_store_relaxed(&s->stack, o->stack);
    ls_atomic_store_relaxed(&s->stamp, o->stamp);
    ls_atomic_store_relaxed(&s->thread, o->thread);
    ls_atomic_store_relaxed(&s->tid, 0);
    ls_atomic_store_relaxed(&s->handle, 0);
    ls_atomic_store_relaxed(&s->stacksize, stacksize);
    ls_atomic_store_relaxed(&s->name[0], 0);
    ls_atomic_store_relaxed(&s->name[1], 0);
    s->fn = fn;
    s->arg = arg;
    uint32_t h = ls_atomic_load_relaxed(&high);
    /* relaxed: a scan bound; a scan that misses a slot claimed meanwhile
     * sees a thread created during the scan */
    while (h <= i && !ls_atomic_cas_weak_relaxed(&high, &h, i + 1))
      ;
    return s;
  }
  ls_track_count_untracked();
  return NULL;
}

void ls_kthread_created(void *record, int rc, pthread_t h) {
  slot_t *s = record;
  uint32_t gen = gen_of(ls_atomic_load_relaxed(&s->state));
  if (rc != 0) {
    free_slot(s, gen);
    return;
  }
  /* The thread stores the same value itself as it starts: whichever is
   * first lets a join or detach find it. */
  ls_atomic_store_relaxed(&s->handle, (uintptr_t)h);
  set_flags(s, gen, LIVE);
}

/* Runs when the start routine is over (return, pthread_exit or
 * cancellation): the thread keeps its stack until it is joined. */
typedef struct exit_ref {
  slot_t *s;
  uint32_t gen;
} exit_ref_t;

static void thread_ended(void *p) {
  exit_ref_t *r = p;
  char name[16] = {0};
  prctl(PR_GET_NAME, name);
  uint64_t w[2];
  __builtin_memcpy(w, name, sizeof w);
  /* relaxed: published by the EXITED flag's release */
  ls_atomic_store_relaxed(&r->s->name[0], w[0]);
  ls_atomic_store_relaxed(&r->s->name[1], w[1]);
  uint32_t before = set_flags(r->s, r->gen, EXITED);
  if (before & DETACHED)
    free_slot(r->s, r->gen);
}

void *ls_kthread_trampoline(void *record) {
  slot_t *s = record;
  /* Nothing frees the slot before this thread ends (join waits for it,
   * detach only marks it), so its generation is this thread's. */
  exit_ref_t ref = {s, gen_of(ls_atomic_load_relaxed(&s->state))};
  ls_atomic_store_relaxed(&s->handle, (uintptr_t)pthread_self());
  ls_atomic_store_relaxed(&s->tid, gettid());
  void *(*fn)(void *) = s->fn;
  void *arg = s->arg;
  void *ret;
  pthread_cleanup_push(thread_ended, &ref);
  ret = fn(arg);
  pthread_cleanup_pop(1);
  return ret;
}

ls_kthread_ref_t ls_kthread_find(pthread_t h) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    uint32_t st = ls_atomic_load_acquire(&t[i].state);
    if ((st & USED) && ls_atomic_load_relaxed(&t[i].handle) == (uintptr_t)h &&
        gen_of(ls_atomic_load_acquire(&t[i].state)) == gen_of(st))
      return (ls_kthread_ref_t){i + 1, gen_of(st)};
  }
  return (ls_kthread_ref_t){0, 0};
}

void ls_kthread_joined(ls_kthread_ref_t ref) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  if (t && ref.slot)
    free_slot(&t[ref.slot - 1], ref.gen);
}

void ls_kthread_detached(ls_kthread_ref_t ref) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  if (!t || !ref.slot)
    return;
  if (set_flags(&t[ref.slot - 1], ref.gen, DETACHED) & EXITED)
    free_slot(&t[ref.slot - 1], ref.gen);
}

void ls_kthread_foreach(ls_kthread_visit_fn fn, void *ctx) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    slot_t *s = &t[i];
    /* acquire: pairs with the acq_rel CAS that set LIVE, so the fields
     * written before it are seen */
    uint32_t st = ls_atomic_load_acquire(&s->state);
    if ((st & (USED | LIVE)) != (USED | LIVE))
      continue;
    ls_kthread_info_t info = {
        .stack = ls_atomic_load_relaxed(&s->stack),
        .stamp = ls_atomic_load_relaxed(&s->stamp),
        .thread = (uint16_t)ls_atomic_load_relaxed(&s->thread),
        .tid = ls_atomic_load_relaxed(&s->tid),
        .stacksize = ls_atomic_load_relaxed(&s->stacksize),
    };
    uint64_t w[2] = {ls_atomic_load_relaxed(&s->name[0]), ls_atomic_load_relaxed(&s->name[1])};
    /* acquire fence: the field loads complete before the re-check (the
     * seqlock reader's pattern) */
    ls_atomic_fence_acquire();
    uint32_t again = ls_atomic_load_relaxed(&s->state);
    if (gen_of(again) != gen_of(st) || !(again & USED))
      continue;
    info.exited = again & EXITED;
    info.detached = again & DETACHED;
    if (info.exited) {
      __builtin_memcpy(info.name, w, sizeof info.name);
      info.name[15] = '\0';
    }
    fn(&info, ctx);
  }
}

void ls_kthread_after_fork_child(void) {
  slot_t *t = ls_atomic_load_acquire(&slots);
  uint32_t n = ls_atomic_load_relaxed(&high);
  for (uint32_t i = 0; t && i < n; i++) {
    /* relaxed: the child is single-threaded here */
    uint32_t st = ls_atomic_load_relaxed(&t[i].state);
    if (st & USED)
      ls_atomic_store_relaxed(&t[i].state, ((gen_of(st) + 1) & 0xffffff) << 8);
  }
}
