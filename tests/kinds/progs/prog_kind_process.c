/* SPDX-License-Identifier: MIT
 * prog_kind_process.c: child processes for test_kinds. argv[1]:
 *   zombie    a forked child that exits 3 and is never waited for
 *             (LEAK:fork); fork+waitpid, popen+pclose, posix_spawn+
 *             waitpid, system and wait4 are not reported
 *   running   a child still running when main returns (LEAK:running_child)
 *   ignored   SIGCHLD set to SIG_IGN, then a child never waited for
 *             (LEAK:ignored): the kernel reaps it
 *   records   a thread not joined (LEAK:parent_thread) and a zombie
 *             (LEAK:fork) before a fork; the forked child
 *             (LEAK:fork_child) exits through exit(): its own report
 *             must hold neither
 * It prints "pid <marker> <pid>" for each child the report must name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kindprog.h"

extern char **environ;

static void nap(void) {
  struct timespec ms = {0, 10 * 1000 * 1000};
  nanosleep(&ms, NULL);
}

/* Waits until child pid can be waited for (a zombie), without reaping
 * it, or is gone (the kernel reaped it). The report asks waitid with
 * WNOWAIT, so that is what is asked here too: /proc/PID/stat shows 'Z'
 * as soon as the thread-group leader has exited, while the child's other
 * threads (leakscope's dump thread in a fork child) may still be dying,
 * and waitid reports the child only after the last of them. Waiting for
 * 'Z' let the report see "running" on a loaded machine. */
static void wait_exited(pid_t pid) {
  for (int i = 0; i < 3000; i++) {
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
      return; /* gone: reaped by the kernel (SIGCHLD ignored) */
    if (si.si_pid == pid)
      return;
    nap();
  }
  prog_say("child %d did not exit\n", (int)pid);
  _exit(5);
}

PROG_LEAKY static pid_t leak_fork(void) {
  pid_t pid = fork(); /* LEAK:fork */
  if (pid == 0)
    _exit(3);
  prog_say("pid fork %d\n", (int)pid);
  wait_exited(pid);
  return pid;
}

/* Children that are waited for, each way: none may be reported. */
static void clean_children(void) {
  pid_t pid = fork(); /* LEAK:fork_waited */
  if (pid == 0)
    _exit(0);
  waitpid(pid, NULL, 0);
  FILE *p = popen("echo popen-ok", "r"); /* LEAK:popen */
  char line[64];
  if (p && fgets(line, sizeof line, p))
    prog_say("%s", line);
  pclose(p);
  char *argv[] = {"true", NULL};
  pid_t spawned;
  if (posix_spawnp(&spawned, "true", NULL, NULL, argv, environ) == 0) /* LEAK:posix_spawn */
    waitpid(spawned, NULL, 0);
  if (system("true") != 0) /* LEAK:system */
    prog_say("system failed\n");
  pid = fork(); /* LEAK:fork_wait4 */
  if (pid == 0)
    _exit(0);
  struct rusage ru;
  while (wait4(pid, NULL, 0, &ru) < 0 && errno == EINTR)
    ;
}

PROG_LEAKY static void leak_running_child(void) {
  pid_t parent = getpid();
  pid_t pid = fork(); /* LEAK:running_child */
  if (pid == 0) {
    /* Ends with its parent. A parent that is gone before the prctl (it
     * only has to print a line and exit) sends no signal: then end now,
     * or this child, holding leakscope's kept dup of the test's output
     * pipe, keeps the runner waiting for end of file until its timeout. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC); /* the test reads our parent's */
    dup2(null, STDOUT_FILENO);                          /* output to its end */
    dup2(null, STDERR_FILENO);
    for (;;)
      pause();
  }
  prog_say("pid running_child %d\n", (int)pid);
}

PROG_LEAKY static void leak_ignored(void) {
  signal(SIGCHLD, SIG_IGN);
  pid_t pid = fork(); /* LEAK:ignored */
  if (pid == 0)
    _exit(0);
  wait_exited(pid);
}

static void *returns(void *arg) { return arg; }

PROG_LEAKY static void leak_records(void) {
  pthread_t t;
  pthread_create(&t, NULL, returns, NULL); /* LEAK:parent_thread */
  leak_fork();
  pid_t pid = fork(); /* LEAK:fork_child */
  if (pid == 0)
    exit(0); /* its own exit report */
  prog_say("pid fork_child %d\n", (int)pid);
  waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "zombie")) {
    leak_fork();
    clean_children();
  } else if (!strcmp(mode, "running")) {
    leak_running_child();
  } else if (!strcmp(mode, "ignored")) {
    leak_ignored();
  } else if (!strcmp(mode, "records")) {
    leak_records();
  } else {
    return 2;
  }
  return 0;
}
