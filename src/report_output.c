/* SPDX-License-Identifier: MIT
 * report_output.c: the report lock and the bytes' way out (see
 * report_output.h): file replacement, in-place append, the original
 * stderr.
 */
#include "report_output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "clock.h"
#include "config.h"
#include "fdtable.h"
#include "keptfd.h"

static _Atomic int report_lock;

void ls_report_lock(void) {
  int expected = 0;
  /* acquire: pairs with the release in ls_report_unlock */
  while (!ls_atomic_cas_acq_rel(&report_lock, &expected, 1)) {
    expected = 0;
    usleep(1000);
  }
}

void ls_report_unlock(void) { ls_atomic_store_release(&report_lock, 0); }

/* Every path leakscope writes is opened this way: never through a
 * symlink, never inherited, never blocking in open (a FIFO without a
 * reader fails with ENXIO instead of waiting). */
#define OPEN_FLAGS (O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ls_output_write_bounded(int fd, const void *data, size_t len) {
  const char *p = data;
  int64_t deadline = now_ms() + LS_OUTPUT_WAIT_MS;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n >= 0) {
      p += n;
      len -= (size_t)n;
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN)
      return -errno;
    int64_t left = deadline - now_ms();
    if (left <= 0)
      return -EAGAIN;
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    poll(&pfd, 1, (int)left);
  }
  return 0;
}

/* Whether this process holds the file `st` open on some fd (other than
 * `except`): then the file must keep its identity (`prog >> out` with
 * LEAKSCOPE_OUTPUT=out, a program's own log). Other processes holding it
 * cannot be seen cheaply; that is the one case the rename still changes. */
static bool held_by_us(const struct stat *st, int except) {
  int n = ls_fdtable_limit() > 1024 ? ls_fdtable_limit() : 1024;
  for (int fd = 0; fd < n; fd++) {
    struct stat other;
    if (fd != except && !ls_kept_owns(fd) && fstat(fd, &other) == 0 && other.st_ino == st->st_ino &&
        other.st_dev == st->st_dev)
      return true;
  }
  return false;
}

/* Appends b to the file at path so that a reader, or a crash, never sees
 * half of it: under an flock, a temporary file in the same directory gets
 * the old content plus the report and is renamed over the file. A kill
 * at any point leaves the old file or the new one (and at worst a stray
 * temporary). Only for a regular file with one name that this process
 * does not hold open: a device (/dev/null!), a hard-linked file or a file
 * the program writes to itself must keep its identity. Returns 0, or
 * -errno; -EXDEV means "not a file to replace" (the caller then appends in
 * place, with one write). */
static int replace_with_appended(int dir, const char *path, const ls_buf_t *b) {
  for (int attempt = 0; attempt < 8; attempt++) {
    int fd = openat(dir, path, O_RDWR | O_CREAT | OPEN_FLAGS, 0600);
    if (fd < 0)
      return errno == ENXIO || errno == EWOULDBLOCK ? -EXDEV : -errno;
    struct stat held, now;
    if (fstat(fd, &held) != 0 || !S_ISREG(held.st_mode) || held.st_nlink != 1 ||
        held_by_us(&held, fd)) {
      close(fd);
      return -EXDEV;
    }
    /* Another writer may have renamed a new file in while we waited for
     * the lock of the old one: then start again on the new one. */
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &held) != 0 || fstatat(dir, path, &now, 0) != 0 ||
        held.st_ino != now.st_ino || held.st_dev != now.st_dev) {
      close(fd);
      continue;
    }
    char tmp[4200];
    ls_buf_t tb;
    ls_buf_fixed(&tb, tmp, sizeof tmp - 1);
    ls_buf_printf(&tb, "%s.tmp.%d", path, getpid());
    tmp[tb.len] = '\0';
    int out = tb.truncated ? -1 : openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | OPEN_FLAGS, 0600);
    struct stat ost;
    if (out >= 0 && (fstat(out, &ost) != 0 || !S_ISREG(ost.st_mode))) {
      close(out); /* something else sits at the temporary's name */
      out = -1;
      errno = EEXIST;
    }
    if (out < 0) {
      int err = tb.truncated ? ENAMETOOLONG : errno;
      close(fd);
      return -err;
    }
    int rc = 0;
    off_t in_off = 0;
    /* A pprof profile is one protobuf message: two in one file would read
     * as one broken profile. Each report replaces the previous one. */
    if (ls_config.format == LS_FORMAT_PPROF)
      in_off = held.st_size;
    while (rc == 0 && in_off < held.st_size) {
      ssize_t n = copy_file_range(fd, &in_off, out, NULL, (size_t)(held.st_size - in_off), 0);
      if (n <= 0)
        rc = n < 0 && errno != EINTR ? -errno : (n == 0 ? -EIO : 0);
    }
    if (rc == 0)
      rc = ls_write_all(out, b->data, b->len);
    fchmod(out, held.st_mode & 07777);
    close(out);
    if (rc == 0 && renameat(dir, tmp, dir, path) != 0)
      rc = -errno;
    if (rc != 0)
      unlinkat(dir, tmp, 0);
    close(fd); /* drops the lock */
    return rc;
  }
  return -EAGAIN;
}

/* One append in place, for what must keep its identity or cannot be
 * replaced: never blocks (O_NONBLOCK, bounded waits), and a regular file
 * is cut back to its old length if the write fails. */
static int append_in_place(int dir, const char *path, const ls_buf_t *b) {
  int fd = openat(dir, path, O_WRONLY | O_APPEND | OPEN_FLAGS);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    close(fd);
    return -EISDIR;
  }
  bool regular = S_ISREG(st.st_mode);
  off_t start = regular ? lseek(fd, 0, SEEK_END) : -1;
  int rc = ls_output_write_bounded(fd, b->data, b->len);
  if (rc < 0 && start >= 0)
    (void)ftruncate(fd, start); /* never leave half a report */
  close(fd);
  return rc;
}

/* Where an absolute report path is looked up: the root the program
 * started with, even after it chroot()ed (the path the user gave names a
 * file of that tree); *path then becomes relative to it. AT_FDCWD and the
 * path unchanged otherwise. */
static int output_dir(const char **path) {
  int root = ls_kept_root();
  struct stat now, kept;
  if ((*path)[0] != '/' || root < 0 || fstat(root, &kept) != 0 || stat("/", &now) != 0 ||
      (now.st_dev == kept.st_dev && now.st_ino == kept.st_ino))
    return AT_FDCWD;
  while (**path == '/')
    (*path)++;
  return root;
}

/* To the original stderr; -EBADF when the program took it away. */
static int to_stderr(const ls_buf_t *b) {
  int fd = ls_kept_stderr();
  return fd < 0 ? -EBADF : ls_output_write_bounded(fd, b->data, b->len);
}

int ls_report_output(const ls_buf_t *b) {
  char path[LS_OUTPUT_PATH_MAX];
  if (!ls_config.output) {
    int rc = to_stderr(b);
    if (rc < 0)
      ls_warn("the report could not be written to stderr (%s)", strerror(-rc));
    return rc;
  }
  int rc;
  if (!ls_config_expand_output(ls_config.output, getpid(), path, sizeof path)) {
    ls_warn("report path too long; writing the report to stderr");
    rc = -ENAMETOOLONG;
  } else {
    const char *rel = path;
    int dir = output_dir(&rel);
    rc = replace_with_appended(dir, rel, b);
    if (rc == -EXDEV || rc == -EACCES || rc == -EPERM || rc == -EROFS || rc == -ENAMETOOLONG ||
        rc == -EAGAIN || rc == -EMFILE || rc == -ENFILE || rc == -EEXIST)
      /* Not a file to replace, or a directory not ours to write: append in
       * place, one write, as the next best thing. */
      rc = append_in_place(dir, rel, b);
    if (rc < 0)
      ls_warn("cannot write report file '%s' (%s); writing the report to stderr", path,
              strerror(-rc));
  }
  if (rc < 0) {
    int err = to_stderr(b);
    if (err < 0)
      ls_warn("the report could not be written anywhere (%s)", strerror(-err));
    return err;
  }
  return 0;
}
