/* SPDX-License-Identifier: MIT
 * kind_thread.h: the threads the program created with pthread_create,
 * from creation until they are joined, or until they end detached (the
 * "thread" kind of report).
 *
 * One record per thread in a fixed array of slots mapped once
 * (MAP_NORESERVE: pages are committed as slots are used). A record is
 * also the argument of the thread's start trampoline, so creating a
 * thread allocates nothing. Each slot's `state` word holds flags in its
 * low 8 bits and a generation above them; every change is a CAS that
 * checks the generation, and freeing a slot bumps it, so a stale
 * reference (a join racing a fork, a trampoline of a thread the fork
 * child does not have) changes nothing. No locks, no malloc, no I/O.
 */
#ifndef LS_KIND_THREAD_H
#define LS_KIND_THREAD_H

#include <pthread.h>

#include "common.h"
#include "track.h"

/* A reference to one record: its slot and generation (0: none). */
typedef struct ls_kthread_ref {
  uint32_t slot, gen;
} ls_kthread_ref_t;

/* The start routine to pass to the real pthread_create with a record
 * from ls_kthread_begin as its argument: it runs fn(arg) and records
 * the thread's end (return, pthread_exit or cancellation). */
void *ls_kthread_trampoline(void *record);

/* Claims a record for a thread about to be created by this call (stack
 * and time from `o`). Returns the record to hand to the trampoline, or
 * NULL when there is no free slot (counted as untracked). */
void *ls_kthread_begin(const ls_origin_t *o, void *(*fn)(void *), void *arg, size_t stacksize);

/* The real pthread_create succeeded (handle h) or failed (rc != 0: the
 * record is freed). */
void ls_kthread_created(void *record, int rc, pthread_t h);

/* The live record of thread h, or {0,0}: looked up BEFORE the real join
 * or detach, while h still names that thread. */
ls_kthread_ref_t ls_kthread_find(pthread_t h);

/* The thread was joined (the record is freed) or detached (freed now if
 * it already ended, else when it ends). */
void ls_kthread_joined(ls_kthread_ref_t ref);
void ls_kthread_detached(ls_kthread_ref_t ref);

/* A record as a report sees it. */
typedef struct ls_kthread_info {
  uint32_t stack, stamp;
  uint16_t thread; /* creating thread's id */
  bool exited;     /* returned, not joined: its stack is still held */
  bool detached;
  int tid;            /* kernel thread id (0 before the thread ran) */
  uint64_t stacksize; /* bytes */
  char name[16];      /* pthread_setname_np name when it ended, else "" */
} ls_kthread_info_t;

/* Calls fn for every live record (created, not joined, not freed). Any
 * thread; sees a record as it was at some moment of the call. */
typedef void (*ls_kthread_visit_fn)(const ls_kthread_info_t *t, void *ctx);
void ls_kthread_foreach(ls_kthread_visit_fn fn, void *ctx);

/* Fork child: it has no thread but the one that forked; every record is
 * freed (their generations bumped). */
void ls_kthread_after_fork_child(void);

#endif
