/* SPDX-License-Identifier: MIT
 * runner.h: run a program under the preloaded library and read its report.
 *
 * ts_run() forks and execs the program with LD_PRELOAD set to the library
 * under test and the report sent, as JSON Lines, to a fresh temporary file;
 * it captures stdout and stderr and kills the program's process group after
 * TS_RUN_TIMEOUT_S. Then every line of the report file is parsed.
 *
 * The ts_check_* helpers are cmocka assertions that, on failure, print
 * both values and then everything the run produced (report, stdout,
 * stderr), because "expected 3 got 2" alone never says why.
 */
#ifndef LS_TEST_RUNNER_H
#define LS_TEST_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"

#define TS_RUN_TIMEOUT_S 60

typedef struct ts_run {
  char path[512];  /* program that was run */
  pid_t pid;       /* its pid, as the report must name it */
  int exit_code;   /* exit status, or -1 if it did not exit */
  int term_signal; /* signal that ended it, or 0 */
  bool timed_out;  /* killed at the timeout */
  char *out, *err; /* captured stdout/stderr, NUL-terminated */
  size_t out_len, err_len;
  char *report_text; /* the report file exactly as written */
  size_t report_len;
  json_value_t **reports; /* one parsed tree per non-empty line */
  size_t nreports;
  char parse_error[256]; /* first line that failed to parse; "" if none */
} ts_run_t;

/* Runs path with argv (argv[0] included; NULL means just the path) and an
 * environment made of the current one minus LD_PRELOAD and LEAKSCOPE_*,
 * plus LD_PRELOAD=lib, LEAKSCOPE_FORMAT=json, LEAKSCOPE_OUTPUT=<temp>,
 * LEAKSCOPE_REACHABILITY=0 (reports list every live block),
 * plus extra_env ("NAME=value" strings, NULL-terminated, may be NULL),
 * which overrides the defaults. Fills *run (free it with ts_run_free) and
 * returns 0, or fails the current test if the program could not be run. */
int ts_run(ts_run_t *run, const char *lib, const char *path, const char *const *argv,
           const char *const *extra_env);

/* The environment of every program a test runs: the current one minus
 * LD_PRELOAD and LEAKSCOPE_* (LEAKSCOPE_UNWIND stays: the suite runs once
 * per unwinder), plus LEAKSCOPE_REACHABILITY=0, plus each NULL-terminated
 * "NAME=value" list of sets[0..nsets) in order (later ones win; a list may
 * be NULL). The array points into environ and the sets; free only it. */
const char **ts_env(const char *const *const *sets, size_t nsets);

/* ts_run with the timeout in milliseconds (for testing the runner). */
int ts_run_for(ts_run_t *run, const char *lib, const char *path, const char *const *argv,
               const char *const *extra_env, int timeout_ms);

void ts_run_free(ts_run_t *run);

/* The report the run's own process wrote at exit: the last line with
 * "trigger":"exit" and the run's pid. Fails the test if there is none. */
const json_value_t *ts_run_exit_report(const ts_run_t *run);

/* Prints the run's outcome, report, stdout and stderr to cmocka's error
 * output. */
void ts_run_dump(const ts_run_t *run);

/* --- Assertions: on failure they dump the run and fail the test --- */

__attribute__((format(printf, 4, 5))) void ts_fail_run(const ts_run_t *run, const char *file,
                                                       int line, const char *fmt, ...);
void ts_check_int(const ts_run_t *run, const char *what, int64_t expected, int64_t got,
                  const char *file, int line);
void ts_check_true(const ts_run_t *run, const char *what, bool cond, const char *file, int line);

#define TS_FAIL(run, ...) ts_fail_run(run, __FILE__, __LINE__, __VA_ARGS__)
#define TS_CHECK_INT(run, what, expected, got)                                                     \
  ts_check_int(run, what, expected, got, __FILE__, __LINE__)
#define TS_CHECK(run, cond) ts_check_true(run, #cond, cond, __FILE__, __LINE__)

#endif
