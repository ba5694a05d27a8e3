/* SPDX-License-Identifier: MIT
 * prog_fd_hidden.c: fds closed or replaced where no interposer can see it,
 * and one real leak among them.
 *
 * leakscope sees only calls through the public names it interposes. The
 * C library closes fds through internal aliases (fclose(stdout) closes
 * fd 1 that way; `sort -o` makes fd 1 its output file with dup2 first),
 * and a raw syscall instruction or io_uring reach the kernel directly.
 * Here libc's own dup2 and close, looked up in libc.so.6 itself (so the
 * lookup passes our library by), stand for all of them. The report must
 * leave out every record that no longer describes its fd, and count them
 * in summary.fds_stale:
 *   - a file opened read-only whose number now holds a write-only file;
 *   - a socket whose number now holds a read-write file;
 *   - a pipe's read end whose number now holds the write end of another;
 *   - a file closed behind our back (nothing reopens its number);
 *   - fd 1, made a file by dup2 and closed inside fclose(stdout): not a
 *     leak either way, counted only when LEAKSCOPE_SHOW_STD_FDS=1 lists
 *     the standard streams.
 * argv[2] "stdout" adds the last one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include "fdprog.h"

static const char *dir;
static int (*hidden_dup2)(int, int);
static int (*hidden_close)(int);

static void find_libc(void) {
  void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  if (!libc)
    fdp_die("dlopen libc.so.6");
  hidden_dup2 = (int (*)(int, int))dlsym(libc, "dup2");
  hidden_close = (int (*)(int))dlsym(libc, "close");
  if (!hidden_dup2 || !hidden_close)
    fdp_die("dlsym dup2/close in libc.so.6");
}

static int file(const char *name, int flags) {
  return fdp_ok(open(fdp_path(dir, name), flags | O_CREAT, 0600), "open");
}

static void replace_file(void) {
  int fd = file("replaced_orig", O_RDONLY); /* LEAK:replaced_orig */
  int w = file("replaced_new", O_WRONLY);
  fdp_ok(hidden_dup2(w, fd), "hidden dup2");
  close(w);
}

static void replace_socket(void) {
  int fd = fdp_ok(socket(AF_INET, SOCK_DGRAM, 0), "socket"); /* LEAK:replaced_socket */
  int f = file("replaced_socket_new", O_RDWR);
  fdp_ok(hidden_dup2(f, fd), "hidden dup2");
  close(f);
}

static void replace_pipe(void) {
  int p[2], q[2];
  fdp_ok(pipe(p), "pipe"); /* LEAK:replaced_pipe */
  fdp_ok(pipe(q), "pipe");
  fdp_ok(hidden_dup2(q[1], p[0]), "hidden dup2");
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

PROG_LEAKY static void leak_kept(void) {
  const char *path = fdp_path(dir, "kept");
  int fd = open(path, O_RDONLY | O_CREAT, 0600); /* LEAK:kept */
  fdp_say("kept", fdp_ok(fd, "open"), path);
}

/* At a number nothing else here takes, so that nothing reopens it
 * before the report. */
static void close_hidden(void) {
  int src = file("closed", O_RDWR);
  int fd = fdp_ok(fcntl(src, F_DUPFD, 600), "F_DUPFD"); /* LEAK:closed */
  close(src);
  fdp_ok(hidden_close(fd), "hidden close");
}

/* `sort -o`: output file on fd 1, closed by fclose(stdout) inside libc. */
static void stdout_closed_by_fclose(void) {
  int fd = file("stdout", O_WRONLY);
  fdp_ok(dup2(fd, STDOUT_FILENO), "dup2 onto 1"); /* LEAK:stdout */
  close(fd);
  fputs("to the file\n", stdout);
  if (fclose(stdout) != 0)
    fdp_die("fclose(stdout)");
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_hidden DIR [stdout]");
  dir = argv[1];
  find_libc();
  replace_file();
  replace_socket();
  replace_pipe();
  leak_kept();
  close_hidden();
  if (argc > 2 && strcmp(argv[2], "stdout") == 0)
    stdout_closed_by_fclose();
  return 0;
}
