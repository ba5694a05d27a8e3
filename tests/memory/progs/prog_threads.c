/* SPDX-License-Identifier: MIT
 * prog_threads.c: 4 threads each leak 10 blocks of 64 bytes from the same
 * function, so all 40 blocks share one stack: one group, 2560 bytes.
 *
 * A barrier makes the threads allocate at the same time, so the library's
 * bookkeeping sees concurrent inserts rather than four sequential runs.
 */
#include <pthread.h>
#include <stdlib.h>

#include "prog.h"

#define THREADS 4

static pthread_barrier_t start_line;

PROG_LEAKY static void *leak_in_thread(void *arg) {
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < 10; i++)
    prog_sink = malloc(64); /* LEAK:thread */
  return arg;
}

int main(void) {
  pthread_t threads[THREADS];
  pthread_barrier_init(&start_line, NULL, THREADS);
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&threads[i], NULL, leak_in_thread, NULL) != 0)
      return 2;
  for (int i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start_line);
  return 0;
}
