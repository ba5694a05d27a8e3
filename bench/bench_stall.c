/* SPDX-License-Identifier: MIT
 * bench_stall.c: does a dump stall a busy service? Keeps N blocks of 32
 * bytes live (the table a dump walks), starts one worker thread that
 * allocates and frees in a loop and records the longest gap between two
 * of its iterations, then sends itself SIGUSR2 (leakscope's default dump
 * signal; the program has its own handler, which leakscope chains) and
 * lets the worker run on for 2 s, long enough for the dump to finish.
 *
 * Prints one line: "blocks=N max_stall_ms=X iterations=I". One worker, so
 * that on a 2-core machine the reporter thread has a core of its own and
 * a gap means the worker waited for leakscope, not for a CPU.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_SIZE 32
#define KEEP(p) __asm__ volatile("" : "+r"(p))

static void **blocks; /* global: the blocks are reachable, like a cache */
static atomic_int stop;
static atomic_int dumps; /* signals the program's own handler saw */
static double max_gap_ns;
static unsigned long iterations;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_dump_signal(int sig) {
  (void)sig;
  atomic_fetch_add(&dumps, 1);
}

static void *worker(void *arg) {
  (void)arg;
  double last = now_ns();
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    void *p = malloc(64);
    KEEP(p);
    free(p);
    double t = now_ns();
    if (t - last > max_gap_ns)
      max_gap_ns = t - last;
    last = t;
    iterations++;
  }
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

int main(int argc, char **argv) {
  size_t n = 1000000;
  int opt;
  while ((opt = getopt(argc, argv, "n:")) != -1) {
    if (opt != 'n') {
      fprintf(stderr, "usage: %s [-n BLOCKS]   (default 1000000 live blocks of %d bytes)\n",
              argv[0], BLOCK_SIZE);
      return 2;
    }
    n = strtoul(optarg, NULL, 10);
  }
  blocks = malloc(n * sizeof *blocks);
  if (!blocks)
    return 1;
  for (size_t i = 0; i < n; i++)
    if (!(blocks[i] = malloc(BLOCK_SIZE)))
      return 1;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_dump_signal;
  sigaction(SIGUSR2, &sa, NULL);

  pthread_t th;
  if (pthread_create(&th, NULL, worker, NULL) != 0)
    return 1;
  sleep_ms(300); /* the worker's steady state */
  kill(getpid(), SIGUSR2);
  sleep_ms(2000);
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  printf("blocks=%zu max_stall_ms=%.2f iterations=%lu handler_calls=%d\n", n, max_gap_ns / 1e6,
         iterations, atomic_load(&dumps));
  return 0;
}
