/* SPDX-License-Identifier: MIT
 * prog_reach_dtls.c: blocks held only by a dlopen'ed module's __thread
 * variable, in dynamic TLS (TCB -> DTV -> TLS block -> our block): one by
 * the main thread, one by a thread still running at exit. Both are
 * reachable; a block nobody holds is definitely lost.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "prog_reach.h"

static void (*keep)(void *);
static volatile int started;

PROG_LEAKY static void keep_in_thread(void) {
  keep(malloc(88)); /* LEAK:dtls_thread */
}

static void *worker(void *arg) {
  keep_in_thread();
  reach_scrub_stack();
  started = 1;
  for (;;) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return arg;
}

PROG_LEAKY static void keep_in_main(void) {
  keep(malloc(56)); /* LEAK:dtls_main */
  prog_sink = malloc(40); /* LEAK:lost */
  prog_sink = NULL;
}

int main(void) {
  void *module = dlopen(LS_REACH_TLS_MODULE, RTLD_NOW);
  if (!module || !(keep = (void (*)(void *))dlsym(module, "reach_tls_keep"))) {
    prog_say("cannot load %s\n", LS_REACH_TLS_MODULE);
    return 2;
  }
  keep_in_main();
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0)
    return 2;
  while (!started) {
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  reach_scrub_stack();
  return 0; /* the worker is still running */
}
