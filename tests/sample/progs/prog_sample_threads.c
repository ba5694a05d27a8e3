/* SPDX-License-Identifier: MIT
 * prog_sample_threads.c: frees from other threads in the sampled mode.
 * THREADS threads each allocate ROUNDS x BATCH blocks of 16..4096 bytes
 * (half of them grown once with realloc) and hand each batch, through a
 * barrier, to the next thread, which frees it: with a small interval many
 * of them are recorded, so every free that skipped the table wrongly
 * would leave an entry behind, reported as a leak of the "churn" lines.
 * Each thread also leaks 10 blocks of 8192 bytes (the interval or more:
 * always recorded), so the report must hold exactly 40 of them.
 */
#include <pthread.h>
#include <stdlib.h>

#include "prog.h"

#define THREADS 4
#define ROUNDS 50
#define BATCH 500

static void *batches[THREADS][BATCH];
static pthread_barrier_t barrier;

static PROG_LEAKY void fill(int t, int round) {
  for (int i = 0; i < BATCH; i++) {
    size_t n = 16 + (size_t)((i * 7919 + round * 104729 + t * 31) % 4081);
    void *p = malloc(n); /* LEAK:churn */
    if (i % 2)
      p = realloc(p, n + 256); /* LEAK:churn_realloc */
    batches[t][i] = p;
  }
}

static PROG_LEAKY void leak(void) {
  for (int i = 0; i < 10; i++)
    prog_sink = malloc(8192); /* LEAK:leak */
}

static void *worker(void *arg) {
  int t = (int)(long)arg;
  for (int round = 0; round < ROUNDS; round++) {
    fill(t, round);
    pthread_barrier_wait(&barrier); /* the batches are handed over */
    int from = (t + 1) % THREADS;
    for (int i = 0; i < BATCH; i++)
      free(batches[from][i]);
    pthread_barrier_wait(&barrier); /* every batch is freed */
  }
  leak();
  prog_sink = NULL;
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (long t = 0; t < THREADS; t++)
    if (pthread_create(&th[t], NULL, worker, (void *)t) != 0)
      return 2;
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], NULL);
  return 0;
}
