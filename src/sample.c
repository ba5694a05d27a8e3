/* SPDX-License-Identifier: MIT
 * sample.c: the sampled mode's slow path (a thread's countdown reached its
 * next point), its seeds, and the weights reports give recorded blocks.
 * See sample.h for the scheme; the fast path is inline there.
 */
#include "sample.h"

#include <sys/auxv.h>
#include <unistd.h>

#include "clock.h"

_Atomic uint8_t ls_sample_filter[1u << LS_SAMPLE_FILTER_BITS];

/* Until the options are read, the filter is kept whatever the mode. */
_Atomic bool ls_sample_options_read;

/* Threads seeded so far: with LEAKSCOPE_SEED, a thread's sequence follows
 * from the seed and its place in this order (the same program, run
 * again, seeds its threads in the same order if it starts them in the
 * same order). */
static _Atomic uint64_t seeded_threads;

/* Mixed into every seed of a fork child (its pid). */
static uint64_t fork_salt;

void ls_sample_configured(void) {
  /* relaxed: see ls_sample_filter_on */
  ls_atomic_store_relaxed(&ls_sample_options_read, true);
}

void ls_sample_after_fork_child(void) {
  fork_salt = (uint64_t)getpid();
  ls_tls.sample_rng = 0;
}

/* splitmix64: a full-period 64-bit generator, one add and a mix per draw. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t next_random(void) {
  ls_tls.sample_rng += 0x9E3779B97F4A7C15ull;
  return mix64(ls_tls.sample_rng);
}

/* A seed for this thread: from LEAKSCOPE_SEED, or from what differs
 * between runs and threads at no cost: the kernel's 16 random bytes of
 * this exec (AT_RANDOM), the thread's TLS address, the clock, the fork
 * child's pid. */
static void seed_thread(void) {
  /* relaxed: only an ordinal, no data is published through it */
  uint64_t ordinal = ls_atomic_add_relaxed(&seeded_threads, 1);
  uint64_t s;
  if (ls_config.seed) {
    s = mix64((uint64_t)ls_config.seed) ^ mix64(ordinal + fork_salt * 0x100000001ull);
  } else {
    s = ordinal ^ fork_salt << 20 ^ (uint64_t)(uintptr_t)&ls_tls ^ (uint64_t)ls_now_ms() << 32;
    const uint64_t *kernel = (const uint64_t *)getauxval(AT_RANDOM);
    if (kernel)
      s ^= mix64(kernel[0]) ^ mix64(kernel[1] + 1);
    s = mix64(s);
  }
  ls_tls.sample_rng = s ? s : 1;
}

/* The two functions of real numbers the mode needs, here rather than
 * from libm (one more library in every process, and in every test that
 * links the core objects). Both run only when a sample is taken or a
 * report is made. */

/* ln(u) for u in (0, 1]: u = m 2^e with m in [1, 2), ln m = 2 atanh(z)
 * with z = (m-1)/(m+1) < 1/3, whose series gains a digit a term. */
static double ln_unit(double u) {
  int e = 0;
  while (u < 1) {
    u *= 2;
    e--;
  }
  double z = (u - 1) / (u + 1), z2 = z * z, term = z, sum = 0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return 2 * sum + e * 0.69314718055994530942;
}

/* 1 - exp(-x) for x in [0, 1]: the alternating series x - x^2/2 + ...,
 * exact to the last bit for small x, where 1 - exp(-x) would cancel. */
static double one_minus_exp_neg(double x) {
  double term = x, sum = 0;
  for (int k = 1; k < 30; k++) {
    sum += term;
    term *= -x / (k + 1);
  }
  return sum;
}

/* Bytes to the next sample point: exponential with mean `interval`,
 * rounded up (so the chance that a block of s bytes reaches it is exactly
 * 1 - exp(-s/interval) for whole s), at least 1. */
static int64_t draw(unsigned long interval) {
  /* 53 random bits as a uniform number in (0, 1] */
  double u = (double)((next_random() >> 11) + 1) * 0x1p-53;
  double x = -ln_unit(u) * (double)interval;
  int64_t n = (int64_t)x;
  n += (double)n < x; /* rounded up */
  return n < 1 ? 1 : n;
}

bool ls_sample_crossed(size_t size) {
  unsigned long interval = ls_config.sample;
  if (!interval || size >= interval)
    return true;
  if (ls_unlikely(!ls_tls.sample_rng)) {
    /* the thread's first allocation in sampled mode: start its process
     * and judge this allocation against it */
    seed_thread();
    ls_tls.sample_left = draw(interval);
  }
  int64_t left = ls_tls.sample_left - (int64_t)size;
  if (left > 0) {
    ls_tls.sample_left = left;
    return false;
  }
  /* The point fell in this block. Where the next one falls, counted from
   * the block's end, is a fresh draw: the process has no memory. */
  ls_tls.sample_left = draw(interval);
  return true;
}

double ls_sample_weight(uint64_t size) {
  unsigned long interval = ls_config.sample;
  if (!interval || size >= interval || !size)
    return 1.0;
  return 1.0 / one_minus_exp_neg((double)size / (double)interval);
}
