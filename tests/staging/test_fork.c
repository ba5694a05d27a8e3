/* SPDX-License-Identifier: MIT
 * test_fork.c: a forked child is a leakscope process of its own.
 *
 * stage_fork leaks 2 x 100 bytes and an eventfd in the parent, forks, and
 * the child leaks 3 x 30 bytes. With LEAKSCOPE_OUTPUT=.../fork-%p.json
 * each process writes its own file. The child's file must hold the dump
 * the test asked for with `leakscope dump CHILD` and the child's exit
 * report, both with the child's pid, both listing what it inherited (the
 * parent's blocks and eventfd) and its own blocks. The parent's file holds
 * only its exit report, without the child's blocks.
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

static void check_sums(const json_value_t *report, const char *who, bool has_child_blocks) {
  const ts_run_t *run = &st_prog.run;
  char what[128];
  st_sum_t parent = st_sum_in_function(report, "memory", "leak_in_parent");
  st_sum_t parent_fd = st_sum_in_function(report, "fd", "leak_in_parent");
  st_sum_t child = st_sum_in_function(report, "memory", "leak_in_child");
  snprintf(what, sizeof(what), "%s: bytes from leak_in_parent", who);
  TS_CHECK_INT(run, what, 2 * 100, parent.bytes);
  snprintf(what, sizeof(what), "%s: eventfds from leak_in_parent", who);
  TS_CHECK_INT(run, what, 1, parent_fd.count);
  snprintf(what, sizeof(what), "%s: bytes from leak_in_child", who);
  TS_CHECK_INT(run, what, has_child_blocks ? 3 * 30 : 0, child.bytes);
}

static void child(void **state) {
  char out_var[640], parent_path[600], child_path[600], line[64];
  const char *tmpl = st_output_var(out_var, sizeof(out_var), "fork-%p.json");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", out_var, NULL};
  const char *argv[] = {ST_PROG_DIR "/stage_fork", NULL};
  st_spawn(&st_prog, argv, env);
  st_expect_line(&st_prog, "child ", line, sizeof(line));
  pid_t child_pid = (pid_t)atoi(line + strlen("child "));
  if (child_pid <= 0 || child_pid == st_prog.run.pid)
    TS_FAIL(&st_prog.run, "bad child pid in \"%s\"", line);

  st_cmd_t dump = st_dump(&st_prog, child_pid, NULL);
  st_check_dump_ok(&st_prog, &dump);
  st_cmd_free(&dump);
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);
  const ts_run_t *run = &st_prog.run;
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_fork did not exit with status 0");
  st_expect_line(&st_prog, "parent: child exited 0", line, sizeof(line));

  st_expand_pid(parent_path, sizeof(parent_path), tmpl, run->pid);
  st_expand_pid(child_path, sizeof(child_path), tmpl, child_pid);
  size_t np = st_load_json_reports(&st_prog, parent_path);
  size_t nc = st_load_json_reports(&st_prog, child_path);
  TS_CHECK_INT(run, "reports in the parent's file (exit)", 1, (int64_t)np);
  TS_CHECK_INT(run, "reports in the child's file (the dump, then exit)", 2, (int64_t)nc);

  const json_value_t *parent_exit = run->reports[0];
  const json_value_t *child_dump = run->reports[1], *child_exit = run->reports[2];
  st_check_report(&st_prog, parent_exit, run->pid, "exit");
  st_check_report(&st_prog, child_dump, child_pid, "signal");
  st_check_report(&st_prog, child_exit, child_pid, "exit");
  check_sums(parent_exit, "parent's exit report", false);
  check_sums(child_dump, "child's dump", true);
  check_sums(child_exit, "child's exit report", true);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(child, st_teardown)};
  return ts_main("staging_fork", tests, 1, argc > 1 ? argv[1] : NULL);
}
