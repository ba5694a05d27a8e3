/* SPDX-License-Identifier: MIT
 * prog_fd_vfork.c: a vfork child rearranges its fds before exec, as
 * libiberty's pex (gdb, gcc) and many shells do: dup2 of a pipe's write
 * end onto fd 1, close of both ends. The child's fd table is its own
 * copy, so none of this changes the parent's fds; but the child runs in
 * the parent's memory, and its calls must not change the parent's
 * records either. The parent leaks the pipe: both ends must be reported
 * at the pipe() line, and nothing on fd 1 (the test lists fds 0-2).
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "fdprog.h"

PROG_LEAKY static void leak_pipe(void) {
  int p[2];
  fdp_ok(pipe(p), "pipe"); /* LEAK:pipe */
  fdp_say_inode("pipe", p[0], "pipe");
  fdp_say_inode("pipe", p[1], "pipe");
  pid_t pid = vfork();
  if (pid == 0) {
    if (dup2(p[1], STDOUT_FILENO) < 0)
      _exit(3);
    close(p[0]);
    close(p[1]);
    execl("/bin/true", "true", (char *)NULL);
    _exit(4);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
    fdp_die("vfork child");
}

int main(void) {
  leak_pipe();
  return 0;
}
