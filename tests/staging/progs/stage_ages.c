/* SPDX-License-Identifier: MIT
 * stage_ages.c: a live set that is part long-lived and part short-lived.
 *
 * keep_long_lived() allocates LONG_BLOCKS blocks at start and keeps them.
 * A thread keeps a ring of RING blocks from short_lived_alloc() and
 * replaces one every STEP_MS, so each lives about RING * STEP_MS = 200 ms.
 * After READY_MS the program prints "ready" and waits for EOF on stdin;
 * then it stops the thread and exits without freeing anything, so the
 * exit report (which MIN_AGE does not filter) lists both kinds.
 *
 * Last it prints "oldest short-lived block: N ms", the longest any ring
 * block was live (until freed, or until exit): a starved thread on a loaded
 * machine could keep one past 1 s, and the test must know that happened.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "stage.h"

#define LONG_BLOCKS 4
#define LONG_BYTES 256
#define RING 10
#define SHORT_BYTES 100
#define STEP_MS 20
#define READY_MS 2000

static void *long_lived[LONG_BLOCKS];
static void *ring[RING];
static long born[RING]; /* ms, CLOCK_MONOTONIC */
static long oldest_ms;
static atomic_int stop;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note_age(unsigned i) {
  if (ring[i] && now_ms() - born[i] > oldest_ms)
    oldest_ms = now_ms() - born[i];
}

PROG_LEAKY static void keep_long_lived(void) {
  for (int i = 0; i < LONG_BLOCKS; i++)
    long_lived[i] = malloc(LONG_BYTES); /* LEAK:long_lived */
}

PROG_LEAKY static void *short_lived_alloc(void) {
  return malloc(SHORT_BYTES); /* LEAK:short_lived */
}

static void *replace_forever(void *unused) {
  for (unsigned i = 0; !atomic_load(&stop); i = (i + 1) % RING) {
    note_age(i);
    free(ring[i]);
    ring[i] = short_lived_alloc();
    born[i] = now_ms();
    stage_sleep_ms(STEP_MS);
  }
  return unused;
}

int main(void) {
  keep_long_lived();
  pthread_t thread;
  if (pthread_create(&thread, NULL, replace_forever, NULL) != 0)
    return 2;
  stage_sleep_ms(READY_MS);
  prog_say("ready\n");
  stage_wait_eof();
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  for (unsigned i = 0; i < RING; i++)
    note_age(i);
  prog_sink = long_lived[0];
  prog_say("oldest short-lived block: %ld ms\n", oldest_ms);
  return 0;
}
