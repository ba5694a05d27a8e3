/* SPDX-License-Identifier: MIT
 * test_cmocka_helpers.c: leakscope/cmocka.h judged from the outside. Runs
 * suite_leaky (one test at a time, then whole) and suite_clean as child
 * processes and checks each verdict, exit status and printed report.
 *
 * A leaking test must fail, at the assertion's line for the assert_*
 * macros, with a report whose frames name the leaking function and the
 * test's call, each as "function (file:line)"; lines come from the LEAK
 * markers in suite_leaky.c. A clean test must pass with leakscope silent.
 * The children link libleakscope; ts_run also preloads it (the same
 * file, so loaded once) and sends their exit reports to a temporary file,
 * keeping stderr for what the helpers print.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "runner.h"
#include "util.h"

#define SRC LS_SUITE_LEAKY_SRC

/* A frame the report must show: function at the line of marker. */
typedef struct frame {
  const char *function, *marker;
} frame_t;

typedef struct leak_case {
  const char *test;    /* in suite_leaky.c */
  const char *verdict; /* the line cmocka prints for the failed test */
  const char *summary; /* the helper's first line */
  const char *fail_at; /* marker of the failing assertion; NULL: teardown */
  frame_t frames[4];   /* must all appear */
  const char *absent;  /* a function the report must not name, or NULL */
} leak_case_t;

static const leak_case_t leak_cases[] = {
    {"test_assert_all",
     "[  FAILED  ] test_assert_all",
     "leakscope: 100 bytes in 1 blocks and 1 fds leaked since the checkpoint",
     "all_check",
     {{"leak_block", "block"},
      {"test_assert_all", "all_block"},
      {"leak_fd", "fd"},
      {"test_assert_all", "all_fd"}},
     NULL},
    /* The summary counts everything; the report lists only the kind checked. */
    {"test_assert_memory",
     "[  FAILED  ] test_assert_memory",
     "leakscope: 100 bytes in 1 blocks leaked since the checkpoint",
     "memory_check",
     {{"leak_block", "block"}, {"test_assert_memory", "memory_block"}},
     "leak_fd"},
    {"test_assert_fds",
     "[  FAILED  ] test_assert_fds",
     "leakscope: 1 fds leaked since the checkpoint",
     "fds_check",
     {{"leak_fd", "fd"}, {"test_assert_fds", "fds_fd"}},
     "leak_block"},
    {"test_assert_thread",
     "[  FAILED  ] test_assert_thread",
     "leakscope: 0 threads not joined, 1 running; 0 mappings (0 bytes); 0 zombie and 0 running "
     "child processes since the checkpoint",
     "thread_check",
     {{"leak_thread", "thread"}, {"test_assert_thread", "thread_call"}},
     NULL},
    /* cmocka 1.1 reports a failed teardown as an error, not a failure. */
    {"test_fixture_leaks",
     "[  ERROR   ] test_fixture_leaks",
     "leakscope: test leaked 100 bytes in 1 blocks and 1 fds",
     NULL,
     {{"leak_block", "block"},
      {"test_fixture_leaks", "fixture_block"},
      {"leak_fd", "fd"},
      {"test_fixture_leaks", "fixture_fd"}},
     NULL},
};

#define NLEAK_CASES (sizeof(leak_cases) / sizeof(leak_cases[0]))

/* --- Checks on a finished run --- */

static bool output_has(const ts_run_t *run, const char *needle) {
  return (run->out && strstr(run->out, needle)) || (run->err && strstr(run->err, needle));
}

static void expect_output(const ts_run_t *run, const char *needle, bool present) {
  if (output_has(run, needle) != present)
    TS_FAIL(run, "output should %scontain \"%s\"", present ? "" : "not ", needle);
}

static void run_suite(ts_run_t *run, const char *suite, const char *test) {
  const char *argv[] = {suite, test, NULL};
  ts_run(run, LS_TEST_LIB, suite, argv, NULL);
  if (run->timed_out || run->term_signal)
    TS_FAIL(run, "the suite did not exit normally");
}

/* --- Tests --- */

static void test_leaking_test_fails(void **state) {
  const leak_case_t *c = *state;
  ts_run_t run;
  run_suite(&run, LS_SUITE_LEAKY, c->test);
  TS_CHECK_INT(&run, "exit status (cmocka: number of failed tests)", 1, run.exit_code);
  expect_output(&run, c->verdict, true);
  expect_output(&run, c->summary, true);
  char needle[1024];
  for (size_t i = 0; i < 4 && c->frames[i].function; i++) {
    snprintf(needle, sizeof(needle), "%s (%s:%d)", c->frames[i].function, SRC,
             ts_marker_line(SRC, c->frames[i].marker));
    expect_output(&run, needle, true);
  }
  if (c->absent) {
    snprintf(needle, sizeof(needle), "%s (", c->absent);
    expect_output(&run, needle, false);
  }
  if (c->fail_at) {
    snprintf(needle, sizeof(needle), "%s:%d: error: Failure!", SRC,
             ts_marker_line(SRC, c->fail_at));
    expect_output(&run, needle, true);
  }
  ts_run_free(&run);
}

/* Under CMOCKA_MESSAGE_OUTPUT=xml the report goes into the failed test
 * case's <failure> in CMOCKA_XML_FILE (cmocka's own error output), with
 * the helper's summary, every frame as "function (file:line)", and the
 * line of the failing assertion; both for an assert_* macro (test_assert_all)
 * and for the teardown (test_fixture_leaks, whose own message cmocka
 * writes as "Test teardown failed"). */
static void test_xml_output(void **state) {
  (void)state;
  static const size_t cases[] = {0, NLEAK_CASES - 1}; /* test_assert_all, test_fixture_leaks */
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const leak_case_t *c = &leak_cases[cases[k]];
    char xml_path[256], xml_env[300], needle[1024];
    snprintf(xml_path, sizeof xml_path, "/tmp/leakscope-cmocka-%d-%zu.xml", (int)getpid(), k);
    snprintf(xml_env, sizeof xml_env, "CMOCKA_XML_FILE=%s", xml_path);
    unlink(xml_path);
    const char *env[] = {"CMOCKA_MESSAGE_OUTPUT=xml", xml_env, NULL};
    const char *argv[] = {LS_SUITE_LEAKY, c->test, NULL};
    ts_run_t run;
    ts_run(&run, LS_TEST_LIB, LS_SUITE_LEAKY, argv, env);
    size_t len;
    char *xml = ts_read_file(xml_path, &len);
    unlink(xml_path);
    if (!xml)
      TS_FAIL(&run, "no XML file %s", xml_path);
    const char *failure = strstr(xml, "<failure><![CDATA[");
    if (!failure)
      TS_FAIL(&run, "no <failure> in the XML:\n%s", xml);
    if (!strstr(failure, c->summary))
      TS_FAIL(&run, "the XML's failure lacks \"%s\":\n%s", c->summary, xml);
    for (size_t i = 0; i < 4 && c->frames[i].function; i++) {
      snprintf(needle, sizeof(needle), "%s (%s:%d)", c->frames[i].function, SRC,
               ts_marker_line(SRC, c->frames[i].marker));
      if (!strstr(failure, needle))
        TS_FAIL(&run, "the XML's failure lacks \"%s\":\n%s", needle, xml);
    }
    snprintf(needle, sizeof(needle), c->fail_at ? "%s:%d: error: Failure!" : "Test teardown failed",
             SRC, c->fail_at ? ts_marker_line(SRC, c->fail_at) : 0);
    if (!strstr(failure, needle))
      TS_FAIL(&run, "the XML's failure lacks \"%s\":\n%s", needle, xml);
    /* and it is no longer printed outside the XML */
    if (output_has(&run, "leak_block ("))
      TS_FAIL(&run, "the report went to stdout/stderr, not only into the XML");
    free(xml);
    ts_run_free(&run);
  }
}

static void test_balanced_test_passes(void **state) {
  ts_run_t run;
  run_suite(&run, LS_SUITE_LEAKY, "test_fixture_clean");
  TS_CHECK_INT(&run, "exit status", 0, run.exit_code);
  expect_output(&run, "[       OK ] test_fixture_clean", true);
  expect_output(&run, "leakscope:", false);
  ts_run_free(&run);
}

/* All together, exactly the leaking tests fail: one test's leak does not
 * spill into the next one's verdict. */
static void test_whole_leaky_suite(void **state) {
  ts_run_t run;
  run_suite(&run, LS_SUITE_LEAKY, NULL);
  TS_CHECK_INT(&run, "exit status (failed tests)", (int64_t)NLEAK_CASES, run.exit_code);
  for (size_t i = 0; i < NLEAK_CASES; i++)
    expect_output(&run, leak_cases[i].verdict, true);
  expect_output(&run, "[       OK ] test_fixture_clean", true);
  ts_run_free(&run);
}

static void test_clean_suite_passes(void **state) {
  ts_run_t run;
  run_suite(&run, LS_SUITE_CLEAN, NULL);
  TS_CHECK_INT(&run, "exit status", 0, run.exit_code);
  expect_output(&run, "[  PASSED  ] 4 test(s).", true);
  expect_output(&run, "[  FAILED  ]", false);
  expect_output(&run, "[  ERROR   ]", false);
  expect_output(&run, "leakscope:", false);
  ts_run_free(&run);
}

int main(void) {
  struct CMUnitTest tests[NLEAK_CASES + 4];
  for (size_t i = 0; i < NLEAK_CASES; i++)
    tests[i] = (struct CMUnitTest){.name = leak_cases[i].test,
                                   .test_func = test_leaking_test_fails,
                                   .initial_state = (void *)&leak_cases[i]};
  tests[NLEAK_CASES] = (struct CMUnitTest)cmocka_unit_test(test_balanced_test_passes);
  tests[NLEAK_CASES + 1] = (struct CMUnitTest)cmocka_unit_test(test_whole_leaky_suite);
  tests[NLEAK_CASES + 2] = (struct CMUnitTest)cmocka_unit_test(test_clean_suite_passes);
  tests[NLEAK_CASES + 3] = (struct CMUnitTest)cmocka_unit_test(test_xml_output);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
