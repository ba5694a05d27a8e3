/* SPDX-License-Identifier: MIT
 * prog_fd_streams.c: leaks one FILE* from each of fopen, fopen64, fdopen,
 * freopen, tmpfile and popen, and one DIR* from each of opendir and
 * fdopendir.
 *
 * A stream left open is one leak, of resource "stream" or "dir", carrying
 * its fd: neither its FILE/DIR structure nor the I/O buffer the first
 * fgets/fprintf allocates may show up as a heap leak of this file. fdopen
 * and fdopendir take over an fd from open(), and freopen replaces the fd of
 * a stream from fopen(): those first calls' lines must stay clean.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdprog.h"

static const char *dir;

PROG_LEAKY static void leak_fopen(void) {
  const char *path = fdp_path(dir, "fopen");
  fdp_write_file(path, "a line to read\n");
  FILE *f = fopen(path, "r"); /* LEAK:fopen */
  char line[64];
  if (!f || !fgets(line, sizeof(line), f))
    fdp_die("fopen + fgets");
  fdp_say("fopen", fileno(f), path);
}

PROG_LEAKY static void leak_fopen64(void) {
  const char *path = fdp_path(dir, "fopen64");
  FILE *f = fopen64(path, "w"); /* LEAK:fopen64 */
  if (!f || fprintf(f, "buffered until exit %d\n", 42) < 0)
    fdp_die("fopen64 + fprintf");
  fdp_say("fopen64", fileno(f), path);
}

PROG_LEAKY static void leak_fdopen(void) {
  const char *path = fdp_path(dir, "fdopen");
  int fd = fdp_ok(open(path, O_RDWR | O_CREAT, 0600), "open"); /* LEAK:fdopen_fd */
  FILE *f = fdopen(fd, "r+"); /* LEAK:fdopen */
  if (!f || fputs("through the stream\n", f) < 0)
    fdp_die("fdopen + fputs");
  fdp_say("fdopen", fileno(f), path);
}

PROG_LEAKY static void leak_freopen(void) {
  fdp_write_file(fdp_path(dir, "freopen_orig"), "first\n");
  FILE *f = fopen(fdp_path(dir, "freopen_orig"), "r"); /* LEAK:freopen_orig */
  if (!f)
    fdp_die("fopen");
  const char *path = fdp_path(dir, "freopen");
  f = freopen(path, "w", f); /* LEAK:freopen */
  if (!f)
    fdp_die("freopen");
  fdp_say("freopen", fileno(f), path);
}

/* tmpfile's name is the kernel's ("/tmp/#123 (deleted)"). */
PROG_LEAKY static void leak_tmpfile(void) {
  FILE *f = tmpfile(); /* LEAK:tmpfile */
  if (!f)
    fdp_die("tmpfile");
  fdp_say_link("tmpfile", fileno(f));
}

/* The child exits at once; the read end stays open. */
PROG_LEAKY static void leak_popen(void) {
  FILE *f = popen("true", "r"); /* LEAK:popen */
  if (!f)
    fdp_die("popen");
  fdp_say_inode("popen", fileno(f), "pipe");
}

PROG_LEAKY static void leak_opendir(void) {
  DIR *d = opendir(dir); /* LEAK:opendir */
  if (!d || !readdir(d))
    fdp_die("opendir + readdir");
  fdp_say("opendir", dirfd(d), dir);
}

PROG_LEAKY static void leak_fdopendir(void) {
  const char *path = fdp_path(dir, "sub");
  fdp_ok(mkdir(path, 0700), "mkdir");
  int fd = fdp_ok(open(path, O_RDONLY | O_DIRECTORY), "open dir"); /* LEAK:fdopendir_fd */
  DIR *d = fdopendir(fd); /* LEAK:fdopendir */
  if (!d || !readdir(d))
    fdp_die("fdopendir + readdir");
  fdp_say("fdopendir", dirfd(d), fdp_path(dir, "sub"));
}

int main(int argc, char **argv) {
  if (argc < 2)
    fdp_die("usage: prog_fd_streams DIR");
  dir = argv[1];
  leak_fopen();
  leak_fopen64();
  leak_fdopen();
  leak_freopen();
  leak_tmpfile();
  leak_popen();
  leak_opendir();
  leak_fdopendir();
  return 0;
}
