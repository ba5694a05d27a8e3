/* SPDX-License-Identifier: MIT
 * common.h: macros every leakscope source file uses.
 *
 * Internal names are ls_-prefixed and hidden (the build sets default
 * visibility to hidden); only LS_EXPORT symbols leave the library: the
 * interposed libc names and the public leakscope_* API.
 */
#ifndef LS_COMMON_H
#define LS_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_EXPORT __attribute__((visibility("default")))
#define LS_NOINLINE __attribute__((noinline))
#define LS_ALWAYS_INLINE inline __attribute__((always_inline))
#define LS_COLD __attribute__((cold))
#define ls_likely(x) __builtin_expect(!!(x), 1)
#define ls_unlikely(x) __builtin_expect(!!(x), 0)
#define LS_STATIC_ASSERT(c, msg) _Static_assert(c, msg)
#define LS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LS_CACHE_LINE 64

/* LS_KEEP_ERRNO(): the value errno has here is put back when the
 * enclosing block is left, by any path (GCC's cleanup attribute; it runs
 * after a return value is computed). Code that runs inside the program's
 * calls or in a signal handler starts with it, so the program never sees
 * an errno of ours. */
static inline void ls_errno_put_back(const int *saved) { errno = *saved; }
#define LS_KEEP_ERRNO()                                                                            \
  const int ls_saved_errno_ __attribute__((cleanup(ls_errno_put_back))) = errno

/* Write msg to stderr with write(2) and abort. Never allocates. */
LS_COLD __attribute__((noreturn)) void ls_fatal(const char *msg);

#endif
