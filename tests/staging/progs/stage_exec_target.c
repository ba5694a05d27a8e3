/* SPDX-License-Identifier: MIT
 * stage_exec_target.c: what stage_exec execs. `stage_exec_target FD` leaks
 * 3 blocks of 40 bytes in leak_after_exec() and prints whether it is
 * tracked and whether the inherited FD is still open (so that its absence
 * from the report means something).
 */
#include <stdlib.h>

#include "stage.h"

PROG_LEAKY static void leak_after_exec(void) {
  for (int i = 0; i < 3; i++)
    prog_sink = malloc(40); /* LEAK:after_exec */
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  leak_after_exec();
  int fd = atoi(argv[1]);
  prog_say("after exec: pid %d tracked %d fd %d open %d\n", (int)getpid(), stage_tracked(), fd,
           fcntl(fd, F_GETFD) >= 0);
  return 0;
}
