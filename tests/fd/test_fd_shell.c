/* SPDX-License-Identifier: MIT
 * test_fd_shell.c: real programs whose fd handling used to be reported as
 * leaks: bash scripts (every redirection is a dup2 onto 0, 1 or 2, and
 * leakscope follows exec into each command), `sort -o` (dup2 of its
 * output file onto fd 1, closed by glibc inside fclose(stdout)) and node
 * (libuv closes every fd with syscall(SYS_close)); and a program that opens
 * fds until EMFILE, which must open as many traced as bare.
 *
 * Every process of a run writes its exit report to the same file. Each
 * report must list no fd at all, and each case says how many records
 * must have been left out as closed or replaced behind leakscope's back
 * (summary.fds_stale), so that a case cannot pass by hiding fds it should
 * have seen being closed: node's must be 0.
 *
 * Usage: test_fd_shell [CASE]; CTest runs one case per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "runner.h"
#include "testmain.h"

typedef struct shell_case {
  const char *script; /* run as: bash -c SCRIPT bash DIR (DIR is $1) */
  const char *env;    /* extra "NAME=value", or NULL */
  const char *needs;  /* a program the case needs, or NULL */
  int64_t stale;      /* summary.fds_stale of every report, at most */
  int64_t stale_min;  /* ... and at least (a closed fd's number is the
                         lowest free one: a file the report itself opens
                         can take it, and its close clears the record) */
  size_t min_reports; /* processes that must have reported */
  bool named_fds;     /* fd groups may be listed if every fd has a name
                         (node's event loop fds are open at exit) */
} shell_case_t;

static char dir[PATH_MAX];
static ts_run_t current;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  return remove(path);
}

static void run_shell(const shell_case_t *c) {
  if (c->needs && access(c->needs, X_OK) != 0)
    TS_SKIP("%s is not installed", c->needs);
  const char *tmp = getenv("TMPDIR");
  char templ[PATH_MAX];
  snprintf(templ, sizeof templ, "%s/leakscope-shell-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(templ) || !realpath(templ, dir))
    fail_msg("cannot make a scratch directory from %s", templ);
  const char *argv[] = {"bash", "-c", c->script, "bash", dir, NULL};
  const char *env[] = {c->env, NULL};
  ts_run(&current, LS_TEST_LIB, "/bin/bash", argv, env);
  const ts_run_t *run = &current;
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "the script did not exit with status 0");
  if (run->parse_error[0])
    TS_FAIL(run, "report is not valid JSON Lines: %s", run->parse_error);
  if (run->nreports < c->min_reports)
    TS_FAIL(run, "expected a report from each of %zu processes, got %zu reports", c->min_reports,
            run->nreports);
  for (size_t i = 0; i < run->nreports; i++) {
    const json_value_t *r = run->reports[i];
    ts_check_report_shape(run, r);
    ts_leaks_t fds = ts_groups_all(r, "fd");
    for (size_t g = 0; g < fds.groups && g < TS_MAX_MATCHES; g++) {
      int64_t fd = -1;
      json_as_int(json_at(json_get(fds.group[g], "fds"), 0), &fd);
      const char *path = json_as_str(json_at(json_get(fds.group[g], "paths"), 0));
      if (!c->named_fds || !path || strcmp(path, "?") == 0)
        TS_FAIL(run, "report %zu lists fd %lld (%s)", i + 1, (long long)fd, path ? path : "null");
    }
    int64_t stale = -1;
    json_as_int(json_get(json_get(r, "summary"), "fds_stale"), &stale);
    if (stale < c->stale_min || stale > c->stale)
      TS_FAIL(run, "report %zu: summary.fds_stale %lld, expected %lld to %lld", i + 1,
              (long long)stale, (long long)c->stale_min, (long long)c->stale);
  }
}

static int cleanup(void **state) {
  ts_run_free(&current);
  if (dir[0])
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  dir[0] = '\0';
  return 0;
}

#define SHELL_TEST(name, ...)                                                                      \
  static void test_##name(void **state) {                                                          \
    static const shell_case_t c = {__VA_ARGS__};                                                   \
    run_shell(&c);                                                                                 \
  }

/* bash's own redirections, in the forms scripts use most. */
SHELL_TEST(exec_redirect, .script = "exec 2>\"$1/x\"; echo to-x >&2", .min_reports = 1)
SHELL_TEST(group_redirect, .script = "{ echo a; echo b >&2; } 2>/dev/null >\"$1/z\"",
           .min_reports = 1)
SHELL_TEST(while_read,
           .script = "printf 'a\\nb\\n' >\"$1/f\"; while read l; do echo \"$l\"; done <\"$1/f\" "
                     ">\"$1/o\"",
           .min_reports = 1)
/* Two commands: bash forks a subshell for echo and execs cat. */
SHELL_TEST(pipeline, .script = "echo hi | cat", .min_reports = 2)
/* sort, exec'd by bash: its fd 1 is closed inside fclose(stdout). With
 * the standard streams listed, the record is left out and counted, or
 * cleared before the check if the report reused fd 1 for a file of its
 * own. */
SHELL_TEST(sort_o, .script = "printf 'b\\na\\n' >\"$1/in\"; exec sort -o \"$1/out\" \"$1/in\"",
           .env = "LEAKSCOPE_SHOW_STD_FDS=1", .min_reports = 1, .stale = 1)
/* node (libuv) closes with syscall(SYS_close): nothing stale (before, 11
 * records of closed fds were listed with path "?"). Its event loop's own
 * fds (epoll, eventfd, a pipe) stay open until the process ends: real,
 * and named. */
SHELL_TEST(node,
           .script = "exec node -e \"require('fs').writeFileSync(process.argv[1] + '/n', 'x')\" "
                     "\"$1\"",
           .needs = "/usr/bin/node", .min_reports = 1, .named_fds = true)

/* A program started with a soft RLIMIT_NOFILE of 64 opens as many fds
 * traced as bare: leakscope holds none of the numbers below its limit
 * (the kept stderr and root sit above the soft limit, design decision
 * 34). With soft and hard limits equal at start-up they cannot, and the
 * program gets EMFILE two opens early: documented there, not tested. */
static void test_nofile(void **state) {
  const char *script = "ulimit -Sn 64 && exec \"$1\"";
  const char *argv[] = {"bash", "-c", script, "bash", LS_PROG_DIR "/prog_fd_nofile_O2", NULL};
  ts_run_t bare;
  ts_run(&bare, "", "/bin/bash", argv, NULL);
  ts_run(&current, LS_TEST_LIB, "/bin/bash", argv, NULL);
  const ts_run_t *run = &current;
  if (bare.exit_code != 0 || run->exit_code != 0)
    TS_FAIL(run, "exit status: bare %d, traced %d (bare said: %s)", bare.exit_code, run->exit_code,
            bare.out ? bare.out : "");
  if (!bare.out || !run->out || strcmp(bare.out, run->out) != 0)
    TS_FAIL(run, "bare said \"%s\", traced said \"%s\"", bare.out ? bare.out : "",
            run->out ? run->out : "");
  ts_run_free(&bare);
}

int main(int argc, char **argv) {
  static const struct CMUnitTest all[] = {
      cmocka_unit_test_teardown(test_exec_redirect, cleanup),
      cmocka_unit_test_teardown(test_group_redirect, cleanup),
      cmocka_unit_test_teardown(test_while_read, cleanup),
      cmocka_unit_test_teardown(test_pipeline, cleanup),
      cmocka_unit_test_teardown(test_sort_o, cleanup),
      cmocka_unit_test_teardown(test_node, cleanup),
      cmocka_unit_test_teardown(test_nofile, cleanup),
  };
  return ts_main("fd_shell", all, sizeof all / sizeof all[0], argc > 1 ? argv[1] : NULL);
}
