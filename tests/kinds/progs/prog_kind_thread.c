/* SPDX-License-Identifier: MIT
 * prog_kind_thread.c: threads for test_kinds. argv[1] picks the case:
 *   unjoined   a thread that returns and is never joined (LEAK:unjoined),
 *              one that calls pthread_exit (LEAK:exited); one joined, one
 *              detached, one tryjoined: those are not reported
 *   running    25 + 25 threads from one line (LEAK:running) blocked on a
 *              semaphore: a dump after each 25, then all end and are joined
 *   at_exit    one thread still blocked when main returns (LEAK:at_exit)
 * It prints "tid <marker> <tid>" for each thread the report must name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "kindprog.h"

static sem_t release; /* posted once per blocked thread to end it */

/* The tids of the threads of the "unjoined" case, stored by each thread
 * as it starts (case order: unjoined, exited, joined, detached, tryjoined). */
static volatile long tids[5];

static void note_tid(const char *marker) {
  static const char *const order[] = {"unjoined", "exited", "joined", "detached", "tryjoined"};
  long tid = (long)gettid();
  for (int i = 0; i < 5; i++)
    if (!strcmp(order[i], marker))
      tids[i] = tid;
  prog_say("tid %s %ld\n", marker, tid);
}

static void *returns(void *arg) {
  note_tid(arg);
  return arg;
}

static void *exits(void *arg) {
  pthread_setname_np(pthread_self(), "exiter");
  note_tid(arg);
  pthread_exit(arg);
}

static _Atomic int named; /* blocked threads that have named themselves */

static void *blocks(void *arg) {
  pthread_setname_np(pthread_self(), "blocked");
  named++;
  while (sem_wait(&release) != 0 && errno == EINTR)
    ;
  return arg;
}

/* Waits until every thread of the case has ended completely: its task
 * has left /proc/self/task (the library's own thread stays). */
static void wait_ended(void) {
  for (int i = 0; i < 3000; i++) {
    int alive = 0;
    for (int t = 0; t < 5; t++) {
      char path[64];
      snprintf(path, sizeof path, "/proc/self/task/%ld", tids[t]);
      alive += !tids[t] || access(path, F_OK) == 0;
    }
    if (!alive)
      return;
    struct timespec ms = {0, 10 * 1000 * 1000};
    nanosleep(&ms, NULL);
  }
  prog_say("threads did not end\n");
  _exit(5);
}

PROG_LEAKY static void leak_unjoined(void) {
  pthread_t t;
  pthread_create(&t, NULL, returns, "unjoined"); /* LEAK:unjoined */
  pthread_create(&t, NULL, exits, "exited"); /* LEAK:exited */
  pthread_create(&t, NULL, returns, "joined"); /* LEAK:joined */
  pthread_join(t, NULL);
  pthread_create(&t, NULL, returns, "detached"); /* LEAK:detached */
  pthread_detach(t);
  pthread_create(&t, NULL, returns, "tryjoined"); /* LEAK:tryjoined */
  while (pthread_tryjoin_np(t, NULL) == EBUSY)
    sched_yield();
  wait_ended();
}

static pthread_t started[50];

PROG_LEAKY static void start_25(int from) {
  for (int i = from; i < from + 25; i++)
    pthread_create(&started[i], NULL, blocks, NULL); /* LEAK:running */
}

static void leak_running(void) {
  for (int round = 0; round < 2; round++) { /* one call site: one stack, one group */
    start_25(round * 25);
    while (named < (round + 1) * 25) /* every name is set before the dump */
      sched_yield();
    kind_dump();
  }
  for (int i = 0; i < 50; i++)
    sem_post(&release);
  for (int i = 0; i < 50; i++)
    pthread_join(started[i], NULL);
}

PROG_LEAKY static void leak_at_exit(void) {
  pthread_t t;
  pthread_create(&t, NULL, blocks, NULL); /* LEAK:at_exit */
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  sem_init(&release, 0, 0);
  if (!strcmp(mode, "unjoined"))
    leak_unjoined();
  else if (!strcmp(mode, "running"))
    leak_running();
  else if (!strcmp(mode, "at_exit"))
    leak_at_exit();
  else
    return 2;
  return 0;
}
