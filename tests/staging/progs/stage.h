/* SPDX-License-Identifier: MIT
 * stage.h: what the staging programs share, on top of tests/support/prog.h
 * (PROG_LEAKY, prog_sink, prog_say: read its rules first).
 *
 * The programs are driven through stdin: one byte per command, and EOF
 * means "finish". Reading is done with read(2), never stdio, so that no
 * stdio buffer becomes one more live block in the reports under test.
 */
#ifndef LS_STAGE_H
#define LS_STAGE_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prog.h"

/* Where leaked fd numbers go, as prog_sink is for pointers. */
PROG_UNUSED static volatile int prog_fd_sink;

/* The next command byte from stdin, skipping newlines; -1 at EOF. */
PROG_UNUSED static int stage_command(void) {
  for (;;) {
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR)
      continue; /* a dump signal arrived: not a command */
    if (n <= 0)
      return -1;
    if (c != '\n')
      return (unsigned char)c;
  }
}

/* Blocks until stdin reaches EOF: the test's "you may finish now". */
PROG_UNUSED static void stage_wait_eof(void) {
  while (stage_command() >= 0)
    ;
}

PROG_UNUSED static void stage_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* Whether libleakscope is mapped into this process: the exec tests ask
 * the program itself instead of trusting the absence of a report. */
PROG_UNUSED static int stage_tracked(void) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  static char buf[1 << 16];
  size_t keep = 0;
  int found = 0;
  for (;;) {
    ssize_t n = read(fd, buf + keep, sizeof(buf) - 1 - keep);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    buf[keep + (size_t)n] = '\0';
    if (strstr(buf, "libleakscope.so")) {
      found = 1;
      break;
    }
    /* Keep a tail so a name split across two reads is still seen. */
    size_t len = keep + (size_t)n;
    keep = len < 32 ? len : 32;
    memmove(buf, buf + len - keep, keep);
  }
  close(fd);
  return found;
}

#endif
