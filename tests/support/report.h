/* SPDX-License-Identifier: MIT
 * report.h: questions tests ask of a parsed leakscope report.
 *
 * Tests name source lines by marker comments, never by number: a program
 * writes LEAK + colon + name in a C comment on the line of the call, and
 * ts_marker_line() finds it in the program's source. Leak groups are then
 * selected by where their stack first enters a given source file, and
 * summed, because the optimiser may legitimately split one source line
 * into several call sites (several stacks, several groups).
 *
 * Queries assume a report that passed ts_check_report_shape(); the
 * ts_leaks_* ones look only at "kind":"memory" groups, the ts_groups_*
 * ones at the kind they are given (for "fd" groups, count is the number
 * of fds and bytes 0). They ignore fields they do not know.
 */
#ifndef LS_TEST_REPORT_H
#define LS_TEST_REPORT_H

#include "runner.h"

#define TS_MAX_MATCHES 64

/* Groups selected by a query, in report order, and their totals. */
typedef struct ts_leaks {
  size_t groups;
  int64_t bytes, count;
  /* The first TS_MAX_MATCHES groups, with the index of the stack frame
   * that matched (for "at line" queries: the first frame in the source). */
  const json_value_t *group[TS_MAX_MATCHES];
  int frame[TS_MAX_MATCHES];
} ts_leaks_t;

/* 1-based line of the marker `name` in the file at path. Fails the test if
 * the file cannot be read or the marker is missing or not unique. */
int ts_marker_line(const char *path, const char *name);

/* Fails the test unless report has the documented header, summary and
 * leak-group layout, with every known field of the documented type. */
void ts_check_report_shape(const ts_run_t *run, const json_value_t *report);

/* The exit report of a run that must have gone well: fails the test
 * unless the program exited with status 0, every report line parsed and
 * the exit report passes ts_check_report_shape. */
const json_value_t *ts_clean_exit_report(const ts_run_t *run);

/* Fails the test unless group has a "stack" of frames with the documented
 * layout (the part of the shape check every kind of group shares). */
void ts_check_stack(const ts_run_t *run, const json_value_t *group, const char *where);

/* Whether frame's "file" is source_path or has the same base name (the
 * library may print the path DWARF recorded, relative or absolute). */
bool ts_frame_in_source(const json_value_t *frame, const char *source_path);

/* Index of the first frame of group's stack in source_path, or -1. */
int ts_first_frame_in(const json_value_t *group, const char *source_path);

/* Whether a reported function name denotes fn: the same, or fn followed by
 * a C++ parameter list ("leak_string()"). */
bool ts_function_is(const char *reported, const char *fn);

/* Index of the first frame of group's stack whose function is fn (as
 * ts_function_is), or -1. */
int ts_frame_of_function(const json_value_t *group, const char *fn);

/* Groups of kind ("memory", "fd") whose first frame in source_path is on
 * `line`; every group of kind (frame[] = -1); groups of kind with a frame
 * whose function is fn (frame[] = that frame). */
ts_leaks_t ts_groups_at(const json_value_t *report, const char *kind, const char *source_path,
                        int line);
ts_leaks_t ts_groups_all(const json_value_t *report, const char *kind);
ts_leaks_t ts_groups_in_function(const json_value_t *report, const char *kind, const char *fn);

/* Memory groups whose first frame in source_path is on `line`. */
ts_leaks_t ts_leaks_at(const json_value_t *report, const char *source_path, int line);

/* Memory groups with any frame in source_path (frame[] = the first one). */
ts_leaks_t ts_leaks_touching(const json_value_t *report, const char *source_path);

/* Memory groups with a frame whose function is fn (frame[] = that frame). */
ts_leaks_t ts_leaks_in_function(const json_value_t *report, const char *fn);

/* Frame i of a group's stack (NULL if absent), and its fields; absent
 * strings read as "(null)" for messages, absent lines as -1. */
const json_value_t *ts_frame(const json_value_t *group, int i);
const char *ts_frame_str(const json_value_t *frame, const char *key);
int64_t ts_frame_line(const json_value_t *frame);

#endif
