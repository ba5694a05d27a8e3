/* SPDX-License-Identifier: MIT
 * test_faults.c: leakscope in hostile conditions. Whatever goes wrong for
 * leakscope (no memory, no fds, an unwritable or full report location, a
 * garbage environment, a kill in the middle of a report), the program
 * must behave exactly as it does without leakscope, and a report is whole
 * or absent, never half-written.
 *
 * Each case runs fault_prog (see fault_prog.c) bare and under leakscope
 * and compares exit status, stdout and stderr (minus "leakscope:" lines
 * and JSON report lines, which a report on stderr adds).
 *
 * Usage: test_faults CASE
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "relsupport.h"

#ifndef LS_TEST_LIB
#error "LS_TEST_LIB must name libleakscope.so"
#endif
#ifndef LS_FAULT_PROG
#error "LS_FAULT_PROG must name fault_prog"
#endif
#ifndef LS_SOURCE_DIR
#error "LS_SOURCE_DIR must name the source tree"
#endif

/* --- Running fault_prog --- */

/* Base environment; with lib, preloaded with JSON reports to `output`
 * (NULL: <dir>/r.%p). Blocks a pointer still reaches are listed too
 * (LEAKSCOPE_SHOW_REACHABLE=1), so the counts the tests expect do not
 * depend on what a register or global happens to hold at exit. */
static void make_env(rel_env_t *e, const rel_fixture_t *f, const char *lib, const char *output) {
  rel_env_base(e, f->dir);
  if (!lib)
    return;
  rel_env_set(e, "LD_PRELOAD", lib);
  rel_env_set(e, "LEAKSCOPE_FORMAT", "json");
  rel_env_set(e, "LEAKSCOPE_SHOW_REACHABLE", "1");
  if (output)
    rel_env_set(e, "LEAKSCOPE_OUTPUT", output);
  else
    rel_env_setf(e, "LEAKSCOPE_OUTPUT", "%s/r.%%p", f->dir);
}

/* One run of fault_prog (or of a copy), bare or under leakscope. */
typedef struct run {
  const char *prog; /* NULL: fault_prog */
  const char *mode, *arg;
  /* Under leakscope only: the report file (NULL: <dir>/r.%p) and more
   * variables, NULL-terminated name, value pairs (or NULL). */
  const char *output;
  const char *const *set;
  int timeout_ms; /* 0: 20 s */
} run_t;

static void run_prog(rel_proc_t *p, const rel_fixture_t *f, const run_t *r, bool traced) {
  rel_env_t env;
  make_env(&env, f, traced ? LS_TEST_LIB : NULL, r->output);
  for (size_t i = 0; traced && r->set && r->set[i]; i += 2)
    rel_env_set(&env, r->set[i], r->set[i + 1]);
  const char *argv[] = {r->prog ? r->prog : LS_FAULT_PROG, r->mode, r->arg, NULL};
  rel_run(p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = r->timeout_ms, .umask = 077});
  rel_env_free(&env);
}

/* Same exit status and output; the traced run's stderr may only add
 * "leakscope:" lines and report lines. */
static void expect_same(const rel_proc_t *bare, const rel_proc_t *traced) {
  char *a = rel_strip_leakscope(traced->err);
  char *err = rel_strip_json(a);
  bool same = !bare->timed_out && !traced->timed_out && bare->exit_code == traced->exit_code &&
              bare->term_signal == traced->term_signal && !strcmp(bare->out, traced->out) &&
              !strcmp(bare->err, err);
  if (!same) {
    rel_show(bare, "bare run");
    rel_show(traced, "run under leakscope");
    fail_msg("the program behaves differently under leakscope");
  }
  free(a);
  free(err);
}

/* The reports a traced run printed on stderr (a fallback). */
static void stderr_reports(rel_reports_t *r, const rel_proc_t *p) {
  size_t n = strlen(p->err);
  char *json = malloc(n + 1), *o = json;
  for (const char *s = p->err; *s;) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
    if (*s == '{') {
      memcpy(o, s, len);
      o += len;
    }
    s += len;
  }
  *o = '\0';
  rel_reports_parse(r, json, (size_t)(o - json));
  free(json);
}

/* A warning containing `what`, and the exit report on stderr instead. */
static void expect_stderr_fallback(const rel_proc_t *p, const char *what) {
  rel_reports_t r;
  stderr_reports(&r, p);
  if (!strstr(p->err, what) || r.n != 1 || !r.complete || !rel_exit_report(&r, p->pid)) {
    rel_show(p, "run under leakscope");
    fail_msg("expected a warning containing \"%s\" and the exit report on stderr (%zu reports)",
             what, r.n);
  }
  rel_reports_free(&r);
}

/* Runs r bare, then under leakscope; the two must behave the same. */
static void bare_and_traced(const rel_fixture_t *f, const run_t *r, rel_proc_t *bare,
                            rel_proc_t *traced) {
  run_prog(bare, f, r, false);
  run_prog(traced, f, r, true);
  expect_same(bare, traced);
}

/* --- Memory --- */

static void test_nomem(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "nomem"}, &bare, &traced);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &traced);
  rel_expect_sum(e, "memory", "fault_leak", 1000, 10);
  if (rel_summary(e, "untracked") != 0)
    fail_msg("untracked: %lld", (long long)rel_summary(e, "untracked"));
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

static void test_bookkeeping(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "bookkeeping", .timeout_ms = 30000}, &bare, &traced);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &traced);
  int64_t untracked = rel_summary(e, "untracked");
  if (untracked <= 0)
    fail_msg("leakscope's table never ran out of memory (untracked %lld): the case tests nothing",
             (long long)untracked);
  rel_expect_sum(e, "memory", "fault_leak", 1000, 10);
  print_message("bookkeeping: %lld allocations untracked, program unaffected\n",
                (long long)untracked);
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* The process exits with its address space exhausted: the report cannot
 * be built. It must then be absent, not half-written, and the process must
 * still exit as it would have. Repeated, because what fails depends on
 * where the last megabytes went. */
static void test_exhausted(void **state) {
  rel_fixture_t *f = *state;
  int written = 0;
  for (int i = 0; i < 5; i++) {
    rel_proc_t bare, traced;
    bare_and_traced(f, &(run_t){.mode = "exhausted", .timeout_ms = 30000}, &bare, &traced);
    char path[1024];
    snprintf(path, sizeof path, "%s/r.%d", f->dir, (int)traced.pid);
    rel_reports_t r;
    bool exists = rel_reports_load(&r, path);
    if (exists && (!r.complete || !rel_exit_report(&r, traced.pid)))
      fail_msg("%s: half a report: %s", path, r.error);
    if (!exists && !strstr(traced.err, "leakscope: warning:"))
      fail_msg("no report and no warning saying why");
    written += exists;
    rel_reports_free(&r);
    rel_proc_free(&bare);
    rel_proc_free(&traced);
  }
  print_message("exhausted: 5 runs exited normally, %d wrote their report, the rest none\n",
                written);
}

/* --- File descriptors --- */

/* The program sees the same fd numbers and EMFILE at the same point
 * (leakscope holds no fd in its range), and although every fd is in use
 * at exit, the report still reaches the file (the exit report borrows
 * fd 0, keptfd.h) with every leaked fd. */
static void test_nofile_full(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "nofile", .arg = "full"}, &bare, &traced);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &traced);
  if (rel_summary(e, "fds") < 40)
    fail_msg("expected the ~60 leaked fds in the report, got %lld",
             (long long)rel_summary(e, "fds"));
  if (strstr(traced.err, "cannot write report file"))
    fail_msg("leakscope could not open the report file: %s", traced.err);
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

static void test_nofile_free(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "nofile", .arg = "free"}, &bare, &traced);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &traced);
  if (rel_summary(e, "fds") < 40)
    fail_msg("expected the ~50 leaked fds in the report, got %lld",
             (long long)rel_summary(e, "fds"));
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* --- Report locations --- */

static void test_no_dir(void **state) {
  rel_fixture_t *f = *state;
  char output[1024];
  snprintf(output, sizeof output, "%s/no/such/dir/r.json", f->dir);
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "simple", .output = output}, &bare, &traced);
  expect_stderr_fallback(&traced, "cannot write report file");
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* A directory the program may not write: a new report goes to stderr; an
 * existing, writable report file is appended to in place. As root, whom
 * permissions do not stop, the program runs as nobody (65534) from a
 * staged copy. */
static void test_readonly_dir(void **state) {
  rel_fixture_t *f = *state;
  bool root = geteuid() == 0;
  const char *files[] = {LS_FAULT_PROG, LS_TEST_LIB, NULL};
  char *stage = root ? rel_stage("faults-stage", files) : NULL;
  char prog[1024], lib[1024], ro[1024], fresh[1100], existing[1100];
  const char *lib_base = strrchr(LS_TEST_LIB, '/') + 1;
  snprintf(prog, sizeof prog, "%s/fault_prog", root ? stage : "");
  snprintf(lib, sizeof lib, "%s/%s", root ? stage : "", lib_base);
  snprintf(ro, sizeof ro, "%s/ro", root ? stage : f->dir);
  snprintf(fresh, sizeof fresh, "%s/new.json", ro);
  snprintf(existing, sizeof existing, "%s/existing.json", ro);
  if (mkdir(ro, 0755) != 0)
    fail_msg("mkdir %s: %s", ro, strerror(errno));
  rel_write_file(existing, "");
  if (root && chown(existing, 65534, 65534) != 0)
    fail_msg("chown: %s", strerror(errno));
  chmod(existing, 0600);
  chmod(ro, 0555);
  rel_opts_t o = {.timeout_ms = 20000, .umask = 077, .as_user = root, .uid = 65534, .gid = 65534};
  const char *argv[] = {root ? prog : LS_FAULT_PROG, "simple", NULL};
  o.argv = argv;
  rel_env_t env;
  rel_proc_t bare, traced, appended;
  rel_env_base(&env, "/");
  rel_run(
      &bare,
      &(rel_opts_t){
          .argv = argv, .env = &env, .umask = 077, .as_user = root, .uid = 65534, .gid = 65534});
  rel_env_set(&env, "LD_PRELOAD", root ? lib : LS_TEST_LIB);
  rel_env_set(&env, "LEAKSCOPE_FORMAT", "json");
  rel_env_set(&env, "LEAKSCOPE_OUTPUT", fresh);
  o.env = &env;
  rel_run(&traced, &o);
  expect_same(&bare, &traced);
  expect_stderr_fallback(&traced, "cannot write report file");
  if (access(fresh, F_OK) == 0)
    fail_msg("%s was created in a read-only directory", fresh);

  rel_env_set(&env, "LEAKSCOPE_OUTPUT", existing);
  rel_run(&appended, &o);
  expect_same(&bare, &appended);
  rel_reports_t r;
  rel_reports_load(&r, existing);
  if (!r.complete || r.n != 1 || !rel_exit_report(&r, appended.pid) ||
      strstr(appended.err, "{\"format\""))
    fail_msg("%s: expected the report appended in place (%zu reports: %s)", existing, r.n, r.error);
  rel_reports_free(&r);
  rel_env_free(&env);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
  rel_proc_free(&appended);
  if (stage) {
    ts_rm_rf(stage);
    free(stage);
  }
}

/* A full file system: the second report does not fit. The first must
 * stay intact, nothing half-written may appear, and the report goes to
 * stderr. Needs root to mount a 64 KiB tmpfs. */
static void test_full_fs(void **state) {
  rel_fixture_t *f = *state;
  char mnt[1024], output[1100], filler[1100];
  snprintf(mnt, sizeof mnt, "%s/tiny", f->dir);
  snprintf(output, sizeof output, "%s/r.json", mnt);
  snprintf(filler, sizeof filler, "%s/filler", mnt);
  mkdir(mnt, 0755);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0755") != 0)
    TS_SKIP("cannot mount a tmpfs here (%s): needs root", strerror(errno));
  f->mounted = strdup(mnt);
  const run_t simple = {.mode = "simple", .output = output};
  rel_proc_t first, bare, traced;
  run_prog(&first, f, &simple, true);
  rel_reports_t r;
  rel_reports_load(&r, output);
  if (!r.complete || r.n != 1)
    fail_msg("first report: %zu reports, %s", r.n, r.error);
  rel_reports_free(&r);
  size_t before_len;
  char *before = ts_read_file(output, &before_len);

  /* Fill the file system to the last block. */
  int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  static char block[4096];
  while (write(fd, block, sizeof block) > 0)
    ;
  while (write(fd, block, 1) > 0)
    ;
  close(fd);

  bare_and_traced(f, &simple, &bare, &traced);
  expect_stderr_fallback(&traced, "cannot write report file");
  size_t after_len;
  char *after = ts_read_file(output, &after_len);
  if (!after || after_len != before_len || memcmp(before, after, before_len) != 0)
    fail_msg("the report file changed (%zu bytes before, %zu after)", before_len, after_len);
  DIR *d = opendir(mnt);
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (strstr(de->d_name, ".tmp."))
      fail_msg("a temporary file was left behind: %s", de->d_name);
  if (d)
    closedir(d);
  free(before);
  free(after);
  rel_proc_free(&first);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* A character device as the report file (LEAKSCOPE_OUTPUT=/dev/null is
 * the common case): it must stay a device. Uses a private copy of
 * /dev/null (mknod, root only) so a failure cannot break the machine's. */
static void test_device_node(void **state) {
  rel_fixture_t *f = *state;
  char node[1024];
  snprintf(node, sizeof node, "%s/null", f->dir);
  if (mknod(node, S_IFCHR | 0666, makedev(1, 3)) != 0)
    TS_SKIP("cannot create a device node here (%s): needs root", strerror(errno));
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "simple", .output = node}, &bare, &traced);
  struct stat st;
  if (lstat(node, &st) != 0 || !S_ISCHR(st.st_mode))
    fail_msg("%s is no longer a character device (mode %o): the report replaced it", node,
             (unsigned)st.st_mode);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* The report file is also the program's own log: the program's writes
 * after a report must land in the file like before it. */
static void test_shared_log(void **state) {
  rel_fixture_t *f = *state;
  char log[1024];
  snprintf(log, sizeof log, "%s/shared.log", f->dir);
  rel_proc_t traced;
  run_prog(&traced, f, &(run_t){.mode = "logshare", .arg = log, .output = log}, true);
  char *text = ts_read_file(log, NULL);
  if (traced.exit_code != 0 || !text || !strstr(text, "program line 1\n") ||
      !strstr(text, "program line 2\n") || !strstr(text, "\"trigger\":\"signal\"")) {
    rel_show(&traced, "run under leakscope");
    fail_msg("the program's own lines and the reports must all be in %s; it holds:\n%.600s", log,
             text ? text : "(nothing)");
  }
  free(text);
  rel_proc_free(&traced);
}

/* --- Environment --- */

/* Values that are invalid for every option of a kind. The huge value is
 * filled in at run time. */
static const char *const bad_numbers[] = {"12abc", "",     "-1",   "99999999999999999999999",
                                          " 5",    "0x10", "HUGE", NULL};
static const char *const bad_bools[] = {"maybe", "", "-1", "2", "yes please", "HUGE", NULL};
static const char *const bad_enums[] = {"xml", "", "-1", "JSON ", "HUGE", NULL};
static const char *const bad_signals[] = {"SIGFOO", "",         "-1",   "KILL", "SEGV",
                                          "65",     "RTMIN+99", "HUGE", NULL};
static const char *const bad_outputs[] = {"", "HUGE", NULL};
static const char *const bad_suppressions[] = {"", "HUGE", "/no/such/file", "-1", NULL};

static const struct {
  const char *name;
  const char *const *values;
} option_kinds[] = {
    {"OUTPUT", bad_outputs},
    {"FORMAT", bad_enums},
    {"DEPTH", bad_numbers},
    {"UNWIND", bad_enums},
    {"SIGNAL", bad_signals},
    {"INTERVAL", bad_numbers},
    {"MIN_AGE", bad_numbers},
    {"DIFF", bad_bools},
    {"EXITCODE", bad_numbers},
    {"FOLLOW_EXEC", bad_bools},
    {"REACHABILITY", bad_bools},
    {"SHOW_REACHABLE", bad_bools},
    {"SHOW_BELOW_MAIN", bad_bools},
    {"PYTHON", bad_bools},
    {"PYTHON_VIEW", bad_enums},
    {"PYTHON_OBJECTS", bad_bools},
    {"THREADS", bad_enums},
    {"SHOW_STD_FDS", bad_bools},
    {"SUPPRESSIONS", bad_suppressions},
    {"VERBOSE", bad_bools},
    {"SAMPLE", bad_numbers},
    {"SEED", bad_numbers},
    {"GEN_SUPPRESSIONS", bad_bools},
    {"BASELINE", bad_suppressions},
    {"SORT", bad_enums},
    {"TOP", bad_numbers},
    {"FOLDED_LINES", bad_bools},
};

/* Every LEAKSCOPE_ variable docs/options.md documents must be tested. */
static void check_options_doc(void) {
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/options.md", LS_SOURCE_DIR);
  char *doc = ts_read_file(path, NULL);
  if (!doc)
    fail_msg("cannot read %s", path);
  for (const char *s = doc; (s = strstr(s, "| `LEAKSCOPE_"));) {
    s += strlen("| `LEAKSCOPE_");
    size_t n = strcspn(s, "`");
    bool known = false;
    for (size_t i = 0; i < sizeof option_kinds / sizeof option_kinds[0]; i++)
      known |= strlen(option_kinds[i].name) == n && !strncmp(option_kinds[i].name, s, n);
    if (!known)
      fail_msg("docs/options.md documents LEAKSCOPE_%.*s: add it to option_kinds in %s", (int)n, s,
               __FILE__);
  }
  free(doc);
}

/* Where the report of a traced "simple" run must be, given the bad
 * variable: the defaults (stderr for OUTPUT, text for FORMAT). */
static void expect_default_report(const rel_fixture_t *f, const rel_proc_t *p, const char *name,
                                  const char *shown) {
  if (!strcmp(name, "OUTPUT")) {
    expect_stderr_fallback(p, "LEAKSCOPE_OUTPUT");
    return;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/r.%d", f->dir, (int)p->pid);
  if (!strcmp(name, "FORMAT")) {
    char *text = ts_read_file(path, NULL);
    if (!text || !strstr(text, "== leakscope: end of report"))
      fail_msg("LEAKSCOPE_FORMAT=%s: expected a text report in %s", shown, path);
    free(text);
    unlink(path);
    return;
  }
  rel_reports_t r;
  rel_reports_load(&r, path);
  const json_value_t *e = rel_exit_report(&r, p->pid);
  if (!r.complete || !e)
    fail_msg("LEAKSCOPE_%s=%s: no complete report in %s: %s", name, shown, path, r.error);
  /* With SHOW_REACHABLE back at its default, the block simple_leak()'s
   * last pointer still reaches is counted, not listed. */
  if (!strcmp(name, "SHOW_REACHABLE"))
    rel_expect_sum(e, "memory", "simple_leak", 160, 4);
  else
    rel_expect_sum(e, "memory", "simple_leak", 200, 5);
  rel_reports_free(&r);
  unlink(path);
}

static void test_env_garbage(void **state) {
  rel_fixture_t *f = *state;
  check_options_doc();
  static char huge[100 * 1024 + 1];
  memset(huge, 'x', sizeof huge - 1);
  rel_proc_t bare;
  run_prog(&bare, f, &(run_t){.mode = "simple"}, false);
  int runs = 0;
  for (size_t i = 0; i < sizeof option_kinds / sizeof option_kinds[0]; i++) {
    for (const char *const *v = option_kinds[i].values; *v; v++) {
      const char *value = strcmp(*v, "HUGE") ? *v : huge;
      const char *shown = strcmp(*v, "HUGE") ? *v : "<100 KiB of x>";
      char var[64];
      snprintf(var, sizeof var, "LEAKSCOPE_%s", option_kinds[i].name);
      const char *set[] = {var, value, NULL};
      rel_proc_t p;
      run_prog(&p, f, &(run_t){.mode = "simple", .set = set}, true);
      runs++;
      expect_same(&bare, &p);
      size_t warnings = rel_count_lines(p.err, "leakscope: warning:");
      size_t lines = rel_count_lines(p.err, "leakscope:");
      bool names_it = strstr(p.err, var) || (!strcmp(option_kinds[i].name, "SUPPRESSIONS") &&
                                             strstr(p.err, "suppression file"));
      if (warnings != 1 || lines != 1 || !names_it) {
        rel_show(&p, "run under leakscope");
        fail_msg(
            "%s=%s: expected exactly one warning line naming it, got %zu (%zu leakscope lines)",
            var, shown, warnings, lines);
      }
      for (const char *s = strstr(p.err, "leakscope:"); *s && *s != '\n'; s++)
        if (s - strstr(p.err, "leakscope:") > 400)
          fail_msg("%s=%s: the warning line is longer than 400 bytes", var, shown);
      expect_default_report(f, &p, option_kinds[i].name, shown);
      rel_proc_free(&p);
    }
  }
  /* Unknown names: one warning each. */
  static const char *const unknown[] = {"LEAKSCOPE_NO_SUCH_OPTION", "1", "LEAKSCOPE_", "1",
                                        "LEAKSCOPE_VERBOSEX",       "1", NULL};
  rel_proc_t p;
  run_prog(&p, f, &(run_t){.mode = "simple", .set = unknown}, true);
  expect_same(&bare, &p);
  if (rel_count_lines(p.err, "leakscope: warning: unknown variable") != 3)
    fail_msg("expected 3 unknown-variable warnings:\n%s", p.err);
  expect_default_report(f, &p, "UNKNOWN", "");
  print_message("env: %d runs with an invalid LEAKSCOPE_ value, each one warning line, output"
                " unchanged, report written with the defaults\n",
                runs + 1);
  rel_proc_free(&p);
  rel_proc_free(&bare);
}

/* Control characters in a bad value must not reach the terminal raw: a
 * newline would split the warning, and the second half would look like
 * the program's own output. */
static void test_env_control(void **state) {
  rel_fixture_t *f = *state;
  static const char *const values[] = {"a\nb", "a\rb", "\x1b[31mred", "tab\there", NULL};
  rel_proc_t bare;
  run_prog(&bare, f, &(run_t){.mode = "simple"}, false);
  for (const char *const *v = values; *v; v++) {
    rel_proc_t p;
    const char *set[] = {"LEAKSCOPE_DEPTH", *v, NULL};
    run_prog(&p, f, &(run_t){.mode = "simple", .set = set}, true);
    expect_same(&bare, &p);
    const char *w = strstr(p.err, "leakscope: warning:");
    for (const char *s = w; s && *s && *s != '\n'; s++)
      if (iscntrl((unsigned char)*s))
        fail_msg("LEAKSCOPE_DEPTH with byte 0x%02x: written raw in the warning:\n%s",
                 (unsigned char)*s, p.err);
    rel_proc_free(&p);
  }
  rel_proc_free(&bare);
}

/* --- Suppression files --- */

/* Runs "simple" under leakscope with a suppression file holding `rules`
 * (len bytes), from `prog`; the leak of simple_leak() must be reported. */
static void run_with_suppressions(const rel_fixture_t *f, const char *prog, const char *rules,
                                  size_t len) {
  char supp[1024];
  snprintf(supp, sizeof supp, "%s/suppressions.txt", f->dir);
  FILE *fp = fopen(supp, "w");
  if (!fp || fwrite(rules, 1, len, fp) != len || fclose(fp) != 0)
    fail_msg("writing %s failed", supp);
  const char *set[] = {"LEAKSCOPE_SUPPRESSIONS", supp, NULL};
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.prog = prog, .mode = "simple", .set = set}, &bare, &traced);
  rel_reports_t r;
  rel_expect_sum(rel_expect_report(&r, f->dir, &traced), "memory", "simple_leak", 200, 5);
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* A NUL byte right after "leak:" must not make a rule that matches
 * everything (the pattern would be the empty string). */
static void test_suppress_nul(void **state) {
  static const char rules[] = "leak:\0never-matches\n";
  run_with_suppressions(*state, NULL, rules, sizeof rules - 1);
}

/* A pattern with many '*' against a long name must not make the report
 * (and so the program's exit) take forever. The program runs from a
 * directory named with 60 'a's, so its module path is such a name. */
static void test_suppress_stars(void **state) {
  rel_fixture_t *f = *state;
  char dir[1024], prog[1100];
  snprintf(dir, sizeof dir, "%s/%.60s", f->dir,
           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  snprintf(prog, sizeof prog, "%s/fault_prog", dir);
  if (mkdir(dir, 0755) != 0)
    fail_msg("mkdir: %s", strerror(errno));
  rel_copy_file(LS_FAULT_PROG, prog, 0755);
  static const char rules[] = "leak:*a*a*a*a*a*a*a*a*a*a*a*a*z\n";
  run_with_suppressions(f, prog, rules, sizeof rules - 1);
}

/* A rule whose pattern, escaped for JSON, is longer than 510 bytes (the
 * fixed buffer the JSON writer once copied it through, leaving the string
 * cut and unterminated): the JSON line must still parse, and name the
 * rule whole. 700 '*' after the name still match simple_leak. */
static void test_suppress_long_pattern(void **state) {
  rel_fixture_t *f = *state;
  char rules[800], rule[760];
  int n = snprintf(rule, sizeof rule, "leak:simple_leak%.700s",
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************"
                   "****************************************************************************");
  assert_int_equal(n, 5 + 11 + 700);
  snprintf(rules, sizeof rules, "%s\n", rule);
  char supp[1024];
  snprintf(supp, sizeof supp, "%s/suppressions.txt", f->dir);
  rel_write_file(supp, rules);
  const char *set[] = {"LEAKSCOPE_SUPPRESSIONS", supp, NULL};
  rel_proc_t bare, traced;
  bare_and_traced(f, &(run_t){.mode = "simple", .set = set}, &bare, &traced);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &traced);
  const json_value_t *s = json_at(json_get(json_get(e, "summary"), "suppressed"), 0);
  const char *got = json_as_str(json_get(s, "rule"));
  int64_t bytes = -1;
  json_as_int(json_get(s, "bytes"), &bytes);
  if (!got || strcmp(got, rule) != 0 || bytes != 200)
    fail_msg("summary.suppressed[0]: rule %s (%zu bytes, expected %d), bytes %lld (expected 200)",
             got ? "differs" : "missing", got ? strlen(got) : 0, n, (long long)bytes);
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* --- A report is whole or absent --- */

/* A program that dumps big reports without pause is killed (SIGKILL) at
 * deterministic pseudo-random moments, again and again, all runs
 * appending to one file. After each kill the file must hold only complete
 * reports, and start with exactly what it held before. */
static void test_whole_or_absent(void **state) {
  rel_fixture_t *f = *state;
  enum { ROUNDS = 15 };
  char output[1024];
  snprintf(output, sizeof output, "%s/big.json", f->dir);
  rel_env_t env;
  make_env(&env, f, LS_TEST_LIB, output);
  rel_env_set(&env, "LEAKSCOPE_DEPTH", "16");
  uint64_t rng = 0x2545F4914F6CDD1Dull;
  char *before = NULL;
  size_t before_len = 0, reports = 0, max_size = 0;
  int killed_mid_run = 0;
  for (int round = 0; round < ROUNDS; round++) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    int delay = 40 + (int)(rng % 600);
    const char *argv[] = {LS_FAULT_PROG, "dumploop", "128", NULL};
    rel_proc_t p;
    rel_start(&p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 20000, .umask = 077});
    if (!rel_wait_output(&p, "ready\n", 10000))
      fail_msg("round %d: the program did not start: %s", round, p.err);
    rel_poll(&p, delay);
    if (!p.exited) {
      kill(-p.pid, SIGKILL);
      killed_mid_run++;
    }
    rel_finish(&p);
    size_t len;
    char *text = ts_read_file(output, &len);
    rel_reports_t r;
    rel_reports_parse(&r, text ? text : "", text ? len : 0);
    if (!r.complete)
      fail_msg("round %d (killed after %d ms): %s", round, delay, r.error);
    if (len < before_len || (before_len && memcmp(before, text, before_len) != 0))
      fail_msg("round %d: the earlier %zu bytes of reports changed", round, before_len);
    if (r.n < reports)
      fail_msg("round %d: %zu reports, fewer than before (%zu)", round, r.n, reports);
    for (size_t i = reports; i < r.n; i++)
      if (json_len(json_get(r.items[i], "leaks")) < 128)
        fail_msg("round %d: report %zu lists %zu groups, expected 128", round, i,
                 json_len(json_get(r.items[i], "leaks")));
    reports = r.n;
    rel_reports_free(&r);
    free(before);
    before = text;
    if (len - before_len > max_size)
      max_size = len - before_len;
    before_len = len;
    rel_proc_free(&p);
  }
  rel_env_free(&env);
  size_t strays = 0;
  DIR *d = opendir(f->dir);
  struct dirent *de;
  while (d && (de = readdir(d)))
    strays += strstr(de->d_name, "big.json.tmp.") != NULL;
  if (d)
    closedir(d);
  print_message("whole-or-absent: %d SIGKILLs during dumps, %zu complete reports (%zu bytes),"
                " %zu stray temporary files, no partial line\n",
                killed_mid_run, reports, before_len, strays);
  if (reports == 0)
    fail_msg("no report was ever written");
  free(before);
}

int main(int argc, char **argv) {
  static const struct CMUnitTest all[] = {
      REL_TEST(test_nomem),
      REL_TEST(test_bookkeeping),
      REL_TEST(test_exhausted),
      REL_TEST(test_nofile_full),
      REL_TEST(test_nofile_free),
      REL_TEST(test_no_dir),
      REL_TEST(test_readonly_dir),
      REL_TEST(test_full_fs),
      REL_TEST(test_device_node),
      REL_TEST(test_shared_log),
      REL_TEST(test_env_garbage),
      REL_TEST(test_env_control),
      REL_TEST(test_suppress_nul),
      REL_TEST(test_suppress_stars),
      REL_TEST(test_suppress_long_pattern),
      REL_TEST(test_whole_or_absent),
  };
  return ts_main("faults", all, sizeof all / sizeof all[0], argc > 1 ? argv[1] : NULL);
}
