/* SPDX-License-Identifier: MIT
 * interpose.h: the prologue every fd and stream interposer shares.
 *
 * LS_PASS_OR_ENTER(fn, fail, args...) returns `fail` with errno ENOSYS if
 * the real fn is missing from this libc, passes straight through to it
 * when the thread is already inside leakscope, and otherwise leaves the
 * caller holding the guard (it must call ls_guard_leave()).
 */
#ifndef LS_INTERPOSE_H
#define LS_INTERPOSE_H

#include <errno.h>

#include "guard.h"
#include "real.h"

#define LS_PASS_OR_ENTER(fn, fail, ...)                                 \
  do {                                                                  \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn)) {                \
      errno = ENOSYS;                                                   \
      return fail;                                                      \
    }                                                                   \
    if (!ls_guard_enter())                                              \
      return ls_real.fn(__VA_ARGS__);                                   \
  } while (0)

#endif
