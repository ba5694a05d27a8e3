/* SPDX-License-Identifier: MIT
 * debug.h: LS_DEBUG_ASSERT, invariants checked in the sanitizer builds.
 *
 * LS_DEBUG_ASSERT(cond) is compiled in when LS_DEBUG_ASSERTS is defined:
 * CMake defines it for the core in every LEAKSCOPE_SANITIZE build, which
 * tests/sanitize.sh runs the unit tests in (ASan+UBSan, TSan). Elsewhere
 * it compiles to nothing and does not evaluate cond, so it may sit on the
 * hot path and read atomics freely: the release library pays nothing.
 * A failed check writes one line (no stdio, no malloc: it may fire inside
 * an interposer) and aborts, which the sanitizer runtime reports with a
 * stack.
 */
#ifndef LS_DEBUG_H
#define LS_DEBUG_H

#ifdef LS_DEBUG_ASSERTS

#include <stdlib.h>

#include "out.h"

__attribute__((noreturn, cold)) static inline void
ls_debug_assert_fail(const char *cond, const char *file, int line) {
  char mem[512];
  ls_buf_t b;
  ls_buf_fixed(&b, mem, sizeof mem - 1);
  ls_buf_printf(&b, "leakscope: %s:%d: invariant broken: %s", file, line, cond);
  b.data[b.len++] = '\n'; /* the -1 above kept room for it */
  ls_write_all(2, b.data, b.len);
  abort();
}

#define LS_DEBUG_ASSERT(cond) ((cond) ? (void)0 : ls_debug_assert_fail(#cond, __FILE__, __LINE__))

#else

/* sizeof: cond is type-checked and its variables count as used, but it
 * is never evaluated. */
#define LS_DEBUG_ASSERT(cond) ((void)sizeof(cond))

#endif

#endif
