/* SPDX-License-Identifier: MIT
 * test_min_age.c: LEAKSCOPE_MIN_AGE=1 on stage_ages, whose live set is 4
 * long-lived blocks (kept from the start) and a ring of 10 blocks that are
 * each replaced after about 0.2 s.
 *
 * A dump after 2 s must list the long-lived group and nothing younger than
 * 1 s: no short_lived_alloc group, and every listed group's newest_s at
 * least 1. The exit report is not filtered, and the program exits with its
 * ring still allocated: its 10 short-lived blocks there show that the
 * library did track them, so their absence from the dump is the filter's
 * doing. The program measures how long its short-lived blocks really
 * lived; if a starved thread kept one for most of a second, a listed
 * short-lived group is no proof of a bug and the test is skipped.
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

static void only_old(void **state) {
  char out_var[600], line[128];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "ages.json");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", "LEAKSCOPE_MIN_AGE=1",
                       out_var, NULL};
  const char *argv[] = {ST_PROG_DIR "/stage_ages", NULL};
  st_spawn(&st_prog, argv, env);
  st_expect_line(&st_prog, "ready", line, sizeof(line));
  st_cmd_t dump = st_dump(&st_prog, 0, NULL);
  st_check_dump_ok(&st_prog, &dump);
  st_cmd_free(&dump);
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);

  const ts_run_t *run = &st_prog.run;
  size_t n = st_load_json_reports(&st_prog, out_path);
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_ages did not exit with status 0");
  TS_CHECK_INT(run, "reports (the dump, then exit)", 2, (int64_t)n);

  const json_value_t *dumped = run->reports[0], *at_exit = run->reports[1];
  st_check_report(&st_prog, dumped, run->pid, "signal");
  st_check_report(&st_prog, at_exit, run->pid, "exit");
  st_expect_line(&st_prog, "oldest short-lived block: ", line, sizeof(line));
  long oldest_ms = atol(line + strlen("oldest short-lived block: "));

  st_sum_t old = st_sum_in_function(dumped, "memory", "keep_long_lived");
  st_sum_t young = st_sum_in_function(dumped, "memory", "short_lived_alloc");
  TS_CHECK_INT(run, "dump: bytes of the long-lived group", 4 * 256, old.bytes);
  TS_CHECK_INT(run, "dump: blocks of the long-lived group", 4, old.count);
  if (young.count && oldest_ms >= 900)
    TS_SKIP("the machine is too loaded for this test: a short-lived block lived %ld ms", oldest_ms);
  TS_CHECK_INT(run, "dump: short-lived blocks listed despite MIN_AGE=1", 0, young.count);

  const json_value_t *leaks = json_get(dumped, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    double oldest = st_num(g, "oldest_s"), newest = st_num(g, "newest_s");
    if (newest < 1.0 || oldest < newest)
      TS_FAIL(run,
              "dump: leaks[%zu] has oldest_s %.3f, newest_s %.3f: with MIN_AGE=1 both "
              "must be >= 1 and oldest_s >= newest_s",
              i, oldest, newest);
  }

  /* Unfiltered at exit: both kinds, the ring as it was left. */
  old = st_sum_in_function(at_exit, "memory", "keep_long_lived");
  young = st_sum_in_function(at_exit, "memory", "short_lived_alloc");
  TS_CHECK_INT(run, "exit: blocks of the long-lived group", 4, old.count);
  TS_CHECK_INT(run, "exit: short-lived blocks still in the ring", 10, young.count);
  TS_CHECK_INT(run, "exit: bytes of the short-lived blocks", 10 * 100, young.bytes);
}

/* LEAKSCOPE_MIN_AGE accepts up to a year. 4294968 s is just past 2^32 ms
 * (49.7 days): converted to milliseconds in 32 bits it wrapped to 704 ms,
 * and the dump listed the 2-second-old long-lived blocks. Nothing in a
 * process that has run for 2 s is 49 days old: the dump lists nothing,
 * while the unfiltered exit report shows the blocks were tracked. */
static void beyond_49_days(void **state) {
  char out_var[600], line[128];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "ages.json");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", "LEAKSCOPE_MIN_AGE=4294968",
                       out_var, NULL};
  const char *argv[] = {ST_PROG_DIR "/stage_ages", NULL};
  st_spawn(&st_prog, argv, env);
  st_expect_line(&st_prog, "ready", line, sizeof(line));
  st_cmd_t dump = st_dump(&st_prog, 0, NULL);
  st_check_dump_ok(&st_prog, &dump);
  st_cmd_free(&dump);
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);

  const ts_run_t *run = &st_prog.run;
  size_t n = st_load_json_reports(&st_prog, out_path);
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_ages did not exit with status 0");
  TS_CHECK_INT(run, "reports (the dump, then exit)", 2, (int64_t)n);
  const json_value_t *dumped = run->reports[0], *at_exit = run->reports[1];
  st_check_report(&st_prog, dumped, run->pid, "signal");
  TS_CHECK_INT(run, "dump: groups listed with MIN_AGE past 2^32 ms", 0,
               (int64_t)json_len(json_get(dumped, "leaks")));
  st_sum_t old = st_sum_in_function(at_exit, "memory", "keep_long_lived");
  TS_CHECK_INT(run, "exit: blocks of the long-lived group", 4, old.count);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(only_old, st_teardown),
                                     cmocka_unit_test_teardown(beyond_49_days, st_teardown)};
  return ts_main("staging_min_age", tests, 2, argc > 1 ? argv[1] : NULL);
}
