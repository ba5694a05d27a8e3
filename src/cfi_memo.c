/* SPDX-License-Identifier: MIT
 * cfi_memo.c: the pool of the CFI walker's per-thread memos (see
 * cfi_memo.h).
 */
#include "cfi_memo.h"

#include "arena.h"
#include "atomic.h"

/* Ways are recycled through a free list when their thread exits: pushes
 * are lock-free, pops take a try-lock (one popper at a time rules out
 * ABA); a busy lock just means a fresh allocation. */
static _Atomic(memo_t *) memo_free;
static _Atomic int memo_pop_lock;

void ls_cfi_memo_give(memo_t *m) {
  /* relaxed load, release CAS: publishes m->next_free to the popper's
   * acquire */
  memo_t *head = ls_atomic_load_relaxed(&memo_free);
  do
    m->next_free = head;
  while (!ls_atomic_cas_weak_release(&memo_free, &head, m));
}

memo_t *ls_cfi_memo_take(void) {
  memo_t *m = NULL;
  int unlocked = 0;
  /* acq_rel: the pop lock; pairs with the release store below */
  if (ls_atomic_cas_acq_rel(&memo_pop_lock, &unlocked, 1)) {
    /* acquire: pairs with ls_cfi_memo_give's release CAS */
    m = ls_atomic_load_acquire(&memo_free);
    while (m && !ls_atomic_cas_weak_acquire(&memo_free, &m, m->next_free))
      ;
    ls_atomic_store_release(&memo_pop_lock, 0);
  }
  if (!m)
    m = ls_arena_alloc(sizeof *m, LS_CACHE_LINE);
  if (!m)
    return NULL;
  m->mru = m->busy = 0;
  memset(m->hint, 0, sizeof m->hint);
  memset(m->next, 0, sizeof m->next);
  for (int i = 0; i < MEMO_WAYS; i++)
    m->way[i].k = 0;
  return m;
}
