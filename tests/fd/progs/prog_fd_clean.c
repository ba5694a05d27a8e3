/* SPDX-License-Identifier: MIT
 * prog_fd_clean.c: creates one fd, stream or DIR* of every kind the other
 * fd programs leak, and releases each, using every release call: close,
 * close_range, closefrom, dup2 over an open fd, fclose, pclose, closedir.
 * The report must list no fd and no heap block of this file.
 *
 * It also checks that the fd the test left open across exec
 * (LS_TEST_INHERITED_FD) is really open here, stays open to the end, and so
 * gives the test something the library must never report.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdprog.h"

static const char *dir;

static int file(const char *name) {
  return fdp_ok(open(fdp_path(dir, name), O_RDWR | O_CREAT, 0600), name);
}

/* Every call that returns one new fd, each closed with close(). */
static void fds_closed(int listener, int port) {
  int dfd = fdp_ok(open(dir, O_RDONLY | O_DIRECTORY), "open dir");
  int fds[] = {
      file("open"),
      fdp_ok(open64(fdp_path(dir, "open64"), O_RDONLY | O_CREAT, 0600), "open64"),
      fdp_ok(openat(dfd, "openat", O_RDONLY | O_CREAT, 0600), "openat"),
      fdp_ok(openat64(dfd, "openat64", O_RDONLY | O_CREAT, 0600), "openat64"),
      fdp_ok(creat(fdp_path(dir, "creat"), 0600), "creat"),
      fdp_ok(creat64(fdp_path(dir, "creat64"), 0600), "creat64"),
      fdp_ok(dup(dfd), "dup"),
      fdp_ok(dup3(dfd, 201, O_CLOEXEC), "dup3"),
      fdp_ok(dup2(STDIN_FILENO, 100), "dup2 stdin"),
      fdp_ok(fcntl(dfd, F_DUPFD_CLOEXEC, 310), "fcntl F_DUPFD_CLOEXEC"),
      fdp_ok(epoll_create(1), "epoll_create"),
      fdp_ok(epoll_create1(0), "epoll_create1"),
      fdp_ok(eventfd(0, 0), "eventfd"),
      fdp_ok(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd_create"),
      fdp_ok(inotify_init(), "inotify_init"),
      fdp_ok(inotify_init1(0), "inotify_init1"),
      fdp_ok(memfd_create("clean", 0), "memfd_create"),
  };
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    fdp_ok(close(fds[i]), "close");
  close(dfd);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  close(fdp_ok(signalfd(-1, &mask, 0), "signalfd"));

  int client = fdp_ok(socket(AF_INET, SOCK_STREAM, 0), "socket");
  fdp_connect(client, port);
  close(fdp_ok(accept(listener, NULL, NULL), "accept"));
  close(client);
  client = fdp_ok(socket(AF_INET, SOCK_STREAM, 0), "socket");
  fdp_connect(client, port);
  close(fdp_ok(accept4(listener, NULL, NULL, SOCK_CLOEXEC), "accept4"));
  close(client);

  int sv[2];
  fdp_pass(file("passed"), sv);
  fdp_msg_t m;
  fdp_msg_init(&m);
  fdp_ok((int)recvmsg(sv[1], &m.hdr, 0), "recvmsg");
  close(fdp_msg_fd(&m));
  close(sv[0]);
  close(sv[1]);
}

/* close_range over single fds and over a pair. CLOSE_RANGE_CLOEXEC first,
 * which closes nothing (prog_fd_files checks that it releases nothing). */
static void fds_close_ranged(void) {
  int p[2];
  fdp_ok(pipe(p), "pipe");
  fdp_ok(close_range((unsigned)p[0], (unsigned)p[0], 0), "close_range");
  fdp_ok(close_range((unsigned)p[1], (unsigned)p[1], 0), "close_range");

  int src = file("range");
  fdp_ok(dup2(src, 400), "dup2 400");
  if (fdp_ok(fcntl(src, F_DUPFD, 401), "fcntl F_DUPFD") != 401)
    fdp_die("fd 401 not free");
  close(src);
  fdp_ok(close_range(400, 401, CLOSE_RANGE_CLOEXEC), "close_range cloexec");
  fdp_ok(close_range(400, 401, 0), "close_range 400-401");
}

/* closefrom(900) closes only the fds at or above 900: the inherited one is
 * lower and must survive it. */
static void fds_closed_from(void) {
  int sv[2];
  fdp_ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
  fdp_ok(fcntl(sv[0], F_DUPFD, 900), "fcntl F_DUPFD 900");
  fdp_ok(fcntl(sv[1], F_DUPFD, 901), "fcntl F_DUPFD 901");
  close(sv[0]);
  close(sv[1]);
  int p[2];
  fdp_ok(pipe2(p, O_CLOEXEC), "pipe2");
  fdp_ok(dup2(p[0], 902), "dup2 902");
  fdp_ok(dup2(p[1], 903), "dup2 903");
  close(p[0]);
  close(p[1]);
  closefrom(900);
}

/* dup2 onto an open fd closes it: b's first file is released by the dup2,
 * the dup by close. */
static void fd_replaced_by_dup2(void) {
  int a = file("dup2_a");
  int b = file("dup2_b");
  fdp_ok(dup2(a, b), "dup2 over b");
  close(a);
  close(b);
}

static void streams_closed(void) {
  char line[64];
  fdp_write_file(fdp_path(dir, "fopen"), "read me\n");
  FILE *f = fopen(fdp_path(dir, "fopen"), "r");
  if (!f || !fgets(line, sizeof(line), f) || fclose(f) != 0)
    fdp_die("fopen + fgets + fclose");
  f = fopen64(fdp_path(dir, "fopen64"), "w");
  if (!f || fprintf(f, "%d\n", 64) < 0 || fclose(f) != 0)
    fdp_die("fopen64 + fprintf + fclose");
  f = fdopen(file("fdopen"), "w");
  if (!f || fputs("x\n", f) < 0 || fclose(f) != 0)
    fdp_die("fdopen + fclose");
  f = fopen(fdp_path(dir, "fopen"), "r");
  if (!f || !(f = freopen(fdp_path(dir, "freopen"), "w", f)) || fclose(f) != 0)
    fdp_die("freopen + fclose");
  f = tmpfile();
  if (!f || fputs("tmp\n", f) < 0 || fclose(f) != 0)
    fdp_die("tmpfile + fclose");
  f = popen("true", "r");
  if (!f || pclose(f) == -1)
    fdp_die("popen + pclose");

  DIR *d = opendir(dir);
  if (!d || !readdir(d) || closedir(d) != 0)
    fdp_die("opendir + closedir");
  fdp_ok(mkdir(fdp_path(dir, "sub"), 0700), "mkdir");
  d = fdopendir(fdp_ok(open(fdp_path(dir, "sub"), O_RDONLY | O_DIRECTORY), "open sub"));
  if (!d || !readdir(d) || closedir(d) != 0)
    fdp_die("fdopendir + closedir");
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_clean DIR");
  dir = argv[1];
  const char *inherited = getenv("LS_TEST_INHERITED_FD");
  int kept = inherited ? atoi(inherited) : -1;
  if (kept < 3 || fcntl(kept, F_GETFD) < 0)
    fdp_die("the fd in LS_TEST_INHERITED_FD is not open");

  int port;
  int listener = fdp_listen(&port);
  fds_closed(listener, port);
  close(listener);
  fds_close_ranged();
  fds_closed_from();
  fd_replaced_by_dup2();
  streams_closed();

  if (fcntl(kept, F_GETFD) < 0)
    fdp_die("the inherited fd was closed");
  return 0;
}
