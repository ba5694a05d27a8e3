/* SPDX-License-Identifier: MIT
 * dump_signal.c: the dump signal's handler and the program's own
 * disposition of that signal (see dump_signal.h).
 *
 * Our handler stays installed; the program's sigaction/signal calls for
 * the dump signal (interpose_signal.c) land here and are kept as the
 * kernel would keep them, so that reading them back gives what the
 * program set, and our handler acts on each delivery as the kernel would
 * have with the program's disposition:
 *  - a dump request from `leakscope dump` (sigqueue'd with LS_DUMP_MAGIC,
 *    aimed at the dump thread) is ours alone: counted, never passed on;
 *  - any other delivery also counts as a request (`kill -USR2` is the
 *    documented way to ask too), then follows the program's disposition:
 *    its handler is called with the signal mask the kernel would have set
 *    (the interrupted mask, plus sa_mask, plus the signal unless
 *    SA_NODEFER), after resetting the disposition first under
 *    SA_RESETHAND; SIG_IGN and the initial SIG_DFL do nothing more; a
 *    SIG_DFL the program set itself (or that SA_RESETHAND left) takes the
 *    default action: the signal is raised again with our handler out of
 *    the way, so the process ends as it would have.
 * Our own sigaction carries the program's SA_ONSTACK and SA_RESTART, so
 * its handler runs on its alternate stack and its system calls restart,
 * or not, as they would have.
 *
 * The kept disposition is a seqlock: the handler reads it on any thread,
 * writers (the program's calls, SA_RESETHAND) block signals and take a
 * spin flag, so a handler never waits for an interrupted writer.
 */
#include "dump_signal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atomic.h"
#include "config.h"
#include "dump_thread.h"
#include "real.h"

/* The kernel's flag for glibc's sa_restorer; not in the libc headers. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static int dump_signal;      /* ls_config.signal once installed, else 0 */
static _Atomic int released; /* exit: the program's calls go to the kernel */

/* The program's disposition as the kernel would hold it. */
typedef struct prog_action {
  void *handler;       /* sa_sigaction or sa_handler */
  int flags;           /* with SA_RESTORER, as glibc installs it */
  uint64_t mask;       /* the kernel's 64 signals; never KILL or STOP */
  bool set_by_program; /* a SIG_DFL the program chose (or SA_RESETHAND left) */
} prog_action_t;

static prog_action_t prog;
static _Atomic uint32_t prog_seq; /* odd while a writer changes prog */
static _Atomic int prog_writer;   /* one writer at a time */
static int restorer_flag;         /* SA_RESTORER if glibc sets it */
static void (*restorer)(void);    /* glibc's sa_restorer */

/* Reads prog consistently. Async-signal-safe: a writer never waits on a
 * reader and never runs with signals unblocked. */
static prog_action_t read_prog(void) {
  for (;;) {
    /* acquire/acquire: the copy lies between two equal even counts */
    uint32_t s = ls_atomic_load_acquire(&prog_seq);
    prog_action_t p;
    memcpy(&p, &prog, sizeof p);
    ls_atomic_fence_acquire();
    if (!(s & 1) && ls_atomic_load_relaxed(&prog_seq) == s)
      return p;
    sched_yield();
  }
}

static uint64_t mask_bits(const sigset_t *set) {
  uint64_t m = 0;
  for (int s = 1; s <= 64; s++)
    if (sigismember(set, s) == 1)
      m |= UINT64_C(1) << (s - 1);
  return m & ~((UINT64_C(1) << (SIGKILL - 1)) | (UINT64_C(1) << (SIGSTOP - 1)));
}

static void set_bits(sigset_t *set, uint64_t m) {
  for (int s = 1; s <= 64; s++)
    if (m & (UINT64_C(1) << (s - 1)))
      sigaddset(set, s);
}

static void on_signal(int sig, siginfo_t *info, void *uctx);

/* Our handler's own flags follow the program's SA_ONSTACK and SA_RESTART
 * (SA_RESTART alone while the program has no handler: a dump should not
 * fail the program's system calls). */
static void install_ours(const prog_action_t *p) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  bool has_handler = p->handler != (void *)SIG_DFL && p->handler != (void *)SIG_IGN;
  sa.sa_flags = SA_SIGINFO | (has_handler ? p->flags & (SA_ONSTACK | SA_RESTART) : SA_RESTART);
  sigfillset(&sa.sa_mask);
  ls_real.sigaction(dump_signal, &sa, NULL);
}

/* Replaces prog (writers: the program's calls, SA_RESETHAND). Signals are
 * blocked meanwhile, so a handler on this thread cannot spin on us. */
static void write_prog(const prog_action_t *p, prog_action_t *old, bool reinstall) {
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int expected = 0;
  /* acquire: the previous writer's stores before ours */
  while (!ls_atomic_cas_acq_rel(&prog_writer, &expected, 1)) {
    expected = 0;
    sched_yield();
  }
  uint32_t s = ls_atomic_load_relaxed(&prog_seq);
  ls_atomic_store_relaxed(&prog_seq, s + 1);
  ls_atomic_fence_release(); /* odd count before the data */
  if (old)
    *old = prog;
  bool flags_changed = reinstall && ((prog.flags ^ p->flags) & (SA_ONSTACK | SA_RESTART));
  bool kind_changed =
      reinstall && ((prog.handler == (void *)SIG_DFL || prog.handler == (void *)SIG_IGN) !=
                    (p->handler == (void *)SIG_DFL || p->handler == (void *)SIG_IGN));
  prog = *p;
  /* release: the data before the even count */
  ls_atomic_store_release(&prog_seq, s + 2);
  if (flags_changed || kind_changed)
    install_ours(p);
  ls_atomic_store_release(&prog_writer, 0);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

/* The kernel's default action for the program's SIG_DFL: raise the signal
 * again with the default disposition in place; if it only stopped us (or
 * is ignored by default), our handler goes back. */
static void default_action(int sig, const ucontext_t *uc) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  ls_real.sigaction(sig, &dfl, NULL);
  syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, sig);
  pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
  /* still here: a stop signal was continued, or the default ignores it */
  prog_action_t p = read_prog();
  install_ours(&p);
  pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
}

static void on_signal(int sig, siginfo_t *info, void *uctx) {
  ls_dump_request();
  if (info && info->si_code == SI_QUEUE && info->si_value.sival_int == LS_DUMP_MAGIC)
    return; /* leakscope's own request */
  prog_action_t p = read_prog();
  if (p.handler == (void *)SIG_IGN)
    return;
  if (p.handler == (void *)SIG_DFL) {
    if (p.set_by_program)
      default_action(sig, uctx);
    return;
  }
  if (p.flags & SA_RESETHAND) {
    prog_action_t reset = p;
    reset.handler = (void *)SIG_DFL;
    reset.set_by_program = true;
    write_prog(&reset, NULL, true);
  }
  /* The mask the kernel would have set for the program's handler. The
   * sigreturn after we return restores the interrupted one. */
  const ucontext_t *uc = uctx;
  sigset_t m = uc->uc_sigmask;
  set_bits(&m, p.mask);
  if (!(p.flags & SA_NODEFER))
    sigaddset(&m, sig);
  pthread_sigmask(SIG_SETMASK, &m, NULL);
  if (p.flags & SA_SIGINFO)
    ((void (*)(int, siginfo_t *, void *))p.handler)(sig, info, uctx);
  else
    ((void (*)(int))p.handler)(sig);
}

bool ls_dump_signal_install(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  if (ls_real.sigaction(ls_config.signal, &sa, &old) != 0)
    return false;
  dump_signal = ls_config.signal;
  /* How glibc installs a handler, to keep the program's the same way. */
  struct sigaction ours;
  ls_real.sigaction(dump_signal, NULL, &ours);
  restorer_flag = ours.sa_flags & SA_RESTORER;
  restorer = ours.sa_restorer;
  /* Someone (an earlier preload, the parent's SIG_IGN) was first: that
   * is the program's disposition, as without us. */
  prog_action_t p = {.handler = (void *)old.sa_sigaction,
                     .flags = old.sa_flags,
                     .mask = mask_bits(&old.sa_mask),
                     .set_by_program = false};
  write_prog(&p, NULL, true);
  return true;
}

void ls_dump_signal_release(void) { ls_atomic_store_release(&released, 1); }

bool ls_dump_signal_is(int sig) {
  return sig == dump_signal && dump_signal && !ls_atomic_load_acquire(&released);
}

/* Fills old as glibc's sigaction would from the kernel's copy: the first
 * 64 signals of the mask (the rest of the caller's sigset_t untouched),
 * the flags with SA_RESTORER, glibc's restorer. */
static void fill_old(struct sigaction *old, const prog_action_t *p) {
  old->sa_sigaction = (void (*)(int, siginfo_t *, void *))p->handler;
  old->sa_flags = p->flags;
  old->sa_restorer = (p->flags & SA_RESTORER) ? restorer : NULL;
  for (int s = 1; s <= 64; s++) {
    if (p->mask & (UINT64_C(1) << (s - 1)))
      sigaddset(&old->sa_mask, s);
    else
      sigdelset(&old->sa_mask, s);
  }
}

int ls_dump_signal_action(const struct sigaction *act, struct sigaction *old) {
  prog_action_t before;
  if (act) {
    prog_action_t p = {.handler = (void *)act->sa_sigaction,
                       .flags = act->sa_flags | restorer_flag,
                       .mask = mask_bits(&act->sa_mask),
                       .set_by_program = true};
    write_prog(&p, &before, true);
  } else {
    before = read_prog();
  }
  if (old)
    fill_old(old, &before);
  return 0;
}

sighandler_t ls_dump_signal_handler(sighandler_t handler) {
  /* What glibc's signal() installs: BSD semantics, the signal itself
   * blocked in its handler, system calls restarted. */
  struct sigaction act, old;
  memset(&act, 0, sizeof act);
  act.sa_handler = handler;
  act.sa_flags = SA_RESTART;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, dump_signal);
  ls_dump_signal_action(&act, &old);
  return old.sa_handler;
}
