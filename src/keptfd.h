/* SPDX-License-Identifier: MIT
 * keptfd.h: what a report needs that the program can take away, taken at
 * start-up and kept for the process's life (docs/design-decisions.md,
 * "A report is never lost"):
 *
 *  - the original stderr: a duplicate of fd 2, so the default report
 *    reaches the stderr the program started with even after it closed or
 *    redirected fd 2 (coreutils' close_stdout, daemons, `exec 2>x`);
 *  - the original root directory, so the symbolizer finds module files
 *    after chroot() (openat relative to it): kept at start-up when that
 *    costs the program nothing, else by the chroot wrapper
 *    (interpose_chroot.c) just before the program changes its root;
 *  - the program's path and command line;
 *  - room for a report's own fds: around a report the soft RLIMIT_NOFILE
 *    is raised to the hard one; when they are equal and every fd is
 *    taken, the exit report borrows fd 0 (stdin: nothing is buffered for
 *    it, and nothing reads it after the last exit handler). No fd is held
 *    in the program's range for this, so it sees EMFILE where it would
 *    without leakscope.
 *
 * Kept descriptors are close-on-exec and placed out of the program's way:
 * above its soft RLIMIT_NOFILE when the hard limit allows, or when we may
 * raise it (the kernel keeps an fd above a lowered limit valid; only new
 * fds are bounded). Failing that, the stderr duplicate goes to the top of
 * a range of at least 1024 (one number fewer for the program) and the
 * root directory is not kept; below 1024 nothing is: a program started
 * with small equal limits sees every fd number it would see bare, and its
 * reports go to fd 2 as it is then. A program may still close them (close_range,
 * closefrom, a loop over /proc/self/fd): each is checked (device and
 * inode) before use, and a lost one is not used again: the report then
 * goes to fd 2 if that is still the original stderr.
 */
#ifndef LS_KEPTFD_H
#define LS_KEPTFD_H

#include "common.h"

/* Takes the descriptors above. Runs from a constructor before main;
 * idempotent; a fork child inherits them, an exec'd program takes its own. */
void ls_kept_init(void);

/* Called by the chroot wrapper before the real call: keeps the root
 * directory now if start-up could not keep it out of the program's way. */
void ls_kept_before_chroot(void);

/* A descriptor open on the original stderr, or -1 when there is none
 * left (the program closed ours and fd 2 is no longer that file). */
int ls_kept_stderr(void);

/* The root directory as it was at start-up (O_PATH), or -1. */
int ls_kept_root(void);

/* The canonical path of the program's executable at start-up ("" when
 * unknown). */
const char *ls_kept_exe(void);

/* Around writing a report: begin makes room for the descriptors it opens
 * (raises the soft RLIMIT_NOFILE to the hard one; with at_exit, when that
 * cannot be done and no fd number is free, closes fd 0 unless it is a
 * tracked fd); end puts the limit back. Under the report lock. */
void ls_kept_report_begin(bool at_exit);
void ls_kept_report_end(void);

/* Whether fd is one of ours (for interposers that must not track it). */
bool ls_kept_owns(int fd);

#endif
