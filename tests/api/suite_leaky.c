/* SPDX-License-Identifier: MIT
 * suite_leaky.c: a cmocka suite whose tests leak on purpose, for
 * test_cmocka_helpers to run as a child and check that each leaking test
 * fails with a report naming the leaking lines.
 *
 * Every test but test_fixture_clean must fail. LEAK markers name the
 * lines the reports must show (the allocation, and the test's call) and
 * the line each failing assertion must be reported at.
 *
 * Usage: suite_leaky [TEST]   without an argument every test runs.
 */
/* Not reformatted: each statement stays on its LEAK-marked line. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leakscope/cmocka.h>

/* noinline and the memset keep these frames in the stack at -O2 (no
 * inlining, no tail call). */
static __attribute__((noinline)) void *leak_block(void) {
  void *p = malloc(100); /* LEAK:block */
  memset(p, 0, 100);
  return p;
}

static __attribute__((noinline)) int leak_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* LEAK:fd */
  assert_true(fd >= 0);
  return fd;
}

static void *blocked(void *arg) {
  for (;;)
    pause();
  return arg;
}

static __attribute__((noinline)) pthread_t leak_thread(void) {
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, blocked, NULL), 0); /* LEAK:thread */
  return t;
}

/* assert_no_leaks_since covers threads: one left running fails it. */
static void test_assert_thread(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  pthread_t t = leak_thread(); /* LEAK:thread_call */
  assert_no_leaks_since(cp); /* LEAK:thread_check */
  (void)t;
}

static void test_assert_all(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  leak_block(); /* LEAK:all_block */
  leak_fd(); /* LEAK:all_fd */
  assert_no_leaks_since(cp); /* LEAK:all_check */
}

/* Each kind-specific macro ignores the other kind's leak. */
static void test_assert_memory(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  leak_fd();
  assert_no_memory_leaks_since(cp);
  leak_block(); /* LEAK:memory_block */
  assert_no_memory_leaks_since(cp); /* LEAK:memory_check */
}

static void test_assert_fds(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  leak_block();
  assert_no_fd_leaks_since(cp);
  leak_fd(); /* LEAK:fds_fd */
  assert_no_fd_leaks_since(cp); /* LEAK:fds_check */
}

/* The checks keep the calls from being tail calls, which would take this
 * function's frame off the reported stack. */
static void test_fixture_leaks(void **state) {
  assert_non_null(leak_block()); /* LEAK:fixture_block */
  assert_true(leak_fd() >= 0); /* LEAK:fixture_fd */
}

/* The one passing test: the pair does not fail a balanced test. */
static void test_fixture_clean(void **state) {
  free(leak_block());
  close(leak_fd());
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_assert_all),
      cmocka_unit_test(test_assert_memory),
      cmocka_unit_test(test_assert_fds),
      cmocka_unit_test(test_assert_thread),
      cmocka_unit_test_setup_teardown(test_fixture_leaks, leakscope_cmocka_setup,
                                      leakscope_cmocka_teardown),
      cmocka_unit_test_setup_teardown(test_fixture_clean, leakscope_cmocka_setup,
                                      leakscope_cmocka_teardown),
  };
  if (argc > 1)
    cmocka_set_test_filter(argv[1]);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
