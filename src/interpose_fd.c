/* SPDX-License-Identifier: MIT
 * interpose_fd.c: every call that creates or releases a file descriptor.
 * Pure forwarding: guard, real call, ls_track_fd*.
 *
 * Only calls through these public symbols are seen. libc's own internal
 * opens and closes (nss, getaddrinfo, syslog, fopen) use internal aliases
 * and are invisible to us, which is what we want for the former and why
 * the stream functions are wrapped separately (interpose_stream.c).
 * Release rule: forget the fd before the real close, so a number that
 * another thread gets from the kernel right after is never confused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "interpose.h"
#include "track.h"

/* Runs `call` (which yields an fd) and records the fd as `kind`. An
 * optional function missing from this libc fails with ENOSYS. */
#define LS_FD_NEW(fn, kind, flags, ...)                                                            \
  do {                                                                                             \
    LS_PASS_OR_ENTER(fn, -1, __VA_ARGS__);                                                         \
    int fd_ = ls_real.fn(__VA_ARGS__);                                                             \
    ls_track_fd(fd_, kind, flags, NULL);                                                           \
    ls_guard_leave();                                                                              \
    return fd_;                                                                                    \
  } while (0)

/* Runs `call` (which fills fds[0..1] and returns 0) and records both. */
#define LS_FD_PAIR(fn, kind, flags, fds, ...)                                                      \
  do {                                                                                             \
    LS_PASS_OR_ENTER(fn, -1, __VA_ARGS__);                                                         \
    int rc_ = ls_real.fn(__VA_ARGS__);                                                             \
    if (rc_ == 0) {                                                                                \
      ls_track_fd(fds[0], kind, flags, NULL);                                                      \
      ls_track_fd(fds[1], kind, flags, NULL);                                                      \
    }                                                                                              \
    ls_guard_leave();                                                                              \
    return rc_;                                                                                    \
  } while (0)

/* open's mode argument exists only with O_CREAT or O_TMPFILE. */
#define LS_OPEN_MODE(flags, mode)                                                                  \
  mode_t mode = 0;                                                                                 \
  if ((flags) & (O_CREAT | __O_TMPFILE)) {                                                         \
    va_list ap;                                                                                    \
    va_start(ap, flags);                                                                           \
    mode = va_arg(ap, mode_t);                                                                     \
    va_end(ap);                                                                                    \
  }

LS_EXPORT int open(const char *path, int flags, ...) {
  LS_OPEN_MODE(flags, mode);
  LS_FD_NEW(open, LS_FD_FILE, ls_open_flags(flags), path, flags, mode);
}

LS_EXPORT int open64(const char *path, int flags, ...) {
  LS_OPEN_MODE(flags, mode);
  LS_FD_NEW(open64, LS_FD_FILE, ls_open_flags(flags), path, flags, mode);
}

LS_EXPORT int openat(int dirfd, const char *path, int flags, ...) {
  LS_OPEN_MODE(flags, mode);
  LS_FD_NEW(openat, LS_FD_FILE, ls_open_flags(flags), dirfd, path, flags, mode);
}

LS_EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
  LS_OPEN_MODE(flags, mode);
  LS_FD_NEW(openat64, LS_FD_FILE, ls_open_flags(flags), dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE builds call these when the flags are not constant. */
LS_EXPORT int __open_2(const char *path, int flags) {
  LS_FD_NEW(__open_2, LS_FD_FILE, ls_open_flags(flags), path, flags);
}

LS_EXPORT int __open64_2(const char *path, int flags) {
  LS_FD_NEW(__open64_2, LS_FD_FILE, ls_open_flags(flags), path, flags);
}

LS_EXPORT int __openat_2(int dirfd, const char *path, int flags) {
  LS_FD_NEW(__openat_2, LS_FD_FILE, ls_open_flags(flags), dirfd, path, flags);
}

LS_EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
  LS_FD_NEW(__openat64_2, LS_FD_FILE, ls_open_flags(flags), dirfd, path, flags);
}

LS_EXPORT int creat(const char *path, mode_t mode) {
  LS_FD_NEW(creat, LS_FD_FILE, ls_open_flags(O_CREAT | O_WRONLY | O_TRUNC), path, mode);
}

LS_EXPORT int creat64(const char *path, mode_t mode) {
  LS_FD_NEW(creat64, LS_FD_FILE, ls_open_flags(O_CREAT | O_WRONLY | O_TRUNC), path, mode);
}

LS_EXPORT int socket(int domain, int type, int protocol) {
  LS_FD_NEW(socket, LS_FD_SOCKET, LS_FD_RDWR | (type & SOCK_CLOEXEC ? O_CLOEXEC : 0), domain, type,
            protocol);
}

LS_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  LS_FD_NEW(accept, LS_FD_SOCKET, LS_FD_RDWR, fd, addr, len);
}

LS_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  LS_FD_NEW(accept4, LS_FD_SOCKET, LS_FD_RDWR | (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0), fd, addr,
            len, flags);
}

LS_EXPORT int epoll_create(int size) { LS_FD_NEW(epoll_create, LS_FD_EPOLL, 0, size); }

LS_EXPORT int epoll_create1(int flags) { LS_FD_NEW(epoll_create1, LS_FD_EPOLL, flags, flags); }

LS_EXPORT int eventfd(unsigned int count, int flags) {
  LS_FD_NEW(eventfd, LS_FD_EVENTFD, flags, count, flags);
}

LS_EXPORT int timerfd_create(int clock, int flags) {
  LS_FD_NEW(timerfd_create, LS_FD_TIMERFD, flags, clock, flags);
}

LS_EXPORT int inotify_init(void) { LS_FD_NEW(inotify_init, LS_FD_INOTIFY, 0); }

LS_EXPORT int inotify_init1(int flags) { LS_FD_NEW(inotify_init1, LS_FD_INOTIFY, flags, flags); }

LS_EXPORT int memfd_create(const char *name, unsigned int flags) {
  LS_FD_NEW(memfd_create, LS_FD_MEMFD, LS_FD_RDWR | (flags & MFD_CLOEXEC ? O_CLOEXEC : 0), name,
            flags);
}

/* The mkstemp family opens its file inside libc, out of our sight. */
LS_EXPORT int mkstemp(char *tmpl) { LS_FD_NEW(mkstemp, LS_FD_FILE, LS_FD_RDWR, tmpl); }
LS_EXPORT int mkstemp64(char *tmpl) { LS_FD_NEW(mkstemp64, LS_FD_FILE, LS_FD_RDWR, tmpl); }
LS_EXPORT int mkostemp(char *tmpl, int flags) {
  LS_FD_NEW(mkostemp, LS_FD_FILE, LS_FD_RDWR | (flags & ~O_ACCMODE), tmpl, flags);
}
LS_EXPORT int mkostemp64(char *tmpl, int flags) {
  LS_FD_NEW(mkostemp64, LS_FD_FILE, LS_FD_RDWR | (flags & ~O_ACCMODE), tmpl, flags);
}
LS_EXPORT int mkstemps(char *tmpl, int suffix) {
  LS_FD_NEW(mkstemps, LS_FD_FILE, LS_FD_RDWR, tmpl, suffix);
}
LS_EXPORT int mkostemps(char *tmpl, int suffix, int flags) {
  LS_FD_NEW(mkostemps, LS_FD_FILE, LS_FD_RDWR | (flags & ~O_ACCMODE), tmpl, suffix, flags);
}

/* signalfd(-1, ...) creates an fd; signalfd(fd, ...) changes an existing
 * one's mask and returns it, which is not a new resource. */
LS_EXPORT int signalfd(int fd, const sigset_t *mask, int flags) {
  if (fd != -1) {
    LS_REAL_OR_FAIL(signalfd, -1);
    return ls_real.signalfd(fd, mask, flags);
  }
  LS_FD_NEW(signalfd, LS_FD_SIGNALFD, flags, fd, mask, flags);
}

/* A pipe created from inside leakscope is libunwind's: Debian builds it
 * with conservative checks, and it validates addresses by writing them to
 * a private pipe, which it opens when it initialises and re-creates when a
 * read from it fails (libunwind 1.6, x86_64/Ginit.c). Two rules follow.
 *
 * The pipe is not made while leakscope sets the unwinder up at start:
 * libunwind gets {-1, -1} and success, and makes the real pipe the first
 * time it validates an address, which only happens when its DWARF step
 * fails and it guesses a frame (rare: leakscope's own unwinder walks most
 * stacks, and libunwind's fast path does not validate). Held from the
 * start, the pipe would cost every program two of its RLIMIT_NOFILE
 * descriptors: at the limit it would hit EMFILE two opens early.
 *
 * When it is made, it is moved to the top of the fd range, where programs
 * do not reach (Valgrind keeps its own fds there too): at the low numbers
 * the kernel hands out, a program that closes every fd and opens its own
 * would have libunwind read from and write into the program's fd. */
static void move_high(int fds[2]) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64)
    return;
  int base = (int)(rl.rlim_cur > 65536 ? 65536 : rl.rlim_cur) - 16;
  for (int i = 0; i < 2; i++) {
    int high = ls_real.fcntl(fds[i], F_DUPFD_CLOEXEC, base);
    if (high >= 0) {
      ls_real.close(fds[i]);
      fds[i] = high;
    }
  }
}

/* pipe and pipe2 share their body: `flags` is 0 for pipe. */
static int make_pipe(int fds[2], int flags, bool two) {
  if (two)
    LS_REAL_OR_FAIL(pipe2, -1);
  else
    LS_REAL_OR_FAIL(pipe, -1);
  if (!ls_guard_enter()) {
    if (ls_tls.depth && ls_track_unwinder_starting()) {
      fds[0] = fds[1] = -1;
      return 0;
    }
    int rc = two ? ls_real.pipe2(fds, flags) : ls_real.pipe(fds);
    if (rc == 0 && ls_tls.depth)
      move_high(fds);
    return rc;
  }
  int rc = two ? ls_real.pipe2(fds, flags) : ls_real.pipe(fds);
  if (rc == 0) {
    /* O_DIRECT and O_NONBLOCK are pipe2's only file flags: no access mode */
    ls_track_fd(fds[0], LS_FD_PIPE, flags | O_RDONLY | LS_FD_ACCMODE_KNOWN, NULL);
    ls_track_fd(fds[1], LS_FD_PIPE, flags | O_WRONLY | LS_FD_ACCMODE_KNOWN, NULL);
  }
  ls_guard_leave();
  return rc;
}

LS_EXPORT int pipe(int fds[2]) { return make_pipe(fds, 0, false); }

LS_EXPORT int pipe2(int fds[2], int flags) { return make_pipe(fds, flags, true); }

LS_EXPORT int socketpair(int domain, int type, int protocol, int fds[2]) {
  LS_FD_PAIR(socketpair, LS_FD_SOCKET, LS_FD_RDWR | (type & SOCK_CLOEXEC ? O_CLOEXEC : 0), fds,
             domain, type, protocol, fds);
}

LS_EXPORT int dup(int fd) {
  LS_PASS_OR_ENTER(dup, -1, fd);
  int nfd = ls_real.dup(fd);
  ls_track_fd_dup(fd, nfd, 0);
  ls_guard_leave();
  return nfd;
}

/* dup2/dup3 over an open fd closes it implicitly: forget it first, and put
 * it back if the call fails before replacing it. */
static int dup_over(int fd, int target, int flags, bool three) {
  if (three)
    LS_REAL_OR_FAIL(dup3, -1);
  else
    LS_REAL_OR_FAIL(dup2, -1);
  if (!ls_guard_enter())
    return three ? ls_real.dup3(fd, target, flags) : ls_real.dup2(fd, target);
  ls_fd_entry_t old;
  bool had = fd != target && ls_track_fd_gone(target, &old);
  int rc = three ? ls_real.dup3(fd, target, flags) : ls_real.dup2(fd, target);
  if (rc >= 0 && fd != target)
    ls_track_fd_dup(fd, rc, flags);
  else if (rc < 0 && had)
    ls_track_fd_restore(target, &old);
  ls_guard_leave();
  return rc;
}

LS_EXPORT int dup2(int fd, int target) { return dup_over(fd, target, 0, false); }

LS_EXPORT int dup3(int fd, int target, int flags) { return dup_over(fd, target, flags, true); }

/* fcntl's third argument is an int, a pointer or absent depending on cmd;
 * reading it as a long and passing it on is what libc itself does. Only
 * F_DUPFD and F_DUPFD_CLOEXEC create an fd. */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, long arg) {
  if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
    return real(fd, cmd, arg);
  if (!ls_guard_enter())
    return real(fd, cmd, arg);
  int nfd = real(fd, cmd, arg);
  ls_track_fd_dup(fd, nfd, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
  ls_guard_leave();
  return nfd;
}

LS_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  LS_REAL_OR_FAIL(fcntl, -1);
  return fcntl_common(ls_real.fcntl, fd, cmd, arg);
}

LS_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  LS_REAL_OR_FAIL(fcntl64, -1);
  return fcntl_common(ls_real.fcntl64, fd, cmd, arg);
}

/* fds passed over a unix socket (SCM_RIGHTS) are new fds of this process. */
LS_EXPORT ssize_t recvmsg(int sock, struct msghdr *msg, int flags) {
  LS_PASS_OR_ENTER(recvmsg, -1, sock, msg, flags);
  ssize_t n = ls_real.recvmsg(sock, msg, flags);
  if (n >= 0 && msg->msg_controllen) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        ls_track_fd(fd, LS_FD_OTHER, flags & MSG_CMSG_CLOEXEC ? O_CLOEXEC : 0, NULL);
      }
    }
  }
  ls_guard_leave();
  return n;
}

LS_EXPORT int close(int fd) {
  LS_REAL_OR_FAIL(close, -1);
  /* A vfork child's fds are its own copy; the records are its parent's. */
  if (ls_unlikely(ls_tls.depth >= LS_VFORK_DEPTH))
    return ls_real.close(fd);
  /* Recorded even inside a guarded call, like free. Linux releases the fd
   * even when close fails (EINTR, EIO), so the entry is not put back. */
  ls_guard_push();
  ls_track_fd_gone(fd, NULL);
  ls_guard_pop();
  return ls_real.close(fd);
}

/* Forgets every tracked fd in [first, last] before a range close. */
static void forget_range(unsigned first, unsigned last) {
  unsigned limit = (unsigned)ls_fdtable_limit();
  for (unsigned fd = first; fd <= last && fd < limit; fd++)
    ls_track_fd_gone((int)fd, NULL);
}

LS_EXPORT int close_range(unsigned int first, unsigned int last, int flags) {
  LS_PASS_OR_ENTER(close_range, -1, first, last, flags);
  if (!(flags & CLOSE_RANGE_CLOEXEC))
    forget_range(first, last);
  int rc = ls_real.close_range(first, last, flags);
  ls_guard_leave();
  return rc;
}

LS_EXPORT void closefrom(int low) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.closefrom))
    return;
  if (ls_guard_enter()) {
    forget_range(low < 0 ? 0 : (unsigned)low, ~0u);
    ls_guard_leave();
  }
  ls_real.closefrom(low);
}
