/* SPDX-License-Identifier: MIT
 * lifecycle.c: start-up, fork and exit.
 *
 * Start-up: the constructor reads the options and warms everything up, but
 * nothing depends on it having run: every interposer initialises what it
 * needs on first use, because other libraries' constructors (and programs
 * like git, before main) call into us first.
 * Exit: the report must come after the program's atexit handlers and every
 * library destructor, since what they free is not a leak. Our destructor
 * runs inside ld.so's _dl_fini, itself the first-registered (so last-run)
 * exit handler; from there it registers one more handler, which glibc's
 * exit loop then runs after _dl_fini returns. We never call
 * __libc_freeres (sourceware 28248: it crashed programs when run before
 * their last destructor).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "config.h"
#include "dump_thread.h"
#include "fdtable.h"
#include "guard.h"
#include "python.h"
#include "kind_process.h"
#include "kind_thread.h"
#include "real.h"
#include "report.h"
#include "suppress.h"
#include "table.h"
#include "thread.h"
#include "track.h"

extern char **environ;
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static void before_fork(void) {
  ls_guard_push();
  ls_report_lock();
  ls_table_before_fork();
}

static void after_fork_parent(void) {
  ls_table_after_fork(false);
  ls_report_unlock();
  ls_guard_pop();
}

static void after_fork_child(void) {
  ls_thread_after_fork_child();
  ls_table_after_fork(true);
  ls_fdtable_after_fork_child();
  ls_kthread_after_fork_child();
  ls_kproc_after_fork_child();
  ls_report_unlock();
  ls_dump_thread_after_fork_child();
  ls_guard_pop();
}

/* LEAKSCOPE_FOLLOW_EXEC=0: takes our library out of LD_PRELOAD (in place:
 * the string only shrinks, nothing is allocated) so programs this one
 * exec's run untracked, as heaptrack does for every child. */
static void stop_following_exec(void) {
  for (char **e = environ; e && *e; e++) {
    if (strncmp(*e, "LD_PRELOAD=", 11))
      continue;
    char *dst = *e + 11;
    const char *src = dst;
    bool first = true;
    while (*src) {
      size_t n = strcspn(src, ": ");
      if (!memmem(src, n, "libleakscope.so", 15)) {
        if (!first)
          *dst++ = ':';
        memmove(dst, src, n);
        dst += n;
        first = false;
      }
      src += n;
      src += *src != '\0';
    }
    *dst = '\0';
  }
}

static void exit_report(void *unused) {
  ls_dump_thread_stop();
  int groups = ls_report_emit(LS_TRIGGER_EXIT);
  if (groups > 0 && ls_config.exitcode) {
    /* Our status replaces the program's: flush its stdio first, as exit()
     * would have done after this handler. */
    ls_guard_push();
    fflush(NULL);
    _exit((int)ls_config.exitcode);
  }
}

__attribute__((constructor(101))) static void ls_start(void) {
  ls_guard_push();
  if (!ls_atomic_load_acquire(&ls_real_ready))
    ls_real_resolve();
  ls_config_load(environ, getauxval(AT_SECURE) != 0);
  if (ls_config.verbose)
    ls_config_print(&ls_config);
  if (!ls_config.follow_exec)
    stop_following_exec();
  ls_suppress_load(ls_config.suppressions);
  ls_python_init();
  ls_track_init();
  pthread_atfork(before_fork, after_fork_parent, after_fork_child);
  ls_dump_thread_start();
  ls_guard_pop();
}

__attribute__((destructor)) static void ls_stop(void) {
  /* A NULL dso handle: the handler must not be run by __cxa_finalize of
   * our own object, which comes right after this destructor. */
  __cxa_atexit(exit_report, NULL, NULL);
}
