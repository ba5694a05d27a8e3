/* SPDX-License-Identifier: MIT
 * stage_fork.c: the parent leaks 2 blocks of 100 bytes and an eventfd in
 * leak_in_parent(), then forks. The child leaks 3 blocks of 30 bytes in
 * leak_in_child(), prints "child PID", waits for EOF on stdin (the test
 * dumps it meanwhile) and returns from main, so its exit report is
 * written. The parent waits for it and prints "parent: child exited N".
 */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "stage.h"

PROG_LEAKY static void leak_in_parent(void) {
  for (int i = 0; i < 2; i++)
    prog_sink = malloc(100);    /* LEAK:in_parent */
  prog_fd_sink = eventfd(0, 0); /* LEAK:in_parent_fd */
}

PROG_LEAKY static void leak_in_child(void) {
  for (int i = 0; i < 3; i++)
    prog_sink = malloc(30); /* LEAK:in_child */
}

int main(void) {
  leak_in_parent();
  pid_t pid = fork();
  if (pid < 0)
    return 2;
  if (pid == 0) {
    leak_in_child();
    prog_say("child %d\n", (int)getpid());
    stage_wait_eof();
    return 0;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  prog_say("parent: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
