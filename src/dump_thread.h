/* SPDX-License-Identifier: MIT
 * dump_thread.h: reports on demand while the program runs. A dump request
 * (the dump signal, see dump_signal.h) or the periodic timer wakes a
 * thread of leakscope's own (started with every signal blocked), which
 * builds and writes the report while the program's threads go on.
 */
#ifndef LS_DUMP_THREAD_H
#define LS_DUMP_THREAD_H

#include <stdbool.h>
#include <sys/types.h>

/* Installs the dump signal handler and starts the dump thread as
 * configured (LEAKSCOPE_SIGNAL, LEAKSCOPE_INTERVAL). */
void ls_dump_thread_start(void);

/* Stops the dump thread (exit: the last report is the exit report). */
void ls_dump_thread_stop(void);

/* Fork child: the dump thread did not survive; start a new one. */
void ls_dump_thread_after_fork_child(void);

/* The kernel thread id of the dump thread, 0 while none runs: a thread of
 * leakscope's own, which a stop-the-world need not (and must not) wait
 * for. */
pid_t ls_dump_thread_tid(void);

/* Asks for a signal report. Async-signal-safe (a count and sem_post). */
void ls_dump_request(void);

/* Stops the dump thread and waits for it (a report in progress is finished
 * first); returns whether one was running. ls_dump_thread_resume starts it
 * again if it was. Used around calls that must not see a thread of ours
 * (interpose_cred.c). The two calls are paired and serialised by a lock. */
bool ls_dump_thread_pause(void);
void ls_dump_thread_resume(bool was_running);

#endif
