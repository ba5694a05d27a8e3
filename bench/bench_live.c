/* SPDX-License-Identifier: MIT
 * bench_live.c: the cost of a large live set. Allocates N blocks of 32
 * bytes from four call sites and keeps every one live to exit, so a
 * tracker's table holds N entries and its exit report lists N leaked blocks
 * (run.sh times the whole process, report included).
 *
 * Prints one line: "blocks=N alloc_ms=X ns_per_alloc=Y maxrss_kb=Z", and
 * when leakscope is in the process (preloaded or linked) also
 * "live_blocks=L bookkeeping_bytes=B bookkeeping_per_block=P". The library
 * is looked up with dlsym at run time, never linked, so the same binary
 * runs bare, under leakscope and under other tools.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "leakscope.h"

#define BLOCK_SIZE 32
#define NOINLINE __attribute__((noinline, noclone))
#define KEEP(p) __asm__ volatile("" : "+r"(p))

/* The table of pointers is global so that reachability-based tools
 * (LeakSanitizer, valgrind) see the blocks as reachable, like a cache. */
static void **blocks;

static NOINLINE void *site_a(void) {
  void *p = malloc(BLOCK_SIZE);
  KEEP(p);
  return p;
}
static NOINLINE void *site_b(void) {
  void *p = malloc(BLOCK_SIZE);
  KEEP(p);
  return p;
}
static NOINLINE void *site_c(void) {
  void *p = malloc(BLOCK_SIZE);
  KEEP(p);
  return p;
}
static NOINLINE void *site_d(void) {
  void *p = malloc(BLOCK_SIZE);
  KEEP(p);
  return p;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  size_t n = 2000000;
  int c;
  while ((c = getopt(argc, argv, "n:h")) != -1) {
    switch (c) {
    case 'n': n = (size_t)strtoull(optarg, NULL, 10); break;
    default:
      fprintf(stderr, "usage: %s [-n BLOCKS]   (default 2000000 blocks of %d bytes)\n", argv[0],
              BLOCK_SIZE);
      return c == 'h' ? 0 : 2;
    }
  }
  if (n == 0)
    return 2;

  blocks = malloc(n * sizeof(*blocks));
  if (!blocks)
    return 1;
  double t0 = now_ns();
  for (size_t i = 0; i < n; i++) {
    switch (i & 3) {
    case 0: blocks[i] = site_a(); break;
    case 1: blocks[i] = site_b(); break;
    case 2: blocks[i] = site_c(); break;
    default: blocks[i] = site_d(); break;
    }
  }
  double t1 = now_ns();

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("blocks=%zu alloc_ms=%.1f ns_per_alloc=%.1f maxrss_kb=%ld\n", n, (t1 - t0) / 1e6,
         (t1 - t0) / (double)n, ru.ru_maxrss);

  int (*stats_fn)(leakscope_stats_t *) =
      (int (*)(leakscope_stats_t *))dlsym(RTLD_DEFAULT, "leakscope_stats");
  leakscope_stats_t st;
  if (stats_fn && stats_fn(&st) == 0) {
    printf("live_blocks=%" PRIu64 " bookkeeping_bytes=%" PRIu64 " bookkeeping_per_block=%.1f\n",
           st.live_blocks, st.bookkeeping_bytes,
           st.live_blocks ? (double)st.bookkeeping_bytes / (double)st.live_blocks : 0.0);
  }
  fflush(stdout);
  return 0; /* every block stays live: the exit report is part of the cost */
}
