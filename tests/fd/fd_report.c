/* SPDX-License-Identifier: MIT
 * fd_report.c: layout check and fields of fd leak groups (see
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

static const char *const resources[] = {"file",  "socket",  "pipe",     "eventfd",
                                        "epoll", "timerfd", "signalfd", "inotify",
                                        "memfd", "stream",  "dir",      "other"};

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
      TS_FAIL(run, "%s: fds[%zu] should be a non-negative integer, paths[%zu] a string", where, i,
              i);
  }
  int64_t count = -1, bytes = -1;
  json_as_int(json_get(g, "count"), &count);
  json_as_int(json_get(g, "bytes"), &bytes);
  TS_CHECK_INT(run, "\"count\" of an fd group (= its fds)", (int64_t)json_len(fds), count);
  TS_CHECK_INT(run, "\"bytes\" of an fd group", 0, bytes);
  if (!is_number(json_get(g, "oldest_s")) || !is_number(json_get(g, "newest_s")))
    TS_FAIL(run, "%s: \"oldest_s\" and \"newest_s\" should be numbers", where);
  ts_check_stack(run, g, where);
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
