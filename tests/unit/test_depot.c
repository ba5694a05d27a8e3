/* SPDX-License-Identifier: MIT
 * Unit tests of the stack depot: one id per distinct stack, ids stable
 * across threads racing to intern the same stacks, frames round-trip.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "depot.h"

#define STACKS 5000
#define THREADS 4

static void make_stack(uint32_t n, uintptr_t *f, uint32_t *depth) {
  *depth = 1 + n % 32;
  for (uint32_t i = 0; i < *depth; i++)
    f[i] = 0x400000 + (uintptr_t)n * 64 + i;
}

static void test_roundtrip(void **state) {
  uintptr_t f[32];
  uint32_t depth;
  make_stack(42, f, &depth);
  uint32_t mark = ls_depot_mark();
  uint32_t id = ls_depot_intern(f, depth);
  assert_true(id != 0);
  assert_true(id >= mark);
  assert_int_equal(ls_depot_intern(f, depth), id);
  uint32_t got_depth;
  const uintptr_t *got = ls_depot_get(id, &got_depth);
  assert_int_equal(got_depth, depth);
  assert_memory_equal(got, f, depth * sizeof *f);
  /* A prefix is a different stack. */
  assert_true(ls_depot_intern(f, depth - 1) != id);
  assert_true(ls_depot_mark() > id);
  assert_null(ls_depot_get(0, &got_depth));
}

static uint32_t ids[THREADS][STACKS];

static void *intern_all(void *arg) {
  int t = (int)(intptr_t)arg;
  for (uint32_t k = 0; k < STACKS; k++) {
    uint32_t n = (k * 7919 + (uint32_t)t * 13) % STACKS; /* each thread its own order */
    uintptr_t f[32];
    uint32_t depth;
    make_stack(n + 1000, f, &depth);
    ids[t][n] = ls_depot_intern(f, depth);
  }
  return NULL;
}

static void test_concurrent_same_ids(void **state) {
  size_t before = ls_depot_count();
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++)
    pthread_create(&th[t], NULL, intern_all, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
  for (uint32_t n = 0; n < STACKS; n++) {
    assert_true(ids[0][n] != 0);
    for (int t = 1; t < THREADS; t++)
      assert_int_equal(ids[t][n], ids[0][n]);
  }
  assert_int_equal(ls_depot_count() - before, STACKS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_concurrent_same_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
