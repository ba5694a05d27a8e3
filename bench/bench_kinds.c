/* SPDX-License-Identifier: MIT
 * bench_kinds.c: nanoseconds per thread, mapping and child-process round
 * trip, the cost the thread, mapping and process kinds add (issue 15's
 * bound: at most 1.15x bare).
 *
 * Loops, each timed on its own:
 *   thread_create_join  pthread_create + pthread_join of an empty thread
 *   mmap_munmap         mmap 64 KiB anonymous (untouched) + munmap
 *   fork_wait           fork + _exit in the child + waitpid (-n / 100)
 * Prints one line per loop: "op=NAME iters=I ns_per_op=X cpu_ns_per_op=C",
 * C being the process's CPU time (user + system, all threads): on a busy
 * machine a thread's start waits for a CPU, which the wall time counts
 * and the CPU time does not.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
         ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

static double cpu0;

static void report(const char *op, uint64_t iters, double ns) {
  printf("op=%s iters=%" PRIu64 " ns_per_op=%.1f cpu_ns_per_op=%.1f\n", op, iters,
         ns / (double)iters, (cpu_ns() - cpu0) / (double)iters);
}

static void *empty(void *arg) { return arg; }

int main(int argc, char **argv) {
  uint64_t iters = 20000;
  const char *only = "";
  int c;
  while ((c = getopt(argc, argv, "n:o:h")) != -1) {
    switch (c) {
    case 'n': iters = strtoull(optarg, NULL, 10); break;
    case 'o': only = optarg; break;
    default:
      fprintf(stderr,
              "usage: %s [-n ITERS] [-o thread|mmap|fork]   (default 20000 per loop, mmap 10x, "
              "fork 1/100; -o runs one loop)\n",
              argv[0]);
      return c == 'h' ? 0 : 2;
    }
  }
  if (iters < 100)
    return 2;

  cpu0 = cpu_ns();
  double t0 = now_ns();
  for (uint64_t i = 0; i < iters && (!*only || !strcmp(only, "thread")); i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, empty, NULL) != 0 || pthread_join(t, NULL) != 0) {
      perror("pthread_create/join");
      return 1;
    }
  }
  report("thread_create_join", iters, now_ns() - t0);

  cpu0 = cpu_ns();
  t0 = now_ns();
  for (uint64_t i = 0; i < iters * 10 && (!*only || !strcmp(only, "mmap")); i++) {
    void *p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || munmap(p, 64 << 10) != 0) {
      perror("mmap/munmap");
      return 1;
    }
  }
  report("mmap_munmap", iters * 10, now_ns() - t0);

  cpu0 = cpu_ns();
  t0 = now_ns();
  for (uint64_t i = 0; i < iters / 100 && (!*only || !strcmp(only, "fork")); i++) {
    pid_t pid = fork();
    if (pid == 0)
      _exit(0);
    if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
      perror("fork/waitpid");
      return 1;
    }
  }
  report("fork_wait", iters / 100, now_ns() - t0);
  return 0;
}
