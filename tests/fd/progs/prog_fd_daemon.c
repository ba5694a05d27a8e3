/* SPDX-License-Identifier: MIT
 * prog_fd_daemon.c: starts like a daemon, closing every fd above stderr,
 * then leaks exactly one socket.
 *
 * argv[2] picks how: "loop" (close(fd) for 3..1023, the classic way),
 * "range" (close_range(3, ~0U, 0)) or "closefrom" (closefrom(3)). That
 * sweeps over the fd the test left open across exec and over fds this
 * program opened first, which must all be forgotten, and over anything
 * the library may hold open itself: its report must still be written,
 * to LEAKSCOPE_OUTPUT, and name only the socket.
 */
#define _GNU_SOURCE
#include <unistd.h>

#include "fdprog.h"

/* A connected UDP socket: connecting needs no listener, and gives the
 * socket a definite "local → peer" name (port 9 is discard). */
PROG_LEAKY static void leak_socket(void) {
  int fd = fdp_ok(socket(AF_INET, SOCK_DGRAM, 0), "socket"); /* LEAK:socket */
  fdp_connect(fd, 9);
  fdp_say_inet("socket", fd);
}

int main(int argc, char **argv) {
  if (argc < 3)
    fdp_die("usage: prog_fd_daemon DIR loop|range|closefrom");
  const char *mode = argv[2];
  int p[2];
  fdp_ok(pipe(p), "pipe");
  fdp_ok(open(fdp_path(argv[1], "before"), O_RDWR | O_CREAT, 0600), "open");

  if (strcmp(mode, "loop") == 0) {
    for (int fd = 3; fd < 1024; fd++)
      close(fd);
  } else if (strcmp(mode, "range") == 0) {
    fdp_ok(close_range(3, ~0U, 0), "close_range");
  } else if (strcmp(mode, "closefrom") == 0) {
    closefrom(3);
  } else {
    fdp_die("unknown mode");
  }
  if (fcntl(p[0], F_GETFD) >= 0)
    fdp_die("the sweep left fds open");

  leak_socket();
  return 0;
}
