/* SPDX-License-Identifier: MIT
 * read_file.c: the whole-file reader (see read_file.h).
 */
#include "read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "raw_syscall.h"

#if LS_HAVE_RAW_SYSCALL
static long open_ro(const char *path) {
  return sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
}
static long read_some(long fd, char *p, size_t n) { return sys3(SYS_read, fd, p, n); }
static void close_fd(long fd) { sys1(SYS_close, fd); }
static void wait_input(long fd, int ms) {
  struct pollfd pfd = {.fd = (int)fd, .events = POLLIN};
  sys3(SYS_poll, &pfd, 1, ms);
}
#else /* libc, keeping errno */
#include <unistd.h>
static long open_ro(const char *path) {
  LS_KEEP_ERRNO();
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  return fd < 0 ? -errno : fd;
}
static long read_some(long fd, char *p, size_t n) {
  LS_KEEP_ERRNO();
  ssize_t r = read((int)fd, p, n);
  return r < 0 ? -errno : r;
}
static void close_fd(long fd) {
  LS_KEEP_ERRNO();
  close((int)fd);
}
static void wait_input(long fd, int ms) {
  LS_KEEP_ERRNO();
  struct pollfd pfd = {.fd = (int)fd, .events = POLLIN};
  poll(&pfd, 1, ms);
}
#endif

#define WAIT_STEP_MS 100

long ls_read_small(const char *path, char *buf, size_t cap) {
  long fd = open_ro(path);
  if (fd < 0)
    return fd;
  size_t len = 0;
  while (len + 1 < cap) {
    long r = read_some(fd, buf + len, cap - 1 - len);
    if (r == -EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close_fd(fd);
  buf[len] = '\0';
  return (long)len;
}

int ls_read_file(const char *path, ls_mbuf_t *m, size_t first, size_t max, int wait_ms, int *err) {
  *err = 0;
  m->len = 0;
  if (!ls_mbuf_reserve(m, first < max ? first : max, first))
    return -ENOMEM;
  for (;;) {
    long fd = open_ro(path);
    if (fd < 0)
      return (int)fd;
    size_t room = m->cap < max ? m->cap : max;
    int end = LS_READ_WHOLE, waited = 0;
    m->len = 0;
    while (m->len < room) {
      long r = read_some(fd, m->p + m->len, room - m->len);
      if (r > 0) {
        m->len += (size_t)r;
      } else if (r == -EINTR) {
        continue;
      } else if (r == -EAGAIN && waited < wait_ms) {
        wait_input(fd, WAIT_STEP_MS);
        waited += WAIT_STEP_MS;
      } else {
        if (r == -EAGAIN)
          end = LS_READ_NO_EOF;
        else if (r < 0) {
          end = LS_READ_FAILED;
          *err = (int)-r;
        }
        break;
      }
    }
    close_fd(fd);
    if (m->len < room || end != LS_READ_WHOLE)
      return end;
    if (room == max)
      return LS_READ_CUT;
    /* Full: the file may go on. Start over in a bigger buffer. */
    if (!ls_mbuf_reserve(m, m->cap + 1, first)) {
      m->len = 0;
      return -ENOMEM;
    }
  }
}
