/* SPDX-License-Identifier: MIT
 * prog_fd_std.c: makes fds 0, 1 and 2 anew, as a shell's redirections
 * do: open() after close(0) gets fd 0, dup2() onto 1 and onto 2.
 *
 * They are the process's standard streams, not leaks, whatever made them:
 * reports leave them out by default. With LEAKSCOPE_SHOW_STD_FDS=1 they
 * are listed, each at its line. argv[2] "quiet" prints nothing (the
 * default run expects no fd at all); otherwise each fd is announced
 * before stdout is replaced.
 */
#define _GNU_SOURCE
#include <unistd.h>

#include "fdprog.h"

static const char *dir;
static int quiet;

PROG_LEAKY static void leak_std_open(void) {
  const char *path = fdp_path(dir, "stdin");
  close(STDIN_FILENO);
  int fd = open(path, O_RDONLY | O_CREAT, 0600); /* LEAK:std_open */
  if (fd != STDIN_FILENO)
    fdp_die("open after close(0) did not give fd 0");
  if (!quiet)
    fdp_say("std_open", fd, path);
}

PROG_LEAKY static void leak_std_dup2_err(void) {
  const char *path = fdp_path(dir, "stderr");
  int src = fdp_ok(open(path, O_WRONLY | O_CREAT, 0600), "open");
  int fd = dup2(src, STDERR_FILENO); /* LEAK:std_dup2_err */
  close(src);
  if (!quiet)
    fdp_say("std_dup2_err", fdp_ok(fd, "dup2 onto 2"), path);
}

/* Last: the program's own output goes to the file afterwards. */
PROG_LEAKY static void leak_std_dup2_out(void) {
  const char *path = fdp_path(dir, "stdout");
  int src = fdp_ok(open(path, O_WRONLY | O_CREAT, 0600), "open");
  if (!quiet)
    fdp_say("std_dup2_out", STDOUT_FILENO, path);
  int fd = dup2(src, STDOUT_FILENO); /* LEAK:std_dup2_out */
  close(src);
  fdp_ok(fd, "dup2 onto 1");
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_std DIR [quiet]");
  dir = argv[1];
  quiet = argc > 2 && strcmp(argv[2], "quiet") == 0;
  leak_std_open();
  leak_std_dup2_err();
  leak_std_dup2_out();
  return 0;
}
