/* SPDX-License-Identifier: MIT
 * test_python.c: runs the Python programs of tests/python/progs under the
 * preloaded library with an unmodified interpreter and checks that every
 * leak is named by the Python function and line that made it, and that a
 * clean program reports nothing.
 *
 * The interpreter is /usr/bin/python3 (Debian's CPython 3.11, stripped),
 * named explicitly because `python3` on PATH may be another one; the
 * py312_ / py313_ cases run the same checks with pyenv's 3.12 and 3.13,
 * and version_off checks the one-line notice of an unsupported version.
 * A case whose interpreter is missing skips with a message.
 *
 * Dumps are asked for by the program itself (progs/lsdump.py sends the
 * dump signal and waits for the report), so they come at known points.
 *
 * Usage: test_python [CASE]   e.g. test_python fds_dump
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

#define PY311 "/usr/bin/python3"
#define PY312 "/root/.pyenv/versions/3.12.1/bin/python3.12"
#define PY313 "/root/.pyenv/versions/3.13.0/bin/python3.13"
#define PY310 "/root/.pyenv/versions/3.10.13/bin/python3.10"

static ts_run_t current_run;
static bool have_run;

static const char *prog(const char *name) {
  static char path[1024];
  snprintf(path, sizeof(path), "%s/%s.py", LS_PY_PROG_DIR, name);
  return path;
}

/* Runs interpreter on progs/<name>.py with the extra environment; skips
 * the test when the interpreter is not installed. */
static const ts_run_t *run_py(const char *python, const char *name, const char *const *env) {
  if (access(python, X_OK) != 0)
    TS_SKIP("%s is not installed", python);
  if (have_run)
    ts_run_free(&current_run);
  char script[1024];
  snprintf(script, sizeof(script), "%s", prog(name));
  const char *argv[] = {python, script, NULL};
  ts_run(&current_run, LS_TEST_LIB, python, argv, env);
  have_run = true;
  return &current_run;
}

static int free_run(void **state) {
  (void)state;
  if (have_run)
    ts_run_free(&current_run);
  have_run = false;
  return 0;
}

/* The n-th report (0-based) of the run's own process with this trigger. */
static const json_value_t *nth_report(const ts_run_t *run, const char *trigger, int n) {
  for (size_t i = 0; i < run->nreports; i++) {
    const json_value_t *r = run->reports[i];
    int64_t pid = 0;
    json_as_int(json_get(r, "pid"), &pid);
    const char *t = json_as_str(json_get(r, "trigger"));
    if (pid == run->pid && t && !strcmp(t, trigger) && n-- == 0) {
      ts_check_report_shape(run, r);
      return r;
    }
  }
  TS_FAIL(run, "no %s report number %d from pid %d", trigger, n, (int)run->pid);
  return NULL;
}

static int64_t int_at(const json_value_t *obj, const char *key) {
  int64_t v = -1;
  json_as_int(json_get(obj, key), &v);
  return v;
}

/* The Python frame `frame` of a group is function fn: "language":"python",
 * no address. */
static void check_python_frame(const ts_run_t *run, const json_value_t *group, int frame,
                               const char *fn) {
  const json_value_t *f = ts_frame(group, frame);
  const char *language = ts_frame_str(f, "language");
  if (strcmp(language, "python") != 0 || !json_is_null(json_get(f, "address")))
    TS_FAIL(run, "frame %d should be a Python frame with a null address (language %s)", frame,
            language);
  if (!ts_function_is(ts_frame_str(f, "function"), fn))
    TS_FAIL(run, "frame %d should be Python function %s, is %s", frame, fn,
            ts_frame_str(f, "function"));
}

/* --- A C allocation made through ctypes, never freed ---------------- */

static void check_ctypes(const char *python) {
  const char *src = prog("py_ctypes_leak");
  const ts_run_t *run = run_py(python, "py_ctypes_leak", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  ts_leaks_t leak = ts_leaks_at(report, src, ts_marker_line(src, "ctypes"));
  TS_CHECK_INT(run, "bytes leaked at LEAK:ctypes", 3000, leak.bytes);
  TS_CHECK_INT(run, "blocks leaked at LEAK:ctypes", 3, leak.count);
  for (size_t g = 0; g < leak.groups && g < TS_MAX_MATCHES; g++) {
    check_python_frame(run, leak.group[g], leak.frame[g], "leak_buffers");
    /* mixed view: native frames (libffi, _ctypes) come before it */
    TS_CHECK(run, leak.frame[g] > 0);
    const json_value_t *caller = ts_frame(leak.group[g], leak.frame[g] + 1);
    check_python_frame(run, leak.group[g], leak.frame[g] + 1, "main");
    TS_CHECK_INT(run, "line of main's call", 23, ts_frame_line(caller));
  }
  ts_leaks_t freed = ts_leaks_at(report, src, ts_marker_line(src, "freed"));
  TS_CHECK_INT(run, "groups at LEAK:freed", 0, (int64_t)freed.groups);
}

static void test_ctypes_exit(void **state) {
  (void)state;
  check_ctypes(PY311);
}

static void test_py312_ctypes_exit(void **state) {
  (void)state;
  check_ctypes(PY312);
}

static void test_py313_ctypes_exit(void **state) {
  (void)state;
  check_ctypes(PY313);
}

/* The Python-only view: the Python frames and the innermost native frame. */
static void test_python_view(void **state) {
  (void)state;
  const char *src = prog("py_ctypes_leak");
  const char *env[] = {"LEAKSCOPE_PYTHON_VIEW=python", NULL};
  const ts_run_t *run = run_py(PY311, "py_ctypes_leak", env);
  const json_value_t *report = ts_clean_exit_report(run);
  ts_leaks_t leak = ts_leaks_at(report, src, ts_marker_line(src, "ctypes"));
  TS_CHECK_INT(run, "blocks leaked at LEAK:ctypes", 3, leak.count);
  for (size_t g = 0; g < leak.groups && g < TS_MAX_MATCHES; g++) {
    const json_value_t *stack = json_get(leak.group[g], "stack");
    TS_CHECK_INT(run, "frame of leak_buffers in the Python view", 1, leak.frame[g]);
    TS_CHECK(run, json_get(ts_frame(leak.group[g], 0), "language") == NULL); /* native */
    for (size_t f = 1; f < json_len(stack); f++)
      TS_CHECK(run, !strcmp(ts_frame_str(json_at(stack, f), "language"), "python"));
  }
}

/* Suppressions match Python frames by function and by file. */
static void check_suppressed(const char *rule) {
  const char *src = prog("py_ctypes_leak");
  char path[] = "/tmp/ls_py_supp_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  dprintf(fd, "%s\n", rule);
  close(fd);
  char opt[64];
  snprintf(opt, sizeof(opt), "LEAKSCOPE_SUPPRESSIONS=%s", path);
  const char *env[] = {opt, NULL};
  const ts_run_t *run = run_py(PY311, "py_ctypes_leak", env);
  unlink(path);
  const json_value_t *report = ts_clean_exit_report(run);
  ts_leaks_t leak = ts_leaks_at(report, src, ts_marker_line(src, "ctypes"));
  TS_CHECK_INT(run, "groups left at LEAK:ctypes", 0, (int64_t)leak.groups);
  const json_value_t *supp = json_get(json_get(report, "summary"), "suppressed");
  int64_t count = 0;
  for (size_t i = 0; i < json_len(supp); i++)
    count += int_at(json_at(supp, i), "count");
  TS_CHECK(run, count >= 3);
}

static void test_suppress_function(void **state) {
  (void)state;
  check_suppressed("leak:leak_buffers");
}

static void test_suppress_file(void **state) {
  (void)state;
  check_suppressed("leak:python/progs/py_ctypes_leak.py");
}

/* --- Files and sockets held by a running program --------------------- */

static void check_fds(const char *python) {
  const char *src = prog("py_fds");
  const ts_run_t *run = run_py(python, "py_fds", NULL);
  ts_clean_exit_report(run);
  const json_value_t *dump = nth_report(run, "signal", 0);
  ts_leaks_t files = ts_groups_at(dump, "fd", src, ts_marker_line(src, "files"));
  TS_CHECK_INT(run, "files open at LEAK:files", 5, files.count);
  for (size_t g = 0; g < files.groups && g < TS_MAX_MATCHES; g++) {
    TS_CHECK(run, !strcmp(json_as_str(json_get(files.group[g], "resource")), "file"));
    check_python_frame(run, files.group[g], files.frame[g], "open_logs");
  }
  ts_leaks_t socks = ts_groups_at(dump, "fd", src, ts_marker_line(src, "sockets"));
  TS_CHECK_INT(run, "sockets open at LEAK:sockets", 3, socks.count);
  for (size_t g = 0; g < socks.groups && g < TS_MAX_MATCHES; g++) {
    TS_CHECK(run, !strcmp(json_as_str(json_get(socks.group[g], "resource")), "socket"));
    /* socket.socket.__init__ (the standard library's Python) opened it:
     * the Python frame nearest inside the program's */
    int inner = socks.frame[g] - 1;
    while (inner > 0 && json_get(ts_frame(socks.group[g], inner), "language") == NULL)
      inner--;
    check_python_frame(run, socks.group[g], inner, "__init__");
    check_python_frame(run, socks.group[g], socks.frame[g], "open_sockets");
  }
  ts_leaks_t closed = ts_groups_at(dump, "fd", src, ts_marker_line(src, "closed"));
  TS_CHECK_INT(run, "fds open at LEAK:closed", 0, closed.count);
  TS_CHECK_INT(run, "fds in the dump", 8, int_at(json_get(dump, "summary"), "fds"));
  /* finalization closed them all before the exit report */
  TS_CHECK_INT(run, "fds at exit", 0, int_at(json_get(ts_run_exit_report(run), "summary"), "fds"));
}

static void test_fds_dump(void **state) {
  (void)state;
  check_fds(PY311);
}

static void test_py312_fds_dump(void **state) {
  (void)state;
  check_fds(PY312);
}

static void test_py313_fds_dump(void **state) {
  (void)state;
  check_fds(PY313);
}

/* --- Threads started and never ended --------------------------------- */

static void check_threads(const char *python) {
  const char *src = prog("py_threads");
  const ts_run_t *run = run_py(python, "py_threads", NULL);
  const json_value_t *exit_report = ts_clean_exit_report(run);
  const json_value_t *dump = nth_report(run, "signal", 0);
  ts_leaks_t running = ts_groups_at(dump, "thread", src, ts_marker_line(src, "running"));
  TS_CHECK_INT(run, "threads running from LEAK:running", 4, running.count);
  for (size_t g = 0; g < running.groups && g < TS_MAX_MATCHES; g++) {
    TS_CHECK(run, !strcmp(json_as_str(json_get(running.group[g], "resource")), "running"));
    check_python_frame(run, running.group[g], running.frame[g], "leak_threads");
  }
  ts_leaks_t joined = ts_groups_at(dump, "thread", src, ts_marker_line(src, "joined"));
  TS_CHECK_INT(run, "threads from LEAK:joined", 0, joined.count);
  /* joined before the end: nothing at exit */
  TS_CHECK_INT(run, "thread groups at exit", 0,
               (int64_t)ts_groups_all(exit_report, "thread").groups);
}

static void test_threads_dump(void **state) {
  (void)state;
  check_threads(PY311);
}

static void test_py312_threads_dump(void **state) {
  (void)state;
  check_threads(PY312);
}

static void test_py313_threads_dump(void **state) {
  (void)state;
  check_threads(PY313);
}

/* --- Growth between two dumps ----------------------------------------- */

static void check_growth(const char *python, const char *const *env) {
  const char *src = prog("py_growth");
  const ts_run_t *run = run_py(python, "py_growth", env);
  ts_clean_exit_report(run);
  const json_value_t *dump = nth_report(run, "signal", 1);
  ts_leaks_t cache = ts_leaks_at(dump, src, ts_marker_line(src, "cache"));
  /* bytearray(4000) is one 4001-byte block; the dict's own table may
   * grow at the same line (other sizes) */
  int64_t grown = 0;
  for (size_t g = 0; g < cache.groups && g < TS_MAX_MATCHES; g++) {
    const json_value_t *growth = json_get(cache.group[g], "growth");
    if (int_at(cache.group[g], "bytes") == 4001 * int_at(cache.group[g], "count"))
      grown += int_at(growth, "count");
    check_python_frame(run, cache.group[g], cache.frame[g], "handle");
  }
  TS_CHECK_INT(run, "bytearrays grown at LEAK:cache since the first dump", 50, grown);
  ts_leaks_t scratch = ts_leaks_at(dump, src, ts_marker_line(src, "scratch"));
  TS_CHECK_INT(run, "groups at LEAK:scratch", 0, (int64_t)scratch.groups);
}

static void test_growth_diff(void **state) {
  (void)state;
  const char *env[] = {"LEAKSCOPE_DIFF=1", NULL};
  check_growth(PY311, env);
}

static void test_growth_diff_malloc(void **state) {
  (void)state;
  const char *env[] = {"LEAKSCOPE_DIFF=1", "PYTHONMALLOC=malloc", NULL};
  check_growth(PY311, env);
}

static void test_py312_growth_diff(void **state) {
  (void)state;
  const char *env[] = {"LEAKSCOPE_DIFF=1", NULL};
  check_growth(PY312, env);
}

static void test_py313_growth_diff(void **state) {
  (void)state;
  const char *env[] = {"LEAKSCOPE_DIFF=1", NULL};
  check_growth(PY313, env);
}

/* Small objects (pymalloc's, never malloc's) with LEAKSCOPE_PYTHON_OBJECTS. */
static void test_objects_diff(void **state) {
  (void)state;
  const char *src = prog("py_objects");
  const char *env[] = {"LEAKSCOPE_DIFF=1", "LEAKSCOPE_PYTHON_OBJECTS=1", NULL};
  const ts_run_t *run = run_py(PY311, "py_objects", env);
  ts_clean_exit_report(run);
  const json_value_t *dump = nth_report(run, "signal", 1);
  ts_leaks_t entry = ts_leaks_at(dump, src, ts_marker_line(src, "entry"));
  /* The Entry objects (small: pymalloc's) are groups of several blocks of
   * one size (the first calls and the specialized ones may take different
   * C paths); the list's item array is one block, reallocated. */
  int64_t grown = 0, live = 0;
  for (size_t g = 0; g < entry.groups && g < TS_MAX_MATCHES; g++) {
    int64_t count = int_at(entry.group[g], "count"), bytes = int_at(entry.group[g], "bytes");
    if (count >= 2 && bytes % count == 0 && bytes / count <= 512) {
      grown += int_at(json_get(entry.group[g], "growth"), "count");
      live += count;
    }
    check_python_frame(run, entry.group[g], entry.frame[g], "handle");
  }
  TS_CHECK_INT(run, "small objects new at LEAK:entry since the first dump", 50, grown);
  TS_CHECK_INT(run, "small objects live at LEAK:entry", 60, live);
  ts_leaks_t scratch = ts_leaks_at(dump, src, ts_marker_line(src, "scratch"));
  TS_CHECK_INT(run, "groups at LEAK:scratch", 0, (int64_t)scratch.groups);
}

/* --- A clean program reports nothing ------------------------------------ */

static void check_clean(const char *const *env) {
  const ts_run_t *run = run_py(PY311, "py_clean", env);
  const json_value_t *report = ts_clean_exit_report(run);
  const json_value_t *leaks = json_get(report, "leaks");
  int64_t definite = 0, fds = 0, threads = 0;
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    const char *kind = json_as_str(json_get(g, "kind"));
    const char *reach = json_as_str(json_get(g, "reachability"));
    if (!strcmp(kind, "memory") && reach && !strcmp(reach, "definite"))
      definite += int_at(g, "bytes");
    if (!strcmp(kind, "fd"))
      fds += int_at(g, "count");
    if (!strcmp(kind, "thread"))
      threads += int_at(g, "count");
  }
  TS_CHECK_INT(run, "definitely lost bytes", 0, definite);
  TS_CHECK_INT(run, "fds in the exit report", 0, fds);
  TS_CHECK_INT(run, "threads in the exit report (all were joined)", 0, threads);
}

static void test_clean(void **state) {
  (void)state;
  const char *env[] = {"LEAKSCOPE_REACHABILITY=exit", NULL};
  check_clean(env);
}

static void test_clean_malloc(void **state) {
  (void)state;
  const char *env[] = {"LEAKSCOPE_REACHABILITY=exit", "PYTHONMALLOC=malloc", NULL};
  check_clean(env);
}

/* --- Versions without a known layout ------------------------------------ */

static void test_version_off(void **state) {
  (void)state;
  const ts_run_t *run = run_py(PY310, "py_ctypes_leak", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  const char *line = "leakscope: warning: Python frames off because CPython 3.10 is not supported";
  TS_CHECK(run, strstr(run->err, line) != NULL);
  TS_CHECK(run, strstr(strstr(run->err, line) + 1, line) == NULL); /* once */
  /* the native report as before: the leak is there, without Python frames */
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *stack = json_get(json_at(leaks, i), "stack");
    for (size_t f = 0; f < json_len(stack); f++)
      TS_CHECK(run, json_get(json_at(stack, f), "language") == NULL);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_ctypes_exit, free_run),
      cmocka_unit_test_teardown(test_python_view, free_run),
      cmocka_unit_test_teardown(test_suppress_function, free_run),
      cmocka_unit_test_teardown(test_suppress_file, free_run),
      cmocka_unit_test_teardown(test_fds_dump, free_run),
      cmocka_unit_test_teardown(test_threads_dump, free_run),
      cmocka_unit_test_teardown(test_growth_diff, free_run),
      cmocka_unit_test_teardown(test_growth_diff_malloc, free_run),
      cmocka_unit_test_teardown(test_objects_diff, free_run),
      cmocka_unit_test_teardown(test_clean, free_run),
      cmocka_unit_test_teardown(test_clean_malloc, free_run),
      cmocka_unit_test_teardown(test_py312_ctypes_exit, free_run),
      cmocka_unit_test_teardown(test_py312_fds_dump, free_run),
      cmocka_unit_test_teardown(test_py312_growth_diff, free_run),
      cmocka_unit_test_teardown(test_py312_threads_dump, free_run),
      cmocka_unit_test_teardown(test_py313_ctypes_exit, free_run),
      cmocka_unit_test_teardown(test_py313_fds_dump, free_run),
      cmocka_unit_test_teardown(test_py313_growth_diff, free_run),
      cmocka_unit_test_teardown(test_py313_threads_dump, free_run),
      cmocka_unit_test_teardown(test_version_off, free_run),
  };
  return ts_main("python", tests, sizeof(tests) / sizeof(tests[0]), argc > 1 ? argv[1] : NULL);
}
