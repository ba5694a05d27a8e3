/* SPDX-License-Identifier: MIT
 * consumer_cmocka.c: the installed leakscope/cmocka.h in a one-test cmocka
 * suite; passes only if the helpers compile against the installed headers
 * and see the test's leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>

#include <leakscope/cmocka.h>

static void *volatile kept;

static void test_teardown_sees_a_leak(void **state) {
  leakscope_cmocka_setup(NULL);
  kept = malloc(10);
  /* The teardown reports the leak on stderr and returns -1. */
  assert_int_equal(leakscope_cmocka_teardown(NULL), -1);
  free(kept);
}

static void test_clean(void **state) { free(malloc(10)); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_teardown_sees_a_leak),
      cmocka_unit_test_setup_teardown(test_clean, leakscope_cmocka_setup,
                                      leakscope_cmocka_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
