/* SPDX-License-Identifier: MIT
 * thread.h: the registry of threads that have touched leakscope's tables,
 * and the grace period that makes freeing an old table safe.
 *
 * Each thread gets a record (from an mmap arena, never freed, reused after
 * the thread exits) with a 16-bit id, used in table keys so a count can be
 * restricted to one thread, and an `active` flag set for the duration of
 * each table operation. ls_thread_quiesce() returns once every other thread
 * has been seen outside an operation, so memory unlinked before the call is
 * unreachable by then (a minimal epoch scheme: operations are short and
 * never block).
 */
#ifndef LS_THREAD_H
#define LS_THREAD_H

#include <stdatomic.h>
#include "atomic.h"
#include "common.h"
#include "guard.h"

typedef struct ls_thread {
  _Atomic uint32_t active; /* table operations in progress (nested by
                                signal handlers) */
  _Atomic uint32_t idle;   /* times active went back to 0: a quiescer
                                waits for a change, not for the moment the
                                thread happens to be outside */
  _Atomic uint32_t in_use; /* 0: free for a new thread to claim */
  uint16_t id;             /* 1..65535; 0 if the registry ran out */
  struct ls_thread *next;  /* registry list, append-only */
  char *side_stack;        /* bottom of the record's side stack
                                (side_stack.c), NULL until first used; only
                                the thread holding the record uses it */
} __attribute__((aligned(LS_CACHE_LINE))) ls_thread_t;

/* Chooses the grace-period mechanism (membarrier if the kernel has it).
 * Called once at start-up, before the first table operation. */
void ls_thread_init(void);

/* Registers the calling thread (ls_thread_self's slow path). */
ls_thread_t *ls_thread_register(void);

/* The calling thread's record, registering it on first use. Never NULL (a
 * static fallback record is used if memory runs out). Guard held. */
static inline ls_thread_t *ls_thread_self(void) {
  ls_thread_t *t = ls_tls.thread;
  return ls_likely(t != NULL) ? t : ls_thread_register();
}

/* Whether membarrier(2) is registered, so that an operation on a record
 * of the thread's own needs no fence (thread.c). Set once at start-up. */
extern bool ls_thread_plain;
extern ls_thread_t ls_thread_fallback;

/* Marks the start and end of a table operation on this thread. Inline:
 * they run twice per allocation and twice per free. */
static inline void ls_thread_enter(ls_thread_t *t) {
  if (ls_likely(ls_thread_plain && t != &ls_thread_fallback)) {
    /* relaxed + compiler fence: ordered against the table loads by the
     * quiescer's membarrier (see ls_thread_plain in thread.c). A count,
     * not a flag: a signal handler may nest an operation inside ours.
     * Only this thread writes it. */
    ls_atomic_store_relaxed(&t->active, ls_atomic_load_relaxed(&t->active) + 1);
    ls_compiler_fence();
    return;
  }
  /* seq_cst RMW: the flag is visible before this thread loads any table
   * pointer; pairs with the seq_cst loads in ls_thread_quiesce (Dekker:
   * either the quiescer sees us active, or we see the new table). The
   * shared fallback record counts nested users. */
  ls_atomic_add_seq_cst(&t->active, 1);
}

static inline void ls_thread_exit(ls_thread_t *t) {
  /* release (both): our reads of the old table happen-before its
   * unmapping */
  if (ls_likely(ls_thread_plain && t != &ls_thread_fallback)) {
    uint32_t left = ls_atomic_load_relaxed(&t->active) - 1;
    ls_atomic_store_release(&t->active, left);
    if (ls_likely(left == 0))
      ls_atomic_store_release(&t->idle, ls_atomic_load_relaxed(&t->idle) + 1);
  } else {
    ls_atomic_sub_release(&t->active, 1);
  }
}

/* Waits until every thread other than the caller has been outside a table
 * operation at least once since the call started. The caller must not be
 * inside an operation itself (see table.c's migration). */
void ls_thread_quiesce(void);

/* Fork child: only the calling thread survives; forget the others. */
void ls_thread_after_fork_child(void);

/* leakscope's own threads (the dump thread): the reachability scan
 * never stops or waits for them, and their memory is not the program's.
 * A thread marks itself when it starts and unmarks itself before it ends;
 * at most 4 at a time. ls_thread_is_ours(tid) answers for this process
 * only (a fork child's thread ids say nothing of the parent's). All
 * lock-free and async-signal-safe. */
void ls_thread_mark_ours(void);
void ls_thread_unmark_ours(void);
bool ls_thread_is_ours(int tid);

#endif
