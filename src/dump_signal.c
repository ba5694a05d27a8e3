/* SPDX-License-Identifier: MIT
 * dump_signal.c: the dump signal's handler and the program's own
 * disposition of that signal (see dump_signal.h).
 *
 * The handler does two async-signal-safe things: it makes a dump request
 * (dump_thread.c), then calls the program's own handler for that signal
 * if it installed one. sigaction/signal are interposed (interpose_signal.c)
 * so that a program that installs a handler later keeps ours in front and
 * still gets its own called.
 */
#include "dump_signal.h"

#include <errno.h>
#include <string.h>

#include "atomic.h"
#include "config.h"
#include "dump_thread.h"
#include "real.h"

static int dump_signal;        /* ls_config.signal once installed, else 0 */
static _Atomic int released;   /* exit: the program's calls go to the kernel */

/* The program's own disposition of dump_signal, called after ours. The
 * handler pointer is published last (release) and read first (acquire). */
static _Atomic(void *) chained_handler;
static _Atomic int chained_flags;

static void on_signal(int sig, siginfo_t *info, void *uctx) {
  ls_dump_request();
  void *h = ls_atomic_load_acquire(&chained_handler);
  if (h == SIG_DFL || h == SIG_IGN || h == NULL)
    return;
  if (ls_atomic_load_relaxed(&chained_flags) & SA_SIGINFO)
    ((void (*)(int, siginfo_t *, void *))h)(sig, info, uctx);
  else
    ((void (*)(int))h)(sig);
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
  /* Someone (an earlier preload, the parent's SIG_IGN) was first. */
  ls_atomic_store_relaxed(&chained_flags, old.sa_flags);
  ls_atomic_store_release(&chained_handler, (void *)old.sa_sigaction);
  return true;
}

void ls_dump_signal_release(void) { ls_atomic_store_release(&released, 1); }

bool ls_dump_signal_is(int sig) {
  return sig == dump_signal && dump_signal && !ls_atomic_load_acquire(&released);
}

int ls_dump_signal_action(const struct sigaction *act, struct sigaction *old) {
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

sighandler_t ls_dump_signal_handler(sighandler_t handler) {
  struct sigaction act = {.sa_handler = handler, .sa_flags = SA_RESTART}, old;
  ls_dump_signal_action(&act, &old);
  return old.sa_handler;
}
