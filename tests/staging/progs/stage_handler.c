/* SPDX-License-Identifier: MIT
 * stage_handler.c: `stage_handler sigaction|signal N` installs its own
 * SIGUSR2 handler, the library's default dump signal, with
 * sigaction(SA_SIGINFO) or with signal(). The handler counts its calls.
 *
 * It prints what installing returned ("previous: default" when the old
 * disposition was SIG_DFL, as it is in a fresh process) and what a later
 * query returns ("query: own" when sigaction reports our handler), then
 * "ready". At EOF on stdin it waits up to 5 s for N calls (the library may
 * write a report before it calls the program's handler) and prints
 * "handler calls: C".
 */
#include <signal.h>
#include <stdlib.h>

#include "stage.h"

static volatile sig_atomic_t calls, bad_args;

static void on_usr2_info(int sig, siginfo_t *info, void *uctx) {
  if (sig != SIGUSR2 || !info || info->si_signo != SIGUSR2 || !uctx)
    bad_args = 1;
  calls++;
}

static void on_usr2(int sig) {
  if (sig != SIGUSR2)
    bad_args = 1;
  calls++;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  int want = atoi(argv[2]);
  void *mine;
  int previous_default;
  if (strcmp(argv[1], "sigaction") == 0) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr2_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, &old) != 0)
      return 3;
    previous_default = !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
    mine = (void *)on_usr2_info;
  } else {
    sighandler_t old = signal(SIGUSR2, on_usr2);
    if (old == SIG_ERR)
      return 3;
    previous_default = old == SIG_DFL;
    mine = (void *)on_usr2;
  }
  struct sigaction now;
  if (sigaction(SIGUSR2, NULL, &now) != 0)
    return 4;
  void *current = (now.sa_flags & SA_SIGINFO) ? (void *)now.sa_sigaction : (void *)now.sa_handler;
  prog_say("previous: %s\n", previous_default ? "default" : "other");
  prog_say("query: %s\n", current == mine ? "own" : "other");
  prog_say("ready\n");
  stage_wait_eof();
  for (int i = 0; i < 500 && calls < want; i++)
    stage_sleep_ms(10);
  prog_say("handler calls: %d%s\n", (int)calls, bad_args ? " (bad arguments)" : "");
  return 0;
}
