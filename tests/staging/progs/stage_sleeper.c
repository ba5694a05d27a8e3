/* SPDX-License-Identifier: MIT
 * stage_sleeper.c: leaks one block of 64 bytes from leak_sleeper(), prints
 * "ready", then either sleeps argv[1] milliseconds or, with "stdin", waits
 * for EOF on its stdin. Prints "bye" and exits 0.
 */
#include <stdlib.h>

#include "stage.h"

PROG_LEAKY static void leak_sleeper(void) {
  prog_sink = malloc(64); /* LEAK:sleeper */
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  leak_sleeper();
  prog_say("ready\n");
  if (strcmp(argv[1], "stdin") == 0)
    stage_wait_eof();
  else
    stage_sleep_ms(atol(argv[1]));
  prog_say("bye\n");
  return 0;
}
