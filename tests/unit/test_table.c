/* SPDX-License-Identifier: MIT
 * Unit tests of the live-block table: exact counts after millions of
 * concurrent inserts and removes, growth while other threads insert, and
 * visits that run during churn without missing or repeating an entry.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

#define THREADS 4
#define LIVE_PER_THREAD 50000
#define OPS_PER_THREAD 1000000

/* Fake, distinct, 16-aligned addresses: thread t's i-th slot. */
static uintptr_t addr_of(int t, uint32_t i) {
  return ((uintptr_t)(t + 1) << 40) | ((uintptr_t)i << 4);
}

typedef struct count {
  uint64_t blocks, bytes;
  uintptr_t *seen;
  size_t nseen, cap;
} count_t;

static void count_visit(const ls_block_t *b, void *ctx) {
  count_t *c = ctx;
  c->blocks++;
  c->bytes += b->size;
  if (c->seen && c->nseen < c->cap)
    c->seen[c->nseen++] = b->addr;
}

static int cmp_addr(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

/* Removes every entry of thread t so tests start from an empty table. */
static void drain(int t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    ls_table_remove(addr_of(t, i), NULL);
}

static void test_single_thread(void **state) {
  ls_table_init();
  for (uint32_t i = 0; i < 100000; i++) {
    ls_block_t b = {.addr = addr_of(7, i), .size = i % 100, .stack = 1, .stamp = i};
    assert_true(ls_table_insert(&b));
  }
  for (uint32_t i = 0; i < 100000; i += 2)
    assert_true(ls_table_remove(addr_of(7, i), NULL));
  assert_false(ls_table_remove(addr_of(7, 0), NULL)); /* already gone */
  assert_false(ls_table_remove(addr_of(9, 1), NULL)); /* never there */
  ls_block_t old;
  assert_true(ls_table_remove(addr_of(7, 99999), &old));
  assert_int_equal(old.size, 99999 % 100);
  assert_int_equal(old.stamp, 99999);
  count_t c = {0};
  ls_table_foreach(count_visit, &c);
  assert_int_equal(c.blocks, 49999);
  uint64_t bytes = 0;
  for (uint32_t i = 1; i < 99999; i += 2)
    bytes += i % 100;
  assert_int_equal(c.bytes, bytes);
  drain(7, 100000);
}

/* Each thread churns its own addresses with a deterministic PRNG and
 * keeps a bitmap of what it believes is live; at the end the table must
 * agree exactly. Shards grow from 1024 slots while all threads insert. */
typedef struct worker {
  int t;
  uint8_t live[LIVE_PER_THREAD];
  uint64_t nlive, bytes;
} worker_t;

static void *churn(void *arg) {
  worker_t *w = arg;
  uint64_t x = 88172645463325252ull ^ (uint64_t)w->t;
  for (int op = 0; op < OPS_PER_THREAD; op++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint32_t i = (uint32_t)(x % LIVE_PER_THREAD);
    if (w->live[i]) {
      if (!ls_table_remove(addr_of(w->t, i), NULL))
        abort();
      w->live[i] = 0;
    } else {
      ls_block_t b = {.addr = addr_of(w->t, i), .size = i, .stack = (uint32_t)w->t + 1};
      if (!ls_table_insert(&b))
        abort();
      w->live[i] = 1;
    }
  }
  for (uint32_t i = 0; i < LIVE_PER_THREAD; i++) {
    w->nlive += w->live[i];
    w->bytes += w->live[i] ? i : 0;
  }
  return NULL;
}

/* Runs THREADS churn workers to completion. */
static void run_churn(worker_t w[THREADS]) {
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) {
    memset(&w[t], 0, sizeof w[t]);
    w[t].t = t;
    pthread_create(&th[t], NULL, churn, &w[t]);
  }
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
}

static void test_concurrent_exact(void **state) {
  ls_table_init();
  static worker_t w[THREADS];
  run_churn(w);
  uint64_t expect_blocks = 0, expect_bytes = 0;
  for (int t = 0; t < THREADS; t++) {
    expect_blocks += w[t].nlive;
    expect_bytes += w[t].bytes;
  }
  count_t c = {.cap = THREADS * LIVE_PER_THREAD};
  c.seen = malloc(c.cap * sizeof *c.seen);
  ls_table_foreach(count_visit, &c);
  assert_int_equal(c.blocks, expect_blocks);
  assert_int_equal(c.bytes, expect_bytes);
  qsort(c.seen, c.nseen, sizeof *c.seen, cmp_addr);
  for (size_t i = 1; i < c.nseen; i++)
    assert_true(c.seen[i] != c.seen[i - 1]);
  /* And each live entry is exactly the one the thread believes live. */
  for (int t = 0; t < THREADS; t++)
    for (uint32_t i = 0; i < LIVE_PER_THREAD; i++)
      assert_int_equal(ls_table_remove(addr_of(t, i), NULL), w[t].live[i]);
  free(c.seen);
}

/* Visits during churn: 10000 permanent entries must appear in every
 * visit, exactly once each. (A churned address may appear twice in one
 * visit: freed and allocated again during it, it is two blocks, each live
 * at some moment of the visit.) */
static _Atomic int stop_visits;

static void *visitor(void *arg) {
  int *bad = arg;
  count_t c = {.cap = THREADS * LIVE_PER_THREAD + 20000};
  c.seen = malloc(c.cap * sizeof *c.seen);
  while (!stop_visits) {
    c.nseen = c.blocks = 0;
    ls_table_foreach(count_visit, &c);
    qsort(c.seen, c.nseen, sizeof *c.seen, cmp_addr);
    size_t permanent = 0;
    for (size_t i = 0; i < c.nseen; i++) {
      bool perm = (c.seen[i] >> 40) == 9;
      if (perm && i && c.seen[i] == c.seen[i - 1])
        (*bad)++;
      permanent += perm;
    }
    if (permanent != 10000)
      (*bad)++;
  }
  free(c.seen);
  return NULL;
}

static void test_visit_during_churn(void **state) {
  ls_table_init();
  for (uint32_t i = 0; i < 10000; i++) {
    ls_block_t b = {.addr = addr_of(8, i), .size = 1};
    assert_true(ls_table_insert(&b));
  }
  static worker_t w[THREADS];
  pthread_t vt;
  int bad = 0;
  stop_visits = 0;
  pthread_create(&vt, NULL, visitor, &bad);
  run_churn(w);
  stop_visits = 1;
  pthread_join(vt, NULL);
  assert_int_equal(bad, 0);
  for (int t = 0; t < THREADS; t++)
    drain(t, LIVE_PER_THREAD);
  drain(8, 10000);
  count_t c = {0};
  ls_table_foreach(count_visit, &c);
  assert_int_equal(c.blocks, 0);
}

/* An allocator hands out ever new addresses while few stay live: the
 * table fills with tombstones. That is no reason to migrate (only live
 * entries count as load); searches for untracked addresses (blocks from
 * before leakscope) that tombstones make long purge a shard once. Exact
 * throughout. Runs first, on fresh minimal tables. */
static void test_tombstone_churn(void **state) {
  ls_table_init();
  size_t before = ls_table_bytes();
  uint64_t migrations = ls_table_migrations();
  enum { LIVE = 200, ROUNDS = 300000 };
  for (uint32_t r = 0; r < ROUNDS; r++) {
    ls_block_t b = {.addr = addr_of(5, r), .size = 1};
    assert_true(ls_table_insert(&b));
    if (r >= LIVE)
      assert_true(ls_table_remove(addr_of(5, r - LIVE), NULL));
  }
  assert_int_equal(ls_table_migrations(), migrations);
  assert_int_equal(ls_table_bytes(), before);
  for (uint32_t r = 0; r < 10000; r++)
    assert_false(ls_table_remove(addr_of(6, r), NULL));
  /* at most one purge per shard: nothing refills them with tombstones */
  assert_true(ls_table_migrations() - migrations <= 64);
  assert_int_equal(ls_table_bytes(), before);
  count_t c = {0};
  ls_table_foreach(count_visit, &c);
  assert_int_equal(c.blocks, LIVE);
  for (uint32_t r = ROUNDS - LIVE; r < ROUNDS; r++)
    assert_true(ls_table_remove(addr_of(5, r), NULL));
  c = (count_t){0};
  ls_table_foreach(count_visit, &c);
  assert_int_equal(c.blocks, 0);
}

/* A signal handler that frees (removes untracked addresses, whose long
 * searches ask for a purge) while the thread it interrupted is inside an
 * insert or a remove of the same shards: the purge must wait for the
 * thread to leave its operation, not migrate under it (that hung on a
 * BUSY slot, or stored a tombstone into an unmapped table). */
enum { HANDLER_RUNS = 2000, MAIN_MAX = 1u << 20 };
static volatile sig_atomic_t handler_runs;
/* Addresses in the same 64 MiB region as the main loop's (same shards),
 * above any it inserts (MAIN_MAX). */
static void remove_untracked(int sig) {
  (void)sig;
  for (uint32_t i = 0; i < 64; i++)
    ls_table_remove(addr_of(5, MAIN_MAX + (uint32_t)handler_runs * 64 + i), NULL);
  handler_runs++;
}
LS_STATIC_ASSERT(MAIN_MAX + HANDLER_RUNS * 64 < (1u << 22), "one region: 2^22 granules");

static void test_purge_in_signal_handler(void **state) {
  ls_table_init();
  struct sigaction sa = {.sa_handler = remove_untracked};
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every = {{0, 200}, {0, 200}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &every, NULL);
  enum { LIVE = 300 };
  uint32_t r = 0;
  while (handler_runs < HANDLER_RUNS && r < MAIN_MAX) {
    ls_block_t b = {.addr = addr_of(5, r), .size = 1};
    assert_true(ls_table_insert(&b));
    if (r >= LIVE)
      assert_true(ls_table_remove(addr_of(5, r - LIVE), NULL));
    r++;
  }
  setitimer(ITIMER_REAL, &off, NULL);
  count_t c = {0};
  ls_table_foreach(count_visit, &c);
  assert_int_equal(c.blocks, r < LIVE ? r : LIVE);
  for (uint32_t i = r < LIVE ? 0 : r - LIVE; i < r; i++)
    assert_true(ls_table_remove(addr_of(5, i), NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tombstone_churn),    cmocka_unit_test(test_purge_in_signal_handler),
      cmocka_unit_test(test_single_thread),      cmocka_unit_test(test_concurrent_exact),
      cmocka_unit_test(test_visit_during_churn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
