/* SPDX-License-Identifier: MIT
 * prog_fd_ipc.c: leaks one of each IPC fd: pipe and pipe2 (two fds each),
 * socket, socketpair (two fds), accept and accept4, and fds received with
 * recvmsg SCM_RIGHTS (an eventfd and a file).
 *
 * The sockets talk over a 127.0.0.1 listener at a kernel-chosen port: the
 * leaked socket() connects to it and accept() takes that connection;
 * accept4() takes a second one from a client that is closed again. The
 * listener and every helper fd are closed, so only the marked calls leak.
 * Received fds get their kind from the kernel's name for them, as the
 * library cannot know what a message carries.
 */
#define _GNU_SOURCE
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdprog.h"

static const char *dir;

PROG_LEAKY static void leak_pipe(void) {
  int p[2];
  fdp_ok(pipe(p), "pipe"); /* LEAK:pipe */
  fdp_say_inode("pipe", p[0], "pipe");
  fdp_say_inode("pipe", p[1], "pipe");
}

PROG_LEAKY static void leak_pipe2(void) {
  int p[2];
  fdp_ok(pipe2(p, O_CLOEXEC | O_NONBLOCK), "pipe2"); /* LEAK:pipe2 */
  fdp_say_inode("pipe2", p[0], "pipe");
  fdp_say_inode("pipe2", p[1], "pipe");
}

PROG_LEAKY static int leak_socket(int port) {
  int fd = fdp_ok(socket(AF_INET, SOCK_STREAM, 0), "socket"); /* LEAK:socket */
  fdp_connect(fd, port);
  fdp_say_inet("socket", fd);
  return fd;
}

PROG_LEAKY static void leak_socketpair(void) {
  int sv[2];
  fdp_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair"); /* LEAK:socketpair */
  fdp_say_inode("socketpair", sv[0], "socket");
  fdp_say_inode("socketpair", sv[1], "socket");
}

PROG_LEAKY static void leak_accept(int listener) {
  int fd = fdp_ok(accept(listener, NULL, NULL), "accept"); /* LEAK:accept */
  fdp_say_inet("accept", fd);
}

/* Its client is closed: the accepted end keeps its peer's address. */
PROG_LEAKY static void leak_accept4(int listener, int port) {
  int client = fdp_ok(socket(AF_INET, SOCK_STREAM, 0), "client socket");
  fdp_connect(client, port);
  int fd = fdp_ok(accept4(listener, NULL, NULL, SOCK_CLOEXEC), "accept4"); /* LEAK:accept4 */
  fdp_say_inet("accept4", fd);
  close(client);
}

PROG_LEAKY static void leak_recvmsg_eventfd(void) {
  int sv[2];
  fdp_pass(fdp_ok(eventfd(0, 0), "eventfd"), sv);
  fdp_msg_t m;
  fdp_msg_init(&m);
  fdp_ok((int)recvmsg(sv[1], &m.hdr, 0), "recvmsg"); /* LEAK:recvmsg_eventfd */
  close(sv[0]);
  close(sv[1]);
  fdp_say("recvmsg_eventfd", fdp_msg_fd(&m), "anon_inode:[eventfd]");
}

PROG_LEAKY static void leak_recvmsg_file(void) {
  int sv[2];
  const char *path = fdp_path(dir, "received");
  fdp_pass(fdp_ok(open(path, O_RDWR | O_CREAT, 0600), "open"), sv);
  fdp_msg_t m;
  fdp_msg_init(&m);
  fdp_ok((int)recvmsg(sv[1], &m.hdr, MSG_CMSG_CLOEXEC), "recvmsg"); /* LEAK:recvmsg_file */
  close(sv[0]);
  close(sv[1]);
  fdp_say("recvmsg_file", fdp_msg_fd(&m), path);
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_ipc DIR");
  dir = argv[1];
  int port;
  int listener = fdp_listen(&port);
  leak_pipe();
  leak_pipe2();
  leak_socket(port);
  leak_accept(listener);
  leak_accept4(listener, port);
  close(listener);
  leak_socketpair();
  leak_recvmsg_eventfd();
  leak_recvmsg_file();
  return 0;
}
