/* SPDX-License-Identifier: MIT
 * kind_process.h: the child processes the program created (fork,
 * posix_spawn, popen), until it waits for them (the "process" kind).
 *
 * One record per child in a fixed array of slots mapped once, claimed
 * and freed with a CAS on a state word (flags and a generation, as in
 * kind_thread.h). Whether a child is still running or a zombie is not
 * kept here: the report asks the kernel (waitid with WNOWAIT), so a
 * wait leakscope did not see (a signal handler inside leakscope, a
 * SIGCHLD set to SIG_IGN) never makes a report wrong, only leaves a
 * record that reports then skip. No locks, no malloc, no I/O.
 */
#ifndef LS_KIND_PROCESS_H
#define LS_KIND_PROCESS_H

#include <sys/types.h>

#include "common.h"
#include "track.h"

/* Records child pid, created by the stack of `o`; obj: the FILE* of a
 * popen, else NULL. */
void ls_kproc_add(const ls_origin_t *o, pid_t pid, const void *obj);

/* Records made so far: read BEFORE a wait, so that a record of a child
 * created after the wait reaped one with the same pid (pid reuse) is
 * not the one forgotten. */
uint64_t ls_kproc_mark(void);

/* The wait that started at `mark` reaped pid: forgets its record. */
void ls_kproc_reaped(pid_t pid, uint64_t mark);

/* The popen stream obj is about to be closed (pclose waits for it). */
void ls_kproc_stream_gone(const void *obj);

typedef struct ls_kproc_info {
  pid_t pid;
  uint32_t stack, stamp;
  uint16_t thread;
} ls_kproc_info_t;

/* Calls fn for every record. Any thread. */
typedef void (*ls_kproc_visit_fn)(const ls_kproc_info_t *p, void *ctx);
void ls_kproc_foreach(ls_kproc_visit_fn fn, void *ctx);

/* Records the child a popen that returned fp started (its pid read from
 * glibc's popen stream; interpose_process.c). Guard held. */
#include <stdio.h>
void ls_track_popen_child(FILE *fp);

/* Fork child: it has no children. */
void ls_kproc_after_fork_child(void);

#endif
