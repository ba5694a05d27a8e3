/* SPDX-License-Identifier: MIT
 * fd_report.h: what the fd tests check of a report's "kind":"fd" groups
 * beyond the support library's: their layout and their fds and paths.
 * They are selected with its ts_groups_* queries (kind "fd"), so an fd
 * group is located exactly like a memory group: by the first frame of its
 * stack in a given source file.
 */
#ifndef LS_TEST_FD_REPORT_H
#define LS_TEST_FD_REPORT_H

#include "report.h"

/* Fails the test unless every fd group has the documented layout: a known
 * resource, "fds" and "paths" of equal, non-zero length (count), bytes 0,
 * a stack of well-formed frames. */
void fd_check_shape(const ts_run_t *run, const json_value_t *report);

/* A group's fields; "?" and -1 when absent. */
const char *fd_group_resource(const json_value_t *group);
size_t fd_group_nfds(const json_value_t *group);
int64_t fd_group_fd(const json_value_t *group, size_t i);
const char *fd_group_path(const json_value_t *group, size_t i);

#endif
