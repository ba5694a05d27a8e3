/* SPDX-License-Identifier: MIT
 * dump_signal.h: the dump signal's handler and the program's own
 * disposition of that signal, which leakscope keeps for it (the program's
 * sigaction/signal calls for the dump signal land here, see
 * interpose_signal.c).
 */
#ifndef LS_DUMP_SIGNAL_H
#define LS_DUMP_SIGNAL_H

#include <signal.h>
#include <stdbool.h>

/* The value `leakscope dump` sends with the dump signal (sigqueue, aimed
 * at the dump thread): a request of ours, never passed to the program's
 * handler. "LSdm". */
#define LS_DUMP_MAGIC 0x4c53646d

/* Installs our handler for ls_config.signal; the disposition found in
 * place becomes the program's. Returns whether it was installed. */
bool ls_dump_signal_install(void);

/* From now on the program's sigaction/signal calls for the dump signal go
 * to the kernel again (exit: no more dumps). */
void ls_dump_signal_release(void);

/* Whether sig is the dump signal while leakscope holds it. */
bool ls_dump_signal_is(int sig);

/* sigaction(2) and signal(2) for the dump signal: record the program's new
 * disposition and report its previous one, as if leakscope were not there. */
int ls_dump_signal_action(const struct sigaction *act, struct sigaction *old);
sighandler_t ls_dump_signal_handler(sighandler_t handler);

#endif
