/* SPDX-License-Identifier: MIT
 * reporter.c: the dump signal, the periodic timer and the reporter thread
 * (see reporter.h).
 *
 * The handler does two async-signal-safe things: sem_post, then the
 * program's own handler for that signal if it installed one (we interpose
 * sigaction/signal so a program that installs a handler later keeps ours
 * in front and still gets its own called). A semaphore, not a self-pipe:
 * leakscope holds no fd between reports, so daemons that close every fd
 * cannot break it. The reporter thread blocks every signal but the dump
 * signal, so a process-directed dump signal always has a thread that can
 * take it, even when the program blocks it everywhere else.
 *
 * Our thread must not make the program's own thread-wide operations fail:
 * glibc applies setuid() and friends to every thread and aborts if one
 * fails (a program that kept its capabilities with PR_SET_KEEPCAPS, which
 * is per thread, does exactly that: setpriv --reuid ... --regid), and
 * unshare(CLONE_NEWUSER) requires a single-threaded process. Those calls
 * are interposed: the reporter thread is stopped around them and started
 * again afterwards, with the new credentials.
 */
#include "reporter.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "atomic.h"
#include "config.h"
#include "guard.h"
#include "out.h"
#include "real.h"
#include "report.h"

static sem_t wake;
static pthread_t thread;
static _Atomic int running;  /* a reporter thread exists */
static _Atomic int stopping; /* exit: the thread must not report again */
static _Atomic int pausing;  /* a thread-wide call: the thread must end */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int requests; /* dump requests not yet served */
static int dump_signal;      /* ls_config.signal once installed, else 0 */

/* The program's own disposition of dump_signal, called after ours. The
 * handler pointer is published last (release) and read first (acquire). */
static _Atomic(void *) chained_handler;
static _Atomic int chained_flags;

static void on_signal(int sig, siginfo_t *info, void *uctx) {
  int saved = errno;
  /* relaxed: sem_post orders it for the reporter thread */
  ls_atomic_add_relaxed(&requests, 1);
  sem_post(&wake);
  errno = saved;
  void *h = ls_atomic_load_acquire(&chained_handler);
  if (h == SIG_DFL || h == SIG_IGN || h == NULL)
    return;
  if (ls_atomic_load_relaxed(&chained_flags) & SA_SIGINFO)
    ((void (*)(int, siginfo_t *, void *))h)(sig, info, uctx);
  else
    ((void (*)(int))h)(sig);
}

static void *reporter_main(void *unused) {
  sigset_t only;
  sigfillset(&only);
  sigdelset(&only, dump_signal);
  pthread_sigmask(SIG_SETMASK, &only, NULL);
  for (;;) {
    int rc = 0;
    /* acquire: pairs with the release stores in ls_reporter_stop/pause */
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
  ls_atomic_store_release(&running, 0);
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
  if (pthread_create(&thread, &attr, reporter_main, NULL) == 0)
    ls_atomic_store_release(&running, 1);
  else
    ls_warn("cannot start the reporter thread; signal and periodic reports are off");
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ls_reporter_start(void) {
  if (!ls_config.signal && !ls_config.interval)
    return;
  sem_init(&wake, 0, 0);
  if (ls_config.signal) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (ls_real.sigaction(ls_config.signal, &sa, &old) == 0) {
      dump_signal = ls_config.signal;
      /* Someone (an earlier preload, the parent's SIG_IGN) was first. */
      ls_atomic_store_relaxed(&chained_flags, old.sa_flags);
      ls_atomic_store_release(&chained_handler, (void *)old.sa_sigaction);
    }
  }
  start_thread();
}

void ls_reporter_stop(void) {
  ls_atomic_store_release(&stopping, 1);
  if (ls_atomic_load_acquire(&running))
    sem_post(&wake);
}

void ls_reporter_after_fork_child(void) {
  /* The parent may have been inside pause_thread; its lock and flags are
   * copied but the thread that held them is not here. */
  pthread_mutex_init(&pause_lock, NULL);
  ls_atomic_store_relaxed(&pausing, 0);
  if (!ls_atomic_load_acquire(&running) || ls_atomic_load_acquire(&stopping))
    return;
  ls_atomic_store_relaxed(&requests, 0);
  sem_init(&wake, 0, 0);
  start_thread();
}

/* Stops the reporter thread and waits for it (a report in progress is
 * finished first). Returns whether one was running. */
static bool pause_thread(void) {
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

static void resume_thread(bool was) {
  if (was && !ls_atomic_load_acquire(&stopping))
    start_thread();
  pthread_mutex_unlock(&pause_lock);
}

/* Runs a thread-wide call with the reporter thread stopped. */
#define LS_WITHOUT_REPORTER(fn, ...)                                     \
  do {                                                                   \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn)) {                 \
      errno = ENOSYS;                                                    \
      return -1;                                                         \
    }                                                                    \
    bool was_ = pause_thread();                                          \
    int rc_ = ls_real.fn(__VA_ARGS__);                                   \
    int err_ = errno;                                                    \
    resume_thread(was_);                                                 \
    errno = err_;                                                        \
    return rc_;                                                          \
  } while (0)

LS_EXPORT int setuid(uid_t u) { LS_WITHOUT_REPORTER(setuid, u); }
LS_EXPORT int setgid(gid_t g) { LS_WITHOUT_REPORTER(setgid, g); }
LS_EXPORT int seteuid(uid_t u) { LS_WITHOUT_REPORTER(seteuid, u); }
LS_EXPORT int setegid(gid_t g) { LS_WITHOUT_REPORTER(setegid, g); }
LS_EXPORT int setreuid(uid_t r, uid_t e) { LS_WITHOUT_REPORTER(setreuid, r, e); }
LS_EXPORT int setregid(gid_t r, gid_t e) { LS_WITHOUT_REPORTER(setregid, r, e); }
LS_EXPORT int setresuid(uid_t r, uid_t e, uid_t s) { LS_WITHOUT_REPORTER(setresuid, r, e, s); }
LS_EXPORT int setresgid(gid_t r, gid_t e, gid_t s) { LS_WITHOUT_REPORTER(setresgid, r, e, s); }
LS_EXPORT int setgroups(size_t n, const gid_t *g) { LS_WITHOUT_REPORTER(setgroups, n, g); }
LS_EXPORT int unshare(int flags) { LS_WITHOUT_REPORTER(unshare, flags); }
LS_EXPORT int setns(int fd, int type) { LS_WITHOUT_REPORTER(setns, fd, type); }

/* --- The program's own signal handling --- */

/* For the dump signal, records the program's new disposition as the
 * chained one and reports its previous one as if ours were not there. */
static int chain(int sig, const struct sigaction *act, struct sigaction *old) {
  if (old) {
    memset(old, 0, sizeof *old);
    old->sa_sigaction = (void (*)(int, siginfo_t *, void *))ls_atomic_load_acquire(&chained_handler);
    old->sa_flags = ls_atomic_load_relaxed(&chained_flags);
  }
  if (act) {
    ls_atomic_store_relaxed(&chained_flags, act->sa_flags);
    ls_atomic_store_release(&chained_handler, (void *)act->sa_sigaction);
  }
  return 0;
}

LS_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (ls_unlikely(!ls_real_ensure())) {
    errno = ENOSYS;
    return -1;
  }
  if (sig == dump_signal && dump_signal && !ls_atomic_load_acquire(&stopping))
    return chain(sig, act, old);
  return ls_real.sigaction(sig, act, old);
}

LS_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
  if (ls_unlikely(!ls_real_ensure())) {
    errno = ENOSYS;
    return SIG_ERR;
  }
  if (sig == dump_signal && dump_signal && !ls_atomic_load_acquire(&stopping)) {
    struct sigaction act = {.sa_handler = handler, .sa_flags = SA_RESTART}, old;
    chain(sig, &act, &old);
    return old.sa_handler;
  }
  return ls_real.signal(sig, handler);
}
