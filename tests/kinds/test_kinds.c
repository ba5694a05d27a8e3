/* SPDX-License-Identifier: MIT
 * test_kinds.c: threads, memory mappings and child processes, the three
 * kinds of issue 15. Each case runs a program of tests/kinds/progs under
 * the preloaded library, at -O0 and at -O2 -fomit-frame-pointer, and
 * checks its JSON reports: the groups of the kind at each LEAK: marker
 * (count, state, the tids/pids/sizes the program printed), nothing at
 * the lines whose resources were released, and the summary counts.
 *
 * Usage: test_kinds [CASE_OPT]   e.g. test_kinds thread_unjoined_O2
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
#include "util.h"

typedef struct kcase {
  const char *name;
  void (*check)(const struct kcase *c, const char *opt);
} kcase_t;

static ts_run_t current_run;
static char *temp_dir;

/* --- Running and reading --- */

static const char *prog_path(const char *prog, const char *opt) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/prog_kind_%s_%s", LS_PROG_DIR, prog, opt);
  return path;
}

static const char *src_path(const char *file) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", LS_KIND_PROG_SRC_DIR, file);
  return path;
}

/* Runs prog_kind_<prog>_<opt> with argv[1] = mode and the extra env. */
static const ts_run_t *run_prog(const char *prog, const char *opt, const char *mode,
                                const char *const *env) {
  char path[1024];
  snprintf(path, sizeof path, "%s", prog_path(prog, opt));
  const char *argv[] = {path, mode, NULL};
  ts_run(&current_run, LS_TEST_LIB, path, argv, env);
  return &current_run;
}

static int64_t int_of(const json_value_t *v, const char *key) {
  int64_t n = -1;
  json_as_int(json_get(v, key), &n);
  return n;
}

static int64_t summary(const json_value_t *report, const char *key) {
  return int_of(json_get(report, "summary"), key);
}

/* The number the program printed as "<what> <marker> <n>", or -1. */
static long said(const ts_run_t *run, const char *what, const char *marker) {
  char key[128];
  snprintf(key, sizeof key, "%s %s ", what, marker);
  for (const char *p = run->out; p && (p = strstr(p, key)); p++)
    if (p == run->out || p[-1] == '\n')
      return strtol(p + strlen(key), NULL, 10);
  return -1;
}

/* The one group of kind whose first frame in src is the marker's line;
 * fails unless there is exactly one. */
static const json_value_t *group_at(const ts_run_t *run, const json_value_t *report,
                                    const char *kind, const char *src, const char *marker) {
  int line = ts_marker_line(src, marker);
  ts_leaks_t m = ts_groups_at(report, kind, src, line);
  char what[160];
  snprintf(what, sizeof what, "%s groups whose first frame is LEAK:%s (line %d)", kind, marker,
           line);
  TS_CHECK_INT(run, what, 1, (int64_t)m.groups);
  ts_check_stack(run, m.group[0], marker);
  return m.group[0];
}

static void no_group_at(const ts_run_t *run, const json_value_t *report, const char *kind,
                        const char *src, const char *marker) {
  int line = ts_marker_line(src, marker);
  ts_leaks_t m = ts_groups_at(report, kind, src, line);
  if (m.groups)
    TS_FAIL(run, "LEAK:%s (line %d): expected no %s group, got %zu (count %lld)", marker, line,
            kind, m.groups, (long long)m.count);
}

static void check_str(const ts_run_t *run, const char *what, const char *expected,
                      const char *got) {
  if (!got || strcmp(expected, got) != 0)
    TS_FAIL(run, "%s: expected \"%s\", got \"%s\"", what, expected, got ? got : "(null)");
}

static void check_bool(const ts_run_t *run, const char *what, bool expected,
                       const json_value_t *v) {
  bool got = !expected;
  if (!json_as_bool(v, &got) || got != expected)
    TS_FAIL(run, "%s: expected %s", what, expected ? "true" : "false");
}

/* The reports of the run with "trigger" equal to trigger, in order. */
static size_t reports_of(const ts_run_t *run, const char *trigger, const json_value_t **out,
                         size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < run->nreports && n < max; i++) {
    const char *t = json_as_str(json_get(run->reports[i], "trigger"));
    if (t && !strcmp(t, trigger))
      out[n++] = run->reports[i];
  }
  return n;
}

/* A suppression file in the temporary directory; returns the
 * LEAKSCOPE_SUPPRESSIONS=... setting (static). */
static const char *suppressions(const char *rules) {
  static char var[1200];
  if (!temp_dir)
    temp_dir = ts_tempdir("kinds");
  char path[1100];
  snprintf(path, sizeof path, "%s/supp", temp_dir);
  FILE *f = fopen(path, "w");
  if (!f || fputs(rules, f) < 0 || fclose(f) != 0)
    fail_msg("cannot write %s", path);
  snprintf(var, sizeof var, "LEAKSCOPE_SUPPRESSIONS=%s", path);
  return var;
}

static void check_suppressed(const ts_run_t *run, const json_value_t *report, const char *rule,
                             int64_t groups) {
  const json_value_t *list = json_get(json_get(report, "summary"), "suppressed");
  for (size_t i = 0; i < json_len(list); i++) {
    const json_value_t *s = json_at(list, i);
    if (!strcmp(json_as_str(json_get(s, "rule")) ? json_as_str(json_get(s, "rule")) : "", rule)) {
      TS_CHECK_INT(run, "groups the rule suppressed", groups, int_of(s, "groups"));
      return;
    }
  }
  TS_FAIL(run, "summary.suppressed has no entry for %s", rule);
}

/* --- Threads --- */

#define THREAD_SRC "prog_kind_thread.c"

/* The not-joined group at marker: one thread, the tid the program
 * printed, the name if any. */
static void check_unjoined(const ts_run_t *run, const json_value_t *report, const char *marker,
                           const char *name) {
  const json_value_t *g = group_at(run, report, "thread", src_path(THREAD_SRC), marker);
  check_str(run, "resource", "not-joined", json_as_str(json_get(g, "resource")));
  check_bool(run, "leak", true, json_get(g, "leak"));
  TS_CHECK_INT(run, "count", 1, int_of(g, "count"));
  const json_value_t *t = json_at(json_get(g, "threads"), 0);
  TS_CHECK_INT(run, "tid", said(run, "tid", marker), int_of(t, "tid"));
  if (name)
    check_str(run, "name", name, json_as_str(json_get(t, "name")));
  else if (!json_is_null(json_get(t, "name")))
    TS_FAIL(run, "LEAK:%s: a thread without a name of its own has \"name\":null", marker);
  if (int_of(t, "stack_size") < 16384)
    TS_FAIL(run, "LEAK:%s: stack_size %lld", marker, (long long)int_of(t, "stack_size"));
}

static void thread_unjoined(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("thread", opt, "unjoined", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  check_unjoined(run, report, "unjoined", NULL);
  check_unjoined(run, report, "exited", "exiter");
  const char *src = src_path(THREAD_SRC);
  no_group_at(run, report, "thread", src, "joined");
  no_group_at(run, report, "thread", src, "detached");
  no_group_at(run, report, "thread", src, "tryjoined");
  TS_CHECK_INT(run, "thread groups", 2, (int64_t)ts_groups_all(report, "thread").groups);
  TS_CHECK_INT(run, "summary.threads", 2, summary(report, "threads"));
  TS_CHECK_INT(run, "summary.threads_running", 0, summary(report, "threads_running"));
  TS_CHECK_INT(run, "summary.leak_groups", 2, summary(report, "leak_groups"));
}

static void thread_suppressed(const kcase_t *c, const char *opt) {
  const char *env[] = {suppressions("thread:leak_unjoined\n"), NULL};
  const ts_run_t *run = run_prog("thread", opt, "unjoined", env);
  const json_value_t *report = ts_clean_exit_report(run);
  TS_CHECK_INT(run, "thread groups", 0, (int64_t)ts_groups_all(report, "thread").groups);
  TS_CHECK_INT(run, "summary.threads", 0, summary(report, "threads"));
  check_suppressed(run, report, "thread:leak_unjoined", 2);
}

static void thread_running(const kcase_t *c, const char *opt) {
  const char *env[] = {"LEAKSCOPE_DIFF=1", NULL};
  const ts_run_t *run = run_prog("thread", opt, "running", env);
  const json_value_t *report = ts_clean_exit_report(run);
  const json_value_t *dumps[2];
  TS_CHECK_INT(run, "signal reports", 2, (int64_t)reports_of(run, "signal", dumps, 2));
  const char *src = src_path(THREAD_SRC);
  for (int d = 0; d < 2; d++) {
    const json_value_t *g = group_at(run, dumps[d], "thread", src, "running");
    check_str(run, "resource", "running", json_as_str(json_get(g, "resource")));
    check_bool(run, "leak", false, json_get(g, "leak"));
    TS_CHECK_INT(run, "count at the dump", 25 * (d + 1), int_of(g, "count"));
    TS_CHECK_INT(run, "growth.count", 25, int_of(json_get(g, "growth"), "count"));
    TS_CHECK_INT(run, "threads listed", 25 * (d + 1), (int64_t)json_len(json_get(g, "threads")));
    check_str(run, "name", "blocked",
              json_as_str(json_get(json_at(json_get(g, "threads"), 0), "name")));
    TS_CHECK_INT(run, "summary.threads_running", 25 * (d + 1),
                 summary(dumps[d], "threads_running"));
    TS_CHECK_INT(run, "summary.leak_groups (running threads are not leaks)", 0,
                 summary(dumps[d], "leak_groups"));
  }
  TS_CHECK_INT(run, "thread groups at exit", 0, (int64_t)ts_groups_all(report, "thread").groups);
}

/* LEAKSCOPE_MIN_AGE applies to thread groups in dumps: threads a few
 * milliseconds old are not listed in a dump that wants 100 s. */
static void thread_min_age(const kcase_t *c, const char *opt) {
  const char *env[] = {"LEAKSCOPE_MIN_AGE=100", NULL};
  const ts_run_t *run = run_prog("thread", opt, "running", env);
  ts_clean_exit_report(run);
  const json_value_t *dumps[2];
  TS_CHECK_INT(run, "signal reports", 2, (int64_t)reports_of(run, "signal", dumps, 2));
  for (int d = 0; d < 2; d++) {
    TS_CHECK_INT(run, "thread groups in the dump", 0,
                 (int64_t)ts_groups_all(dumps[d], "thread").groups);
    TS_CHECK_INT(run, "summary.threads_running", 0, summary(dumps[d], "threads_running"));
  }
}

static void thread_at_exit(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("thread", opt, "at_exit", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  const json_value_t *g = group_at(run, report, "thread", src_path(THREAD_SRC), "at_exit");
  check_str(run, "resource", "running", json_as_str(json_get(g, "resource")));
  check_bool(run, "leak", false, json_get(g, "leak"));
  TS_CHECK_INT(run, "summary.threads_running", 1, summary(report, "threads_running"));
  TS_CHECK_INT(run, "summary.leak_groups", 0, summary(report, "leak_groups"));
  TS_CHECK_INT(run, "summary.groups (listed)", 1, summary(report, "groups"));
}

static void thread_strict(const kcase_t *c, const char *opt) {
  const char *env[] = {"LEAKSCOPE_THREADS=strict", "LEAKSCOPE_EXITCODE=9", NULL};
  ts_run(&current_run, LS_TEST_LIB, prog_path("thread", opt),
         (const char *const[]){prog_path("thread", opt), "at_exit", NULL}, env);
  const ts_run_t *run = &current_run;
  TS_CHECK_INT(run, "exit status (LEAKSCOPE_EXITCODE)", 9, run->exit_code);
  const json_value_t *report = ts_run_exit_report(run);
  const json_value_t *g = group_at(run, report, "thread", src_path(THREAD_SRC), "at_exit");
  check_bool(run, "leak", true, json_get(g, "leak"));
  TS_CHECK_INT(run, "summary.leak_groups", 1, summary(report, "leak_groups"));
}

static void thread_cxx(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("cxx_thread", opt, NULL, NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  TS_CHECK_INT(run, "thread groups", 0, (int64_t)ts_groups_all(report, "thread").groups);
  TS_CHECK_INT(run, "summary.threads", 0, summary(report, "threads"));
  if (!strstr(run->out, "in thread"))
    TS_FAIL(run, "the std::thread did not run");
}

static void thread_checkpoint(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("api", opt, "thread", NULL);
  ts_clean_exit_report(run);
  TS_CHECK_INT(run, "threads not joined since the checkpoint", 1, said(run, "count", "leaked"));
  TS_CHECK_INT(run, "threads after the join", 0, said(run, "count", "joined"));
  TS_CHECK_INT(run, "threads from before the checkpoint", 0, said(run, "count", "before"));
}

/* --- Child processes --- */

#define PROCESS_SRC "prog_kind_process.c"

/* The zombie group at LEAK:fork: one child, the pid printed, status 3. */
static void check_zombie(const ts_run_t *run, const json_value_t *report) {
  const json_value_t *g = group_at(run, report, "process", src_path(PROCESS_SRC), "fork");
  check_str(run, "resource", "zombie", json_as_str(json_get(g, "resource")));
  check_bool(run, "leak", true, json_get(g, "leak"));
  TS_CHECK_INT(run, "count", 1, int_of(g, "count"));
  const json_value_t *p = json_at(json_get(g, "processes"), 0);
  TS_CHECK_INT(run, "pid", said(run, "pid", "fork"), int_of(p, "pid"));
  TS_CHECK_INT(run, "exit_code", 3, int_of(p, "exit_code"));
  check_str(run, "state", "zombie", json_as_str(json_get(p, "state")));
}

static void process_zombie(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("process", opt, "zombie", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  check_zombie(run, report);
  const char *src = src_path(PROCESS_SRC);
  static const char *const clean[] = {"fork_waited", "popen", "posix_spawn", "system",
                                      "fork_wait4"};
  for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
    no_group_at(run, report, "process", src, clean[i]);
  TS_CHECK_INT(run, "process groups", 1, (int64_t)ts_groups_all(report, "process").groups);
  TS_CHECK_INT(run, "summary.processes", 1, summary(report, "processes"));
  TS_CHECK_INT(run, "summary.processes_running", 0, summary(report, "processes_running"));
  TS_CHECK_INT(run, "fd groups (popen's stream was closed)", 0,
               (int64_t)ts_groups_all(report, "fd").groups);
  if (!strstr(run->out, "popen-ok"))
    TS_FAIL(run, "popen's child did not run");
}

static void process_suppressed(const kcase_t *c, const char *opt) {
  const char *env[] = {suppressions("process:leak_fork\n"), NULL};
  const ts_run_t *run = run_prog("process", opt, "zombie", env);
  const json_value_t *report = ts_clean_exit_report(run);
  TS_CHECK_INT(run, "process groups", 0, (int64_t)ts_groups_all(report, "process").groups);
  TS_CHECK_INT(run, "summary.processes", 0, summary(report, "processes"));
  check_suppressed(run, report, "process:leak_fork", 1);
}

static void process_running(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("process", opt, "running", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  const json_value_t *g = group_at(run, report, "process", src_path(PROCESS_SRC), "running_child");
  check_str(run, "resource", "running", json_as_str(json_get(g, "resource")));
  check_bool(run, "leak", false, json_get(g, "leak"));
  const json_value_t *p = json_at(json_get(g, "processes"), 0);
  TS_CHECK_INT(run, "pid", said(run, "pid", "running_child"), int_of(p, "pid"));
  TS_CHECK_INT(run, "summary.processes_running", 1, summary(report, "processes_running"));
  TS_CHECK_INT(run, "summary.leak_groups", 0, summary(report, "leak_groups"));
}

static void process_ignored(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("process", opt, "ignored", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  TS_CHECK_INT(run, "process groups", 0, (int64_t)ts_groups_all(report, "process").groups);
  TS_CHECK_INT(run, "summary.processes", 0, summary(report, "processes"));
}

/* The exit report of process pid among the run's reports, or NULL. */
static const json_value_t *exit_report_of(const ts_run_t *run, long pid) {
  for (size_t i = 0; i < run->nreports; i++) {
    const char *t = json_as_str(json_get(run->reports[i], "trigger"));
    if (t && !strcmp(t, "exit") && int_of(run->reports[i], "pid") == pid)
      return run->reports[i];
  }
  return NULL;
}

static void process_fork_records(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_prog("process", opt, "records", NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  check_zombie(run, report);
  const json_value_t *t = group_at(run, report, "thread", src_path(PROCESS_SRC), "parent_thread");
  (void)t;
  long child = said(run, "pid", "fork_child");
  const json_value_t *own = exit_report_of(run, child);
  if (!own)
    TS_FAIL(run, "no exit report of the forked child %ld", child);
  TS_CHECK_INT(run, "the child's thread groups", 0, (int64_t)ts_groups_all(own, "thread").groups);
  TS_CHECK_INT(run, "the child's process groups", 0, (int64_t)ts_groups_all(own, "process").groups);
  no_group_at(run, report, "process", src_path(PROCESS_SRC), "fork_child");
}

/* --- Mappings --- */

#define MAPPING_SRC "prog_kind_mapping.c"

static const ts_run_t *run_mapping(const char *opt, const char *const *env) {
  static char file[1100];
  snprintf(file, sizeof file, "%s", src_path(MAPPING_SRC));
  char path[1024];
  snprintf(path, sizeof path, "%s", prog_path("mapping", opt));
  const char *argv[] = {path, "leaks", file, LS_KIND_PLUGIN, NULL};
  ts_run(&current_run, LS_TEST_LIB, path, argv, env);
  return &current_run;
}

/* The mapping group at marker: one mapping, the address and size the
 * program printed, the resource and backing path. */
static void check_mapping(const ts_run_t *run, const json_value_t *report, const char *marker,
                          const char *resource, const char *path) {
  const json_value_t *g = group_at(run, report, "mapping", src_path(MAPPING_SRC), marker);
  check_str(run, "resource", resource, json_as_str(json_get(g, "resource")));
  TS_CHECK_INT(run, "count", 1, int_of(g, "count"));
  const json_value_t *m = json_at(json_get(g, "mappings"), 0);
  char key[64];
  snprintf(key, sizeof key, "map %s ", marker);
  const char *line = strstr(run->out, key);
  unsigned long addr = 0, size = 0;
  if (!line || sscanf(line + strlen(key), "%lu %lu", &addr, &size) != 2)
    TS_FAIL(run, "the program did not print LEAK:%s's mapping", marker);
  const char *hex = json_as_str(json_get(m, "address"));
  TS_CHECK_INT(run, "address", (int64_t)addr, hex ? (int64_t)strtoull(hex, NULL, 16) : -1);
  TS_CHECK_INT(run, "size", (int64_t)size, int_of(m, "size"));
  TS_CHECK_INT(run, "bytes", (int64_t)size, int_of(g, "bytes"));
  check_str(run, "path", path, json_as_str(json_get(m, "path")));
}

static void mapping_leaks(const kcase_t *c, const char *opt) {
  const ts_run_t *run = run_mapping(opt, NULL);
  const json_value_t *report = ts_clean_exit_report(run);
  char real[4096];
  if (!realpath(src_path(MAPPING_SRC), real))
    fail_msg("realpath %s", src_path(MAPPING_SRC));
  check_mapping(run, report, "anon", "anonymous", "[anonymous]");
  check_mapping(run, report, "file", "file", real);
  check_mapping(run, report, "mremap", "anonymous", "[anonymous]");
  check_mapping(run, report, "half", "anonymous", "[anonymous]");
  const json_value_t *shm = group_at(run, report, "mapping", src_path(MAPPING_SRC), "shmat");
  check_str(run, "resource of the shmat mapping", "shm", json_as_str(json_get(shm, "resource")));
  TS_CHECK_INT(run, "bytes of the shmat mapping", 65536, int_of(shm, "bytes"));
  const char *src = src_path(MAPPING_SRC);
  no_group_at(run, report, "mapping", src, "unmapped");
  no_group_at(run, report, "mapping", src, "shmat_detached");
  no_group_at(run, report, "mapping", src, "malloc_big");
  no_group_at(run, report, "mapping", src, "dlopen");
  TS_CHECK_INT(run, "mapping groups", 5, (int64_t)ts_groups_all(report, "mapping").groups);
  TS_CHECK_INT(run, "summary.mappings", 5, summary(report, "mappings"));
  TS_CHECK_INT(run, "summary.mapping_bytes",
               (1 << 20) + 4096 + (256 << 10) + (128 << 10) + (64 << 10),
               summary(report, "mapping_bytes"));
  if (strstr(run->out, "dlopen"))
    TS_FAIL(run, "the plugin did not load");
}

static void mapping_suppressed(const kcase_t *c, const char *opt) {
  const char *env[] = {suppressions("mapping:leak_maps\n"), NULL};
  const ts_run_t *run = run_mapping(opt, env);
  const json_value_t *report = ts_clean_exit_report(run);
  TS_CHECK_INT(run, "mapping groups", 0, (int64_t)ts_groups_all(report, "mapping").groups);
  TS_CHECK_INT(run, "summary.mappings", 0, summary(report, "mappings"));
  check_suppressed(run, report, "mapping:leak_maps", 5);
}

static void mapping_reach(const kcase_t *c, const char *opt) {
  const char *env[] = {"LEAKSCOPE_REACHABILITY=exit", NULL};
  const char *argv[] = {prog_path("mapping", opt), "reach", NULL};
  ts_run(&current_run, LS_TEST_LIB, argv[0], argv, env);
  const ts_run_t *run = &current_run;
  const json_value_t *report = ts_clean_exit_report(run);
  const char *src = src_path(MAPPING_SRC);
  no_group_at(run, report, "mapping", src, "kept");
  const json_value_t *g = group_at(run, report, "mapping", src, "lost");
  TS_CHECK_INT(run, "bytes of the lost mapping", 16384, int_of(g, "bytes"));
  TS_CHECK_INT(run, "summary.reachable_mappings", 1, summary(report, "reachable_mappings"));
  TS_CHECK_INT(run, "summary.reachable_mapping_bytes", 8192,
               summary(report, "reachable_mapping_bytes"));
  TS_CHECK_INT(run, "summary.mappings", 1, summary(report, "mappings"));
}

/* --- The table --- */

static const kcase_t cases[] = {
    {"thread_unjoined", thread_unjoined},
    {"thread_suppressed", thread_suppressed},
    {"thread_running", thread_running},
    {"thread_min_age", thread_min_age},
    {"thread_at_exit", thread_at_exit},
    {"thread_strict", thread_strict},
    {"thread_cxx", thread_cxx},
    {"thread_checkpoint", thread_checkpoint},
    {"process_zombie", process_zombie},
    {"process_suppressed", process_suppressed},
    {"process_running", process_running},
    {"process_ignored", process_ignored},
    {"process_fork_records", process_fork_records},
    {"mapping_leaks", mapping_leaks},
    {"mapping_suppressed", mapping_suppressed},
    {"mapping_reach", mapping_reach},
};

static void run_case(void **state) {
  const ts_opt_case_t *t = *state;
  const kcase_t *c = t->c;
  c->check(c, t->opt);
}

static int free_run(void **state) {
  ts_run_free(&current_run);
  if (temp_dir) {
    ts_rm_rf(temp_dir);
    free(temp_dir);
    temp_dir = NULL;
  }
  return 0;
}

int main(int argc, char **argv) {
  return TS_MAIN_OPTS("kinds", cases, run_case, free_run, argc > 1 ? argv[1] : NULL);
}
