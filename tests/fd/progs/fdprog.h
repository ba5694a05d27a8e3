/* SPDX-License-Identifier: MIT
 * fdprog.h: what the fd leak programs share, on top of tests/support/prog.h.
 *
 * A program tells the test what it leaked, one stdout line per fd:
 *     fd <marker> <number> <path>
 * where <path> is what the report must show for that fd, worked out from
 * the program's own knowledge rather than from /proc: the path it opened,
 * getsockname/getpeername for inet sockets ("ip:port → ip:port"), fstat's
 * inode for pipes ("pipe:[ino]") and unnamed unix sockets ("socket:[ino]").
 * Each leak happens in its own PROG_LEAKY function named leak_<marker>,
 * on the marker's line, which the test checks as frame 0 of the group.
 *
 * Programs take the test's scratch directory as argv[1]. Anything that
 * goes wrong exits with status 2 and a message: a program that could not
 * leak what it promised must fail the test, not pass it with fewer leaks.
 */
#ifndef LS_TEST_FDPROG_H
#define LS_TEST_FDPROG_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "prog.h"

PROG_UNUSED __attribute__((noreturn)) static void fdp_die(const char *what) {
  prog_say("failed: %s: %s\n", what, strerror(errno));
  _exit(2);
}

/* Returns r, or dies naming what failed when it is negative. */
PROG_UNUSED static int fdp_ok(int r, const char *what) {
  if (r < 0)
    fdp_die(what);
  return r;
}

PROG_UNUSED static void fdp_say(const char *marker, int fd, const char *path) {
  prog_say("fd %s %d %s\n", marker, fd, path);
}

/* <dir>/<name> in a static buffer: valid until the next call. */
PROG_UNUSED static const char *fdp_path(const char *dir, const char *name) {
  static char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
    fdp_die("path too long");
  return path;
}

/* For fds whose name only the kernel chooses (tmpfile's "/tmp/#123
 * (deleted)", a dup of an inherited fd): the report format defines their
 * path as this very link. */
PROG_UNUSED static void fdp_say_link(const char *marker, int fd) {
  char proc[64], link[PATH_MAX];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, link, sizeof(link) - 1);
  if (n < 0)
    fdp_die("readlink");
  link[n] = '\0';
  fdp_say(marker, fd, link);
}

/* "<prefix>:[<inode>]", the kernel's name for pipes and unnamed sockets. */
PROG_UNUSED static void fdp_say_inode(const char *marker, int fd, const char *prefix) {
  struct stat st;
  char path[64];
  if (fstat(fd, &st) != 0)
    fdp_die("fstat");
  snprintf(path, sizeof(path), "%s:[%lu]", prefix, (unsigned long)st.st_ino);
  fdp_say(marker, fd, path);
}

/* --- IPv4 loopback --- */

PROG_UNUSED static void put_inet(char *out, size_t size, const struct sockaddr_in *in) {
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
  snprintf(out, size, "%s:%u", host, (unsigned)ntohs(in->sin_port));
}

/* "local → peer" for a connected IPv4 socket. */
PROG_UNUSED static void fdp_say_inet(const char *marker, int fd) {
  struct sockaddr_in local, peer;
  socklen_t llen = sizeof(local), plen = sizeof(peer);
  fdp_ok(getsockname(fd, (struct sockaddr *)&local, &llen), "getsockname");
  fdp_ok(getpeername(fd, (struct sockaddr *)&peer, &plen), "getpeername");
  char l[64], p[64], path[160];
  put_inet(l, sizeof(l), &local);
  put_inet(p, sizeof(p), &peer);
  snprintf(path, sizeof(path), "%s \xe2\x86\x92 %s", l, p); /* U+2192 */
  fdp_say(marker, fd, path);
}

PROG_UNUSED static struct sockaddr_in fdp_loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

PROG_UNUSED static void fdp_connect(int fd, int port) {
  struct sockaddr_in a = fdp_loopback(port);
  fdp_ok(connect(fd, (struct sockaddr *)&a, sizeof(a)), "connect");
}

/* A TCP listener on 127.0.0.1 at a port the kernel picks; *port gets it. */
PROG_UNUSED static int fdp_listen(int *port) {
  int fd = fdp_ok(socket(AF_INET, SOCK_STREAM, 0), "socket");
  struct sockaddr_in a = fdp_loopback(0);
  socklen_t len = sizeof(a);
  fdp_ok(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind");
  fdp_ok(listen(fd, 8), "listen");
  fdp_ok(getsockname(fd, (struct sockaddr *)&a, &len), "getsockname");
  *port = ntohs(a.sin_port);
  return fd;
}

/* --- Passing an fd over a unix socket (SCM_RIGHTS) --- */

/* A message with room for one fd. Initialise in place: it points into
 * itself. */
typedef struct fdp_msg {
  struct msghdr hdr;
  struct iovec iov;
  char byte;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
} fdp_msg_t;

PROG_UNUSED static void fdp_msg_init(fdp_msg_t *m) {
  memset(m, 0, sizeof(*m));
  m->iov = (struct iovec){&m->byte, 1};
  m->hdr.msg_iov = &m->iov;
  m->hdr.msg_iovlen = 1;
  m->hdr.msg_control = m->ctl.buf;
  m->hdr.msg_controllen = sizeof(m->ctl.buf);
}

/* The fd a received message carried. */
PROG_UNUSED static int fdp_msg_fd(fdp_msg_t *m) {
  struct cmsghdr *c = CMSG_FIRSTHDR(&m->hdr);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
    fdp_die("no SCM_RIGHTS in the message");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(fd));
  return fd;
}

/* Makes a socketpair in sv, sends fd from sv[0] and closes fd: after the
 * receive, the received fd is the only one left open on that resource. */
PROG_UNUSED static void fdp_pass(int fd, int sv[2]) {
  fdp_ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
  fdp_msg_t m;
  fdp_msg_init(&m);
  m.hdr.msg_controllen = CMSG_SPACE(sizeof(int));
  struct cmsghdr *c = CMSG_FIRSTHDR(&m.hdr);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(fd));
  fdp_ok((int)sendmsg(sv[0], &m.hdr, 0), "sendmsg");
  close(fd);
}

/* Writes text to a new file at path (for programs that read one back). */
PROG_UNUSED static void fdp_write_file(const char *path, const char *text) {
  int fd = fdp_ok(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), "open for writing");
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    fdp_die("write");
  close(fd);
}

#endif
