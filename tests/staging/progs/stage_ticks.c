/* SPDX-License-Identifier: MIT
 * stage_ticks.c: 4 threads allocate, free, open and close continuously
 * while the main thread leaks exactly TICK_BLOCKS blocks of TICK_BYTES and
 * one eventfd per tick, from leak_tick() only.
 *
 * Command 't' on stdin: one tick, then "tick N" on stdout. EOF or 'q':
 * stop the threads (which free everything they hold) and print "bye".
 * The test dumps between ticks, so every report's leak_tick group is
 * exactly known even though the churn never pauses. Nothing printed
 * depends on timing: the output must be the same with and without the
 * library.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "stage.h"

#define CHURN_THREADS 4
#define TICK_BLOCKS 3
#define TICK_BYTES 48
#define SLOTS 32

static atomic_int stop;

PROG_LEAKY static void leak_tick(void) {
  for (int i = 0; i < TICK_BLOCKS; i++)
    prog_sink = malloc(TICK_BYTES);       /* LEAK:tick_block */
  prog_fd_sink = eventfd(0, EFD_CLOEXEC); /* LEAK:tick_fd */
}

/* Deterministic randomness per thread (mimalloc's test-stress idea). */
static uint32_t next_rand(uint32_t *state) {
  *state = *state * 1103515245u + 12345u;
  return *state >> 8;
}

PROG_LEAKY static void *churn(void *arg) {
  uint32_t state = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
  void *live[SLOTS] = {0};
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    uint32_t r = next_rand(&state);
    unsigned slot = r % SLOTS;
    switch (r % 5) {
    case 0:
      free(live[slot]);
      live[slot] = malloc(16 + r % 4000);
      break;
    case 1:
      free(live[slot]);
      live[slot] = calloc(1 + r % 8, 24);
      break;
    case 2: {
      void *p = realloc(live[slot], 8 + r % 300);
      if (p)
        live[slot] = p;
      break;
    }
    case 3: {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        close(fd);
      break;
    }
    default: {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) == 0) {
        close(fds[0]);
        close(fds[1]);
      }
      break;
    }
    }
  }
  for (int i = 0; i < SLOTS; i++)
    free(live[i]);
  return NULL;
}

int main(void) {
  pthread_t threads[CHURN_THREADS];
  for (uintptr_t i = 0; i < CHURN_THREADS; i++)
    if (pthread_create(&threads[i], NULL, churn, (void *)(i + 1)) != 0)
      return 2;
  prog_say("ready\n");
  int ticks = 0, c;
  while ((c = stage_command()) >= 0 && c != 'q') {
    if (c == 't') {
      leak_tick();
      prog_say("tick %d\n", ++ticks);
    }
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < CHURN_THREADS; i++)
    pthread_join(threads[i], NULL);
  prog_say("bye after %d ticks\n", ticks);
  return 0;
}
