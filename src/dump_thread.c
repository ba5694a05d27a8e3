/* SPDX-License-Identifier: MIT
 * dump_thread.c: the dump thread, which makes signal and periodic reports
 * (see dump_thread.h).
 *
 * A request is a count and a sem_post, both async-signal-safe, so the dump
 * signal's handler (dump_signal.c) can make one. A semaphore, not a
 * self-pipe: leakscope holds no fd between reports, so daemons that close
 * every fd cannot break it. The thread blocks every signal but the dump
 * signal, so a process-directed dump signal always has a thread that can
 * take it, even when the program blocks it everywhere else.
 *
 * Our thread must not make the program's own thread-wide operations fail:
 * glibc applies setuid() and friends to every thread and aborts if one
 * fails (a program that kept its capabilities with PR_SET_KEEPCAPS, which
 * is per thread, does exactly that: setpriv --reuid ... --regid), and
 * unshare(CLONE_NEWUSER) requires a single-threaded process. Those calls
 * (interpose_cred.c) stop the thread with ls_dump_thread_pause and start
 * it again afterwards, with the new credentials.
 */
#include "dump_thread.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "config.h"
#include "dump_signal.h"
#include "guard.h"
#include "out.h"
#include "real.h"
#include "report_emit.h"
#include "thread.h"

static sem_t wake;
static pthread_t thread;
static _Atomic int running;  /* a dump thread exists */
static _Atomic int stopping; /* exit: the thread must not report again */
static _Atomic int pausing;  /* a thread-wide call: the thread must end */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int requests; /* dump requests not yet served */
static int dump_signal;      /* ls_config.signal once installed, else 0 */
static _Atomic pid_t tid;    /* the running thread's id, 0 if none */

/* release/acquire: set by the thread first thing, cleared last; a reader
 * sees the id of a thread that is, or was a moment ago, ours */
pid_t ls_dump_thread_tid(void) { return ls_atomic_load_acquire(&tid); }

void ls_dump_request(void) {
  LS_KEEP_ERRNO(); /* runs in the dump signal's handler */
  /* relaxed: sem_post orders it for the dump thread */
  ls_atomic_add_relaxed(&requests, 1);
  sem_post(&wake);
}

static void *dump_main(void *unused) {
  ls_thread_mark_ours(); /* the reachability scan does not stop us */
  /* The name `leakscope dump` looks for in /proc/PID/task/TID/comm to aim
   * its request at this thread alone. */
  prctl(PR_SET_NAME, "leakscope-dump", 0, 0, 0);
  ls_atomic_store_release(&tid, (pid_t)syscall(SYS_gettid));
  sigset_t only;
  sigfillset(&only);
  if (dump_signal)
    sigdelset(&only, dump_signal);
  pthread_sigmask(SIG_SETMASK, &only, NULL);
  for (;;) {
    int rc = 0;
    /* acquire: pairs with the release stores in ls_dump_thread_stop/pause */
    if (ls_atomic_load_acquire(&requests) > 0) {
      /* a request that arrived while no thread was running */
    } else if (ls_config.interval) {
      struct timespec until;
      clock_gettime(CLOCK_MONOTONIC, &until);
      until.tv_sec += (time_t)ls_config.interval;
      while ((rc = sem_clockwait(&wake, CLOCK_MONOTONIC, &until)) != 0 && errno == EINTR)
        ;
    } else {
      while ((rc = sem_wait(&wake)) != 0 && errno == EINTR)
        ;
    }
    if (ls_atomic_load_acquire(&stopping) || ls_atomic_load_acquire(&pausing))
      break;
    if (rc != 0) {
      ls_report_emit(LS_TRIGGER_PERIODIC);
    } else if (ls_atomic_exchange_acq_rel(&requests, 0) > 0) {
      ls_report_emit(LS_TRIGGER_SIGNAL);
    }
  }
  ls_atomic_store_release(&tid, 0);
  ls_atomic_store_release(&running, 0);
  ls_thread_unmark_ours();
  return NULL;
}

static void start_thread(void) {
  sigset_t all, old;
  sigfillset(&all);
  /* Created with every signal blocked so none is delivered to it before
   * it sets its own mask. */
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  if (pthread_create(&thread, &attr, dump_main, NULL) == 0)
    ls_atomic_store_release(&running, 1);
  else
    ls_warn("cannot start the dump thread; signal and periodic reports are off");
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ls_dump_thread_start(void) {
  if (!ls_config.signal && !ls_config.interval)
    return;
  sem_init(&wake, 0, 0);
  if (ls_config.signal && ls_dump_signal_install())
    dump_signal = ls_config.signal;
  start_thread();
}

void ls_dump_thread_stop(void) {
  ls_atomic_store_release(&stopping, 1);
  ls_dump_signal_release();
  if (ls_atomic_load_acquire(&running))
    sem_post(&wake);
  /* A request the thread had no time to serve (a raise() just before
   * main returns) is served here, before the exit report. acq_rel: pairs
   * with the thread's exchange; each request is served once. */
  if (ls_atomic_exchange_acq_rel(&requests, 0) > 0)
    ls_report_emit(LS_TRIGGER_SIGNAL);
}

void ls_dump_thread_after_fork_child(void) {
  /* The parent may have been inside ls_dump_thread_pause; its lock and
   * flags are copied but the thread that held them is not here. */
  pthread_mutex_init(&pause_lock, NULL);
  ls_atomic_store_relaxed(&pausing, 0);
  ls_atomic_store_relaxed(&tid, 0); /* the parent's thread is not here */
  if (!ls_atomic_load_acquire(&running) || ls_atomic_load_acquire(&stopping))
    return;
  ls_atomic_store_relaxed(&requests, 0);
  sem_init(&wake, 0, 0);
  start_thread();
}

bool ls_dump_thread_pause(void) {
  pthread_mutex_lock(&pause_lock);
  bool was = ls_atomic_load_acquire(&running) && !ls_atomic_load_acquire(&stopping);
  if (was) {
    ls_atomic_store_release(&pausing, 1);
    sem_post(&wake);
    ls_guard_push();
    pthread_join(thread, NULL);
    ls_guard_pop();
    ls_atomic_store_release(&pausing, 0);
  }
  return was;
}

void ls_dump_thread_resume(bool was) {
  if (was && !ls_atomic_load_acquire(&stopping))
    start_thread();
  pthread_mutex_unlock(&pause_lock);
}
