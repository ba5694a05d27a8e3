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
 * On failure the grouped leak report (file:line for each frame) is
 * printed to stderr and the test fails at the assertion's line.
 * For a whole group: cmocka_unit_test_setup_teardown(test,
 * leakscope_cmocka_setup, leakscope_cmocka_teardown) checks each test.
 * Only resources created by the test's own thread count in the
 * setup/teardown pair, so cmocka's bookkeeping and other threads' work do
 * not fail it; the assert_* macros count every thread.
 */
#ifndef LEAKSCOPE_CMOCKA_H
#define LEAKSCOPE_CMOCKA_H

#include <leakscope.h>

#ifdef __cplusplus
extern "C" {
#endif

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
    print_error("leakscope: %llu threads not joined, %llu running; %llu mappings (%llu bytes); "
                "%llu zombie and %llu running child processes since the checkpoint\n",
                (unsigned long long)k.threads, (unsigned long long)k.threads_running,
                (unsigned long long)k.mappings, (unsigned long long)k.mapping_bytes,
                (unsigned long long)k.processes, (unsigned long long)k.processes_running);
  unsigned long long bytes = c.bytes, blocks = c.blocks, fds = c.fds;
  if (kinds == LEAKSCOPE_ALL)
    print_error("leakscope: %llu bytes in %llu blocks and %llu fds leaked since the checkpoint\n",
                bytes, blocks, fds);
  else if (kinds & LEAKSCOPE_MEMORY)
    print_error("leakscope: %llu bytes in %llu blocks leaked since the checkpoint\n", bytes,
                blocks);
  else
    print_error("leakscope: %llu fds leaked since the checkpoint\n", fds);
  fflush(stdout);
  leakscope_report_fd(2, cp, scope, kinds, LEAKSCOPE_FORMAT_TEXT);
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

/* cmocka teardown: fails the test (returning -1, with the report on
 * stderr) if the test's thread leaked memory or fds since setup. */
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
  print_error("leakscope: test leaked %llu bytes in %llu blocks and %llu fds\n",
              (unsigned long long)c.bytes, (unsigned long long)c.blocks, (unsigned long long)c.fds);
  fflush(stdout);
  leakscope_report_fd(2, leakscope_cmocka_cp_, LEAKSCOPE_SCOPE_THREAD, LEAKSCOPE_ALL,
                      LEAKSCOPE_FORMAT_TEXT);
  return -1;
}

#ifdef __cplusplus
}
#endif
#endif
