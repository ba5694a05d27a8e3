/* SPDX-License-Identifier: MIT
 * report.c: marker lookup, report shape check and leak-group queries (see
 * report.h).
 *
 * All queries are one walk over the groups of a kind with a different
 * "which frame matches" callback, so they agree on what a group's bytes,
 * count and frames are.
 */
#include "report.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* --- Markers --- */

int ts_marker_line(const char *path, const char *name) {
  FILE *f = fopen(path, "r");
  if (!f)
    fail_msg("cannot open %s to find marker LEAK:%s: %s", path, name, strerror(errno));
  char needle[128];
  snprintf(needle, sizeof(needle), "/* LEAK:%s */", name);
  char line[1024];
  int lineno = 0, found = 0, hits = 0;
  while (fgets(line, sizeof(line), f)) {
    lineno++;
    if (strstr(line, needle)) {
      found = lineno;
      hits++;
    }
  }
  fclose(f);
  if (hits != 1)
    fail_msg("marker %s: expected exactly 1 in %s, found %d", needle, path, hits);
  return found;
}

/* --- Shape --- */

typedef enum want { STR, INT, BOOL, ARR, OBJ, STR_OR_NULL, INT_OR_NULL } want_t;

static bool has_type(const json_value_t *v, want_t w) {
  if (!v)
    return false;
  switch (w) {
  case STR: return v->type == JSON_STRING;
  case INT: return v->type == JSON_INT;
  case BOOL: return v->type == JSON_BOOL;
  case ARR: return v->type == JSON_ARRAY;
  case OBJ: return v->type == JSON_OBJECT;
  case STR_OR_NULL: return v->type == JSON_STRING || v->type == JSON_NULL;
  case INT_OR_NULL: return v->type == JSON_INT || v->type == JSON_NULL;
  }
  return false;
}

static void need(const ts_run_t *run, const json_value_t *obj, const char *key, want_t w,
                 const char *where) {
  static const char *const names[] = {"string", "integer",        "boolean",        "array",
                                      "object", "string or null", "integer or null"};
  const json_value_t *v = json_get(obj, key);
  if (!has_type(v, w))
    TS_FAIL(run, "%s: member \"%s\" should be %s, got %s", where, key, names[w],
            v ? json_type_name(v->type) : "nothing");
}

static void need_nonneg(const ts_run_t *run, const json_value_t *obj, const char *key,
                        const char *where) {
  int64_t v = 0;
  need(run, obj, key, INT, where);
  json_as_int(json_get(obj, key), &v);
  if (v < 0)
    TS_FAIL(run, "%s: \"%s\" is negative (%lld)", where, key, (long long)v);
}

void ts_check_report_shape(const ts_run_t *run, const json_value_t *report) {
  int64_t version = 0;
  need(run, report, "format", STR, "report");
  if (strcmp(json_as_str(json_get(report, "format")), "leakscope-report") != 0)
    TS_FAIL(run, "report: format should be \"leakscope-report\"");
  need(run, report, "version", INT, "report");
  json_as_int(json_get(report, "version"), &version);
  TS_CHECK_INT(run, "report version", 1, version);
  need(run, report, "pid", INT, "report");
  need(run, report, "trigger", STR, "report");
  need(run, report, "summary", OBJ, "report");
  const json_value_t *summary = json_get(report, "summary");
  need_nonneg(run, summary, "memory_bytes", "summary");
  need_nonneg(run, summary, "memory_blocks", "summary");
  need_nonneg(run, summary, "fds", "summary");
  need(run, report, "leaks", ARR, "report");

  const json_value_t *leaks = json_get(report, "leaks");
  int64_t prev_bytes = INT64_MAX;
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    char where[64];
    snprintf(where, sizeof(where), "leaks[%zu]", i);
    need(run, g, "kind", STR, where);
    if (strcmp(json_as_str(json_get(g, "kind")), "memory") != 0)
      continue; /* other kinds have their own layout and tests */
    need(run, g, "resource", STR, where);
    need_nonneg(run, g, "bytes", where);
    need_nonneg(run, g, "count", where);
    int64_t bytes = 0, count = 0;
    json_as_int(json_get(g, "bytes"), &bytes);
    json_as_int(json_get(g, "count"), &count);
    if (count < 1)
      TS_FAIL(run, "%s: a leak group must hold at least one block", where);
    /* Memory groups are sorted by bytes, biggest first; equal sizes may
     * come in any order. */
    if (bytes > prev_bytes)
      TS_FAIL(run, "%s: %lld bytes follows a group of %lld: not sorted biggest first", where,
              (long long)bytes, (long long)prev_bytes);
    prev_bytes = bytes;
    ts_check_stack(run, g, where);
  }
}

void ts_check_stack(const ts_run_t *run, const json_value_t *group, const char *where) {
  need(run, group, "stack", ARR, where);
  const json_value_t *stack = json_get(group, "stack");
  for (size_t f = 0; f < json_len(stack); f++) {
    const json_value_t *frame = json_at(stack, f);
    char fwhere[96];
    snprintf(fwhere, sizeof(fwhere), "%s.stack[%zu]", where, f);
    const char *language = json_as_str(json_get(frame, "language"));
    bool python = language && strcmp(language, "python") == 0;
    if (language && !python)
      TS_FAIL(run, "%s: unknown language \"%s\"", fwhere, language);
    /* A Python frame has no address, module or offset (all null). */
    need(run, frame, "address", python ? STR_OR_NULL : STR, fwhere);
    need(run, frame, "module", STR_OR_NULL, fwhere);
    need(run, frame, "offset", STR_OR_NULL, fwhere);
    need(run, frame, "function", STR_OR_NULL, fwhere);
    need(run, frame, "file", STR_OR_NULL, fwhere);
    need(run, frame, "line", INT_OR_NULL, fwhere);
    need(run, frame, "inlined", BOOL, fwhere);
    if (python &&
        (!json_is_null(json_get(frame, "address")) || !json_as_str(json_get(frame, "function")) ||
         !json_as_str(json_get(frame, "file"))))
      TS_FAIL(run, "%s: a Python frame has a null address, a function and a file", fwhere);
    if (!python && strncmp(json_as_str(json_get(frame, "address")), "0x", 2) != 0)
      TS_FAIL(run, "%s: address should be \"0x...\"", fwhere);
  }
}

const json_value_t *ts_clean_exit_report(const ts_run_t *run) {
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "program did not exit with status 0");
  if (run->parse_error[0])
    TS_FAIL(run, "report is not valid JSON Lines: %s", run->parse_error);
  const json_value_t *report = ts_run_exit_report(run);
  ts_check_report_shape(run, report);
  return report;
}

/* --- Frames --- */

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

bool ts_frame_in_source(const json_value_t *frame, const char *source_path) {
  const char *file = json_as_str(json_get(frame, "file"));
  return file && strcmp(base_name(file), base_name(source_path)) == 0;
}

const json_value_t *ts_frame(const json_value_t *group, int i) {
  return i < 0 ? NULL : json_at(json_get(group, "stack"), (size_t)i);
}

const char *ts_frame_str(const json_value_t *frame, const char *key) {
  const char *s = json_as_str(json_get(frame, key));
  return s ? s : "(null)";
}

int64_t ts_frame_line(const json_value_t *frame) {
  int64_t line = -1;
  json_as_int(json_get(frame, "line"), &line);
  return line;
}

int ts_first_frame_in(const json_value_t *group, const char *source_path) {
  const json_value_t *stack = json_get(group, "stack");
  for (size_t i = 0; i < json_len(stack); i++)
    if (ts_frame_in_source(json_at(stack, i), source_path))
      return (int)i;
  return -1;
}

bool ts_function_is(const char *reported, const char *fn) {
  size_t n = strlen(fn);
  return reported && strncmp(reported, fn, n) == 0 && (reported[n] == '\0' || reported[n] == '(');
}

int ts_frame_of_function(const json_value_t *group, const char *fn) {
  const json_value_t *stack = json_get(group, "stack");
  for (size_t i = 0; i < json_len(stack); i++)
    if (ts_function_is(json_as_str(json_get(json_at(stack, i), "function")), fn))
      return (int)i;
  return -1;
}

/* --- Queries --- */

/* Whether group matches; *frame is set to the index of the frame that
 * makes it match (-1 for a match that names no frame). */
typedef bool (*match_fn)(const json_value_t *group, const void *ctx, int *frame);

static ts_leaks_t select_groups(const json_value_t *report, const char *kind, match_fn match,
                                const void *ctx) {
  ts_leaks_t r = {0};
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    const char *k = json_as_str(json_get(g, "kind"));
    int frame = -1;
    if (!k || strcmp(k, kind) != 0 || !match(g, ctx, &frame))
      continue;
    int64_t bytes = 0, count = 0;
    json_as_int(json_get(g, "bytes"), &bytes);
    json_as_int(json_get(g, "count"), &count);
    if (r.groups < TS_MAX_MATCHES) {
      r.group[r.groups] = g;
      r.frame[r.groups] = frame;
    }
    r.groups++;
    r.bytes += bytes;
    r.count += count;
  }
  return r;
}

static bool match_all(const json_value_t *group, const void *ctx, int *frame) {
  (void)group, (void)ctx, (void)frame;
  return true;
}

typedef struct at_line {
  const char *source;
  int line;
} at_line_t;

static bool match_at_line(const json_value_t *group, const void *ctx, int *frame) {
  const at_line_t *want = ctx;
  *frame = ts_first_frame_in(group, want->source);
  return *frame >= 0 && ts_frame_line(ts_frame(group, *frame)) == want->line;
}

static bool match_touching(const json_value_t *group, const void *ctx, int *frame) {
  return (*frame = ts_first_frame_in(group, ctx)) >= 0;
}

static bool match_function(const json_value_t *group, const void *ctx, int *frame) {
  return (*frame = ts_frame_of_function(group, ctx)) >= 0;
}

ts_leaks_t ts_groups_all(const json_value_t *report, const char *kind) {
  return select_groups(report, kind, match_all, NULL);
}

ts_leaks_t ts_groups_at(const json_value_t *report, const char *kind, const char *source_path,
                        int line) {
  at_line_t want = {source_path, line};
  return select_groups(report, kind, match_at_line, &want);
}

ts_leaks_t ts_groups_in_function(const json_value_t *report, const char *kind, const char *fn) {
  return select_groups(report, kind, match_function, fn);
}

ts_leaks_t ts_leaks_at(const json_value_t *report, const char *source_path, int line) {
  return ts_groups_at(report, "memory", source_path, line);
}

ts_leaks_t ts_leaks_touching(const json_value_t *report, const char *source_path) {
  return select_groups(report, "memory", match_touching, source_path);
}

ts_leaks_t ts_leaks_in_function(const json_value_t *report, const char *fn) {
  return ts_groups_in_function(report, "memory", fn);
}
