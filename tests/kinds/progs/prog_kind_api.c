/* SPDX-License-Identifier: MIT
 * prog_kind_api.c: checkpoints and leakscope_count_kinds_since (linked
 * with the leakscope_api shim, run preloaded). argv[1]:
 *   thread   a thread from before the checkpoint is not counted; one
 *            started after it, ended and not joined, is (LEAK:api_thread);
 *            after its join it is not. Prints "count <when> <threads>".
 */
#define _GNU_SOURCE
#include <leakscope.h>
#include <pthread.h>
#include <stdint.h>

#include "prog.h"

static void *returns(void *arg) { return arg; }

/* Threads not joined plus running since cp. */
static long threads_since(leakscope_checkpoint_t cp) {
  leakscope_kind_counts_t k;
  if (leakscope_count_kinds_since(cp, LEAKSCOPE_SCOPE_PROCESS, &k) != 0)
    return -1;
  return (long)(k.threads + k.threads_running);
}

PROG_LEAKY static void api_thread(void) {
  pthread_t before, t;
  pthread_create(&before, NULL, returns, NULL);
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  prog_say("count before %ld\n", threads_since(cp));
  pthread_create(&t, NULL, returns, NULL); /* LEAK:api_thread */
  void *unused;
  while (pthread_tryjoin_np(before, &unused) != 0)
    sched_yield();
  /* wait for t's start routine to be over (then it is "not joined") */
  leakscope_kind_counts_t k;
  for (int i = 0; i < 3000 && leakscope_count_kinds_since(cp, LEAKSCOPE_SCOPE_PROCESS, &k) == 0 &&
                  k.threads == 0;
       i++)
    usleep(10000);
  prog_say("count leaked %ld\n", threads_since(cp));
  pthread_join(t, NULL);
  prog_say("count joined %ld\n", threads_since(cp));
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "thread"))
    api_thread();
  else
    return 2;
  return 0;
}
