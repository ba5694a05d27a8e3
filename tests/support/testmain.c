/* SPDX-License-Identifier: MIT
 * testmain.c: test selection by name and the skip exit status (see
 * testmain.h).
 */
#include "testmain.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

bool ts_skipped;

const char *const ts_opts[TS_NOPTS] = {"O0", "O2"};

static bool named(const struct CMUnitTest *t, const char *name) {
  return !strcmp(t->name, name) || (!strncmp(t->name, "test_", 5) && !strcmp(t->name + 5, name));
}

int ts_main(const char *group, const struct CMUnitTest *tests, size_t n, const char *name) {
  struct CMUnitTest *chosen = calloc(n ? n : 1, sizeof *chosen);
  size_t k = 0;
  if (!chosen)
    return 1;
  for (size_t i = 0; i < n; i++)
    if (!name || named(&tests[i], name))
      chosen[k++] = tests[i];
  if (k == 0) {
    fprintf(stderr, "%s: no test named %s\n", group, name ? name : "(none)");
    free(chosen);
    return 1;
  }
  int failed = _cmocka_run_group_tests(group, chosen, k, NULL, NULL);
  free(chosen);
  return failed ? 1 : ts_skipped ? TS_SKIP_CODE : 0;
}

int ts_main_opts(const char *group, const void *cases, size_t ncases, size_t case_size,
                 const char *const *first_name, void (*run)(void **), int (*teardown)(void **),
                 const char *name) {
  size_t n = ncases * TS_NOPTS;
  ts_opt_case_t *states = calloc(n, sizeof *states);
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  if (!states || !tests)
    return 1;
  for (size_t c = 0; c < ncases; c++) {
    /* The case's name is at the same offset in every element. */
    const char *case_name = *(const char *const *)((const char *)first_name + c * case_size);
    for (size_t o = 0; o < TS_NOPTS; o++) {
      ts_opt_case_t *s = &states[c * TS_NOPTS + o];
      s->c = (const char *)cases + c * case_size;
      s->opt = ts_opts[o];
      snprintf(s->name, sizeof s->name, "%s_%s", case_name, ts_opts[o]);
      tests[c * TS_NOPTS + o] = (struct CMUnitTest){s->name, run, NULL, teardown, s};
    }
  }
  int status = ts_main(group, tests, n, name);
  free(tests);
  free(states);
  return status;
}
