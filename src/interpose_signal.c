/* SPDX-License-Identifier: MIT
 * interpose_signal.c: sigaction and signal. Calls for the dump signal go
 * to dump_signal.c, which keeps the program's disposition of it behind our
 * handler; every other signal goes straight to the kernel.
 */
#include <errno.h>
#include <signal.h>

#include "dump_signal.h"
#include "interpose.h"

LS_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  LS_REAL_OR_FAIL(sigaction, -1);
  if (ls_dump_signal_is(sig))
    return ls_dump_signal_action(act, old);
  return ls_real.sigaction(sig, act, old);
}

LS_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
  LS_REAL_OR_FAIL(signal, SIG_ERR);
  if (ls_dump_signal_is(sig))
    return ls_dump_signal_handler(handler);
  return ls_real.signal(sig, handler);
}
