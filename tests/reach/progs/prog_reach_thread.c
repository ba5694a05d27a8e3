/* SPDX-License-Identifier: MIT
 * prog_reach_thread.c: a block referenced only from the stack of a thread
 * that is still running at exit (asleep in a loop) is reachable, in the
 * exit report and in a report dumped (SIGUSR2) while main waits. A block
 * nobody holds is definitely lost.
 *
 * Under leakscope (LEAKSCOPE_OUTPUT set) main asks for a dump and waits
 * until the report file is written; under valgrind it does not.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "prog_reach.h"

static volatile int started;

PROG_LEAKY static void hold(void) {
  void *volatile mine = malloc(72); /* LEAK:held */
  started = 1;
  for (;;)
    reach_sleep_ms(10);
  (void)mine;
}

static void *worker(void *arg) {
  hold();
  return arg;
}

PROG_LEAKY static void lose(void) {
  prog_sink = malloc(40); /* LEAK:lost */
  prog_sink = NULL;
}

/* Waits up to 10 s for the report file to grow. */
static void dump_and_wait(const char *path) {
  struct stat st;
  off_t before = stat(path, &st) == 0 ? st.st_size : 0;
  kill(getpid(), SIGUSR2);
  for (int i = 0; i < 1000; i++) {
    reach_sleep_ms(10);
    if (stat(path, &st) == 0 && st.st_size > before)
      return;
  }
  prog_say("no dump report after 10 s\n");
}

int main(void) {
  if (!reach_start_thread(worker, &started))
    return 2;
  lose();
  reach_scrub_stack();
  const char *out = getenv("LEAKSCOPE_OUTPUT");
  if (out)
    dump_and_wait(out);
  return 0; /* the worker is still running */
}
