/* SPDX-License-Identifier: MIT
 * prog_reach_dtls.c: blocks held only by a dlopen'ed module's __thread
 * variable, in dynamic TLS (TCB -> DTV -> TLS block -> our block): one by
 * the main thread, one by a thread still running at exit. Both are
 * reachable; a block nobody holds is definitely lost.
 */
#include <dlfcn.h>
#include <stdlib.h>

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
  for (;;)
    reach_sleep_ms(10);
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
  if (!reach_start_thread(worker, &started))
    return 2;
  reach_scrub_stack();
  return 0; /* the worker is still running */
}
