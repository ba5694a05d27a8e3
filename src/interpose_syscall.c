/* SPDX-License-Identifier: MIT
 * interpose_syscall.c: syscall(), for the system calls that create or
 * release a file descriptor.
 *
 * Programs and libraries reach the kernel through syscall(SYS_...) where
 * glibc has no wrapper (pidfd_open before 2.36, openat2, userfaultfd) or
 * where they want no cancellation point: libuv closes every fd with
 * syscall(SYS_close, fd). An fd made that way would go unseen, and one
 * closed that way would be reported as a leak ("node -e" showed eleven).
 *
 * Every other system call must cost nothing more than a forward. syscall()
 * is declared variadic, but on x86-64 (and aarch64) a variadic call
 * passes integer arguments exactly as a call of a function with seven
 * long parameters would, so it is defined with seven: the six argument
 * words arrive in their registers and on the stack (what glibc's own
 * syscall reads; words the caller did not pass are whatever its
 * registers held, and the kernel ignores them). One test of the number
 * picks the rare tracked calls; the rest are a tail call to the next
 * syscall() with the same words, in place. Tracked calls
 * follow the order rules of interpose_fd.c: record after success, forget
 * before the release, put back what a failed dup2/dup3 did not replace.
 * The stack of an fd made here starts at syscall()'s caller.
 */
/* <unistd.h>'s variadic prototype is renamed out of the way of the
 * definition at the end of this file (included here, so that no later
 * header brings it in under its own name). */
#define syscall ls_unistd_syscall
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#undef syscall

#include "interpose.h"
#include "track.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "syscall() is defined with fixed parameters: check the ABI passes variadic longs alike"
#endif

/* The next syscall(), or the kernel directly while this thread is still
 * resolving the real functions (another preload's dlsym may make system
 * calls through us then). Same contract as glibc's: -1 and errno on
 * failure. */
static LS_NOINLINE long raw_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

static inline long forward(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  if (ls_likely(ls_real_ensure() && ls_real.syscall))
    return ls_real.syscall(nr, a0, a1, a2, a3, a4, a5);
  return raw_syscall(nr, a0, a1, a2, a3, a4, a5);
}

static long raw_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
#if defined(__x86_64__)
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  if ((unsigned long)ret > -4096UL) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* The system calls this file tracks. A switch of constants: the compiler
 * makes it a range check and a bit test. */
static inline bool tracked(long nr) {
  switch (nr) {
#ifdef SYS_open
  case SYS_open:
  case SYS_creat:
  case SYS_dup2:
  case SYS_pipe:
  case SYS_eventfd:
  case SYS_signalfd:
  case SYS_epoll_create:
  case SYS_inotify_init:
#endif
  case SYS_openat:
  case SYS_openat2:
  case SYS_close:
  case SYS_close_range:
  case SYS_memfd_create:
  case SYS_pidfd_open:
  case SYS_pidfd_getfd:
  case SYS_eventfd2:
  case SYS_timerfd_create:
  case SYS_signalfd4:
  case SYS_epoll_create1:
  case SYS_inotify_init1:
  case SYS_userfaultfd:
  case SYS_socket:
  case SYS_socketpair:
  case SYS_accept:
  case SYS_accept4:
  case SYS_dup:
  case SYS_dup3:
  case SYS_pipe2:
  case SYS_fcntl: return true;
  default: return false;
  }
}

typedef struct args {
  long nr, a[6];
} args_t;

#define CALL(x) forward((x)->nr, (x)->a[0], (x)->a[1], (x)->a[2], (x)->a[3], (x)->a[4], (x)->a[5])

/* A new fd of `kind` from the call; rc is the call's result. */
static long made(const args_t *x, ls_fd_kind_t kind, int flags) {
  long rc = CALL(x);
  if (rc >= 0)
    ls_track_fd((int)rc, kind, flags, NULL);
  return rc;
}

/* pipe/pipe2 (fds at a[0]) and socketpair (fds at a[3]) fill two ints. */
static long made_pair(const args_t *x, int *fds, ls_fd_kind_t kind, int flags0, int flags1) {
  long rc = CALL(x);
  if (rc == 0) {
    ls_track_fd(fds[0], kind, flags0, NULL);
    ls_track_fd(fds[1], kind, flags1, NULL);
  }
  return rc;
}

/* dup2/dup3 over an open fd release it: forget it first, restore it if
 * the call failed. */
static long dup_over(const args_t *x, int flags) {
  int fd = (int)x->a[0], target = (int)x->a[1];
  ls_fd_entry_t old;
  bool had = fd != target && ls_track_fd_gone(target, &old);
  long rc = CALL(x);
  if (rc >= 0 && fd != target)
    ls_track_fd_dup(fd, (int)rc, flags);
  else if (rc < 0 && had)
    ls_track_fd_restore(target, &old);
  return rc;
}

/* The tracked calls, with the guard held. */
static long track(const args_t *x) {
  long *a = (long *)x->a;
  int cloexec;
  switch (x->nr) {
#ifdef SYS_open
  case SYS_open: return made(x, LS_FD_FILE, ls_open_flags((int)a[1]));
  case SYS_creat: return made(x, LS_FD_FILE, ls_open_flags(O_CREAT | O_WRONLY | O_TRUNC));
  case SYS_dup2: return dup_over(x, 0);
  case SYS_pipe:
    return made_pair(x, (int *)a[0], LS_FD_PIPE, O_RDONLY | LS_FD_ACCMODE_KNOWN,
                     O_WRONLY | LS_FD_ACCMODE_KNOWN);
  case SYS_eventfd: return made(x, LS_FD_EVENTFD, 0);
  case SYS_epoll_create: return made(x, LS_FD_EPOLL, 0);
  case SYS_inotify_init: return made(x, LS_FD_INOTIFY, 0);
  case SYS_signalfd: /* with an existing fd it changes its mask: nothing new */
    return (int)a[0] == -1 ? made(x, LS_FD_SIGNALFD, 0) : CALL(x);
#endif
  case SYS_openat: return made(x, LS_FD_FILE, ls_open_flags((int)a[2]));
  case SYS_openat2: {
    /* a[2] is the caller's struct open_how, which the kernel has read */
    const struct open_how *how = (const struct open_how *)a[2];
    long rc = CALL(x);
    if (rc >= 0)
      ls_track_fd((int)rc, LS_FD_FILE,
                  how && (size_t)a[3] >= sizeof how->flags ? ls_open_flags((int)how->flags) : 0,
                  NULL);
    return rc;
  }
  case SYS_memfd_create:
    return made(x, LS_FD_MEMFD, LS_FD_RDWR | (a[1] & MFD_CLOEXEC ? O_CLOEXEC : 0));
  /* No kind of their own: the report names them from the kernel's link
   * ("anon_inode:[pidfd]", "anon_inode:[userfaultfd]", or what the
   * fetched fd is). pidfd_getfd always sets close-on-exec. */
  case SYS_pidfd_open: return made(x, LS_FD_OTHER, 0);
  case SYS_pidfd_getfd: return made(x, LS_FD_OTHER, O_CLOEXEC);
  case SYS_userfaultfd: return made(x, LS_FD_OTHER, (int)a[0] & O_CLOEXEC);
  case SYS_eventfd2: return made(x, LS_FD_EVENTFD, (int)a[1]);
  case SYS_timerfd_create: return made(x, LS_FD_TIMERFD, (int)a[1]);
  case SYS_signalfd4: return (int)a[0] == -1 ? made(x, LS_FD_SIGNALFD, (int)a[3]) : CALL(x);
  case SYS_epoll_create1: return made(x, LS_FD_EPOLL, (int)a[0]);
  case SYS_inotify_init1: return made(x, LS_FD_INOTIFY, (int)a[0]);
  case SYS_socket: return made(x, LS_FD_SOCKET, LS_FD_RDWR | (a[1] & SOCK_CLOEXEC ? O_CLOEXEC : 0));
  case SYS_accept: return made(x, LS_FD_SOCKET, LS_FD_RDWR);
  case SYS_accept4:
    return made(x, LS_FD_SOCKET, LS_FD_RDWR | (a[3] & SOCK_CLOEXEC ? O_CLOEXEC : 0));
  case SYS_socketpair:
    cloexec = a[1] & SOCK_CLOEXEC ? O_CLOEXEC : 0;
    return made_pair(x, (int *)a[3], LS_FD_SOCKET, LS_FD_RDWR | cloexec, LS_FD_RDWR | cloexec);
  case SYS_pipe2:
    return made_pair(x, (int *)a[0], LS_FD_PIPE, (int)a[1] | O_RDONLY | LS_FD_ACCMODE_KNOWN,
                     (int)a[1] | O_WRONLY | LS_FD_ACCMODE_KNOWN);
  case SYS_dup: {
    long rc = CALL(x);
    if (rc >= 0)
      ls_track_fd_dup((int)a[0], (int)rc, 0);
    return rc;
  }
  case SYS_dup3: return dup_over(x, (int)a[2] & O_CLOEXEC);
  case SYS_fcntl: {
    if ((int)a[1] != F_DUPFD && (int)a[1] != F_DUPFD_CLOEXEC)
      return CALL(x);
    long rc = CALL(x);
    if (rc >= 0)
      ls_track_fd_dup((int)a[0], (int)rc, (int)a[1] == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
    return rc;
  }
  case SYS_close_range:
    if (!(a[2] & CLOSE_RANGE_CLOEXEC)) {
      unsigned limit = (unsigned)ls_fdtable_limit();
      for (unsigned fd = (unsigned)a[0]; fd <= (unsigned)a[1] && fd < limit; fd++)
        ls_track_fd_gone((int)fd, NULL);
    }
    return CALL(x);
  default: return CALL(x);
  }
}

/* Out of line, so that the untracked path of syscall() saves no register
 * for it. Its frame, or syscall()'s if the compiler makes this a tail
 * call, is the entry frame: at most one frame of ours above the caller,
 * which the stack walk cuts (stack.c). */
static LS_NOINLINE long tracked_call(long nr, long a0, long a1, long a2, long a3, long a4,
                                     long a5) {
  args_t x = {.nr = nr, .a = {a0, a1, a2, a3, a4, a5}};
  if (nr == SYS_close) {
    /* Recorded even inside a guarded call, like close(): the fd is gone
     * whatever the result (Linux releases it even on EINTR or EIO). Not in
     * a vfork child, whose fds are its own (interpose_vfork.c). */
    if (ls_real_ensure() && ls_tls.depth < LS_VFORK_DEPTH) {
      ls_guard_push();
      ls_track_fd_gone((int)a0, NULL);
      ls_guard_pop();
    }
    return CALL(&x);
  }
  if (!ls_real_ensure() || !ls_guard_enter())
    return CALL(&x);
  long rc = track(&x);
  ls_guard_leave();
  return rc;
}

LS_EXPORT long syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  if (ls_likely(!tracked(nr)))
    return forward(nr, a0, a1, a2, a3, a4, a5);
  return tracked_call(nr, a0, a1, a2, a3, a4, a5);
}
