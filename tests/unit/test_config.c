/* SPDX-License-Identifier: MIT
 * Unit tests of option parsing: valid values, and for each invalid one the
 * default plus exactly one warning line naming the variable and default.
 * Also checks docs/options.md lists every option of LS_OPTIONS.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* Runs ls_config_set with stderr captured; returns its result and leaves
 * the warning text in `warning`. */
static char warning[1024];

static int set_captured(ls_config_t *cfg, const char *name, const char *value) {
  char path[] = "/tmp/ls_config_XXXXXX";
  int fd = mkstemp(path);
  int saved = dup(2);
  dup2(fd, 2);
  int rc = ls_config_set(cfg, name, value);
  dup2(saved, 2);
  close(saved);
  ssize_t n = pread(fd, warning, sizeof warning - 1, 0);
  warning[n > 0 ? n : 0] = '\0';
  close(fd);
  unlink(path);
  return rc;
}

static void test_valid(void **state) {
  ls_config_t c;
  ls_config_defaults(&c);
  assert_int_equal(c.depth, 32);
  assert_int_equal(c.format, LS_FORMAT_TEXT);
  assert_int_equal(c.signal, SIGUSR2);
  assert_null(c.output);
  assert_int_equal(set_captured(&c, "DEPTH", "64"), 0);
  assert_int_equal(c.depth, 64);
  assert_int_equal(set_captured(&c, "format", "JSON"), 0);
  assert_int_equal(c.format, LS_FORMAT_JSON);
  assert_int_equal(set_captured(&c, "FORMAT", "folded"), 0);
  assert_int_equal(c.format, LS_FORMAT_FOLDED);
  assert_int_equal(set_captured(&c, "OUTPUT", "/tmp/r.%p"), 0);
  assert_string_equal(c.output, "/tmp/r.%p");
  assert_int_equal(set_captured(&c, "SIGNAL", "SIGUSR1"), 0);
  assert_int_equal(c.signal, SIGUSR1);
  assert_int_equal(set_captured(&c, "SIGNAL", "usr2"), 0);
  assert_int_equal(c.signal, SIGUSR2);
  assert_int_equal(set_captured(&c, "SIGNAL", "10"), 0);
  assert_int_equal(c.signal, 10);
  assert_int_equal(set_captured(&c, "SIGNAL", "SIGRTMIN+3"), 0);
  assert_int_equal(c.signal, SIGRTMIN + 3);
  assert_int_equal(set_captured(&c, "SIGNAL", "none"), 0);
  assert_int_equal(c.signal, 0);
  assert_int_equal(c.unwind, LS_UNWIND_CFI);
  assert_int_equal(set_captured(&c, "UNWIND", "fp"), 0);
  assert_int_equal(c.unwind, LS_UNWIND_FP);
  /* the old name of cfi, still accepted: anything but FP walks with cfi */
  assert_int_equal(set_captured(&c, "UNWIND", "libunwind"), 0);
  assert_int_not_equal(c.unwind, LS_UNWIND_FP);
  assert_int_equal(set_captured(&c, "UNWIND", "CFI"), 0);
  assert_int_equal(c.unwind, LS_UNWIND_CFI);
  assert_int_equal(set_captured(&c, "DIFF", "yes"), 0);
  assert_true(c.diff);
  assert_int_equal(set_captured(&c, "DIFF", "off"), 0);
  assert_false(c.diff);
  assert_string_equal(warning, "");
  assert_int_equal(set_captured(&c, "NO_SUCH_OPTION", "1"), -ENOENT);
}

/* Each row: variable, bad value, the default named in the warning. */
static const struct {
  const char *name, *value, *def;
} bad[] = {
    {"DEPTH", "0", "32"},        {"DEPTH", "257", "32"},
    {"DEPTH", "-5", "32"},       {"DEPTH", "12abc", "32"},
    {"DEPTH", "", "32"},         {"DEPTH", "99999999999999999999999", "32"},
    {"FORMAT", "xml", "text"},   {"FORMAT", "", "text"},
    {"SIGNAL", "SIGKILL", "12"}, {"SIGNAL", "SIGFOO", "12"},
    {"SIGNAL", "65", "12"},      {"SIGNAL", "SIGSEGV", "12"},
    {"INTERVAL", "-1", "0"},     {"INTERVAL", "1.5", "0"},
    {"DIFF", "maybe", "0"},      {"EXITCODE", "256", "0"},
    {"FOLLOW_EXEC", "2", "1"},   {"UNWIND", "dwarf", "cfi"},
    {"OUTPUT", "", "unset"},     {"MIN_AGE", "ten", "0"},
};

static void test_invalid(void **state) {
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ls_config_t c, d;
    ls_config_defaults(&c);
    ls_config_defaults(&d);
    /* move the option away from its default first, so the reset shows */
    set_captured(&c, "DEPTH", "7");
    set_captured(&c, "FORMAT", "json");
    int rc = set_captured(&c, bad[i].name, bad[i].value);
    if (rc != -EINVAL)
      fail_msg("LEAKSCOPE_%s='%s' accepted", bad[i].name, bad[i].value);
    char expect[256];
    snprintf(expect, sizeof expect, "leakscope: warning: LEAKSCOPE_%s='", bad[i].name);
    if (strncmp(warning, expect, strlen(expect)) != 0)
      fail_msg("warning for %s='%s' was: %s", bad[i].name, bad[i].value, warning);
    snprintf(expect, sizeof expect, "using the default (%s)\n", bad[i].def);
    size_t wl = strlen(warning), el = strlen(expect);
    if (wl < el || strcmp(warning + wl - el, expect) != 0)
      fail_msg("warning for %s='%s' was: %s", bad[i].name, bad[i].value, warning);
    if (strchr(warning, '\n') != warning + wl - 1)
      fail_msg("more than one line for %s='%s': %s", bad[i].name, bad[i].value, warning);
    if (!strcmp(bad[i].name, "DEPTH"))
      assert_int_equal(c.depth, d.depth);
    if (!strcmp(bad[i].name, "FORMAT"))
      assert_int_equal(c.format, d.format);
    if (!strcmp(bad[i].name, "SIGNAL"))
      assert_int_equal(c.signal, d.signal);
  }
}

static void test_huge_value_warning_is_short(void **state) {
  static char huge[100000];
  memset(huge, '9', sizeof huge - 1);
  ls_config_t c;
  ls_config_defaults(&c);
  assert_int_equal(set_captured(&c, "DEPTH", huge), -EINVAL);
  assert_true(strlen(warning) < 200);
  assert_int_equal(set_captured(&c, "OUTPUT", huge), -EINVAL);
  assert_null(c.output);
}

/* docs/options.md must name every LEAKSCOPE_ variable the parser knows. */
static void test_docs_list_every_option(void **state) {
  FILE *f = fopen(LS_SOURCE_DIR "/docs/options.md", "r");
  assert_non_null(f);
  static char doc[65536];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  doc[n] = '\0';
  fclose(f);
#define LS_CHECK_DOC(field, kind, def, min, max, values, flags, text)                              \
  {                                                                                                \
    char name[64];                                                                                 \
    snprintf(name, sizeof name, "`LEAKSCOPE_%s`", #field);                                         \
    for (char *p = name; *p; p++)                                                                  \
      if (*p >= 'a' && *p <= 'z')                                                                  \
        *p = (char)(*p - 32);                                                                      \
    if (!strstr(doc, name))                                                                        \
      fail_msg("docs/options.md does not document %s", name);                                      \
  }
  LS_OPTIONS(LS_CHECK_DOC)
#undef LS_CHECK_DOC
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_huge_value_warning_is_short),
      cmocka_unit_test(test_docs_list_every_option),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
