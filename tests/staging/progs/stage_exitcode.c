/* SPDX-License-Identifier: MIT
 * stage_exitcode.c: `stage_exitcode leak|clean STATUS LINES` prints LINES
 * lines through stdio (fully buffered when stdout is a pipe, so nothing
 * reaches the pipe before exit unless someone flushes), leaks 2 blocks of
 * 77 bytes in "leak" mode, and returns STATUS from main.
 *
 * Unlike the other programs this one uses stdio on purpose: the library's
 * exit code path must not lose the buffered output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "stage.h"

PROG_LEAKY static void leak_exitcode(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = malloc(77); /* LEAK:exitcode */
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int status = atoi(argv[2]), lines = atoi(argv[3]);
  for (int i = 1; i <= lines; i++)
    printf("line %d of %d\n", i, lines);
  if (strcmp(argv[1], "leak") == 0)
    leak_exitcode();
  return status;
}
