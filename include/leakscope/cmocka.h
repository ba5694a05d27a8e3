/* SPDX-License-Identifier: MIT
 * leakscope/cmocka.h: leak assertions for cmocka test suites.
 *
 * Include after <cmocka.h>. Link -lleakscope (the test runs tracked), or
 * leakscope_api to let the suite also run without leakscope (then every
 * assertion passes: there is nothing to check).
 *
 *   leakscope_checkpoint_t cp = leakscope_checkpoint();
 *   code_under_test();
 *   assert_no_leaks_since(cp);   // memory, fds, threads, mappings, children
 *
 * On failure the grouped leak report (file:line for each frame) goes
 * through cmocka's own error output and the test fails at the
 * assertion's line: on stderr by default, and in the test case's
 * <failure> under CMOCKA_MESSAGE_OUTPUT=xml (CMOCKA_XML_FILE), as in
 * cmocka's subunit and TAP outputs.
 * For a whole group: cmocka_unit_test_setup_teardown(test,
 * leakscope_cmocka_setup, leakscope_cmocka_teardown) checks each test.
 * Only resources created by the test's own thread count in the
 * setup/teardown pair, so cmocka's bookkeeping and other threads' work do
 * not fail it; the assert_* macros count every thread.
 */
#ifndef LEAKSCOPE_CMOCKA_H
#define LEAKSCOPE_CMOCKA_H

#include <leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cmocka's error output for the running test: what _fail and the assert_*
 * macros use, collected into the failure message of the XML, subunit and
 * TAP outputs (print_error, the public one, always goes to stderr and so
 * never reaches an XML file). libcmocka 1.1 exports it without declaring
 * it; weak, so with a cmocka that lacks it the helpers use print_error. */
extern void cm_print_error(const char *format, ...) __attribute__((weak, format(printf, 1, 2)));

/* Whether messages go through cm_print_error: when CMOCKA_MESSAGE_OUTPUT
 * asks for XML, subunit or TAP (as cmocka reads it). Not for the default
 * output, where cmocka cuts each collected message at 1 KiB: there the
 * report goes straight to stderr, as print_error's lines do. (An output
 * chosen with cmocka_set_message_output cannot be asked for; the helpers
 * follow the variable.) */
__attribute__((unused)) static int leakscope_cmocka_collects_(void) {
  const char *m = getenv("CMOCKA_MESSAGE_OUTPUT");
  return cm_print_error && m &&
         (!strcasecmp(m, "xml") || !strcasecmp(m, "subunit") || !strcasecmp(m, "tap"));
}

/* A message into cmocka's error output (see above). cmocka's copy of it
 * is allocated on the test's thread; recording is paused so the next
 * check does not count it. */
#define leakscope_cmocka_error_(...)                                                               \
  do {                                                                                             \
    if (leakscope_cmocka_collects_()) {                                                            \
      leakscope_pause();                                                                           \
      cm_print_error(__VA_ARGS__);                                                                 \
      leakscope_resume();                                                                          \
    } else {                                                                                       \
      print_error(__VA_ARGS__);                                                                    \
    }                                                                                              \
  } while (0)

/* The report of what the test left (an API report), into cmocka's error
 * output: made in a temporary file (opened with recording paused, so the
 * report does not list it), read back, and passed on in pieces under 1 KiB
 * (cmocka 1.1 loses the last byte of a longer one). "]]>" (in a path, say)
 * would end the CDATA section cmocka writes messages into: it becomes
 * "]] >". With cmocka's default output, or when the report cannot be read
 * back, it goes straight to stderr. */
__attribute__((noinline, unused)) static void
leakscope_cmocka_report_(leakscope_checkpoint_t cp, leakscope_scope_t scope, unsigned kinds) {
  char *text = NULL;
  long len = -1;
  if (leakscope_cmocka_collects_()) {
    leakscope_pause();
    FILE *tmp = tmpfile();
    if (tmp && leakscope_report_file(tmp, cp, scope, kinds, LEAKSCOPE_FORMAT_TEXT) >= 0 &&
        fseek(tmp, 0, SEEK_END) == 0 && (len = ftell(tmp)) >= 0 && fseek(tmp, 0, SEEK_SET) == 0 &&
        (text = (char *)malloc((size_t)len * 2 + 1)) != NULL) /* room for every " " added */
      len = (long)fread(text, 1, (size_t)len, tmp);
    if (tmp)
      fclose(tmp);
    leakscope_resume();
  }
  if (!text) {
    fflush(stdout);
    leakscope_report_fd(2, cp, scope, kinds, LEAKSCOPE_FORMAT_TEXT);
    return;
  }
  text[len] = '\0';
  for (char *p = text; (p = strstr(p, "]]>")) != NULL; p += 4) {
    memmove(p + 3, p + 2, strlen(p + 2) + 1);
    p[2] = ' ';
  }
  for (size_t at = 0, n = strlen(text); at < n; at += 1000)
    leakscope_cmocka_error_("%.*s", (int)(n - at < 1000 ? n - at : 1000), text + at);
  free(text);
}

/* Fails the current test if resources of `kinds` created since cp (by the
 * threads `scope` covers) are still live, printing the report. */
/* Not inlined: inlined into a test, GCC 12 warns wrongly that `c`
 * dangles (-Wdangling-pointer). */
__attribute__((noinline, unused)) static void leakscope_cmocka_check(leakscope_checkpoint_t cp,
                                                                     leakscope_scope_t scope,
                                                                     unsigned kinds,
                                                                     const char *file, int line) {
  leakscope_counts_t c;
  leakscope_kind_counts_t k;
  if (leakscope_count_since(cp, scope, &c) != 0 || leakscope_count_kinds_since(cp, scope, &k) != 0)
    return; /* leakscope not active: nothing to check */
  bool leaked = ((kinds & LEAKSCOPE_MEMORY) && c.blocks) || ((kinds & LEAKSCOPE_FDS) && c.fds) ||
                ((kinds & LEAKSCOPE_THREADS) && (k.threads || k.threads_running)) ||
                ((kinds & LEAKSCOPE_MAPPINGS) && k.mappings) ||
                ((kinds & LEAKSCOPE_PROCESSES) && (k.processes || k.processes_running));
  if (!leaked)
    return;
  if (k.threads || k.threads_running || k.mappings || k.processes || k.processes_running)
    leakscope_cmocka_error_(
        "leakscope: %llu threads not joined, %llu running; %llu mappings (%llu bytes); "
        "%llu zombie and %llu running child processes since the checkpoint\n",
        (unsigned long long)k.threads, (unsigned long long)k.threads_running,
        (unsigned long long)k.mappings, (unsigned long long)k.mapping_bytes,
        (unsigned long long)k.processes, (unsigned long long)k.processes_running);
  unsigned long long bytes = c.bytes, blocks = c.blocks, fds = c.fds;
  if (kinds == LEAKSCOPE_ALL)
    leakscope_cmocka_error_(
        "leakscope: %llu bytes in %llu blocks and %llu fds leaked since the checkpoint\n", bytes,
        blocks, fds);
  else if (kinds & LEAKSCOPE_MEMORY)
    leakscope_cmocka_error_("leakscope: %llu bytes in %llu blocks leaked since the checkpoint\n",
                            bytes, blocks);
  else
    leakscope_cmocka_error_("leakscope: %llu fds leaked since the checkpoint\n", fds);
  leakscope_cmocka_report_(cp, scope, kinds);
  _fail(file, line);
}

#define assert_no_leaks_since(cp)                                                                  \
  leakscope_cmocka_check((cp), LEAKSCOPE_SCOPE_PROCESS, LEAKSCOPE_ALL, __FILE__, __LINE__)
#define assert_no_memory_leaks_since(cp)                                                           \
  leakscope_cmocka_check((cp), LEAKSCOPE_SCOPE_PROCESS, LEAKSCOPE_MEMORY, __FILE__, __LINE__)
#define assert_no_fd_leaks_since(cp)                                                               \
  leakscope_cmocka_check((cp), LEAKSCOPE_SCOPE_PROCESS, LEAKSCOPE_FDS, __FILE__, __LINE__)

/* The checkpoint of the test currently running under the setup/teardown
 * pair (cmocka runs one test at a time). */
static leakscope_checkpoint_t leakscope_cmocka_cp_;

/* cmocka setup: takes the checkpoint. Leaves *state alone. */
static inline int leakscope_cmocka_setup(void **state) {
  (void)state;
  leakscope_cmocka_cp_ = leakscope_checkpoint();
  return 0;
}

/* cmocka teardown: fails the test (returning -1, with the report in
 * cmocka's error output) if the test's thread leaked memory or fds since
 * setup. */
static inline int leakscope_cmocka_teardown(void **state) {
  (void)state;
  leakscope_counts_t c;
  leakscope_kind_counts_t k;
  if (leakscope_count_since(leakscope_cmocka_cp_, LEAKSCOPE_SCOPE_THREAD, &c) != 0 ||
      leakscope_count_kinds_since(leakscope_cmocka_cp_, LEAKSCOPE_SCOPE_THREAD, &k) != 0)
    return 0;
  if (!c.blocks && !c.fds && !k.threads && !k.threads_running && !k.mappings && !k.processes &&
      !k.processes_running)
    return 0;
  leakscope_cmocka_error_("leakscope: test leaked %llu bytes in %llu blocks and %llu fds\n",
                          (unsigned long long)c.bytes, (unsigned long long)c.blocks,
                          (unsigned long long)c.fds);
  leakscope_cmocka_report_(leakscope_cmocka_cp_, LEAKSCOPE_SCOPE_THREAD, LEAKSCOPE_ALL);
  return -1;
}

#ifdef __cplusplus
}
#endif
#endif
