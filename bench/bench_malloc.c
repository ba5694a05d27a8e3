/* SPDX-License-Identifier: MIT
 * bench_malloc.c: nanoseconds per free+malloc pair, the cost a preloaded
 * tracker adds to the hottest path of most programs.
 *
 * Each thread keeps LIVE_SLOTS live blocks. Every iteration picks a slot
 * with a per-thread xorshift64 generator (deterministic: same sequence on
 * every run), frees it and mallocs a new block of 16..4096 bytes (or a fixed
 * 64 bytes with -f). The malloc is reached through CHAIN_DEPTH noinline
 * frames, so a tracker's unwinder walks about as many user frames as in a
 * real program; one of four entry points is picked per call, giving the
 * stack depot four distinct stacks to deduplicate.
 *
 * Prints one line: "threads=N size=rand|64 iters=I ns_per_pair=X
 * mpairs_per_s=Y". ns_per_pair is wall time over the iterations of one
 * thread, so with perfect scaling it is the same for 1 and 2 threads;
 * mpairs_per_s is the total over all threads.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIVE_SLOTS 1024
#define CHAIN_DEPTH 8
#define MAX_THREADS 64

#define NOINLINE __attribute__((noinline, noclone))
/* Makes the compiler treat p as used after the call, so the call cannot
 * become a sibling call (jmp) that would drop a frame from the chain. */
#define KEEP(p) __asm__ volatile("" : "+r"(p))

typedef struct {
  uint64_t rng;
  uint64_t iters;
  size_t fixed_size;     /* 0: random 16..4096 */
  double t_start, t_end; /* this thread's timed loop, CLOCK_MONOTONIC ns */
  void *slots[LIVE_SLOTS];
} worker_t;

static pthread_barrier_t start_barrier;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline uint64_t xorshift64(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

/* --- The call chain: entry_k -> chain_6 -> ... -> chain_1 -> malloc --- */

static NOINLINE void *chain_1(size_t n) {
  void *p = malloc(n);
  KEEP(p);
  return p;
}
#define CHAIN(k, next)                                                                             \
  static NOINLINE void *chain_##k(size_t n) {                                                      \
    void *p = next(n);                                                                             \
    KEEP(p);                                                                                       \
    return p;                                                                                      \
  }
CHAIN(2, chain_1)
CHAIN(3, chain_2)
CHAIN(4, chain_3)
CHAIN(5, chain_4)
CHAIN(6, chain_5)
CHAIN(7, chain_6)
CHAIN(8a, chain_7)
CHAIN(8b, chain_7)
CHAIN(8c, chain_7)
CHAIN(8d, chain_7)

static void *(*const entries[4])(size_t) = {chain_8a, chain_8b, chain_8c, chain_8d};

static NOINLINE void *alloc_deep(uint64_t r, size_t n) {
  void *p = entries[r & 3](n);
  KEEP(p);
  return p;
}

static size_t pick_size(worker_t *w, uint64_t r) {
  if (w->fixed_size)
    return w->fixed_size;
  return 16 + (size_t)((r >> 20) % (4096 - 16 + 1));
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  for (size_t i = 0; i < LIVE_SLOTS; i++) {
    uint64_t r = xorshift64(&w->rng);
    w->slots[i] = alloc_deep(r, pick_size(w, r));
  }
  pthread_barrier_wait(&start_barrier);
  w->t_start = now_ns();
  for (uint64_t i = 0; i < w->iters; i++) {
    uint64_t r = xorshift64(&w->rng);
    size_t slot = (size_t)(r >> 40) % LIVE_SLOTS;
    free(w->slots[slot]);
    w->slots[slot] = alloc_deep(r, pick_size(w, r));
  }
  w->t_end = now_ns();
  for (size_t i = 0; i < LIVE_SLOTS; i++)
    free(w->slots[i]);
  return NULL;
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [-t THREADS] [-n ITERS_PER_THREAD] [-f]\n"
          "  -t  worker threads (default 1)\n"
          "  -n  free+malloc pairs per thread (default 2000000)\n"
          "  -f  fixed 64-byte blocks instead of random 16..4096\n",
          argv0);
}

int main(int argc, char **argv) {
  int threads = 1;
  uint64_t iters = 2000000;
  size_t fixed = 0;
  int c;
  while ((c = getopt(argc, argv, "t:n:fh")) != -1) {
    switch (c) {
    case 't': threads = atoi(optarg); break;
    case 'n': iters = strtoull(optarg, NULL, 10); break;
    case 'f': fixed = 64; break;
    default: usage(argv[0]); return c == 'h' ? 0 : 2;
    }
  }
  if (threads < 1 || threads > MAX_THREADS || iters == 0) {
    usage(argv[0]);
    return 2;
  }

  /* Worker structs come from calloc on purpose: they are ordinary heap
   * blocks, like the rest of a real program's state. */
  worker_t *w = calloc((size_t)threads, sizeof(*w));
  pthread_t tid[MAX_THREADS];
  if (!w)
    return 1;
  pthread_barrier_init(&start_barrier, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; i++) {
    w[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    w[i].iters = iters;
    w[i].fixed_size = fixed;
    if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 1;
    }
  }
  pthread_barrier_wait(&start_barrier); /* all slots filled: go */
  for (int i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  pthread_barrier_destroy(&start_barrier);
  /* From the first thread's start to the last one's end, measured by the
   * workers: under a tool that runs one thread at a time (valgrind) the
   * main thread may not run again until the workers are done. */
  double t0 = w[0].t_start, t1 = w[0].t_end;
  for (int i = 1; i < threads; i++) {
    if (w[i].t_start < t0)
      t0 = w[i].t_start;
    if (w[i].t_end > t1)
      t1 = w[i].t_end;
  }
  free(w);

  double elapsed = t1 - t0;
  printf("threads=%d size=%s iters=%" PRIu64 " ns_per_pair=%.1f mpairs_per_s=%.2f\n", threads,
         fixed ? "64" : "rand", iters, elapsed / (double)iters,
         (double)iters * threads / elapsed * 1e3);
  return 0;
}
