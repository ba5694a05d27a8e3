/* SPDX-License-Identifier: MIT
 * prog_fd_syscall.c: leaks one fd (two for pairs) from each system call
 * that makes one, called through syscall() rather than its libc wrapper:
 * openat, openat2, open, memfd_create, eventfd2, timerfd_create, signalfd4,
 * epoll_create1, inotify_init1, pidfd_open, pidfd_getfd, socket,
 * socketpair, pipe2, dup, dup3 and fcntl(F_DUPFD). Each must be reported at
 * the line that called syscall().
 *
 * And releases through syscall() must be seen (libuv closes every fd with
 * syscall(SYS_close)): a file opened with open() and one opened with
 * syscall(SYS_openat), both closed with syscall(SYS_close); three files
 * closed with syscall(SYS_close_range); a file replaced by
 * syscall(SYS_dup3). None of their opening lines may be reported.
 */
#define _GNU_SOURCE
#include <linux/openat2.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fdprog.h"

static const char *dir;

static int scratch(const char *name) {
  return fdp_ok(open(fdp_path(dir, name), O_RDWR | O_CREAT, 0600), "open scratch");
}

PROG_LEAKY static void leak_openat(void) {
  const char *path = fdp_path(dir, "openat");
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT, 0600); /* LEAK:openat */
  fdp_say("openat", fdp_ok(fd, "SYS_openat"), path);
}

PROG_LEAKY static void leak_openat2(void) {
  const char *path = fdp_path(dir, "openat2");
  struct open_how how = {.flags = O_RDWR | O_CREAT, .mode = 0600};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)); /* LEAK:openat2 */
  fdp_say("openat2", fdp_ok(fd, "SYS_openat2"), path);
}

PROG_LEAKY static void leak_open(void) {
  const char *path = fdp_path(dir, "open");
  int fd = (int)syscall(SYS_open, path, O_WRONLY | O_CREAT, 0600); /* LEAK:open */
  fdp_say("open", fdp_ok(fd, "SYS_open"), path);
}

PROG_LEAKY static void leak_memfd_create(void) {
  int fd = (int)syscall(SYS_memfd_create, "ls-raw", 0); /* LEAK:memfd_create */
  fdp_say("memfd_create", fdp_ok(fd, "SYS_memfd_create"), "/memfd:ls-raw (deleted)");
}

PROG_LEAKY static void leak_eventfd2(void) {
  int fd = (int)syscall(SYS_eventfd2, 0, 0); /* LEAK:eventfd2 */
  fdp_say("eventfd2", fdp_ok(fd, "SYS_eventfd2"), "anon_inode:[eventfd]");
}

PROG_LEAKY static void leak_timerfd_create(void) {
  int fd = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0); /* LEAK:timerfd_create */
  fdp_say("timerfd_create", fdp_ok(fd, "SYS_timerfd_create"), "anon_inode:[timerfd]");
}

PROG_LEAKY static void leak_signalfd4(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  int fd = (int)syscall(SYS_signalfd4, -1, &mask, 8, 0); /* LEAK:signalfd4 */
  /* With an existing fd, signalfd4 changes its mask and makes nothing. */
  fdp_ok((int)syscall(SYS_signalfd4, fd, &mask, 8, 0), "SYS_signalfd4 update");
  fdp_say("signalfd4", fdp_ok(fd, "SYS_signalfd4"), "anon_inode:[signalfd]");
}

PROG_LEAKY static void leak_epoll_create1(void) {
  int fd = (int)syscall(SYS_epoll_create1, 0); /* LEAK:epoll_create1 */
  fdp_say("epoll_create1", fdp_ok(fd, "SYS_epoll_create1"), "anon_inode:[eventpoll]");
}

PROG_LEAKY static void leak_inotify_init1(void) {
  int fd = (int)syscall(SYS_inotify_init1, 0); /* LEAK:inotify_init1 */
  fdp_say("inotify_init1", fdp_ok(fd, "SYS_inotify_init1"), "anon_inode:inotify");
}

/* No kind of its own: "other", named by the kernel's link. */
PROG_LEAKY static void leak_pidfd_open(void) {
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0); /* LEAK:pidfd_open */
  fdp_say_link("pidfd_open", fdp_ok(fd, "SYS_pidfd_open"));
}

/* A copy of one of our own fds through a pidfd of ourselves: "other"
 * until the report reads its link, then a file. */
PROG_LEAKY static void leak_pidfd_getfd(void) {
  int pidfd = fdp_ok((int)syscall(SYS_pidfd_open, getpid(), 0), "SYS_pidfd_open");
  int src = scratch("pidfd_getfd");
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, src, 0); /* LEAK:pidfd_getfd */
  fdp_ok(fd, "SYS_pidfd_getfd");
  close(src);
  close(pidfd);
  fdp_say("pidfd_getfd", fd, fdp_path(dir, "pidfd_getfd"));
}

PROG_LEAKY static void leak_socket(void) {
  int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0); /* LEAK:socket */
  fdp_ok(fd, "SYS_socket");
  fdp_connect(fd, 9);
  fdp_say_inet("socket", fd);
}

PROG_LEAKY static void leak_socketpair(void) {
  int sv[2];
  fdp_ok((int)syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv), "SYS_socketpair"); /* LEAK:socketpair */
  fdp_say_inode("socketpair", sv[0], "socket");
  fdp_say_inode("socketpair", sv[1], "socket");
}

PROG_LEAKY static void leak_pipe2(void) {
  int p[2];
  fdp_ok((int)syscall(SYS_pipe2, p, O_CLOEXEC), "SYS_pipe2"); /* LEAK:pipe2 */
  fdp_say_inode("pipe2", p[0], "pipe");
  fdp_say_inode("pipe2", p[1], "pipe");
}

PROG_LEAKY static void leak_dup(void) {
  int src = scratch("dup");
  int fd = (int)syscall(SYS_dup, src); /* LEAK:dup */
  close(src);
  fdp_say("dup", fdp_ok(fd, "SYS_dup"), fdp_path(dir, "dup"));
}

PROG_LEAKY static void leak_dup3(void) {
  int src = scratch("dup3");
  int fd = (int)syscall(SYS_dup3, src, 400, O_CLOEXEC); /* LEAK:dup3 */
  close(src);
  fdp_say("dup3", fdp_ok(fd, "SYS_dup3"), fdp_path(dir, "dup3"));
}

PROG_LEAKY static void leak_fcntl_dupfd(void) {
  int src = scratch("fcntl_dupfd");
  int fd = (int)syscall(SYS_fcntl, src, F_DUPFD_CLOEXEC, 410); /* LEAK:fcntl_dupfd */
  close(src);
  fdp_say("fcntl_dupfd", fdp_ok(fd, "SYS_fcntl F_DUPFD_CLOEXEC"), fdp_path(dir, "fcntl_dupfd"));
}

/* --- Releases through syscall(): nothing of these may be reported --- */

static void release_close(void) {
  int a = open(fdp_path(dir, "close_open"), O_RDWR | O_CREAT, 0600); /* LEAK:close_open */
  fdp_ok((int)syscall(SYS_close, fdp_ok(a, "open")), "SYS_close");
  int b = (int)syscall(SYS_openat, AT_FDCWD, fdp_path(dir, "close_raw"), O_RDWR | O_CREAT, 0600); /* LEAK:close_raw */
  fdp_ok((int)syscall(SYS_close, fdp_ok(b, "SYS_openat")), "SYS_close");
}

static void release_close_range(void) {
  for (int i = 0; i < 3; i++) {
    int src = scratch("close_range");
    fdp_ok(fcntl(src, F_DUPFD, 500 + i), "F_DUPFD"); /* LEAK:close_range */
    close(src);
  }
  fdp_ok((int)syscall(SYS_close_range, 500, 502, 0), "SYS_close_range");
  if (fcntl(500, F_GETFD) >= 0)
    fdp_die("close_range left fd 500 open");
}

static void release_dup3_over(void) {
  int a = scratch("dup3_over_a");
  int b = open(fdp_path(dir, "dup3_over_b"), O_RDWR | O_CREAT, 0600); /* LEAK:dup3_over_orig */
  fdp_ok(b, "open b");
  fdp_ok((int)syscall(SYS_dup3, a, b, 0), "SYS_dup3 over b");
  close(a);
  close(b);
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_syscall DIR");
  dir = argv[1];
  release_close();
  release_close_range();
  release_dup3_over();
  leak_openat();
  leak_openat2();
  leak_open();
  leak_memfd_create();
  leak_eventfd2();
  leak_timerfd_create();
  leak_signalfd4();
  leak_epoll_create1();
  leak_inotify_init1();
  leak_pidfd_open();
  leak_pidfd_getfd();
  leak_socket();
  leak_socketpair();
  leak_pipe2();
  leak_dup();
  leak_dup3();
  leak_fcntl_dupfd();
  return 0;
}
