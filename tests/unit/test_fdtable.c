/* SPDX-License-Identifier: MIT
 * test_fdtable.c: the per-fd seqlocked table (fdtable.c).
 *
 * Set, get, clear and visit entries; the bounds (negative fds, fds past
 * the table); the scan limit; and readers that run while another thread
 * rewrites an entry: a reader sees either whole entry, never a mix of two
 * (the seqlock's promise, checked with entries whose fields agree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "fdtable.h"

static ls_fd_entry_t entry(ls_fd_kind_t kind, uint32_t n) {
  return (ls_fd_entry_t){
      .kind = kind, .stack = n, .stamp = n, .thread = (uint16_t)n, .flags = (int)n};
}

static void assert_same_entry(const ls_fd_entry_t *a, const ls_fd_entry_t *b) {
  assert_int_equal(a->kind, b->kind);
  assert_int_equal(a->stack, b->stack);
  assert_int_equal(a->stamp, b->stamp);
  assert_int_equal(a->thread, b->thread);
  assert_int_equal(a->flags, b->flags);
  assert_ptr_equal(a->obj, b->obj);
}

static void test_set_get_clear(void **state) {
  (void)state;
  ls_fdtable_init();
  ls_fdtable_init(); /* idempotent */
  ls_fd_entry_t e = entry(LS_FD_SOCKET, 7), got;
  assert_true(ls_fdtable_set(100, &e));
  assert_true(ls_fdtable_get(100, &got));
  assert_same_entry(&got, &e);
  assert_false(ls_fdtable_get(101, &got));
  assert_true(ls_fdtable_limit() >= 101);

  ls_fd_entry_t again = entry(LS_FD_PIPE, 8); /* a reused fd number */
  assert_true(ls_fdtable_set(100, &again));
  assert_true(ls_fdtable_get(100, &got));
  assert_int_equal(got.kind, LS_FD_PIPE);

  memset(&got, 0, sizeof got);
  assert_true(ls_fdtable_clear(100, &got));
  assert_int_equal(got.stack, 8);
  assert_false(ls_fdtable_get(100, &got));
  assert_false(ls_fdtable_clear(100, &got)); /* a second close */
  assert_false(ls_fdtable_clear(100, NULL));
}

static void test_bounds(void **state) {
  (void)state;
  ls_fdtable_init();
  ls_fd_entry_t e = entry(LS_FD_FILE, 1), got;
  assert_false(ls_fdtable_set(-1, &e));
  assert_false(ls_fdtable_get(-1, &got));
  assert_false(ls_fdtable_clear(-1, &got));
  assert_false(ls_fdtable_set(1 << 30, &e)); /* past any table (capped at 2^21) */
  assert_false(ls_fdtable_get(1 << 30, &got));
  assert_true(ls_fdtable_bytes() > 0);
}

typedef struct visit {
  int fds[16];
  size_t n;
} visit_t;

static void collect(int fd, const ls_fd_entry_t *e, void *ctx) {
  visit_t *v = ctx;
  assert_int_equal(e->stack, (uint32_t)fd);
  if (v->n < 16)
    v->fds[v->n++] = fd;
}

static void test_foreach_in_order(void **state) {
  (void)state;
  ls_fdtable_init();
  static const int fds[] = {300, 3, 77, 1000};
  for (size_t i = 0; i < 4; i++) {
    ls_fd_entry_t e = entry(LS_FD_FILE, (uint32_t)fds[i]);
    assert_true(ls_fdtable_set(fds[i], &e));
  }
  assert_true(ls_fdtable_clear(77, NULL));
  visit_t v = {0};
  ls_fdtable_foreach(collect, &v);
  assert_int_equal(v.n, 3);
  assert_int_equal(v.fds[0], 3);
  assert_int_equal(v.fds[1], 300);
  assert_int_equal(v.fds[2], 1000);
  assert_true(ls_fdtable_limit() >= 1001);
  for (size_t i = 0; i < 4; i++)
    ls_fdtable_clear(fds[i], NULL);
}

enum { RACE_FD = 500 };
static atomic_bool stop;

static void *rewriter(void *arg) {
  (void)arg;
  for (uint32_t n = 1; !atomic_load(&stop); n++) {
    ls_fd_entry_t e = entry(n % 2 ? LS_FD_SOCKET : LS_FD_PIPE, n);
    ls_fdtable_set(RACE_FD, &e);
    if (n % 3 == 0)
      ls_fdtable_clear(RACE_FD, NULL);
  }
  return NULL;
}

/* A reader racing a writer gets a whole entry or none. */
static void test_readers_see_whole_entries(void **state) {
  (void)state;
  ls_fdtable_init();
  atomic_store(&stop, false);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, rewriter, NULL), 0);
  size_t seen = 0;
  for (int i = 0; i < 2000000; i++) {
    ls_fd_entry_t got;
    if (!ls_fdtable_get(RACE_FD, &got))
      continue;
    seen++;
    if (got.stamp != got.stack || got.thread != (uint16_t)got.stack ||
        got.flags != (int)got.stack || got.kind != (got.stack % 2 ? LS_FD_SOCKET : LS_FD_PIPE))
      fail_msg("torn entry: stack %u stamp %u thread %u flags %d kind %d", got.stack, got.stamp,
               got.thread, got.flags, (int)got.kind);
  }
  atomic_store(&stop, true);
  pthread_join(t, NULL);
  ls_fdtable_clear(RACE_FD, NULL);
  print_message("%zu reads saw an entry\n", seen);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_get_clear),
      cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_foreach_in_order),
      cmocka_unit_test(test_readers_see_whole_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
