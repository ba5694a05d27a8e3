/* SPDX-License-Identifier: MIT
 * testmain.h: the main() of the test binaries: run the test CTest names,
 * or all of them, and tell CTest about a skip.
 *
 * CTest starts a binary once per test with the test's name as argv[1], so
 * a name that matches nothing must fail rather than run zero tests and
 * pass. A test that cannot run here calls TS_SKIP(); the binary then exits
 * TS_SKIP_CODE (the SKIP_RETURN_CODE of its CTest tests) if nothing failed.
 * Include after <cmocka.h>.
 */
#ifndef LS_TEST_MAIN_H
#define LS_TEST_MAIN_H

#include <stdbool.h>
#include <stddef.h>

struct CMUnitTest;

#define TS_SKIP_CODE 77
extern bool ts_skipped;
#define TS_SKIP(...)                                                                               \
  do {                                                                                             \
    print_message("SKIP: " __VA_ARGS__);                                                           \
    print_message("\n");                                                                           \
    ts_skipped = true;                                                                             \
    skip();                                                                                        \
  } while (0)

/* Runs, as cmocka group `group`, the tests of tests[0..n) named name,
 * with or without their "test_" prefix, or all of them if name is NULL.
 * Returns main's exit status: 1 if a test failed or none is named name,
 * else TS_SKIP_CODE if a test skipped with TS_SKIP, else 0. */
int ts_main(const char *group, const struct CMUnitTest *tests, size_t n, const char *name);

/* --- Table-driven tests at each optimisation level --- */

/* The levels every leak program is built at (LS_PROG_OPTS in
 * tests/CMakeLists.txt). */
#define TS_NOPTS 2
extern const char *const ts_opts[TS_NOPTS];

/* The state of one cmocka test of TS_MAIN_OPTS: one case of the table at
 * one level, named "<case name>_<opt>" (the CTest argument). */
typedef struct ts_opt_case {
  const void *c;   /* the case: an element of the table */
  const char *opt; /* "O0" or "O2" */
  char name[64];
} ts_opt_case_t;

/* ts_main(group, ..., selected) over every case of cases[] (an array whose
 * elements have a `const char *name`) at every level: each test runs
 * run(state), state pointing to its ts_opt_case_t, then teardown(state). */
#define TS_MAIN_OPTS(group, cases, run, teardown, selected)                                        \
  ts_main_opts(group, cases, sizeof(cases) / sizeof((cases)[0]), sizeof((cases)[0]),               \
               &(cases)[0].name, run, teardown, selected)

int ts_main_opts(const char *group, const void *cases, size_t ncases, size_t case_size,
                 const char *const *first_name, void (*run)(void **), int (*teardown)(void **),
                 const char *name);

#endif
