/* SPDX-License-Identifier: MIT
 * test_periodic.c: LEAKSCOPE_INTERVAL=1 on a program that runs 3.5 s must
 * give at least 2 reports with "trigger":"periodic" (3 are expected, but a
 * loaded machine may delay the third past the exit), then the exit report.
 * Reports are numbered 1, 2, ... in file order and each lists the
 * program's leak. More than 4 periodic reports would mean the interval
 * is not kept.
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

static void interval(void **state) {
  char out_var[600];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "periodic.json");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", "LEAKSCOPE_INTERVAL=1",
                       out_var, NULL};
  const char *argv[] = {ST_PROG_DIR "/stage_sleeper", "3500", NULL};
  st_spawn(&st_prog, argv, env);
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);

  const ts_run_t *run = &st_prog.run;
  size_t n = st_load_json_reports(&st_prog, out_path);
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_sleeper did not exit with status 0");
  if (n < 3)
    TS_FAIL(run, "expected at least 2 periodic reports and the exit report, got %zu reports", n);
  if (n > 5) /* 3.5 s at one per second: 3, and 4 is already generous */
    TS_FAIL(run, "expected at most 4 periodic reports in 3.5 s, got %zu", n - 1);
  for (size_t i = 0; i < n; i++) {
    const json_value_t *report = run->reports[i];
    st_check_report(&st_prog, report, run->pid, i + 1 < n ? "periodic" : "exit");
    int64_t seq = -1;
    json_as_int(json_get(report, "seq"), &seq);
    TS_CHECK_INT(run, "seq (numbered from 1, in file order)", (int64_t)i + 1, seq);
    st_sum_t leak = st_sum_in_function(report, "memory", "leak_sleeper");
    TS_CHECK_INT(run, "bytes leaked by leak_sleeper", 64, leak.bytes);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(interval, st_teardown)};
  return ts_main("staging_periodic", tests, 1, argc > 1 ? argv[1] : NULL);
}
