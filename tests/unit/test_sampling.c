/* SPDX-License-Identifier: MIT
 * test_sampling.c: the sampled mode's decisions and counting filter
 * (src/sample.c, sample.h), linked against the core objects: the chance
 * that a block is recorded, large blocks always, the weights, and the
 * filter under threads that free each other's blocks (also run under TSan
 * by tests/sanitize.sh).
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "guard.h"
#include "sample.h"

static void set_mode(unsigned long interval, unsigned long seed) {
  ls_config.sample = interval;
  ls_config.seed = seed;
  ls_tls.sample_rng = 0; /* this thread seeds again */
  ls_tls.sample_left = 0;
}

/* The fraction of blocks of size s recorded is 1 - exp(-s/interval):
 * 200,000 draws, within 5 standard deviations. */
static void test_probability(void **state) {
  (void)state;
  static const size_t sizes[] = {64, 1024, 16384, 40000, 65535};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    set_mode(65536, 1 + k);
    const int n = 200000;
    int taken = 0;
    for (int i = 0; i < n; i++)
      taken += ls_sample_take(sizes[k]);
    double p = 1 - exp(-(double)sizes[k] / 65536);
    double sd = sqrt(n * p * (1 - p));
    print_message("size %zu: %d of %d recorded, expected %.1f (sd %.1f)\n", sizes[k], taken, n,
                  n * p, sd);
    assert_true(fabs(taken - n * p) < 5 * sd + 1);
    /* the weight undoes the chance */
    assert_true(fabs(ls_sample_weight(sizes[k]) * p - 1) < 1e-9);
  }
  set_mode(0, 0);
}

/* Blocks of the interval or more are always recorded, weigh 1, and leave
 * the countdown alone. */
static void test_large_always(void **state) {
  (void)state;
  set_mode(4096, 7);
  ls_sample_take(1); /* seeds the countdown */
  int64_t left = ls_tls.sample_left;
  for (size_t s = 4096; s < 4096 * 64; s += 4093) {
    assert_true(ls_sample_take(s));
    assert_true(ls_sample_weight(s) == 1.0);
  }
  assert_int_equal(ls_tls.sample_left, left);
  set_mode(0, 0);
}

/* The exact mode records everything; nothing weighs more than 1. */
static void test_exact_mode(void **state) {
  (void)state;
  set_mode(0, 0);
  for (size_t s = 0; s < 5000; s += 7)
    assert_true(ls_sample_take(s));
  assert_true(ls_sample_weight(16) == 1.0);
  set_mode(65536, 3);
  assert_true(ls_sample_weight(0) == 1.0);
  assert_true(fabs(ls_sample_weight(1024) - 1 / (1 - exp(-1024.0 / 65536))) < 1e-9);
  set_mode(0, 0);
}

/* Threads add their blocks to the filter, hand them to the next thread
 * through a barrier, and that thread must find each one maybe-present
 * before removing it; at the end every counter is back to 0. */
#define FT_THREADS 4
#define FT_BLOCKS 4096
static uintptr_t ft_blocks[FT_THREADS][FT_BLOCKS];
static pthread_barrier_t ft_barrier;
static _Atomic int ft_misses;

static void *filter_worker(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int round = 0; round < 20; round++) {
    for (int i = 0; i < FT_BLOCKS; i++) {
      uintptr_t a = 0x10000000u + ((uintptr_t)t << 32) + ((uintptr_t)(round * FT_BLOCKS + i) << 4);
      ft_blocks[t][i] = a;
      ls_sample_filter_add(a);
    }
    pthread_barrier_wait(&ft_barrier);
    int from = (t + 1) % FT_THREADS;
    for (int i = 0; i < FT_BLOCKS; i++) {
      if (!ls_sample_filter_maybe(ft_blocks[from][i]))
        ls_atomic_add_relaxed(&ft_misses, 1); /* relaxed: a count read after the joins */
      ls_sample_filter_remove(ft_blocks[from][i]);
    }
    pthread_barrier_wait(&ft_barrier);
  }
  return NULL;
}

static void test_filter_threads(void **state) {
  (void)state;
  pthread_t th[FT_THREADS];
  pthread_barrier_init(&ft_barrier, NULL, FT_THREADS);
  for (intptr_t t = 0; t < FT_THREADS; t++)
    assert_int_equal(pthread_create(&th[t], NULL, filter_worker, (void *)t), 0);
  for (int t = 0; t < FT_THREADS; t++)
    pthread_join(th[t], NULL);
  assert_int_equal(ls_atomic_load_relaxed(&ft_misses), 0);
  for (size_t i = 0; i < (1u << LS_SAMPLE_FILTER_BITS); i++)
    assert_int_equal(ls_atomic_load_relaxed(&ls_sample_filter[i]), 0);
}

/* A counter that reaches LS_SAMPLE_FILTER_STUCK stays there: after that
 * it cannot know when its count is back to 0, so it must answer "maybe"
 * for good (a wrap to 0 would let a free skip a recorded block). Below
 * it, a counter counts exactly. */
static void test_filter_saturates(void **state) {
  (void)state;
  uintptr_t a = 0x7f0000001230u;
  for (int i = 0; i < LS_SAMPLE_FILTER_STUCK - 1; i++)
    ls_sample_filter_add(a);
  for (int i = 0; i < LS_SAMPLE_FILTER_STUCK - 1; i++) {
    assert_true(ls_sample_filter_maybe(a));
    ls_sample_filter_remove(a);
  }
  assert_false(ls_sample_filter_maybe(a));
  for (int i = 0; i < LS_SAMPLE_FILTER_STUCK + 45; i++)
    ls_sample_filter_add(a);
  assert_int_equal(ls_atomic_load_relaxed(ls_sample_counter(a)), LS_SAMPLE_FILTER_STUCK);
  for (int i = 0; i < LS_SAMPLE_FILTER_STUCK + 45; i++)
    ls_sample_filter_remove(a);
  assert_true(ls_sample_filter_maybe(a));
  ls_atomic_store_relaxed(ls_sample_counter(a), 0); /* for the cases after this one */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_probability),      cmocka_unit_test(test_large_always),
      cmocka_unit_test(test_exact_mode),       cmocka_unit_test(test_filter_threads),
      cmocka_unit_test(test_filter_saturates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
