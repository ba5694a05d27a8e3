/* SPDX-License-Identifier: MIT
 * suite_clean.c: a cmocka suite that leaks nothing of its own, for
 * test_cmocka_helpers to run as a child and check that every test passes
 * and leakscope prints nothing.
 *
 * The cases are the ones a careless checker would get wrong: resources
 * created before the checkpoint, kept blocks, and blocks another thread
 * allocates during a test under the (thread-scoped) setup/teardown pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <leakscope/cmocka.h>

/* Made by the group setup, before any test's checkpoint, and live
 * throughout; and the block a helper thread leaves behind. */
static void *older;
static void *from_thread;

static int group_setup(void **state) {
  older = malloc(500);
  return older ? 0 : -1;
}

static int group_teardown(void **state) {
  free(older);
  free(from_thread);
  return 0;
}

/* Creates and releases one of everything. */
static void balanced_work(void) {
  free(malloc(64));
  close(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  close(sv[0]);
  close(sv[1]);
  FILE *f = fopen("/dev/null", "r");
  assert_non_null(f);
  fclose(f);
}

static void test_asserts_balanced(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  balanced_work();
  assert_no_leaks_since(cp);
  assert_no_memory_leaks_since(cp);
  assert_no_fd_leaks_since(cp);
}

static void test_fixture_balanced(void **state) { balanced_work(); }

static void test_kept_block_is_not_a_leak(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  static void *cache;
  cache = malloc(32);
  assert_int_equal(leakscope_keep(cache), 0);
  assert_no_leaks_since(cp);
}

static void *alloc_and_keep(void *arg) {
  from_thread = malloc(48);
  return NULL;
}

static void test_fixture_ignores_other_threads(void **state) {
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, alloc_and_keep, NULL), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_non_null(from_thread);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_asserts_balanced),
      cmocka_unit_test_setup_teardown(test_fixture_balanced, leakscope_cmocka_setup,
                                      leakscope_cmocka_teardown),
      cmocka_unit_test(test_kept_block_is_not_a_leak),
      cmocka_unit_test_setup_teardown(test_fixture_ignores_other_threads, leakscope_cmocka_setup,
                                      leakscope_cmocka_teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
