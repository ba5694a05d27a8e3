/* SPDX-License-Identifier: MIT
 * prog_fd_files.c: leaks one file fd from each call that opens or
 * duplicates one: open, open64, openat, openat64, creat, creat64, dup,
 * dup2 and dup3 to fresh numbers, fcntl F_DUPFD and F_DUPFD_CLOEXEC;
 * and one that close_range(CLOSE_RANGE_CLOEXEC) only marked close-on-exec.
 *
 * Two dup2 cases test what dup2 releases and creates. dup2 over an open
 * tracked fd closes that fd's first file, so only the dup is reported, from
 * the dup2 line (the opening line stays clean). dup2(0, 100) copies stdin,
 * which was open before the library loaded and is never reported, into a
 * new fd the program made and never closed: that one is a leak.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "fdprog.h"

static const char *dir;

/* A file fd to duplicate, closed by the caller once the dup exists. */
static int scratch(const char *name) {
  return fdp_ok(open(fdp_path(dir, name), O_RDWR | O_CREAT, 0600), "open scratch");
}

PROG_LEAKY static void leak_open(void) {
  const char *path = fdp_path(dir, "open");
  int fd = open(path, O_RDWR | O_CREAT, 0600); /* LEAK:open */
  fdp_say("open", fdp_ok(fd, "open"), path);
}

PROG_LEAKY static void leak_open64(void) {
  const char *path = fdp_path(dir, "open64");
  int fd = open64(path, O_RDWR | O_CREAT, 0600); /* LEAK:open64 */
  fdp_say("open64", fdp_ok(fd, "open64"), path);
}

PROG_LEAKY static void leak_openat(int dfd) {
  int fd = openat(dfd, "openat", O_RDWR | O_CREAT, 0600); /* LEAK:openat */
  fdp_say("openat", fdp_ok(fd, "openat"), fdp_path(dir, "openat"));
}

PROG_LEAKY static void leak_openat64(int dfd) {
  int fd = openat64(dfd, "openat64", O_RDWR | O_CREAT, 0600); /* LEAK:openat64 */
  fdp_say("openat64", fdp_ok(fd, "openat64"), fdp_path(dir, "openat64"));
}

PROG_LEAKY static void leak_creat(void) {
  const char *path = fdp_path(dir, "creat");
  int fd = creat(path, 0600); /* LEAK:creat */
  fdp_say("creat", fdp_ok(fd, "creat"), path);
}

PROG_LEAKY static void leak_creat64(void) {
  const char *path = fdp_path(dir, "creat64");
  int fd = creat64(path, 0600); /* LEAK:creat64 */
  fdp_say("creat64", fdp_ok(fd, "creat64"), path);
}

PROG_LEAKY static void leak_dup(void) {
  int src = scratch("dup");
  int fd = dup(src); /* LEAK:dup */
  close(src);
  fdp_say("dup", fdp_ok(fd, "dup"), fdp_path(dir, "dup"));
}

PROG_LEAKY static void leak_dup2(void) {
  int src = scratch("dup2");
  int fd = dup2(src, 200); /* LEAK:dup2 */
  close(src);
  fdp_say("dup2", fdp_ok(fd, "dup2"), fdp_path(dir, "dup2"));
}

PROG_LEAKY static void leak_dup3(void) {
  int src = scratch("dup3");
  int fd = dup3(src, 201, O_CLOEXEC); /* LEAK:dup3 */
  close(src);
  fdp_say("dup3", fdp_ok(fd, "dup3"), fdp_path(dir, "dup3"));
}

PROG_LEAKY static void leak_fcntl_dupfd(void) {
  int src = scratch("fcntl_dupfd");
  int fd = fcntl(src, F_DUPFD, 300); /* LEAK:fcntl_dupfd */
  close(src);
  fdp_say("fcntl_dupfd", fdp_ok(fd, "fcntl F_DUPFD"), fdp_path(dir, "fcntl_dupfd"));
}

PROG_LEAKY static void leak_fcntl_dupfd_cloexec(void) {
  int src = scratch("fcntl_dupfd_cloexec");
  int fd = fcntl(src, F_DUPFD_CLOEXEC, 310); /* LEAK:fcntl_dupfd_cloexec */
  close(src);
  fdp_say("fcntl_dupfd_cloexec", fdp_ok(fd, "fcntl F_DUPFD_CLOEXEC"),
          fdp_path(dir, "fcntl_dupfd_cloexec"));
}

/* CLOSE_RANGE_CLOEXEC sets a flag and closes nothing. */
PROG_LEAKY static void leak_cloexec_range(void) {
  const char *path = fdp_path(dir, "cloexec_range");
  int fd = fdp_ok(open(path, O_RDWR | O_CREAT, 0600), "open"); /* LEAK:cloexec_range */
  fdp_ok(close_range((unsigned)fd, (unsigned)fd, CLOSE_RANGE_CLOEXEC), "close_range");
  fdp_say("cloexec_range", fd, path);
}

/* B's first file is closed by the dup2: only the dup is left to report. */
PROG_LEAKY static void leak_dup2_over(void) {
  int a = scratch("dup2_over_a");
  int b = open(fdp_path(dir, "dup2_over_b"), O_RDWR | O_CREAT, 0600); /* LEAK:dup2_over_orig */
  fdp_ok(b, "open b");
  int fd = dup2(a, b); /* LEAK:dup2_over */
  close(a);
  fdp_say("dup2_over", fdp_ok(fd, "dup2 over b"), fdp_path(dir, "dup2_over_a"));
}

/* stdin (the runner's /dev/null) predates the library; fd 100 does not. */
PROG_LEAKY static void leak_dup2_stdin(void) {
  int fd = dup2(STDIN_FILENO, 100); /* LEAK:dup2_stdin */
  fdp_say_link("dup2_stdin", fdp_ok(fd, "dup2 stdin"));
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_files DIR");
  dir = argv[1];
  int dfd = fdp_ok(open(dir, O_RDONLY | O_DIRECTORY), "open dir");
  leak_open();
  leak_open64();
  leak_openat(dfd);
  leak_openat64(dfd);
  close(dfd);
  leak_creat();
  leak_creat64();
  leak_dup();
  leak_dup2();
  leak_dup3();
  leak_fcntl_dupfd();
  leak_fcntl_dupfd_cloexec();
  leak_cloexec_range();
  leak_dup2_over();
  leak_dup2_stdin();
  return 0;
}
