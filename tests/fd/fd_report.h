/* SPDX-License-Identifier: MIT
 * fd_report.h: questions the fd tests ask of a report's "kind":"fd" groups.
 *
 * The support library's queries look only at memory groups; these are the
 * fd counterparts, built on its frame helpers (ts_first_frame_in,
 * ts_frame_line), so an fd group is located exactly like a memory group:
 * by the first frame of its stack in a given source file.
 */
#ifndef LS_TEST_FD_REPORT_H
#define LS_TEST_FD_REPORT_H

#include "report.h"

#define FD_MAX_GROUPS 64

typedef struct fd_groups {
  size_t n;
  const json_value_t *group[FD_MAX_GROUPS]; /* the first FD_MAX_GROUPS */
  int frame[FD_MAX_GROUPS]; /* index of the frame that matched, or -1 */
  int64_t fds;              /* fds in all selected groups */
} fd_groups_t;

/* Fails the test unless every fd group has the documented layout: a known
 * resource, "fds" and "paths" of equal, non-zero length (count), bytes 0,
 * a stack of well-formed frames. */
void fd_check_shape(const ts_run_t *run, const json_value_t *report);

/* Every fd group, in report order (frame[] = -1). */
fd_groups_t fd_groups_all(const json_value_t *report);

/* fd groups whose first frame in source_path is on `line`. */
fd_groups_t fd_groups_at(const json_value_t *report, const char *source_path, int line);

/* A group's fields; "?" and -1 when absent. */
const char *fd_group_resource(const json_value_t *group);
size_t fd_group_nfds(const json_value_t *group);
int64_t fd_group_fd(const json_value_t *group, size_t i);
const char *fd_group_path(const json_value_t *group, size_t i);

#endif
