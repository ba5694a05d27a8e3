/* SPDX-License-Identifier: MIT
 * test_handler.c: a program that installs its own SIGUSR2 handler, the
 * default dump signal, with sigaction(SA_SIGINFO) or with signal().
 *
 * Dumps must keep working and the program's handler must still run once
 * per signal the program could see (a kill), with the arguments it asked
 * for, and never for `leakscope dump`'s own requests (aimed at the
 * library's thread and tagged as its own). The program must also see
 * the dispositions it would see without the library: SIG_DFL as the
 * previous one, and its own handler when it asks.
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

#define DUMPS 3 /* two through `leakscope dump`, one by kill() */
#define KILLS 1 /* the signals the program's handler sees */

static void run_with(const char *how) {
  char out_var[600], line[128], want[64];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "handler.json");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", out_var, NULL};
  char calls[8];
  snprintf(calls, sizeof(calls), "%d", KILLS);
  const char *argv[] = {ST_PROG_DIR "/stage_handler", how, calls, NULL};
  st_spawn(&st_prog, argv, env);
  st_expect_line(&st_prog, "previous: ", line, sizeof(line));
  if (strcmp(line, "previous: default") != 0)
    TS_FAIL(&st_prog.run,
            "installing the handler returned another previous disposition than "
            "SIG_DFL (\"%s\")",
            line);
  st_expect_line(&st_prog, "query: ", line, sizeof(line));
  if (strcmp(line, "query: own") != 0)
    TS_FAIL(&st_prog.run, "sigaction(SIGUSR2, NULL, &old) does not return the program's handler");
  st_expect_line(&st_prog, "ready", line, sizeof(line));

  for (int i = 0; i < DUMPS - 1; i++) {
    st_cmd_t dump = st_dump(&st_prog, 0, NULL);
    st_check_dump_ok(&st_prog, &dump);
    st_cmd_free(&dump);
  }
  kill(st_prog.run.pid, SIGUSR2);
  st_wait_for_file(&st_prog, out_path, "\n", DUMPS, ST_LINE_TIMEOUT_MS);
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);

  const ts_run_t *run = &st_prog.run;
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_handler did not exit with status 0");
  snprintf(want, sizeof(want), "handler calls: %d", KILLS);
  st_expect_line(&st_prog, "handler calls: ", line, sizeof(line));
  if (strcmp(line, want) != 0)
    TS_FAIL(run, "the program's own handler: expected \"%s\", got \"%s\"", want, line);

  size_t n = st_load_json_reports(&st_prog, out_path);
  TS_CHECK_INT(run, "reports (the dumps, then exit)", DUMPS + 1, (int64_t)n);
  for (size_t i = 0; i < n; i++)
    st_check_report(&st_prog, run->reports[i], run->pid, i + 1 < n ? "signal" : "exit");
}

static void with_sigaction(void **state) { run_with("sigaction"); }
static void with_signal(void **state) { run_with("signal"); }

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      {"sigaction", with_sigaction, NULL, st_teardown, NULL},
      {"signal", with_signal, NULL, st_teardown, NULL},
  };
  return ts_main("staging_handler", tests, sizeof(tests) / sizeof(tests[0]),
                 argc > 1 ? argv[1] : NULL);
}
