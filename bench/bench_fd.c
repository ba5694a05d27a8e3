/* SPDX-License-Identifier: MIT
 * bench_fd.c: nanoseconds per descriptor round trip, the cost a tracker
 * adds to fd-heavy code (servers opening sockets, tools opening files).
 *
 * Two loops, each timed on its own:
 *   open_close        open("/dev/null") + close
 *   socketpair_close  socketpair(AF_UNIX) + close + close
 * Prints one line per loop: "op=NAME iters=I ns_per_op=X".
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *op, uint64_t iters, double ns) {
  printf("op=%s iters=%" PRIu64 " ns_per_op=%.1f\n", op, iters, ns / (double)iters);
}

int main(int argc, char **argv) {
  uint64_t iters = 500000;
  int c;
  while ((c = getopt(argc, argv, "n:h")) != -1) {
    switch (c) {
    case 'n': iters = strtoull(optarg, NULL, 10); break;
    default:
      fprintf(stderr, "usage: %s [-n ITERS]   (default 500000 per loop)\n", argv[0]);
      return c == 'h' ? 0 : 2;
    }
  }
  if (iters == 0)
    return 2;

  double t0 = now_ns();
  for (uint64_t i = 0; i < iters; i++) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      perror("open /dev/null");
      return 1;
    }
    close(fd);
  }
  report("open_close", iters, now_ns() - t0);

  t0 = now_ns();
  for (uint64_t i = 0; i < iters; i++) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      perror("socketpair");
      return 1;
    }
    close(sv[0]);
    close(sv[1]);
  }
  report("socketpair_close", iters, now_ns() - t0);
  return 0;
}
