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
#include "common.h"

typedef struct ls_thread {
  _Atomic uint32_t active;   /* 1 during a table operation */
  _Atomic uint32_t in_use;   /* 0: free for a new thread to claim */
  uint16_t id;               /* 1..65535; 0 if the registry ran out */
  struct ls_thread *next;    /* registry list, append-only */
} __attribute__((aligned(LS_CACHE_LINE))) ls_thread_t;

/* Chooses the grace-period mechanism (membarrier if the kernel has it).
 * Called once at start-up, before the first table operation. */
void ls_thread_init(void);

/* The calling thread's record, registering it on first use. Never NULL (a
 * static fallback record is used if memory runs out). Guard held. */
ls_thread_t *ls_thread_self(void);

/* Marks the start and end of a table operation on this thread. */
void ls_thread_enter(ls_thread_t *t);
void ls_thread_exit(ls_thread_t *t);

/* Waits until every thread other than the caller has been outside a table
 * operation at least once since the call started. The caller must not be
 * inside an operation itself (see table.c's migration). */
void ls_thread_quiesce(void);

/* Fork child: only the calling thread survives; forget the others. */
void ls_thread_after_fork_child(void);

#endif
