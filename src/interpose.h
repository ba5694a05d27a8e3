/* SPDX-License-Identifier: MIT
 * interpose.h: the prologue every fd and stream interposer shares.
 *
 * LS_REAL_OR_FAIL(fn, fail) returns `fail` with errno ENOSYS if the real
 * fn cannot be called: the real functions are not resolved (a call before
 * our constructor, with dlsym unusable) or fn is missing from this libc.
 * Every interposer that sets errno on failure starts with it.
 *
 * LS_PASS_OR_ENTER(fn, fail, args...) is LS_REAL_OR_FAIL, then passes
 * straight through to the real fn when the thread is already inside
 * leakscope, and otherwise leaves the caller holding the guard (it must
 * call ls_guard_leave()).
 * Also the flags fd interposers record (ls_open_flags, LS_FD_RDWR).
 */
#ifndef LS_INTERPOSE_H
#define LS_INTERPOSE_H

#include <errno.h>
#include <fcntl.h>

#include "fdtable.h"
#include "guard.h"
#include "real.h"

/* The flags an fd opened with open flags f is recorded with: its access
 * mode is known (fdtable.h), except for O_PATH fds (the kernel ignores
 * the mode) and Linux's mode 3 (ioctl only). */
static inline int ls_open_flags(int f) {
  return (f & O_PATH) || (f & O_ACCMODE) == O_ACCMODE ? f : f | LS_FD_ACCMODE_KNOWN;
}

/* Sockets and memfds are always read-write; so are the files the mkstemp
 * family makes (glibc replaces any access mode in mkostemp's flags with
 * O_RDWR: callers mask theirs off). */
#define LS_FD_RDWR (O_RDWR | LS_FD_ACCMODE_KNOWN)

#define LS_REAL_OR_FAIL(fn, fail)                                                                  \
  do {                                                                                             \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn)) {                                           \
      errno = ENOSYS;                                                                              \
      return fail;                                                                                 \
    }                                                                                              \
  } while (0)

#define LS_PASS_OR_ENTER(fn, fail, ...)                                                            \
  do {                                                                                             \
    LS_REAL_OR_FAIL(fn, fail);                                                                     \
    if (!ls_guard_enter())                                                                         \
      return ls_real.fn(__VA_ARGS__);                                                              \
  } while (0)

#endif
