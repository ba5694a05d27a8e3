/* SPDX-License-Identifier: MIT
 * test_runner.c: unit tests of the runner and the report queries.
 *
 * The runner is exercised with /bin/sh scripts instead of the library (the
 * preloaded path is empty), so these tests hold whatever state the library
 * is in: output capture past the pipe buffer, exit codes and signals, the
 * environment handed to the child, reading a JSON Lines report, and the
 * timeout killing the whole process group. The queries run on a fixed
 * report that covers each selection rule.
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
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "runner.h"

static ts_run_t run;

static int free_run(void **state) {
  ts_run_free(&run);
  return 0;
}

/* Runs a shell script with no library preloaded. */
static void run_sh(const char *script, const char *const *env, int timeout_ms) {
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  ts_run_for(&run, "", "/bin/sh", argv, env, timeout_ms);
}

static void test_exit_and_output(void **state) {
  run_sh("printf out; printf err >&2; exit 3", NULL, 10000);
  assert_int_equal(run.exit_code, 3);
  assert_int_equal(run.term_signal, 0);
  assert_false(run.timed_out);
  assert_string_equal(run.out, "out");
  assert_string_equal(run.err, "err");
  assert_int_equal(run.nreports, 0);
  assert_string_equal(run.parse_error, "");
}

/* More than a pipe buffer on both streams: the runner must read both while
 * the child writes, or the child blocks and the run times out. */
static void test_large_output(void **state) {
  run_sh("head -c 300000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2", NULL,
         10000);
  assert_int_equal(run.exit_code, 0);
  assert_int_equal(run.out_len, 300000);
  assert_int_equal(run.err_len, 300000);
  assert_int_equal(run.out[299999], 'a');
  assert_int_equal(run.err[0], 'b');
}

static void test_signal(void **state) {
  run_sh("kill -SEGV $$", NULL, 10000);
  assert_int_equal(run.exit_code, -1);
  assert_int_equal(run.term_signal, SIGSEGV);
}

static void test_environment(void **state) {
  /* Inherited settings that would change the run under test are dropped. */
  setenv("LD_PRELOAD", "inherited.so", 1);
  setenv("LEAKSCOPE_VERBOSE", "1", 1);
  const char *env[] = {"LEAKSCOPE_FORMAT=text", "TS_EXTRA=1", NULL};
  const char *argv[] = {"/usr/bin/env", NULL};
  ts_run_for(&run, "/x/libleakscope.so", "/usr/bin/env", argv, env, 10000);
  unsetenv("LD_PRELOAD");
  unsetenv("LEAKSCOPE_VERBOSE");
  assert_int_equal(run.exit_code, 0);
  assert_non_null(strstr(run.out, "LD_PRELOAD=/x/libleakscope.so\n"));
  assert_null(strstr(run.out, "inherited.so"));
  assert_null(strstr(run.out, "LEAKSCOPE_VERBOSE"));
  assert_non_null(strstr(run.out, "LEAKSCOPE_OUTPUT=/"));
  /* extra_env overrides the default, and appears once. */
  assert_non_null(strstr(run.out, "LEAKSCOPE_FORMAT=text\n"));
  assert_null(strstr(run.out, "LEAKSCOPE_FORMAT=json"));
  assert_non_null(strstr(run.out, "TS_EXTRA=1\n"));
  assert_non_null(strstr(run.out, "PATH="));
}

static void test_report_lines(void **state) {
  run_sh("printf '%s\\n' '{\"trigger\":\"periodic\",\"pid\":'$$'}' '' "
         "'{\"trigger\":\"exit\",\"pid\":1}' '{\"trigger\":\"exit\",\"pid\":'$$',\"n\":2}' "
         ">> \"$LEAKSCOPE_OUTPUT\"; printf %s \"$LEAKSCOPE_OUTPUT\"",
         NULL, 10000);
  assert_int_equal(run.exit_code, 0);
  assert_int_equal(run.nreports, 3);
  assert_string_equal(run.parse_error, "");
  int64_t n = 0;
  assert_true(json_as_int(json_get(ts_run_exit_report(&run), "n"), &n));
  assert_int_equal(n, 2);
  /* The temporary report file is gone. */
  assert_int_equal(access(run.out, F_OK), -1);
}

static void test_report_parse_error(void **state) {
  run_sh("printf '{}\\n{\"a\":}\\n{}' >> \"$LEAKSCOPE_OUTPUT\"", NULL, 10000);
  assert_int_equal(run.nreports, 2);
  assert_non_null(strstr(run.parse_error, "report line 2"));
}

static bool alive(pid_t pid) {
  char path[64], stat[256];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(stat, 1, sizeof(stat) - 1, f);
  fclose(f);
  stat[n] = '\0';
  /* "pid (comm) S ...": the state follows the last ')'. */
  const char *paren = strrchr(stat, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* The script leaves a grandchild holding the pipes: the timeout must kill
 * the whole group, not just the child, and return promptly. */
static void test_timeout_kills_group(void **state) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  run_sh("sleep 30 & echo $!; wait", NULL, 500);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_true(run.timed_out);
  assert_int_equal(run.term_signal, SIGKILL);
  assert_true(t1.tv_sec - t0.tv_sec < 10);
  pid_t grandchild = (pid_t)atoi(run.out);
  assert_true(grandchild > 0);
  /* Killed, then reaped by whoever adopted it, if anyone: give that a
   * moment, and count a zombie as dead. */
  int tries = 0;
  while (alive(grandchild) && tries++ < 200)
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  assert_false(alive(grandchild));
}

/* --- Report queries --- */

#define FRAME(fn, file, line)                                                                      \
  "{\"address\":\"0x1\",\"module\":null,\"offset\":\"0x1\",\"function\":" fn ",\"file\":" file     \
  ",\"line\":" line ",\"inlined\":false}"

static const char report_text[] =
    "{\"format\":\"leakscope-report\",\"version\":1,\"pid\":1,\"trigger\":\"exit\","
    "\"future\":[],\"summary\":{\"memory_bytes\":300,\"memory_blocks\":4,\"fds\":1},"
    "\"leaks\":["
    "{\"kind\":\"memory\",\"resource\":\"heap\",\"bytes\":200,\"count\":2,"
    "\"new\":{\"x\":1},\"stack\":[" FRAME("\"__strdup\"", "\"strdup.c\"", "42") "," FRAME(
        "\"f\"", "\"/src/user.c\"",
        "10") "," FRAME("\"main\"", "\"./user.c\"",
                        "20") "]},"
                              "{\"kind\":\"fd\",\"resource\":\"file\",\"fds\":[3],\"paths\":[\"/"
                              "x\"],"
                              "\"bytes\":0,\"count\":1,\"stack\":[" FRAME(
                                  "\"f\"", "\"user.c\"",
                                  "10") "]},"
                                        "{\"kind\":\"memory\",\"resource\":\"heap\",\"bytes\":60,"
                                        "\"count\":1,\"stack\":[" FRAME(
                                            "\"f\"", "\"user.c\"",
                                            "10") "]},"
                                                  "{\"kind\":\"memory\",\"resource\":\"heap\","
                                                  "\"bytes\":40,\"count\":1,\"stack\":[" FRAME(
                                                      "null", "null",
                                                      "null") "," FRAME("\"g\"", "\"xuser.c\"",
                                                                        "10") "," FRAME("\"h(int)"
                                                                                        "\"",
                                                                                        "\"user."
                                                                                        "c\"",
                                                                                        "30") "]}"
                                                                                              "]}";

static void test_queries(void **state) {
  char err[128];
  json_value_t *report = json_parse(report_text, sizeof(report_text) - 1, err, sizeof(err));
  if (!report)
    fail_msg("fixture does not parse: %s", err);
  ts_check_report_shape(&run, report);

  ts_leaks_t m = ts_leaks_at(report, "/abs/progs/user.c", 10);
  assert_int_equal(m.groups, 2); /* the fd group on that line is not memory */
  assert_int_equal(m.bytes, 260);
  assert_int_equal(m.count, 3);
  assert_int_equal(m.frame[0], 1);
  assert_int_equal(m.frame[1], 0);
  /* Only a group's first frame in the file counts: line 20 is a caller. */
  assert_int_equal(ts_leaks_at(report, "user.c", 20).groups, 0);
  m = ts_leaks_at(report, "user.c", 30);
  assert_int_equal(m.groups, 1);
  assert_int_equal(m.frame[0], 2); /* "xuser.c" is another file */
  assert_int_equal(ts_leaks_touching(report, "user.c").groups, 3);
  assert_int_equal(ts_leaks_touching(report, "strdup.c").bytes, 200);
  assert_int_equal(ts_leaks_in_function(report, "h").groups, 1);
  assert_int_equal(ts_leaks_in_function(report, "main").count, 2);
  assert_int_equal(ts_leaks_in_function(report, "strdup").groups, 0);

  assert_true(ts_function_is("leak()", "leak"));
  assert_true(ts_function_is("leak", "leak"));
  assert_false(ts_function_is("leak_more", "leak"));
  assert_false(ts_function_is(NULL, "leak"));
  json_free(report);
}

static void test_marker(void **state) {
  int line = __LINE__ + 1;
  /* LEAK:runner_self */
  assert_int_equal(ts_marker_line(__FILE__, "runner_self"), line);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_exit_and_output, free_run),
      cmocka_unit_test_teardown(test_large_output, free_run),
      cmocka_unit_test_teardown(test_signal, free_run),
      cmocka_unit_test_teardown(test_environment, free_run),
      cmocka_unit_test_teardown(test_report_lines, free_run),
      cmocka_unit_test_teardown(test_report_parse_error, free_run),
      cmocka_unit_test_teardown(test_timeout_kills_group, free_run),
      cmocka_unit_test(test_queries),
      cmocka_unit_test(test_marker),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
