/* SPDX-License-Identifier: MIT
 * test_exitcode.c: LEAKSCOPE_EXITCODE and `leakscope run --error-exitcode`.
 *
 * stage_exitcode prints 1000 lines through fully buffered stdio and
 * returns the status it is given, leaking 2 x 77 bytes or nothing. With
 * the option set, leaks turn the status into 42 and a clean run keeps its
 * own; without it, leaks change nothing. In every case all of stdout must
 * arrive: the library ends the process itself when it replaces the
 * status, so it must flush what the program buffered.
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

#define LINES 1000

typedef struct exit_case {
  const char *name;
  bool cli;           /* through `leakscope run`, else LD_PRELOAD */
  const char *option; /* the EXITCODE value, or NULL */
  bool leak;
  int status;   /* what the program returns */
  int expected; /* what the caller must see */
} exit_case_t;

static const exit_case_t cases[] = {
    {"env_leak", false, "42", true, 3, 42},       {"env_clean", false, "42", false, 3, 3},
    {"env_clean_zero", false, "42", false, 0, 0}, {"no_option", false, NULL, true, 3, 3},
    {"cli_leak", true, "42", true, 0, 42},        {"cli_clean", true, "42", false, 5, 5},
};

static void run_case(void **state) {
  const exit_case_t *c = *state;
  char out_var[640], code_var[64], code_arg[64], status[16], lines[16];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "exitcode.json");
  snprintf(code_var, sizeof(code_var), "LEAKSCOPE_EXITCODE=%s", c->option ? c->option : "");
  snprintf(code_arg, sizeof(code_arg), "--error-exitcode=%s", c->option ? c->option : "");
  snprintf(status, sizeof(status), "%d", c->status);
  snprintf(lines, sizeof(lines), "%d", LINES);
  const char *mode = c->leak ? "leak" : "clean";

  if (c->cli) {
    const char *argv[] = {ST_CLI,   "run",      "--output",
                          out_path, "--format", "json",
                          code_arg, "--",       ST_PROG_DIR "/stage_exitcode",
                          mode,     status,     lines,
                          NULL};
    st_spawn(&st_prog, argv, NULL);
  } else {
    const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", out_var,
                         c->option ? code_var : NULL, NULL};
    const char *argv[] = {ST_PROG_DIR "/stage_exitcode", mode, status, lines, NULL};
    st_spawn(&st_prog, argv, env);
  }
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);
  const ts_run_t *run = &st_prog.run;
  size_t n = st_load_json_reports(&st_prog, out_path);
  if (run->timed_out || run->term_signal)
    TS_FAIL(run, "stage_exitcode did not exit normally");
  TS_CHECK_INT(run, "exit status", c->expected, run->exit_code);

  /* All of stdout, in order. */
  size_t want_len = 0;
  char *want = malloc((size_t)LINES * 32);
  for (int i = 1; i <= LINES && want; i++)
    want_len += (size_t)sprintf(want + want_len, "line %d of %d\n", i, LINES);
  bool same = want && run->out_len == want_len && memcmp(run->out, want, want_len) == 0;
  free(want);
  if (!same)
    TS_FAIL(run, "stdout: expected %d lines \"line i of %d\" (%zu bytes), got %zu bytes", LINES,
            LINES, want_len, run->out_len);

  TS_CHECK_INT(run, "reports in the file (exit only)", 1, (int64_t)n);
  st_check_report(&st_prog, run->reports[0], run->pid, "exit");
  st_sum_t leak = st_sum_in_function(run->reports[0], "memory", "leak_exitcode");
  TS_CHECK_INT(run, "bytes leaked by leak_exitcode", c->leak ? 2 * 77 : 0, leak.bytes);
  if (!c->leak)
    TS_CHECK_INT(run, "groups in a clean run's exit report", 0,
                 (int64_t)json_len(json_get(run->reports[0], "leaks")));
}

int main(int argc, char **argv) {
  enum { N = sizeof(cases) / sizeof(cases[0]) };
  struct CMUnitTest tests[N];
  for (size_t i = 0; i < N; i++)
    tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, st_teardown, (void *)&cases[i]};
  return ts_main("staging_exitcode", tests, N, argc > 1 ? argv[1] : NULL);
}
