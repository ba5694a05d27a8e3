/* SPDX-License-Identifier: MIT
 * kvconfig_test.c: a cmocka suite for kvconfig that also checks every
 * test for leaked memory and file descriptors with leakscope.
 *
 * Each test runs between leakscope_cmocka_setup (takes a checkpoint) and
 * leakscope_cmocka_teardown (fails the test, printing where each leaked
 * resource was created, if the test's thread left anything behind).
 * test_overwrite_leaks leaks on purpose to show what that looks like; it
 * is the one test of this suite that fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include <leakscope/cmocka.h>

#include "kvconfig.h"

static void test_parse_trims(void **state) {
  struct kvconfig *c = kvconfig_parse("  user =  alice  ");
  assert_non_null(c);
  assert_string_equal(c->key, "user");
  assert_string_equal(c->value, "alice");
  kvconfig_free(c);
}

static void test_parse_empty_value(void **state) {
  struct kvconfig *c = kvconfig_parse("debug=");
  assert_non_null(c);
  assert_string_equal(c->value, "");
  kvconfig_free(c);
}

/* " = x" allocates before finding the key empty: the error path must
 * release it, or the teardown fails this test. */
static void test_parse_rejects(void **state) {
  assert_null(kvconfig_parse(""));
  assert_null(kvconfig_parse("# user = alice"));
  assert_null(kvconfig_parse("no equals sign"));
  assert_null(kvconfig_parse(" = x"));
}

/* The assertion style, for a check in the middle of a test. */
static void test_parse_many(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  for (int i = 0; i < 100; i++)
    kvconfig_free(kvconfig_parse("key = value"));
  assert_no_leaks_since(cp);
}

/* Deliberately leaky: the first result is overwritten without
 * kvconfig_free, and the log stream is never closed. */
static void test_overwrite_leaks(void **state) {
  struct kvconfig *c = kvconfig_parse("user = alice"); /* LEAK:overwritten */
  assert_string_equal(c->value, "alice");
  c = kvconfig_parse("user = bob");
  assert_string_equal(c->value, "bob");
  FILE *log = fopen("/dev/null", "w"); /* LEAK:log */
  assert_non_null(log);
  fprintf(log, "user is %s\n", c->value);
  kvconfig_free(c);
}

#define LEAK_CHECKED(test)                                                                         \
  cmocka_unit_test_setup_teardown(test, leakscope_cmocka_setup, leakscope_cmocka_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      LEAK_CHECKED(test_parse_trims),     LEAK_CHECKED(test_parse_empty_value),
      LEAK_CHECKED(test_parse_rejects),   LEAK_CHECKED(test_parse_many),
      LEAK_CHECKED(test_overwrite_leaks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
