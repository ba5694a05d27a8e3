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
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "baseline.h"
#include "config.h"
#include "dump_thread.h"
#include "fdtable.h"
#include "guard.h"
#include "python.h"
#include "kind_process.h"
#include "kind_thread.h"
#include "real.h"
#include "keptfd.h"
#include "report_emit.h"
#include "suppress.h"
#include "table.h"
#include "thread.h"
#include "track.h"

extern char **environ;
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

/* The process that ran our constructor or fork handler: a vfork child
 * (or a clone without fork handlers) shares its parent's memory, locks and
 * TLS, and must never write a report from them. Written before the
 * program's threads exist or in the only thread of a fork child. */
static pid_t reporting_pid;

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
  reporting_pid = getpid();
  ls_thread_after_fork_child();
  ls_table_after_fork(true);
  ls_fdtable_after_fork_child();
  ls_kthread_after_fork_child();
  ls_kproc_after_fork_child();
  ls_sample_after_fork_child();
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

/* Another allocator (jemalloc, tcmalloc) preloaded ahead of us defines
 * malloc for the whole process: the program's blocks never reach us, and
 * an empty report would claim a clean run. Found at start-up: the symbol
 * the program's lookups find is not ours. */
static bool foreign_allocator;

extern __typeof(malloc) ls_own_malloc;

static void check_allocator(void) {
  void *first = dlsym(RTLD_DEFAULT, "malloc");
  if (!first || first == (void *)ls_own_malloc)
    return;
  /* A non-PIE executable that takes malloc's address gives it a canonical
   * address: its own PLT entry, an undefined symbol with a value, which
   * leads to us. Only a definition is another allocator. */
  Dl_info info = {0};
  const ElfW(Sym) *sym = NULL;
  if (dladdr1(first, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_shndx == SHN_UNDEF)
    return;
  foreign_allocator = true;
  const char *where = info.dli_fname ? info.dli_fname : "another library";
  ls_warn("malloc comes from %s, loaded ahead of leakscope: heap blocks are not tracked "
          "(put libleakscope first in LD_PRELOAD)",
          where);
}

/* Set once the exit report was made: a later _exit (an atexit handler,
 * a destructor) does not make a second one. Relaxed: read and written by
 * the exiting thread; two threads exiting at once both see it at worst
 * late, and exit() itself serialises its handlers. */
static _Atomic int exit_reported;

/* The end of the process without going through libc's _exit, which we
 * interpose: exit_group, as glibc's _exit does. */
static __attribute__((noreturn)) void exit_group_now(int status) {
  for (;;) {
    long rc;
    __asm__ volatile("syscall"
                     : "=a"(rc)
                     : "0"(231L /* SYS_exit_group */), "D"((long)status)
                     : "rcx", "r11", "memory");
  }
}

/* The exit report; returns the status the process should end with. */
static int report_at_exit(int status) {
  ls_atomic_store_relaxed(&exit_reported, 1);
  ls_dump_thread_stop();
  int groups = ls_report_emit(LS_TRIGGER_EXIT);
  /* A run whose blocks we could not see is not clean either. */
  return (groups > 0 || foreign_allocator) && ls_config.exitcode ? (int)ls_config.exitcode : status;
}

static void exit_report(void *unused) {
  if (ls_atomic_load_relaxed(&exit_reported))
    return;
  int status = report_at_exit(-1);
  if (status >= 0) {
    /* Our status replaces the program's: flush its stdio first, as exit()
     * would have done after this handler. */
    ls_guard_push();
    fflush(NULL);
    exit_group_now(status);
  }
}

/* _exit and _Exit end the process without atexit handlers or destructors,
 * so exit_report never runs: report here, like exit, in any process that
 * ran our constructor or fork handler (a forked child that _exits is the
 * usual case). Not from inside leakscope (a signal handler that
 * interrupted us: the report would deadlock on our own state), not in a
 * vfork child (it would write the parent's state), and not twice. The
 * program's stdio is not flushed: _exit does not flush. */
static __attribute__((noreturn)) void underscore_exit(int status) {
  if (ls_tls.depth == 0 && getpid() == reporting_pid && !ls_atomic_load_relaxed(&exit_reported))
    status = report_at_exit(status);
  exit_group_now(status);
}

LS_EXPORT void _exit(int status) { underscore_exit(status); }
LS_EXPORT void _Exit(int status) { underscore_exit(status); }

__attribute__((constructor(101))) static void ls_start(void) {
  ls_guard_push();
  if (!ls_atomic_load_acquire(&ls_real_ready))
    ls_real_resolve();
  ls_kept_init(); /* what the program started with (keptfd.h) */
  reporting_pid = getpid();
  ls_config_load(environ, getauxval(AT_SECURE) != 0);
  ls_sample_configured();
  if (ls_config.verbose)
    ls_config_print(&ls_config);
  if (!ls_config.follow_exec)
    stop_following_exec();
  ls_suppress_load(ls_config.suppressions);
  ls_baseline_load(ls_config.baseline);
  ls_python_init();
  check_allocator();
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
