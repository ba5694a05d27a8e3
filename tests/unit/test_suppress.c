/* SPDX-License-Identifier: MIT
 * test_suppress.c: the suppression matcher and rule files (suppress.c).
 *
 * Patterns follow LeakSanitizer: a match anywhere in the name unless
 * anchored with ^ or $, and * for any run of characters. A rule file is
 * read once; comments, blank lines and surrounding blanks are ignored, a
 * malformed line is skipped (with a warning) and the rest still load.
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

#include "common.h"
#include "suppress.h"

static void test_match(void **state) {
  (void)state;
  static const struct {
    const char *pattern, *s;
    bool match;
  } cases[] = {
      {"leak", "leak", true},
      {"eak", "my_leaky_fn", true}, /* anywhere */
      {"^my_", "my_leaky_fn", true},
      {"^leaky", "my_leaky_fn", false},
      {"_fn$", "my_leaky_fn", true},
      {"leaky$", "my_leaky_fn", false},
      {"^my_leaky_fn$", "my_leaky_fn", true},
      {"^my_leaky$", "my_leaky_fn", false},
      {"my*fn", "my_leaky_fn", true},
      {"^*fn$", "my_leaky_fn", true},
      {"^m*y*_*$", "my_leaky_fn", true},
      {"a*b*c", "xxaxxbxxcxx", true},
      {"a*b*c", "xxaxxcxxbxx", false},
      {"^a*c$", "abcabc", true},
      {"^a*b$", "abcabc", false},
      {"*", "", true},
      {"^$", "", true},
      {"^$", "x", false},
      {"libfoo.so", "/usr/lib/libfoo.so.1", true},
      {"libfoo.so$", "/usr/lib/libfoo.so.1", false},
      {"std::vector<int>::push_back", "std::vector<int>::push_back(int const&)", true},
      {"Leak", "leak", false}, /* case matters */
  };
  for (size_t i = 0; i < LS_ARRAY_LEN(cases); i++) {
    bool got = ls_suppress_match(cases[i].pattern, cases[i].s);
    if (got != cases[i].match)
      fail_msg("pattern '%s' on '%s': expected %s", cases[i].pattern, cases[i].s,
               cases[i].match ? "a match" : "no match");
  }
  assert_false(ls_suppress_match("x", NULL)); /* a frame without a name */
}

/* Many stars against a long name that almost matches: bounded time (one
 * backtrack point), where naive recursion would take forever. */
static void test_match_many_stars(void **state) {
  (void)state;
  char s[4097], p[200];
  memset(s, 'a', sizeof s - 1);
  s[sizeof s - 1] = '\0';
  size_t n = 0;
  for (int i = 0; i < 60; i++) {
    p[n++] = 'a';
    p[n++] = '*';
  }
  p[n++] = 'b';
  p[n] = '\0';
  assert_false(ls_suppress_match(p, s));
  s[sizeof s - 2] = 'b';
  assert_true(ls_suppress_match(p, s));
}

static char *write_rules(const char *text) {
  static char path[] = "/tmp/leakscope-test-suppress-XXXXXX";
  strcpy(path, "/tmp/leakscope-test-suppress-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

/* One file: comments and blanks skipped, CRLF and surrounding blanks
 * trimmed, malformed lines skipped without losing the rest; then
 * ls_suppress_find picks the first rule of the right kind that matches a
 * frame's function, module or file. (The rules stay loaded for the
 * process's life, so this is the only test that loads any.) */
static void test_load_and_find(void **state) {
  (void)state;
  char *path = write_rules("# a comment\n"
                           "\n"
                           "leak:^alloc_cache$\n"
                           "   leak:libplugin.so  \r\n"
                           "fd:open_log\n"
                           "nonsense line\n"
                           "leak:\n"
                           "leek:typo\n"
                           "\tfd:*.c$\n");
  size_t loaded = ls_suppress_load(path);
  unlink(path);
  assert_int_equal(loaded, 4);
  size_t n;
  ls_rule_t *r = ls_suppress_rules(&n);
  assert_int_equal(n, 4);
  assert_string_equal(r[0].pattern, "^alloc_cache$");
  assert_int_equal(r[0].line, 3);
  assert_false(r[0].fd);
  assert_string_equal(r[1].pattern, "libplugin.so");
  assert_int_equal(r[1].line, 4);
  assert_string_equal(r[2].pattern, "open_log");
  assert_true(r[2].fd);
  assert_string_equal(r[3].pattern, "*.c$");
  assert_int_equal(r[3].line, 9);

  ls_frame_info_t frames[] = {
      {.module = "/usr/lib/libc.so.6", .function = "malloc", .file = NULL},
      {.module = "/opt/app", .function = "alloc_cache", .file = "cache.h"},
  };
  assert_ptr_equal(ls_suppress_find(false, frames, 2), &r[0]);
  assert_null(ls_suppress_find(false, frames, 1));
  ls_frame_info_t plugin[] = {{.module = "/opt/libplugin.so", .function = NULL}};
  assert_ptr_equal(ls_suppress_find(false, plugin, 1), &r[1]);
  assert_null(ls_suppress_find(true, plugin, 1)); /* fd rules only for fd groups */
  ls_frame_info_t fd_frames[] = {{.module = "/opt/app", .function = "main", .file = "main.c"}};
  assert_ptr_equal(ls_suppress_find(true, fd_frames, 1), &r[3]);
  assert_null(ls_suppress_find(false, fd_frames, 1));

  /* A file that cannot be read adds nothing and keeps what was loaded. */
  assert_int_equal(ls_suppress_load("/nonexistent/leakscope.supp"), 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_match),
      cmocka_unit_test(test_match_many_stars),
      cmocka_unit_test(test_load_and_find),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
