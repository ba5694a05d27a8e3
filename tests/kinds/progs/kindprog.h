/* SPDX-License-Identifier: MIT
 * kindprog.h: what the thread, mapping and process programs share on
 * top of tests/support/prog.h: asking the library for a dump and waiting
 * until it is in the report file.
 */
#ifndef LS_TEST_KINDPROG_H
#define LS_TEST_KINDPROG_H

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "prog.h"

/* Lines (reports, in JSON Lines) in the file LEAKSCOPE_OUTPUT names. */
PROG_UNUSED static int kind_report_lines(void) {
  const char *path = getenv("LEAKSCOPE_OUTPUT");
  int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0)
    return 0;
  char buf[4096];
  ssize_t n;
  int lines = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++)
      lines += buf[i] == '\n';
  close(fd);
  return lines;
}

/* Sends the dump signal (SIGUSR2) to this process and waits, up to 30 s,
 * until the report is written; exits 4 if it never is. */
PROG_UNUSED static void kind_dump(void) {
  int before = kind_report_lines();
  kill(getpid(), SIGUSR2);
  for (int i = 0; i < 3000; i++) {
    if (kind_report_lines() > before)
      return;
    struct timespec ms = {0, 10 * 1000 * 1000};
    nanosleep(&ms, NULL);
  }
  prog_say("no dump report after 30 s\n");
  _exit(4);
}

#endif
