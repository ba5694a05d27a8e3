/* SPDX-License-Identifier: MIT
 * bench_exec.c: runs one command and measures it from outside: wall time
 * from fork to reap, and the peak RSS of the command and its descendants
 * (wait4's rusage). run.sh uses it for every timed run, so whole-process
 * figures include a tracker's start-up and exit report.
 *
 * Environment given with -e applies to the command only, never to this
 * runner, so a preloaded tracker never measures itself. The result line
 * "wall_ms=X maxrss_kb=Y status=S" goes to -o FILE (appended) or stderr;
 * the command's own stdout and stderr pass through untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENV 32

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  const char *out_path = NULL;
  char *envs[MAX_ENV];
  int nenv = 0;
  int c;
  while ((c = getopt(argc, argv, "+o:e:h")) != -1) {
    switch (c) {
    case 'o': out_path = optarg; break;
    case 'e':
      if (nenv == MAX_ENV || !strchr(optarg, '=')) {
        fprintf(stderr, "bench_exec: bad or too many -e NAME=VALUE\n");
        return 2;
      }
      envs[nenv++] = optarg;
      break;
    default:
      fprintf(stderr, "usage: %s [-o FILE] [-e NAME=VALUE]... [--] COMMAND [ARG]...\n", argv[0]);
      return c == 'h' ? 0 : 2;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "bench_exec: no command\n");
    return 2;
  }

  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) {
    perror("bench_exec: fork");
    return 1;
  }
  if (pid == 0) {
    for (int i = 0; i < nenv; i++)
      putenv(envs[i]);
    execvp(argv[optind], &argv[optind]);
    fprintf(stderr, "bench_exec: %s: %s\n", argv[optind], strerror(errno));
    _exit(127);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("bench_exec: wait4");
      return 1;
    }
  }
  double wall = now_ms() - t0;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  FILE *out = out_path ? fopen(out_path, "a") : stderr;
  if (!out) {
    perror(out_path);
    return 1;
  }
  fprintf(out, "wall_ms=%.1f maxrss_kb=%ld status=%d\n", wall, ru.ru_maxrss, code);
  if (out != stderr)
    fclose(out);
  return code;
}
