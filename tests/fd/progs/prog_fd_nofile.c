/* SPDX-License-Identifier: MIT
 * prog_fd_nofile.c: opens /dev/null until EMFILE under the RLIMIT_NOFILE
 * it was started with, prints how many opens succeeded and the highest
 * fd, then closes them all (so the exit report can be written).
 *
 * Run bare and under the library with the same limit, the two lines must
 * be equal: leakscope's own descriptors must not take numbers below the
 * limit the program started with (libunwind's validation pipe did, and
 * the program hit EMFILE two opens early).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "fdprog.h"

int main(void) {
  int n = 0, last = -1;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      if (errno != EMFILE)
        fdp_die("open");
      break;
    }
    n++;
    last = fd;
  }
  prog_say("opens %d, highest fd %d\n", n, last);
  closefrom(3);
  return 0;
}
