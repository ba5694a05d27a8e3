/* SPDX-License-Identifier: MIT
 * prog_fd_anon.c: leaks one fd of each kind the kernel backs with an
 * anonymous inode or a memfd: epoll_create, epoll_create1, eventfd,
 * timerfd_create, signalfd(-1, ...), inotify_init, inotify_init1 and
 * memfd_create.
 *
 * Their paths are fixed strings of the kernel's (/proc/self/fd links),
 * written out here in full so a change in either side shows up.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "fdprog.h"

PROG_LEAKY static void leak_epoll_create(void) {
  int fd = fdp_ok(epoll_create(4), "epoll_create"); /* LEAK:epoll_create */
  fdp_say("epoll_create", fd, "anon_inode:[eventpoll]");
}

PROG_LEAKY static void leak_epoll_create1(void) {
  int fd = fdp_ok(epoll_create1(EPOLL_CLOEXEC), "epoll_create1"); /* LEAK:epoll_create1 */
  fdp_say("epoll_create1", fd, "anon_inode:[eventpoll]");
}

PROG_LEAKY static void leak_eventfd(void) {
  int fd = fdp_ok(eventfd(1, EFD_NONBLOCK), "eventfd"); /* LEAK:eventfd */
  fdp_say("eventfd", fd, "anon_inode:[eventfd]");
}

PROG_LEAKY static void leak_timerfd_create(void) {
  int fd = fdp_ok(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd_create"); /* LEAK:timerfd_create */
  fdp_say("timerfd_create", fd, "anon_inode:[timerfd]");
}

PROG_LEAKY static void leak_signalfd(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  int fd = fdp_ok(signalfd(-1, &mask, SFD_CLOEXEC), "signalfd"); /* LEAK:signalfd */
  /* Changing the mask of an existing signalfd creates nothing. */
  sigaddset(&mask, SIGUSR2);
  fdp_ok(signalfd(fd, &mask, 0), "signalfd update");
  fdp_say("signalfd", fd, "anon_inode:[signalfd]");
}

PROG_LEAKY static void leak_inotify_init(void) {
  int fd = fdp_ok(inotify_init(), "inotify_init"); /* LEAK:inotify_init */
  fdp_say("inotify_init", fd, "anon_inode:inotify");
}

PROG_LEAKY static void leak_inotify_init1(void) {
  int fd = fdp_ok(inotify_init1(IN_CLOEXEC), "inotify_init1"); /* LEAK:inotify_init1 */
  fdp_say("inotify_init1", fd, "anon_inode:inotify");
}

PROG_LEAKY static void leak_memfd_create(void) {
  int fd = fdp_ok(memfd_create("leakscope-test", MFD_CLOEXEC), "memfd_create"); /* LEAK:memfd_create */
  fdp_say("memfd_create", fd, "/memfd:leakscope-test (deleted)");
}

int main(void) {
  leak_epoll_create();
  leak_epoll_create1();
  leak_eventfd();
  leak_timerfd_create();
  leak_signalfd();
  leak_inotify_init();
  leak_inotify_init1();
  leak_memfd_create();
  return 0;
}
