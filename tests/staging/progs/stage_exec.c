/* SPDX-License-Identifier: MIT
 * stage_exec.c: `stage_exec TARGET` leaks 2 blocks of 500 bytes and an
 * eventfd that stays open across exec (no CLOEXEC) in leak_before_exec(),
 * says whether it is tracked, then execs TARGET with the fd number as its
 * argument. The pre-exec image never exits, so it writes no report: any
 * report in the file is the exec'd program's.
 */
#include <stdlib.h>
#include <sys/eventfd.h>

#include "stage.h"

PROG_LEAKY static void leak_before_exec(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = malloc(500);    /* LEAK:before_exec */
  prog_fd_sink = eventfd(0, 0); /* LEAK:before_exec_fd */
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  leak_before_exec();
  char fd[16];
  snprintf(fd, sizeof(fd), "%d", prog_fd_sink);
  prog_say("before exec: pid %d tracked %d fd %s\n", (int)getpid(), stage_tracked(), fd);
  execl(argv[1], argv[1], fd, (char *)NULL);
  prog_say("exec failed\n");
  return 127;
}
