/* SPDX-License-Identifier: MIT
 * output_prog.c: programs that make a report hard to write or to
 * symbolize (tests/real/test_output.c). Each mode leaks 3 blocks of 24
 * bytes in leak_blocks() and one fd, then does its thing and exits 0.
 *
 *   output_prog closefds      closes fds 0, 1 and 2, then returns from main
 *   output_prog nofile        lowers RLIMIT_NOFILE to 64 (soft and hard),
 *                             opens /dev/null until EMFILE, prints the
 *                             count and returns
 *   output_prog chroot DIR    chroot(DIR) + chdir("/"), then returns
 *   output_prog setuid        setgid/setuid(65534), then returns
 *   output_prog forkexit      forks; the child leaks 2 more blocks of 40
 *                             bytes in child_leak() and ends with _exit(3);
 *                             the parent waits, prints the child's status
 *                             and returns
 *   output_prog Exit          leaks, then _Exit(4)
 *   output_prog strdup        leaks strdup("leakscope") once more
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile sink[16];

__attribute__((noinline)) static void leak_blocks(void) {
  for (int i = 0; i < 3; i++)
    sink[i] = malloc(24);
  sink[3] = NULL;
}

__attribute__((noinline)) static void child_leak(void) {
  for (int i = 0; i < 2; i++)
    sink[4 + i] = malloc(40);
  for (int i = 4; i < 6; i++)
    sink[i] = NULL;
}

__attribute__((noinline)) static void leak_strdup(void) {
  sink[8] = strdup("leakscope");
  sink[8] = NULL;
}

/* Overwrites the stack below the caller and the scratch registers, so
 * no stale copy of a lost pointer keeps its block "reachable" for the
 * conservative scan. */
__attribute__((noinline)) static void scrub(void) {
  volatile char junk[8192];
  memset((char *)junk, 0, sizeof junk);
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  const char *mode = argv[1];
  leak_blocks();
  for (int i = 0; i < 3; i++)
    sink[i] = NULL; /* lost for good */
  int fd = open("/dev/null", O_RDONLY); /* leaked */
  (void)fd;
  if (!strcmp(mode, "closefds")) {
    close(0);
    close(1);
    close(2);
  } else if (!strcmp(mode, "nofile")) {
    struct rlimit rl = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
      return 3;
    int n = 0;
    while (open("/dev/null", O_RDONLY) >= 0)
      n++;
    printf("opened %d more, then %s\n", n, strerror(errno));
  } else if (!strcmp(mode, "chroot")) {
    if (argc < 3 || chroot(argv[2]) != 0 || chdir("/") != 0) {
      perror("chroot");
      return 3;
    }
  } else if (!strcmp(mode, "setuid")) {
    if (setgid(65534) != 0 || setuid(65534) != 0) {
      perror("setuid");
      return 3;
    }
  } else if (!strcmp(mode, "forkexit")) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      child_leak();
      scrub();
      _exit(3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child %d exited %d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  } else if (!strcmp(mode, "Exit")) {
    _Exit(4);
  } else if (!strcmp(mode, "strdup")) {
    leak_strdup();
    scrub();
  } else {
    return 2;
  }
  return 0;
}
