/* SPDX-License-Identifier: MIT
 * fd_report.c: layout check and queries for fd leak groups (see
 * fd_report.h).
 */
#include "fd_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static bool is_fd_group(const json_value_t *g) {
  const char *kind = json_as_str(json_get(g, "kind"));
  return kind && strcmp(kind, "fd") == 0;
}

/* --- Shape --- */

static const char *const resources[] = {"file",     "socket",  "pipe",  "eventfd", "epoll",
                                        "timerfd",  "signalfd", "inotify", "memfd", "stream",
                                        "dir",      "other"};

static bool known_resource(const char *r) {
  for (size_t i = 0; r && i < sizeof(resources) / sizeof(resources[0]); i++)
    if (strcmp(r, resources[i]) == 0)
      return true;
  return false;
}

static bool is_type(const json_value_t *v, json_type_t t) { return v && v->type == t; }

static bool is_number(const json_value_t *v) {
  return is_type(v, JSON_INT) || is_type(v, JSON_DOUBLE);
}

static bool is_str_or_null(const json_value_t *v) {
  return is_type(v, JSON_STRING) || is_type(v, JSON_NULL);
}

static void check_frame(const ts_run_t *run, const json_value_t *frame, const char *where) {
  const char *address = json_as_str(json_get(frame, "address"));
  const json_value_t *line = json_get(frame, "line");
  bool inlined;
  if (!address || strncmp(address, "0x", 2) != 0)
    TS_FAIL(run, "%s: \"address\" should be a \"0x...\" string", where);
  if (!is_str_or_null(json_get(frame, "module")) || !is_str_or_null(json_get(frame, "offset")) ||
      !is_str_or_null(json_get(frame, "function")) || !is_str_or_null(json_get(frame, "file")))
    TS_FAIL(run, "%s: module, offset, function and file should be strings or null", where);
  if (!is_type(line, JSON_INT) && !is_type(line, JSON_NULL))
    TS_FAIL(run, "%s: \"line\" should be an integer or null", where);
  if (!json_as_bool(json_get(frame, "inlined"), &inlined))
    TS_FAIL(run, "%s: \"inlined\" should be a boolean", where);
}

static void check_group(const ts_run_t *run, const json_value_t *g, const char *where) {
  const char *resource = json_as_str(json_get(g, "resource"));
  if (!known_resource(resource))
    TS_FAIL(run, "%s: unknown resource \"%s\"", where, resource ? resource : "(missing)");
  const json_value_t *fds = json_get(g, "fds"), *paths = json_get(g, "paths");
  if (!is_type(fds, JSON_ARRAY) || !is_type(paths, JSON_ARRAY) || json_len(fds) == 0)
    TS_FAIL(run, "%s: \"fds\" and \"paths\" should be arrays, fds non-empty", where);
  TS_CHECK_INT(run, "number of paths of the group (= its fds)", (int64_t)json_len(fds),
               (int64_t)json_len(paths));
  for (size_t i = 0; i < json_len(fds); i++) {
    int64_t fd;
    if (!json_as_int(json_at(fds, i), &fd) || fd < 0 || !json_as_str(json_at(paths, i)))
      TS_FAIL(run, "%s: fds[%zu] should be a non-negative integer, paths[%zu] a string", where,
              i, i);
  }
  int64_t count = -1, bytes = -1;
  json_as_int(json_get(g, "count"), &count);
  json_as_int(json_get(g, "bytes"), &bytes);
  TS_CHECK_INT(run, "\"count\" of an fd group (= its fds)", (int64_t)json_len(fds), count);
  TS_CHECK_INT(run, "\"bytes\" of an fd group", 0, bytes);
  if (!is_number(json_get(g, "oldest_s")) || !is_number(json_get(g, "newest_s")))
    TS_FAIL(run, "%s: \"oldest_s\" and \"newest_s\" should be numbers", where);
  const json_value_t *stack = json_get(g, "stack");
  if (!is_type(stack, JSON_ARRAY))
    TS_FAIL(run, "%s: \"stack\" should be an array", where);
  for (size_t f = 0; f < json_len(stack); f++) {
    char fwhere[96];
    snprintf(fwhere, sizeof(fwhere), "%s.stack[%zu]", where, f);
    check_frame(run, json_at(stack, f), fwhere);
  }
}

void fd_check_shape(const ts_run_t *run, const json_value_t *report) {
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    if (!is_fd_group(g))
      continue;
    char where[64];
    snprintf(where, sizeof(where), "leaks[%zu] (fd)", i);
    check_group(run, g, where);
  }
}

/* --- Queries --- */

/* Returns the index of the frame that makes group match, -1 for a match
 * without a frame, or -2 for no match. */
typedef int (*match_fn)(const json_value_t *group, const void *ctx);

static fd_groups_t select_groups(const json_value_t *report, match_fn match, const void *ctx) {
  fd_groups_t r = {0};
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    if (!is_fd_group(g))
      continue;
    int frame = match(g, ctx);
    if (frame < -1)
      continue;
    if (r.n < FD_MAX_GROUPS) {
      r.group[r.n] = g;
      r.frame[r.n] = frame;
    }
    r.n++;
    r.fds += (int64_t)fd_group_nfds(g);
  }
  return r;
}

static int match_any(const json_value_t *group, const void *ctx) { return -1; }

typedef struct at_line {
  const char *source;
  int line;
} at_line_t;

static int match_at_line(const json_value_t *group, const void *ctx) {
  const at_line_t *want = ctx;
  int i = ts_first_frame_in(group, want->source);
  return i >= 0 && ts_frame_line(ts_frame(group, i)) == want->line ? i : -2;
}

fd_groups_t fd_groups_all(const json_value_t *report) {
  return select_groups(report, match_any, NULL);
}

fd_groups_t fd_groups_at(const json_value_t *report, const char *source_path, int line) {
  at_line_t want = {source_path, line};
  return select_groups(report, match_at_line, &want);
}

/* --- Fields --- */

const char *fd_group_resource(const json_value_t *group) {
  const char *r = json_as_str(json_get(group, "resource"));
  return r ? r : "?";
}

size_t fd_group_nfds(const json_value_t *group) { return json_len(json_get(group, "fds")); }

int64_t fd_group_fd(const json_value_t *group, size_t i) {
  int64_t fd = -1;
  json_as_int(json_at(json_get(group, "fds"), i), &fd);
  return fd;
}

const char *fd_group_path(const json_value_t *group, size_t i) {
  const char *p = json_as_str(json_at(json_get(group, "paths"), i));
  return p ? p : "?";
}
