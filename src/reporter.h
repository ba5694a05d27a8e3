/* SPDX-License-Identifier: MIT
 * reporter.h: reports on demand while the program runs: the dump signal
 * and the periodic timer. The signal handler only posts a semaphore; a
 * reporter thread (started with every signal blocked) builds and writes
 * the report while the program's threads go on.
 */
#ifndef LS_REPORTER_H
#define LS_REPORTER_H

/* Installs the dump signal handler and starts the reporter thread as
 * configured (LEAKSCOPE_SIGNAL, LEAKSCOPE_INTERVAL). */
void ls_reporter_start(void);

/* Stops the reporter thread (exit: the last report is the exit report). */
void ls_reporter_stop(void);

/* Fork child: the reporter thread did not survive; start a new one. */
void ls_reporter_after_fork_child(void);

#endif
