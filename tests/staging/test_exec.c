/* SPDX-License-Identifier: MIT
 * test_exec.c: exec starts a fresh leakscope process, or none at all with
 * LEAKSCOPE_FOLLOW_EXEC=0 / `leakscope run --no-follow`.
 *
 * stage_exec leaks 2 x 500 bytes and an eventfd that survives exec, then
 * execs stage_exec_target, which leaks 3 x 40 bytes. The pre-exec image
 * never exits, so it writes nothing; the exec'd program (same pid) writes
 * the only report, and it must know nothing of the pre-exec image: no
 * leak_before_exec group, and no group for the inherited eventfd, which
 * the target confirms is still open. Both images say whether libleakscope
 * is mapped, so "no report" is backed by "not loaded".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staging.h"

typedef enum mode { FOLLOW, NO_FOLLOW_ENV, NO_FOLLOW_CLI } mode_t_;

static bool fd_listed(const json_value_t *report, int64_t fd) {
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *fds = json_get(json_at(leaks, i), "fds");
    for (size_t j = 0; j < json_len(fds); j++) {
      int64_t v = -1;
      if (json_as_int(json_at(fds, j), &v) && v == fd)
        return true;
    }
  }
  return false;
}

static void run_mode(mode_t_ mode) {
  char out_var[640], line[160], want[160];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "exec.json");
  const char *target = ST_PROG_DIR "/stage_exec_target";
  if (mode == NO_FOLLOW_CLI) {
    const char *argv[] = {ST_CLI,     "run",  "--no-follow",
                          "--format", "json", "--output",
                          out_path,   "--",   ST_PROG_DIR "/stage_exec",
                          target,     NULL};
    st_spawn(&st_prog, argv, NULL);
  } else {
    const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", out_var,
                         mode == NO_FOLLOW_ENV ? "LEAKSCOPE_FOLLOW_EXEC=0" : NULL, NULL};
    const char *argv[] = {ST_PROG_DIR "/stage_exec", target, NULL};
    st_spawn(&st_prog, argv, env);
  }
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);
  const ts_run_t *run = &st_prog.run;
  size_t n = st_load_json_reports(&st_prog, out_path);
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_exec did not exit with status 0");

  int pid = (int)run->pid, fd = -1;
  snprintf(want, sizeof(want), "before exec: pid %d tracked 1 fd ", pid);
  st_expect_line(&st_prog, want, line, sizeof(line));
  fd = atoi(line + strlen(want));
  snprintf(want, sizeof(want), "after exec: pid %d tracked %d fd %d open 1", pid, mode == FOLLOW,
           fd);
  st_expect_line(&st_prog, want, line, sizeof(line));

  if (mode != FOLLOW) {
    TS_CHECK_INT(run, "reports written with exec not followed", 0, (int64_t)n);
    return;
  }
  TS_CHECK_INT(run, "reports (the exec'd program's exit report)", 1, (int64_t)n);
  const json_value_t *report = run->reports[0];
  st_check_report(&st_prog, report, run->pid, "exit");
  st_sum_t after = st_sum_in_function(report, "memory", "leak_after_exec");
  st_sum_t before = st_sum_in_function(report, "memory", "leak_before_exec");
  st_sum_t before_fd = st_sum_in_function(report, "fd", "leak_before_exec");
  TS_CHECK_INT(run, "bytes from leak_after_exec", 3 * 40, after.bytes);
  TS_CHECK_INT(run, "blocks from leak_after_exec", 3, after.count);
  TS_CHECK_INT(run, "groups from the pre-exec image (leak_before_exec)", 0,
               (int64_t)(before.groups + before_fd.groups));
  if (fd_listed(report, fd))
    TS_FAIL(run, "fd %d, opened before exec, is listed by the exec'd program's report", fd);
}

static void follow(void **state) { run_mode(FOLLOW); }
static void no_follow_env(void **state) { run_mode(NO_FOLLOW_ENV); }
static void no_follow_cli(void **state) { run_mode(NO_FOLLOW_CLI); }

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(follow, st_teardown),
      cmocka_unit_test_teardown(no_follow_env, st_teardown),
      cmocka_unit_test_teardown(no_follow_cli, st_teardown),
  };
  return ts_main("staging_exec", tests, sizeof(tests) / sizeof(tests[0]),
                 argc > 1 ? argv[1] : NULL);
}
