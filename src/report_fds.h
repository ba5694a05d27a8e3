/* SPDX-License-Identifier: MIT
 * report_fds.h: describing a live fd for a report (report_fds.c).
 */
#ifndef LS_REPORT_FDS_H
#define LS_REPORT_FDS_H

#include "fdtable.h"
#include "out.h"

/* Appends a NUL-terminated description of fd to text (its path, "local →
 * peer" for a socket, "pipe:[inode]", "?" when the kernel does not say)
 * and returns its offset in text. An LS_FD_OTHER *kind is refined from
 * the kernel's name for the fd. *state says whether e, fd's record, still
 * describes the open fd (ls_fdtable_check, fdtable.h). */
size_t ls_report_describe_fd(ls_buf_t *text, int fd, const ls_fd_entry_t *e, ls_fd_kind_t *kind,
                             ls_fd_state_t *state);

#endif
