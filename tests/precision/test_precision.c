/* SPDX-License-Identifier: MIT
 * test_precision.c: exact checks of what a user sees first.
 *
 *  - quiet_*: correct programs (C: stdio, locale, threads, resolver, time
 *    zones; C++: iostreams, exceptions, std::thread) get an empty exit
 *    report under the library's defaults (reachability at exit), and the
 *    same C program with one lost block gets exactly that block.
 *  - supp_*: suppression files as docs/user-guide.md describes them: rules,
 *    comments, malformed lines, anchors, several files, a missing file.
 *  - sym_*: inlined frames, demangled C++ names, stripped libraries and
 *    debug information found through .gnu_debuglink.
 *
 * Usage: test_precision [CASE]; CTest runs one case per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "runner.h"
#include "testmain.h"

static ts_run_t current_run;
static const ts_run_t *const run = &current_run;

/* Suppression files a case wrote, removed by its teardown. */
static char supp_files[4][512];
static size_t nsupp_files;

static const char *prog_path(const char *name) {
  static char path[1024];
  snprintf(path, sizeof(path), "%s/%s", PREC_DIR, name);
  return path;
}

static const char *src_path(const char *file) {
  static char path[1024];
  snprintf(path, sizeof(path), "%s/%s", PREC_SRC_DIR, file);
  return path;
}

static int64_t int_field(const json_value_t *v, const char *key) {
  int64_t n = -1;
  json_as_int(json_get(v, key), &n);
  return n;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = s ? strlen(s) : 0, k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int teardown(void **state) {
  ts_run_free(&current_run);
  for (size_t i = 0; i < nsupp_files; i++)
    unlink(supp_files[i]);
  nsupp_files = 0;
  return 0;
}

/* --- Zero noise under the defaults --- */

/* The library's default: classify at exit, list what is lost. */
static const char *const reach_default[] = {"LEAKSCOPE_REACHABILITY=exit", NULL};

static const json_value_t *run_default(const char *prog) {
  ts_run(&current_run, LS_TEST_LIB, prog_path(prog), NULL, reach_default);
  const json_value_t *report = ts_clean_exit_report(run);
  TS_CHECK(run, json_get(json_get(report, "summary"), "reachable_bytes") != NULL);
  return report;
}

static void check_quiet(const char *prog) {
  const json_value_t *report = run_default(prog);
  const json_value_t *summary = json_get(report, "summary");
  TS_CHECK_INT(run, "summary.memory_bytes", 0, int_field(summary, "memory_bytes"));
  TS_CHECK_INT(run, "summary.fds", 0, int_field(summary, "fds"));
  TS_CHECK_INT(run, "number of leak groups", 0, (int64_t)json_len(json_get(report, "leaks")));
}

static void test_quiet_c(void **state) { check_quiet("prec_quiet_c"); }

static void test_quiet_cxx(void **state) { check_quiet("prec_quiet_cxx"); }

/* The same C program losing one block of 77 bytes: the report has that
 * block, definitely lost, and nothing else. */
static void test_quiet_control(void **state) {
  const json_value_t *report = run_default("prec_quiet_control");
  const json_value_t *summary = json_get(report, "summary");
  TS_CHECK_INT(run, "summary.memory_bytes", 77, int_field(summary, "memory_bytes"));
  TS_CHECK_INT(run, "summary.memory_blocks", 1, int_field(summary, "memory_blocks"));
  TS_CHECK_INT(run, "summary.fds", 0, int_field(summary, "fds"));
  const json_value_t *leaks = json_get(report, "leaks");
  TS_CHECK_INT(run, "number of leak groups", 1, (int64_t)json_len(leaks));
  const char *reach = json_as_str(json_get(json_at(leaks, 0), "reachability"));
  if (!reach || strcmp(reach, "definite") != 0)
    TS_FAIL(run, "reachability of the lost block: expected definite, got %s",
            reach ? reach : "(absent)");
  const char *src = src_path("prec_quiet.c");
  int line = ts_marker_line(src, "control");
  ts_leaks_t m = ts_leaks_at(report, src, line);
  TS_CHECK_INT(run, "bytes charged to prec_quiet.c at the lost block's line", 77, m.bytes);
}

/* --- Suppressions --- */

/* Writes text to a new suppression file; returns its path. */
static const char *write_supp(const char *text) {
  assert_true(nsupp_files < sizeof(supp_files) / sizeof(supp_files[0]));
  const char *tmpdir = getenv("TMPDIR");
  char *path = supp_files[nsupp_files];
  snprintf(path, sizeof(supp_files[0]), "%s/leakscope-supp-XXXXXX",
           tmpdir && *tmpdir ? tmpdir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0)
    fail_msg("mkstemp %s failed", path);
  nsupp_files++;
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len)
    fail_msg("cannot write %s", path);
  close(fd);
  return path;
}

/* Runs prec_supp_prog with LEAKSCOPE_SUPPRESSIONS=spec (reports list every
 * live block: the runner's default). */
static const json_value_t *run_supp(const char *spec) {
  static char env[2048];
  snprintf(env, sizeof(env), "LEAKSCOPE_SUPPRESSIONS=%s", spec);
  const char *const extra[] = {env, NULL};
  ts_run(&current_run, LS_TEST_LIB, prog_path("prec_supp_prog"), NULL, extra);
  return ts_clean_exit_report(run);
}

/* What is left of fn's leak: expect its whole leak (groups 1, count,
 * bytes) if present, nothing if not. */
static void check_left(const json_value_t *report, const char *kind, const char *fn, bool present,
                       int64_t count, int64_t bytes) {
  ts_leaks_t m = ts_groups_in_function(report, kind, fn);
  char what[128];
  snprintf(what, sizeof(what), "%s groups left with a %s frame", kind, fn);
  TS_CHECK_INT(run, what, present ? 1 : 0, (int64_t)m.groups);
  snprintf(what, sizeof(what), "%s count left in %s", kind, fn);
  TS_CHECK_INT(run, what, present ? count : 0, m.count);
  snprintf(what, sizeof(what), "bytes left in %s", fn);
  TS_CHECK_INT(run, what, present ? bytes : 0, m.bytes);
}

static void check_leaks_left(const json_value_t *report, bool alpha, bool beta, bool gamma) {
  check_left(report, "memory", "leak_alpha", alpha, 3, 300);
  check_left(report, "memory", "leak_beta", beta, 2, 100);
  check_left(report, "fd", "leak_gamma", gamma, 2, 0);
}

static const json_value_t *suppressed(const json_value_t *report) {
  return json_get(json_get(report, "summary"), "suppressed");
}

/* The summary.suppressed entry of rule, checked field by field. */
static void check_rule(const json_value_t *report, const char *rule, const char *file, int line,
                       int64_t groups, int64_t count, int64_t bytes) {
  const json_value_t *list = suppressed(report), *e = NULL;
  for (size_t i = 0; i < json_len(list) && !e; i++) {
    const char *r = json_as_str(json_get(json_at(list, i), "rule"));
    if (r && strcmp(r, rule) == 0)
      e = json_at(list, i);
  }
  if (!e)
    TS_FAIL(run, "summary.suppressed has no entry for rule %s", rule);
  const char *f = json_as_str(json_get(e, "file"));
  if (!f || strcmp(f, file) != 0)
    TS_FAIL(run, "file of rule %s: expected %s, got %s", rule, file, f ? f : "(absent)");
  char what[128];
  snprintf(what, sizeof(what), "line of rule %s", rule);
  TS_CHECK_INT(run, what, line, int_field(e, "line"));
  snprintf(what, sizeof(what), "groups suppressed by %s", rule);
  TS_CHECK_INT(run, what, groups, int_field(e, "groups"));
  snprintf(what, sizeof(what), "count suppressed by %s", rule);
  TS_CHECK_INT(run, what, count, int_field(e, "count"));
  snprintf(what, sizeof(what), "bytes suppressed by %s", rule);
  TS_CHECK_INT(run, what, bytes, int_field(e, "bytes"));
}

/* Occurrences of needle in the run's stderr. */
static int count_in_stderr(const char *needle) {
  int n = 0;
  for (const char *p = run->err; p && (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

static void test_supp_rules(void **state) {
  const char *file = write_supp("# leakscope precision test\n"
                                "\n"
                                "leak:leak_alpha\n"
                                "bogus\n"
                                "fd:leak_gamma\n"
                                "leak:\n");
  const json_value_t *report = run_supp(file);
  check_leaks_left(report, false, true, false);
  TS_CHECK_INT(run, "leak groups listed (only leak_beta's)", 1,
               (int64_t)json_len(json_get(report, "leaks")));
  TS_CHECK_INT(run, "entries of summary.suppressed", 2, (int64_t)json_len(suppressed(report)));
  check_rule(report, "leak:leak_alpha", file, 3, 1, 3, 300);
  check_rule(report, "fd:leak_gamma", file, 5, 1, 2, 0);

  TS_CHECK_INT(run, "malformed-suppression warnings on stderr", 2,
               count_in_stderr("malformed suppression"));
  char want[640];
  snprintf(want, sizeof(want), "%s:4: malformed suppression 'bogus' skipped", file);
  TS_CHECK(run, strstr(run->err, want) != NULL);
  snprintf(want, sizeof(want), "%s:6: malformed suppression 'leak:' skipped", file);
  TS_CHECK(run, strstr(run->err, want) != NULL);
}

/* A single rule against leak_alpha that must, or must not, match it. */
static void check_anchor(const char *rule, bool matches) {
  char text[128];
  snprintf(text, sizeof(text), "%s\n", rule);
  const char *file = write_supp(text);
  const json_value_t *report = run_supp(file);
  check_leaks_left(report, !matches, true, true);
  TS_CHECK_INT(run, "entries of summary.suppressed", matches ? 1 : 0,
               (int64_t)json_len(suppressed(report)));
  if (matches)
    check_rule(report, rule, file, 1, 1, 3, 300);
}

static void test_supp_anchor_start(void **state) { check_anchor("leak:^leak_al", true); }

static void test_supp_anchor_end(void **state) { check_anchor("leak:alpha$", true); }

static void test_supp_anchor_miss(void **state) { check_anchor("leak:^alpha", false); }

static void test_supp_two_files(void **state) {
  const char *a = write_supp("leak:leak_alpha\n");
  const char *b = write_supp("# fds\nfd:leak_gamma\n");
  char spec[1100];
  snprintf(spec, sizeof(spec), "%s:%s", a, b);
  const json_value_t *report = run_supp(spec);
  check_leaks_left(report, false, true, false);
  TS_CHECK_INT(run, "entries of summary.suppressed", 2, (int64_t)json_len(suppressed(report)));
  check_rule(report, "leak:leak_alpha", a, 1, 1, 3, 300);
  check_rule(report, "fd:leak_gamma", b, 2, 1, 2, 0);
}

static void test_supp_missing_file(void **state) {
  const char *missing = "/nonexistent-leakscope-dir/precision.supp";
  const json_value_t *report = run_supp(missing);
  check_leaks_left(report, true, true, true);
  TS_CHECK_INT(run, "entries of summary.suppressed", 0, (int64_t)json_len(suppressed(report)));
  TS_CHECK(run, strstr(run->err, "leakscope: warning") != NULL);
  TS_CHECK(run, strstr(run->err, missing) != NULL);
}

/* --- Symbolization --- */

static const json_value_t *run_sym(const char *const *extra) {
  ts_run(&current_run, LS_TEST_LIB, prog_path("prec_sym"), NULL, extra);
  return ts_clean_exit_report(run);
}

/* The single memory group charged to src at marker, with its first frame
 * there in *frame; fails unless it holds count blocks of bytes in all. */
static const json_value_t *group_at(const json_value_t *report, const char *file,
                                    const char *marker, int64_t bytes, int64_t count, int *frame) {
  const char *src = src_path(file);
  int line = ts_marker_line(src, marker);
  ts_leaks_t m = ts_leaks_at(report, src, line);
  char what[160];
  snprintf(what, sizeof(what), "groups with their first %s frame on line %d", file, line);
  TS_CHECK_INT(run, what, 1, (int64_t)m.groups);
  snprintf(what, sizeof(what), "bytes at %s:%d", file, line);
  TS_CHECK_INT(run, what, bytes, m.bytes);
  snprintf(what, sizeof(what), "blocks at %s:%d", file, line);
  TS_CHECK_INT(run, what, count, m.count);
  *frame = m.frame[0];
  return m.group[0];
}

static void check_str(const char *what, const char *expected, const char *got) {
  if (!got || strcmp(expected, got) != 0)
    TS_FAIL(run, "%s: expected %s, got %s", what, expected, got ? got : "null");
}

static void test_sym_inline(void **state) {
  const json_value_t *report = run_sym(NULL);
  int i;
  const json_value_t *g = group_at(report, "prec_inline_lib.c", "inl_alloc", 432, 1, &i);
  TS_CHECK_INT(run, "stack index of the inlined helper's frame", 0, i);
  const json_value_t *inl = ts_frame(g, i), *caller = ts_frame(g, i + 1);
  check_str("function of frame 0", "make_inlined", json_as_str(json_get(inl, "function")));
  bool b = false;
  TS_CHECK(run, json_as_bool(json_get(inl, "inlined"), &b) && b);
  check_str("function of frame 1", "inline_caller", json_as_str(json_get(caller, "function")));
  TS_CHECK(run, ts_frame_in_source(caller, src_path("prec_inline_lib.c")));
  TS_CHECK_INT(run, "line of frame 1 (the call of the inlined helper)",
               ts_marker_line(src_path("prec_inline_lib.c"), "inl_call"), ts_frame_line(caller));
  TS_CHECK(run, json_as_bool(json_get(caller, "inlined"), &b) && !b);
}

static void test_sym_inline_text(void **state) {
  const char *const text[] = {"LEAKSCOPE_FORMAT=text", NULL};
  ts_run(&current_run, LS_TEST_LIB, prog_path("prec_sym"), NULL, text);
  TS_CHECK_INT(run, "exit status", 0, run->exit_code);
  const char *at = run->report_text ? strstr(run->report_text, "#0 make_inlined (") : NULL;
  if (!at)
    TS_FAIL(run, "no frame line '#0 make_inlined (' in the text report");
  const char *eol = strchr(at, '\n');
  int len = eol ? (int)(eol - at) : (int)strlen(at);
  char want[128];
  snprintf(want, sizeof(want), "prec_inline_lib.c:%d, inlined into inline_caller)",
           ts_marker_line(src_path("prec_inline_lib.c"), "inl_alloc"));
  char line[512];
  snprintf(line, sizeof(line), "%.*s", len, at);
  if (!ends_with(line, want))
    TS_FAIL(run, "frame line: expected it to end with '%s', got '%s'", want, line);
}

static void test_sym_demangle(void **state) {
  const json_value_t *report = run_sym(NULL);
  int i;
  const json_value_t *g = group_at(report, "prec_widget_lib.cpp", "widget", 64, 1, &i);
  check_str("function of the frame in prec_widget_lib.cpp", "ns::Widget::make(int)",
            json_as_str(json_get(ts_frame(g, i), "function")));
}

/* The one memory group with a frame in the module ending in suffix, and
 * the index of that first frame in *frame. */
static const json_value_t *group_in_module(const json_value_t *report, const char *suffix,
                                           int *frame) {
  const json_value_t *found = NULL;
  ts_leaks_t all = ts_groups_all(report, "memory");
  for (size_t g = 0; g < all.groups && g < TS_MAX_MATCHES; g++) {
    const json_value_t *stack = json_get(all.group[g], "stack");
    for (size_t f = 0; f < json_len(stack); f++) {
      if (ends_with(json_as_str(json_get(json_at(stack, f), "module")), suffix)) {
        if (found)
          TS_FAIL(run, "more than one memory group has a frame in %s", suffix);
        found = all.group[g];
        *frame = (int)f;
        break;
      }
    }
  }
  if (!found)
    TS_FAIL(run, "no memory group has a frame in a module ending in %s", suffix);
  return found;
}

static void test_sym_stripped(void **state) {
  const json_value_t *report = run_sym(NULL);
  int i;
  const json_value_t *g = group_in_module(report, "/libprec_stripped.so", &i);
  TS_CHECK_INT(run, "bytes of the stripped library's leak", 555, int_field(g, "bytes"));
  TS_CHECK_INT(run, "stack index of its frame", 0, i);
  const json_value_t *f = ts_frame(g, i);
  check_str("function of the stripped frame", "prec_stripped_leak",
            json_as_str(json_get(f, "function")));
  TS_CHECK(run, json_is_null(json_get(f, "file")));
  TS_CHECK(run, json_is_null(json_get(f, "line")));
  const char *offset = json_as_str(json_get(f, "offset"));
  TS_CHECK(run, offset && strncmp(offset, "0x", 2) == 0 && strlen(offset) > 2);
}

static void test_sym_debuglink(void **state) {
  const json_value_t *report = run_sym(NULL);
  int i;
  const json_value_t *g = group_in_module(report, "/libprec_dbglink.so", &i);
  TS_CHECK_INT(run, "bytes of the split-debug library's leak", 666, int_field(g, "bytes"));
  TS_CHECK_INT(run, "stack index of its frame", 0, i);
  const json_value_t *f = ts_frame(g, i);
  check_str("function of the split-debug frame", "prec_dbglink_leak",
            json_as_str(json_get(f, "function")));
  if (!ts_frame_in_source(f, src_path("prec_dbglink_lib.c")))
    TS_FAIL(run, "file of the split-debug frame: expected prec_dbglink_lib.c, got %s",
            ts_frame_str(f, "file"));
  TS_CHECK_INT(run, "line of the split-debug frame",
               ts_marker_line(src_path("prec_dbglink_lib.c"), "dbglink"), ts_frame_line(f));
}

#define CASE(name) cmocka_unit_test_teardown(test_##name, teardown)

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      CASE(quiet_c),           CASE(quiet_cxx),       CASE(quiet_control),    CASE(supp_rules),
      CASE(supp_anchor_start), CASE(supp_anchor_end), CASE(supp_anchor_miss), CASE(supp_two_files),
      CASE(supp_missing_file), CASE(sym_inline),      CASE(sym_inline_text),  CASE(sym_demangle),
      CASE(sym_stripped),      CASE(sym_debuglink),
  };
  return ts_main("precision", tests, sizeof(tests) / sizeof(tests[0]), argc > 1 ? argv[1] : NULL);
}
