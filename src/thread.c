/* SPDX-License-Identifier: MIT
 * thread.c: the thread registry and grace periods (see thread.h).
 * Records come from ls_arena and are never freed: a record that a dead
 * thread left is claimed again by a new thread (in_use 0 -> 1), which keeps
 * the list short in programs that create threads by the million.
 */
#include "thread.h"

#include <pthread.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"
#include "guard.h"

__thread ls_tls_t ls_tls __attribute__((tls_model("initial-exec")));

static _Atomic(ls_thread_t *) registry;
static _Atomic uint32_t next_id = 1;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
ls_thread_t ls_thread_fallback; /* shared by threads we could not register */

/* Thread exit: hand the record to the next new thread. The record is not
 * in an operation (the thread is exiting), so active is already 0. */
static void release_record(void *rec) {
  ls_thread_t *t = rec;
  /* release: our last operation's writes happen-before a claimer's use */
  ls_atomic_store_release(&t->in_use, 0);
  ls_tls.thread = NULL;
  /* The side stack goes with the record: a later call of this thread
   * (another destructor's free) claims a record, and its stack, again. */
  ls_tls.side_top = NULL;
}

static void create_exit_key(void) { pthread_key_create(&exit_key, release_record); }

static ls_thread_t *claim_record(void) {
  /* acquire: pairs with the release push below; records are immutable but
   * for in_use/active. */
  for (ls_thread_t *t = ls_atomic_load_acquire(&registry); t; t = t->next) {
    uint32_t expected = 0;
    if (t != &ls_thread_fallback && ls_atomic_load_relaxed(&t->in_use) == 0 &&
        ls_atomic_cas_acq_rel(&t->in_use, &expected, 1))
      return t;
  }
  ls_thread_t *t = ls_arena_alloc(sizeof *t, LS_CACHE_LINE);
  if (!t)
    return NULL;
  /* relaxed: ids only need to be unique */
  uint32_t id = ls_atomic_add_relaxed(&next_id, 1);
  t->id = id <= 0xffff ? (uint16_t)id : 0;
  /* not shared yet: the release CAS below publishes them */
  ls_atomic_init(&t->active, 0);
  ls_atomic_init(&t->idle, 0);
  ls_atomic_init(&t->in_use, 1);
  ls_thread_t *head = ls_atomic_load_relaxed(&registry);
  do
    t->next = head;
  /* release: publishes the initialised record to list walkers */
  while (!ls_atomic_cas_weak_release(&registry, &head, t));
  return t;
}

ls_thread_t *ls_thread_register(void) {
  ls_thread_t *t = claim_record();
  if (!t) {
    t = &ls_thread_fallback;
  } else {
    pthread_once(&exit_key_once, create_exit_key);
    pthread_setspecific(exit_key, t);
  }
  ls_tls.thread = t;
  return t;
}

/* With membarrier(2) registered, the hot path needs no fence: the
 * quiescer's membarrier makes every running thread execute a full barrier,
 * so a plain store of `active` before loading a table pointer pairs with
 * it (the asymmetric Dekker used by liburcu). Without it, the store must be
 * a seq_cst RMW. Set once by ls_thread_init before any table operation
 * matters; a thread that reads a stale false only pays the slower path. */
bool ls_thread_plain;

void ls_thread_init(void) {
  ls_thread_plain = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void ls_thread_quiesce(void) {
  if (ls_thread_plain)
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
  /* seq_cst: the new table pointer (stored by the caller) is ordered
   * before the loads of `active` below (the Dekker pairing with
   * ls_thread_enter's seq_cst RMW) */
  ls_atomic_fence_seq_cst();
  ls_thread_t *self = ls_tls.thread;
  for (ls_thread_t *t = ls_atomic_load_acquire(&registry); t; t = t->next) {
    if (t == self)
      continue;
    /* An active thread finishes its operation in bounded time (no
     * operation blocks), so yield until it has: until it is seen outside,
     * or its idle count moved (it was outside at some moment since: a
     * busy thread is rarely caught between two operations). The shared
     * fallback record keeps no idle count. */
    /* seq_cst: pairs with ls_thread_enter's seq_cst RMW (Dekker); the
     * release stores in ls_thread_exit order the thread's table reads
     * before the values seen here */
    uint32_t idle = ls_atomic_load_seq_cst(&t->idle);
    while (ls_atomic_load_seq_cst(&t->active) != 0 &&
           (t == &ls_thread_fallback || ls_atomic_load_seq_cst(&t->idle) == idle))
      sched_yield();
  }
}

void ls_thread_after_fork_child(void) {
  ls_thread_t *self = ls_tls.thread;
  for (ls_thread_t *t = ls_atomic_load_acquire(&registry); t; t = t->next) {
    if (t == self)
      continue;
    /* relaxed: single-threaded now */
    ls_atomic_store_relaxed(&t->active, 0);
    ls_atomic_store_relaxed(&t->in_use, t == &ls_thread_fallback);
  }
}

/* --- leakscope's own threads --- */

/* pid << 32 | tid of each of our threads, 0 when free. The pid makes an
 * entry inherited by a fork child (whose threads may reuse the tid) mean
 * nothing there. */
static _Atomic uint64_t own_threads[4];

static uint64_t own_key(int tid) { return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)tid; }

void ls_thread_mark_ours(void) {
  uint64_t key = own_key((int)syscall(SYS_gettid));
  for (size_t i = 0; i < LS_ARRAY_LEN(own_threads); i++) {
    uint64_t expected = 0;
    /* acq_rel: the entry is visible to a scan that starts after this */
    if (ls_atomic_cas_acq_rel(&own_threads[i], &expected, key))
      return;
  }
}

void ls_thread_unmark_ours(void) {
  uint64_t key = own_key((int)syscall(SYS_gettid));
  for (size_t i = 0; i < LS_ARRAY_LEN(own_threads); i++) {
    uint64_t expected = key;
    /* acq_rel: frees only our own entry */
    ls_atomic_cas_acq_rel(&own_threads[i], &expected, 0);
  }
}

bool ls_thread_is_ours(int tid) {
  uint64_t key = own_key(tid);
  for (size_t i = 0; i < LS_ARRAY_LEN(own_threads); i++)
    /* acquire: pairs with the CAS in ls_thread_mark_ours */
    if (ls_atomic_load_acquire(&own_threads[i]) == key)
      return true;
  return false;
}
