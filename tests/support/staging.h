/* SPDX-License-Identifier: MIT
 * staging.h: drive a running program under the preloaded library, for the
 * staging tests (signals, periodic reports, fork, exec, the dump command).
 *
 * ts_run() in tests/support runs a program to completion; these tests must
 * talk to it while it runs. st_spawn() starts a program (with proc.h) with
 * pipes on its stdin, stdout and stderr, in its own process group, and the
 * test then
 * writes commands, reads the lines the program prints, sends signals or
 * runs `leakscope dump`, and finally st_finish() closes stdin and reaps it.
 *
 * Every st_proc_t embeds a ts_run_t kept up to date (output so far, report
 * files loaded), so the TS_* assertions of runner.h print everything the
 * program produced when a check fails. Nothing here passes LD_PRELOAD or a
 * LEAKSCOPE_* variable on by itself: the environment is the test's, minus
 * those, plus exactly what the caller lists.
 */
#ifndef LS_STAGING_H
#define LS_STAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc.h"
#include "report.h"
#include "runner.h"
#include "testmain.h"
#include "util.h"

/* Deadlines. Every wait is bounded; none is near CTest's 120 s timeout. */
#define ST_LINE_TIMEOUT_MS 10000 /* a line the program must print */
#define ST_EXIT_TIMEOUT_MS 15000 /* the program's exit after st_finish */

typedef struct st_proc {
  ts_run_t run;     /* what the TS_* assertions print on failure */
  ts_proc_t proc;   /* the program (proc.h): pipes, output so far, status */
  ts_buf_t reports; /* the report files loaded so far, for run */
  size_t out_seen;  /* st_read_line's cursor into proc.out */
} st_proc_t;

/* A command run to completion: `leakscope dump`, the program without the
 * library, a probe. */
typedef struct st_cmd {
  int status; /* exit status; 128 + signal if killed; -1 on timeout */
  char *out, *err;
} st_cmd_t;

/* --- The fixture every test uses --- */

/* The program the current test runs, and its temporary directory (NULL
 * until st_output_var makes it). st_teardown, every test's teardown (or
 * called by it), kills what is left of the program, frees it and removes
 * the directory with the report files in it. */
extern st_proc_t st_prog;
extern char *st_dir;
int st_teardown(void **state);

/* Makes st_dir and writes "LEAKSCOPE_OUTPUT=<st_dir>/<file>" into
 * var[size] (file may hold "%p"). Returns the path, which is in var. */
const char *st_output_var(char *var, size_t size, const char *file);

/* --- Paths --- */

/* Copies template into out[size] with every "%p" replaced by pid. */
const char *st_expand_pid(char *out, size_t size, const char *tmpl, pid_t pid);

/* Occurrences of needle in the file at path (0 if it does not exist). */
size_t st_count_in_file(const char *path, const char *needle);

/* --- Running programs --- */

/* Starts argv[0] with the test's environment minus LD_PRELOAD and
 * LEAKSCOPE_*, plus env ("NAME=value", NULL-terminated, may be NULL). */
void st_spawn(st_proc_t *p, const char *const *argv, const char *const *env);

/* Reads stdout until the next complete line, and copies it without its
 * newline to line[size]. Fails the test on EOF or after timeout_ms. */
void st_read_line(st_proc_t *p, char *line, size_t size, int timeout_ms);

/* st_read_line, and fails the test unless the line starts with prefix. */
void st_expect_line(st_proc_t *p, const char *prefix, char *line, size_t size);

/* Writes s to the program's stdin; fails the test if it cannot. */
void st_write(st_proc_t *p, const char *s);

/* Closes stdin, reads stdout/stderr to EOF and reaps the program, killing
 * its process group after timeout_ms. Fills run.exit_code, term_signal and
 * timed_out. Safe to call twice. */
void st_finish(st_proc_t *p, int timeout_ms);

/* Kills what is left of the program and frees everything. */
void st_proc_free(st_proc_t *p);

/* Runs argv to completion (stdin /dev/null), with env as for st_spawn. */
st_cmd_t st_run_cmd(const char *const *argv, const char *const *env, int timeout_ms);
void st_cmd_free(st_cmd_t *c);

/* --- Reports --- */

/* Appends the file at path to the run's report text (shown on failure),
 * parses each non-empty line as JSON into run.reports and returns how
 * many reports the file held. A line that does not parse fails the test. */
size_t st_load_json_reports(st_proc_t *p, const char *path);

/* Appends the file at path to the run's report text, as above, and
 * returns a copy of it (NUL-terminated) that the caller frees. */
char *st_load_text(st_proc_t *p, const char *path, size_t *len);

/* Waits until the file at path holds at least n occurrences of needle
 * ("\n" counts JSON reports); fails the test after timeout_ms. */
void st_wait_for_file(st_proc_t *p, const char *path, const char *needle, size_t n, int timeout_ms);

/* `leakscope dump PID [args...]` for p's process (or pid if nonzero);
 * args is NULL-terminated and may be NULL. */
st_cmd_t st_dump(const st_proc_t *p, pid_t pid, const char *const *args);

/* Fails the test (printing the dump's output too) unless status is 0. */
void st_check_dump_ok(st_proc_t *p, const st_cmd_t *dump);

/* Totals of the groups of one kind ("memory" or "fd") that have a frame in
 * function fn. growth_* are summed from "growth"; growth_missing counts
 * selected groups without one. fds_listed sums the "fds" arrays. */
typedef struct st_sum {
  size_t groups;
  int64_t bytes, count, fds_listed;
  int64_t growth_bytes, growth_count;
  size_t growth_missing;
} st_sum_t;

st_sum_t st_sum_in_function(const json_value_t *report, const char *kind, const char *fn);

/* A number member (integer or not) of obj, or -1 if absent. */
double st_num(const json_value_t *obj, const char *key);

/* Fails unless the report is well formed (ts_check_report_shape), names
 * pid and trigger, its summary adds up over its groups, every fd group's
 * count equals the length of its "fds" (and "paths") and no fd number is
 * listed twice in the report. */
void st_check_report(st_proc_t *p, const json_value_t *report, pid_t pid, const char *trigger);

#endif
