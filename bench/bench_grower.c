/* SPDX-License-Identifier: MIT
 * bench_grower.c: a service that leaks slowly among fast released churn,
 * for the sampled mode's detection check (issue 17): does the leaking line
 * become the top grower of periodic --diff dumps, and how soon?
 *
 * For -d SECONDS it allocates -c BYTES per second of churn (sizes 64..16384
 * from four call sites; each block freed -t MS later) and leaks -l BYTES per
 * second in 256-byte blocks from one line, leak_site(). Time runs in 10 ms
 * ticks of wall clock, so the rates hold whatever a tracker costs (a tick
 * that overruns is caught up).
 *
 * Prints "leaked_bytes=N churn_bytes=M seconds=S" at the end. run.sh's
 * --grower runs it under leakscope with LEAKSCOPE_INTERVAL and
 * LEAKSCOPE_DIFF=1 and reads the JSON dumps with bench/grower_check.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define LEAK_BLOCK 256
#define TICK_MS 10

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned long long rng = 88172645463325252ull;
static unsigned long long next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* The leaked blocks stay reachable from here, as in a service's cache that
 * nobody evicts: growth, not reachability, is what the dumps must show. */
static void **leaked;
static size_t nleaked, leaked_cap;

static NOINLINE void leak_site(void) {
  if (nleaked == leaked_cap) {
    leaked_cap = leaked_cap ? leaked_cap * 2 : 1024;
    leaked = realloc(leaked, leaked_cap * sizeof *leaked);
    if (!leaked)
      exit(1);
  }
  char *p = malloc(LEAK_BLOCK);
  if (!p)
    exit(1);
  memset(p, 1, LEAK_BLOCK);
  leaked[nleaked++] = p;
}

typedef struct pending {
  void *p;
  double free_at;
} pending_t;

static NOINLINE void *churn_a(size_t n) { return malloc(n); }
static NOINLINE void *churn_b(size_t n) { return malloc(n); }
static NOINLINE void *churn_c(size_t n) { return calloc(1, n); }
static NOINLINE void *churn_d(size_t n) { return malloc(n); }

int main(int argc, char **argv) {
  double seconds = 60, leak_rate = 10240, churn_rate = 10 << 20, life_ms = 100;
  int c;
  while ((c = getopt(argc, argv, "d:l:c:t:h")) != -1) {
    switch (c) {
    case 'd': seconds = atof(optarg); break;
    case 'l': leak_rate = atof(optarg); break;
    case 'c': churn_rate = atof(optarg); break;
    case 't': life_ms = atof(optarg); break;
    default:
      fprintf(stderr,
              "usage: %s [-d SECONDS] [-l LEAK_BYTES_PER_S] [-c CHURN_BYTES_PER_S] "
              "[-t CHURN_LIFETIME_MS]\n",
              argv[0]);
      return c == 'h' ? 0 : 2;
    }
  }
  /* a ring of pending frees, large enough for the blocks of one lifetime */
  size_t ring = (size_t)(churn_rate / 1024.0 * (life_ms + 4 * TICK_MS) / 1000.0 * 4) + 1024;
  pending_t *q = calloc(ring, sizeof *q);
  if (!q)
    return 1;
  size_t head = 0, tail = 0;
  double start = now_ms(), end = start + seconds * 1e3, tick = start;
  double leak_credit = 0, churn_credit = 0;
  unsigned long long leaked_bytes = 0, churn_bytes = 0;
  while (tick < end) {
    leak_credit += leak_rate * TICK_MS / 1e3;
    churn_credit += churn_rate * TICK_MS / 1e3;
    while (leak_credit >= LEAK_BLOCK) {
      leak_site();
      leak_credit -= LEAK_BLOCK;
      leaked_bytes += LEAK_BLOCK;
    }
    while (churn_credit > 0) {
      size_t n = 64 + (size_t)(next_random() % (16384 - 64 + 1));
      void *p;
      switch (next_random() & 3) {
      case 0: p = churn_a(n); break;
      case 1: p = churn_b(n); break;
      case 2: p = churn_c(n); break;
      default: p = churn_d(n); break;
      }
      if (!p)
        return 1;
      ((volatile char *)p)[0] = 1;
      churn_credit -= (double)n;
      churn_bytes += n;
      if ((tail + 1) % ring == head) { /* full: free the oldest early */
        free(q[head].p);
        head = (head + 1) % ring;
      }
      q[tail] = (pending_t){p, tick + life_ms};
      tail = (tail + 1) % ring;
    }
    while (head != tail && q[head].free_at <= tick) {
      free(q[head].p);
      head = (head + 1) % ring;
    }
    tick += TICK_MS;
    double now = now_ms();
    if (tick > now)
      usleep((useconds_t)((tick - now) * 1e3));
  }
  while (head != tail) {
    free(q[head].p);
    head = (head + 1) % ring;
  }
  free(q);
  printf("leaked_bytes=%llu churn_bytes=%llu seconds=%.1f\n", leaked_bytes, churn_bytes,
         (now_ms() - start) / 1e3);
  return 0;
}
