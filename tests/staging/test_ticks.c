/* SPDX-License-Identifier: MIT
 * test_ticks.c: signal dumps of a busy program, with LEAKSCOPE_DIFF=1.
 *
 * stage_ticks churns memory and fds in 4 threads and leaks 3 x 48 bytes
 * and one eventfd per tick from leak_tick(). The test runs a script of
 * ticks and dumps; a tick is complete when the program has printed it, so
 * at every dump the leak_tick totals are exactly known, and so is the
 * growth since the previous report. Dumps alternate between `leakscope
 * dump` (whose output must be the report's line in the file) and a bare
 * kill() followed by polling the file.
 *
 * Every report is checked: trigger, pid, summary vs groups, no fd listed
 * twice, count == length of "fds", totals that never shrink, growth equal
 * to what was leaked in between. The program's stdout must be the same as
 * in a run without the library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staging.h"

#define TICK_BLOCKS 3
#define TICK_BYTES 48

/* t: one tick. D: `leakscope dump`. K: kill(SIGUSR2) and wait for the line.
 * Starts with a dump before any leak, has two dumps with nothing between
 * and runs of several ticks between dumps. */
static const char script[] = "DtDttDDtKtttKtD";

typedef struct expect {
  int ticks;     /* leak_tick calls before this report */
  char *cli_out; /* `leakscope dump` output, or NULL for a kill */
} expect_t;

static expect_t expect[sizeof(script)];
static size_t nexpect;

static int teardown(void **state) {
  for (size_t i = 0; i < nexpect; i++)
    free(expect[i].cli_out);
  nexpect = 0;
  return st_teardown(state);
}

/* The leak_tick groups of report (number `index` in the file) against
 * `ticks` ticks in all and `before` at the previous report. */
static void check_ticks(const json_value_t *report, size_t index, int ticks, int before) {
  const ts_run_t *run = &st_prog.run;
  char what[160];
  st_sum_t mem = st_sum_in_function(report, "memory", "leak_tick");
  st_sum_t fd = st_sum_in_function(report, "fd", "leak_tick");

  snprintf(what, sizeof(what), "report %zu (after %d ticks): leak_tick bytes", index + 1, ticks);
  TS_CHECK_INT(run, what, (int64_t)ticks * TICK_BLOCKS * TICK_BYTES, mem.bytes);
  snprintf(what, sizeof(what), "report %zu (after %d ticks): leak_tick blocks", index + 1, ticks);
  TS_CHECK_INT(run, what, (int64_t)ticks * TICK_BLOCKS, mem.count);
  snprintf(what, sizeof(what), "report %zu (after %d ticks): leak_tick eventfds", index + 1, ticks);
  TS_CHECK_INT(run, what, ticks, fd.count);
  TS_CHECK_INT(run, "fds listed in the leak_tick fd groups vs their count", fd.count,
               fd.fds_listed);

  snprintf(what, sizeof(what), "report %zu: leak_tick groups without \"growth\"", index + 1);
  TS_CHECK_INT(run, what, 0, (int64_t)(mem.growth_missing + fd.growth_missing));
  snprintf(what, sizeof(what), "report %zu (ticks %d -> %d): leak_tick growth.bytes", index + 1,
           before, ticks);
  TS_CHECK_INT(run, what, (int64_t)(ticks - before) * TICK_BLOCKS * TICK_BYTES, mem.growth_bytes);
  snprintf(what, sizeof(what), "report %zu (ticks %d -> %d): leak_tick growth.count", index + 1,
           before, ticks);
  TS_CHECK_INT(run, what, (int64_t)(ticks - before) * TICK_BLOCKS, mem.growth_count);
  snprintf(what, sizeof(what), "report %zu (ticks %d -> %d): eventfd growth.count", index + 1,
           before, ticks);
  TS_CHECK_INT(run, what, ticks - before, fd.growth_count);
}

/* Whether line i (0-based) of text, with its newline, is exactly want. */
static bool line_is(const char *text, size_t i, const char *want) {
  for (; i > 0; i--) {
    text = strchr(text, '\n');
    if (!text)
      return false;
    text++;
  }
  const char *nl = strchr(text, '\n');
  size_t n = nl ? (size_t)(nl - text) + 1 : 0;
  return nl && strlen(want) == n && memcmp(text, want, n) == 0;
}

static void growth(void **state) {
  char out_tmpl[600], out_path[600], line[256];
  st_output_var(out_tmpl, sizeof(out_tmpl), "ticks-%p.json");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", "LEAKSCOPE_DIFF=1", out_tmpl,
                       NULL};
  const char *argv[] = {ST_PROG_DIR "/stage_ticks", NULL};
  st_spawn(&st_prog, argv, env);
  st_expand_pid(out_path, sizeof(out_path), strchr(out_tmpl, '=') + 1, st_prog.run.pid);
  st_expect_line(&st_prog, "ready", line, sizeof(line));

  int ticks = 0;
  for (const char *s = script; *s; s++) {
    if (*s == 't') {
      char want[32];
      st_write(&st_prog, "t\n");
      snprintf(want, sizeof(want), "tick %d", ++ticks);
      st_expect_line(&st_prog, want, line, sizeof(line));
    } else if (*s == 'D') {
      st_cmd_t dump = st_dump(&st_prog, 0, NULL);
      st_check_dump_ok(&st_prog, &dump);
      expect[nexpect++] = (expect_t){ticks, dump.out};
      dump.out = NULL;
      st_cmd_free(&dump);
    } else {
      kill(st_prog.run.pid, SIGUSR2);
      expect[nexpect++] = (expect_t){ticks, NULL};
      st_wait_for_file(&st_prog, out_path, "\n", nexpect, ST_LINE_TIMEOUT_MS);
    }
  }
  st_write(&st_prog, "q\n");
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);
  const ts_run_t *run = &st_prog.run;
  size_t n = st_load_json_reports(&st_prog, out_path);
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_ticks did not exit with status 0");
  TS_CHECK_INT(run, "reports in the file (one per dump, then the exit report)",
               (int64_t)nexpect + 1, (int64_t)n);
  if (run->err_len)
    TS_FAIL(run, "the library wrote to stderr");

  char *text = ts_read_text(out_path, NULL);
  int before = 0;
  for (size_t i = 0; i < n; i++) {
    const json_value_t *report = run->reports[i];
    bool last = i == n - 1;
    int at = last ? ticks : expect[i].ticks;
    st_check_report(&st_prog, report, run->pid, last ? "exit" : "signal");
    int64_t seq = -1, untracked = -1;
    json_as_int(json_get(report, "seq"), &seq);
    json_as_int(json_get(json_get(report, "summary"), "untracked"), &untracked);
    TS_CHECK_INT(run, "seq of the report (numbered from 1, in file order)", (int64_t)i + 1, seq);
    TS_CHECK_INT(run, "summary.untracked", 0, untracked);
    check_ticks(report, i, at, before);
    before = at;
    if (!last && expect[i].cli_out) {
      if (!line_is(text, i, expect[i].cli_out)) {
        free(text);
        TS_FAIL(run, "`leakscope dump` printed something else than report %zu of the file:\n%s",
                i + 1, expect[i].cli_out);
      }
    }
  }
  free(text);

  /* The same commands without the library: the same output. */
  st_proc_t plain;
  const char *plain_argv[] = {ST_PROG_DIR "/stage_ticks", NULL};
  st_spawn(&plain, plain_argv, NULL);
  for (int i = 0; i < ticks; i++)
    st_write(&plain, "t\n");
  st_write(&plain, "q\n");
  st_finish(&plain, ST_EXIT_TIMEOUT_MS);
  bool same = plain.run.exit_code == 0 && plain.proc.out_len == st_prog.proc.out_len &&
              memcmp(plain.proc.out, st_prog.proc.out, plain.proc.out_len) == 0;
  if (!same) {
    print_error("----- stdout without the library -----\n%s\n",
                plain.proc.out ? plain.proc.out : "");
    st_proc_free(&plain);
    TS_FAIL(run, "stdout differs from a run without the library");
  }
  st_proc_free(&plain);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(growth, teardown)};
  return ts_main("staging_ticks", tests, 1, argc > 1 ? argv[1] : NULL);
}
