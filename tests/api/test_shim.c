/* SPDX-License-Identifier: MIT
 * test_shim.c: a binary linked only against the API shim (leakscope_api),
 * run twice by CTest: without LD_PRELOAD it must get the documented
 * inactive answers, and with libleakscope.so preloaded the very same
 * binary must get real, exact ones.
 *
 * Usage: test_shim inactive|active
 * The mode is an argument, not detected, so a run that silently lost (or
 * gained) the preload fails instead of checking the other expectation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leakscope.h>

#include "api_test.h"

static bool want_active;

/* Whether libleakscope is in the process, asked of the loader rather
 * than of the API under test. */
static bool library_loaded(void) {
  void *h = dlopen("libleakscope.so.0", RTLD_LAZY | RTLD_NOLOAD);
  if (h)
    dlclose(h);
  return h != NULL;
}

static void test_mode_is_real(void **state) {
  if (library_loaded() != want_active)
    fail_msg("run as '%s' but libleakscope.so.0 is %s", want_active ? "active" : "inactive",
             want_active ? "not loaded (LD_PRELOAD missing?)" : "loaded (LD_PRELOAD set?)");
}

static void test_status(void **state) {
  assert_int_equal(leakscope_active(), want_active);
  assert_non_null(leakscope_version());
  if (want_active)
    assert_string_equal(leakscope_version(), "0.1.0");
  else
    assert_string_not_equal(leakscope_version(), "0.1.0");

  leakscope_stats_t s;
  memset(&s, 0xa5, sizeof(s));
  if (want_active) {
    assert_int_equal(leakscope_stats(&s), 0);
    assert_true(s.stacks > 0);
  } else {
    static const leakscope_stats_t zero;
    assert_int_equal(leakscope_stats(&s), -1);
    assert_memory_equal(&s, &zero, sizeof(s));
  }
}

static void test_counts(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *p[3] = {malloc(100), malloc(100), malloc(100)};
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  if (want_active) {
    assert_true(cp != 0);
    CHECK_COUNTS(cp, LEAKSCOPE_SCOPE_PROCESS, 300, 3, 1);
    CHECK_COUNTS(cp, LEAKSCOPE_SCOPE_THREAD, 300, 3, 1);
  } else {
    assert_int_equal(cp, 0);
    for (int scope = LEAKSCOPE_SCOPE_PROCESS; scope <= LEAKSCOPE_SCOPE_THREAD; scope++) {
      leakscope_counts_t c;
      memset(&c, 0xa5, sizeof(c));
      assert_int_equal(leakscope_count_since(cp, scope, &c), -1);
      assert_int_equal(c.bytes, 0);
      assert_int_equal(c.blocks, 0);
      assert_int_equal(c.fds, 0);
    }
  }
  for (int i = 0; i < 3; i++)
    free(p[i]);
  close(fd);
}

static void test_reports(void **state) {
  char path[] = "/tmp/leakscope-shim-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(dup(fd), "w");
  assert_non_null(f);
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *leak = malloc(42);
  int expect = want_active ? 1 : -1;
  assert_int_equal(
      leakscope_report_fd(fd, cp, LEAKSCOPE_SCOPE_PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_JSON),
      expect);
  assert_int_equal(
      leakscope_report_file(f, cp, LEAKSCOPE_SCOPE_PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_TEXT),
      expect);
  assert_int_equal(leakscope_report_path(path, cp, LEAKSCOPE_SCOPE_PROCESS, LEAKSCOPE_ALL,
                                         LEAKSCOPE_FORMAT_FOLDED),
                   expect);
  fclose(f);
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  /* Inactive reports write nothing at all. */
  if (want_active)
    assert_true(st.st_size > 0);
  else
    assert_int_equal(st.st_size, 0);
  close(fd);
  unlink(path);
  free(leak);
}

static void test_keep_and_pause(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *kept = malloc(10);
  assert_int_equal(leakscope_keep(kept), want_active ? 0 : -1);
  leakscope_pause();
  void *hidden = malloc(20);
  leakscope_resume();
  void *seen = malloc(30);
  if (want_active)
    CHECK_COUNTS(cp, LEAKSCOPE_SCOPE_PROCESS, 30, 1, 0);
  free(kept);
  free(hidden);
  free(seen);
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "active") != 0 && strcmp(argv[1], "inactive") != 0)) {
    fprintf(stderr, "usage: %s active|inactive\n", argv[0]);
    return 2;
  }
  want_active = strcmp(argv[1], "active") == 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mode_is_real),   cmocka_unit_test(test_status),
      cmocka_unit_test(test_counts),         cmocka_unit_test(test_reports),
      cmocka_unit_test(test_keep_and_pause),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
