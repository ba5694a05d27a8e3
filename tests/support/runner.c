/* SPDX-License-Identifier: MIT
 * runner.c: a run under LD_PRELOAD (through proc.c) with captured output
 * and a timeout, then load the JSON Lines report (see runner.h).
 *
 * Only the child gets LD_PRELOAD: the test binary itself is never traced.
 * The environment and argv are built before the fork.
 */
#include "runner.h"
#include "archive.h"

#include "proc.h"
#include "util.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

extern char **environ;

/* --- Environment --- */

typedef struct env {
  const char **vars;
  size_t len;
} env_t;

static size_t key_len(const char *var) {
  const char *eq = strchr(var, '=');
  return eq ? (size_t)(eq - var) : strlen(var);
}

/* Adds var, replacing a variable of the same name. */
static void env_set(env_t *e, const char *var) {
  size_t k = key_len(var);
  for (size_t i = 0; i < e->len; i++) {
    if (key_len(e->vars[i]) == k && strncmp(e->vars[i], var, k) == 0) {
      e->vars[i] = var;
      return;
    }
  }
  e->vars[e->len++] = var;
}

/* An inherited LEAKSCOPE_* setting would change the report under test, and
 * an inherited LD_PRELOAD would load a second interposer. The one
 * exception is the unwinder: the suite runs once per LEAKSCOPE_UNWIND mode
 * (scripts/test.sh), and every report must be the same in each. */
static bool inherited_var_allowed(const char *var) {
  return strncmp(var, "LD_PRELOAD=", 11) != 0 &&
         (strncmp(var, "LEAKSCOPE_", 10) != 0 || strncmp(var, "LEAKSCOPE_UNWIND=", 17) == 0);
}

const char **ts_env(const char *const *const *sets, size_t nsets) {
  size_t n = 0, total = 2;
  while (environ[n])
    n++;
  for (size_t k = 0; k < nsets; k++)
    for (size_t i = 0; sets[k] && sets[k][i]; i++)
      total++;
  env_t e = {calloc(n + total, sizeof(char *)), 0};
  if (!e.vars)
    fail_msg("runner: out of memory");
  for (size_t i = 0; i < n; i++)
    if (inherited_var_allowed(environ[i]))
      env_set(&e, environ[i]);
  /* Tests check what was tracked, block by block: a program's sink
   * variable would otherwise make its last leak "reachable" and unlisted.
   * Reachability has its own tests (tests/reach), which set it. */
  env_set(&e, "LEAKSCOPE_REACHABILITY=0");
  for (size_t k = 0; k < nsets; k++)
    for (size_t i = 0; sets[k] && sets[k][i]; i++)
      env_set(&e, sets[k][i]);
  return e.vars;
}

/* ts_env with the library, the report file and JSON, then extra. The
 * returned array points into environ, extra and the strings in
 * owned[0..2], which the caller frees. */
static const char **build_env(const char *lib, const char *report_path, const char *const *extra,
                              char *owned[3]) {
  if (asprintf(&owned[0], "LD_PRELOAD=%s", lib) < 0 ||
      asprintf(&owned[1], "LEAKSCOPE_OUTPUT=%s", report_path) < 0 ||
      !(owned[2] = strdup("LEAKSCOPE_FORMAT=json")))
    fail_msg("runner: out of memory");
  const char *base[] = {owned[0], owned[1], owned[2], NULL};
  const char *const *sets[] = {base, extra};
  return ts_env(sets, 2);
}

/* --- Report --- */

static void parse_lines(ts_run_t *run) {
  const char *p = run->report_text, *end = p + run->report_len;
  size_t lineno = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    lineno++;
    if (stop > p) {
      char err[160];
      json_value_t *v = json_parse(p, (size_t)(stop - p), err, sizeof(err));
      if (v) {
        ts_archive_report(p, (size_t)(stop - p));
        json_value_t **r = realloc(run->reports, (run->nreports + 1) * sizeof(*r));
        if (!r)
          fail_msg("runner: out of memory");
        run->reports = r;
        run->reports[run->nreports++] = v;
      } else if (!run->parse_error[0]) {
        snprintf(run->parse_error, sizeof(run->parse_error), "report line %zu: %s", lineno, err);
      }
    }
    p = stop + 1;
  }
}

int ts_run(ts_run_t *run, const char *lib, const char *path, const char *const *argv,
           const char *const *extra_env) {
  return ts_run_for(run, lib, path, argv, extra_env, TS_RUN_TIMEOUT_S * 1000);
}

int ts_run_for(ts_run_t *run, const char *lib, const char *path, const char *const *argv,
               const char *const *extra_env, int timeout_ms) {
  memset(run, 0, sizeof(*run));
  snprintf(run->path, sizeof(run->path), "%s", path);
  run->exit_code = -1;

  const char *tmpdir = getenv("TMPDIR");
  char report_path[512];
  snprintf(report_path, sizeof(report_path), "%s/leakscope-test-XXXXXX",
           tmpdir && *tmpdir ? tmpdir : "/tmp");
  int report_fd = mkstemp(report_path);
  if (report_fd < 0)
    fail_msg("runner: mkstemp %s: %s", report_path, strerror(errno));
  close(report_fd);

  char *owned[3] = {0};
  const char **envp = build_env(lib, report_path, extra_env, owned);
  const char *default_argv[] = {path, NULL};
  ts_proc_t proc;
  ts_proc_start(&proc, &(ts_proc_opts_t){.argv = argv ? argv : default_argv,
                                         .path = path,
                                         .envp = (char *const *)envp,
                                         .timeout_ms = timeout_ms,
                                         .stdin_null = true,
                                         .umask = -1});
  ts_proc_finish(&proc);
  run->pid = proc.pid;
  run->exit_code = proc.exit_code;
  run->term_signal = proc.term_signal;
  run->timed_out = proc.timed_out;
  /* The run owns the output from here. */
  run->out = proc.out;
  run->out_len = proc.out_len;
  run->err = proc.err;
  run->err_len = proc.err_len;
  proc.out = proc.err = NULL;
  ts_proc_free(&proc);

  run->report_text = ts_read_text(report_path, &run->report_len);
  unlink(report_path);
  parse_lines(run);

  for (size_t i = 0; i < 3; i++)
    free(owned[i]);
  free(envp);
  return 0;
}

void ts_run_free(ts_run_t *run) {
  free(run->out);
  free(run->err);
  free(run->report_text);
  for (size_t i = 0; i < run->nreports; i++)
    json_free(run->reports[i]);
  free(run->reports);
  memset(run, 0, sizeof(*run));
}

const json_value_t *ts_run_exit_report(const ts_run_t *run) {
  for (size_t i = run->nreports; i-- > 0;) {
    const json_value_t *r = run->reports[i];
    int64_t pid = 0;
    const char *trigger = json_as_str(json_get(r, "trigger"));
    if (trigger && strcmp(trigger, "exit") == 0 && json_as_int(json_get(r, "pid"), &pid) &&
        pid == run->pid)
      return r;
  }
  ts_fail_run(run, __FILE__, __LINE__, "no report with \"trigger\":\"exit\" and \"pid\":%d",
              (int)run->pid);
  return NULL;
}

/* --- Failure output --- */

static void dump_text(const char *title, const char *text, size_t len) {
  print_error("----- %s (%zu bytes) -----\n", title, len);
  /* print_error formats into a 1024-byte buffer: print long text in pieces. */
  for (size_t off = 0; off < len; off += 512)
    print_error("%.*s", (int)(len - off < 512 ? len - off : 512), text + off);
  if (len && text[len - 1] != '\n')
    print_error("\n");
}

void ts_run_dump(const ts_run_t *run) {
  print_error("----- run of %s (pid %d): ", run->path, (int)run->pid);
  if (run->timed_out)
    print_error("killed: timed out\n");
  else if (run->term_signal)
    print_error("killed by signal %d (%s)\n", run->term_signal, strsignal(run->term_signal));
  else
    print_error("exit status %d\n", run->exit_code);
  if (run->parse_error[0])
    print_error("report parse error: %s\n", run->parse_error);
  dump_text("report", run->report_text ? run->report_text : "", run->report_len);
  dump_text("stdout", run->out ? run->out : "", run->out_len);
  dump_text("stderr", run->err ? run->err : "", run->err_len);
}

void ts_fail_run(const ts_run_t *run, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_error("FAILED: ");
  vprint_error(fmt, ap);
  va_end(ap);
  print_error("\n");
  ts_run_dump(run);
  _fail(file, line);
}

void ts_check_int(const ts_run_t *run, const char *what, int64_t expected, int64_t got,
                  const char *file, int line) {
  if (expected != got)
    ts_fail_run(run, file, line, "%s: expected %lld, got %lld", what, (long long)expected,
                (long long)got);
}

void ts_check_true(const ts_run_t *run, const char *what, bool cond, const char *file, int line) {
  if (!cond)
    ts_fail_run(run, file, line, "expected true: %s", what);
}
