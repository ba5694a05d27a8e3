/* SPDX-License-Identifier: MIT
 * api_shim.c: libleakscope_api.a, for test binaries that call the API but
 * may run without leakscope (the "inactive" case).
 *
 * Link it instead of -lleakscope. Each function forwards to the real one
 * when libleakscope.so is loaded (preloaded, or linked too): the
 * executable's definitions here take precedence, and dlsym(RTLD_NEXT)
 * finds the library's. Without the library each returns the documented
 * "inactive" answer. Never allocates; safe before main.
 */
#include <dlfcn.h>
#include <string.h>

#include "atomic.h"
#include "leakscope.h"

/* X(return type, name, parameters, arguments, inactive statement) */
/* clang-format off */
#define LS_API(X)                                                                             \
  X(bool, leakscope_active, (void), (), return false)                                         \
  X(const char *, leakscope_version, (void), (), return "inactive")                           \
  X(int, leakscope_stats, (leakscope_stats_t * out), (out),                                   \
    memset(out, 0, sizeof *out); return -1)                                                   \
  X(leakscope_checkpoint_t, leakscope_checkpoint, (void), (), return 0)                       \
  X(int, leakscope_count_since,                                                               \
    (leakscope_checkpoint_t cp, leakscope_scope_t scope, leakscope_counts_t * out),           \
    (cp, scope, out), memset(out, 0, sizeof *out); return -1)                                 \
  X(int, leakscope_count_kinds_since,                                                         \
    (leakscope_checkpoint_t cp, leakscope_scope_t scope, leakscope_kind_counts_t * out),      \
    (cp, scope, out), memset(out, 0, sizeof *out); return -1)                                 \
  X(int, leakscope_report_fd,                                                                 \
    (int fd, leakscope_checkpoint_t cp, leakscope_scope_t scope, unsigned kinds,              \
     leakscope_format_t format),                                                              \
    (fd, cp, scope, kinds, format), return -1)                                                \
  X(int, leakscope_report_file,                                                               \
    (FILE * stream, leakscope_checkpoint_t cp, leakscope_scope_t scope, unsigned kinds,       \
     leakscope_format_t format),                                                              \
    (stream, cp, scope, kinds, format), return -1)                                            \
  X(int, leakscope_report_path,                                                               \
    (const char *path, leakscope_checkpoint_t cp, leakscope_scope_t scope, unsigned kinds,    \
     leakscope_format_t format),                                                              \
    (path, cp, scope, kinds, format), return -1)                                              \
  X(int, leakscope_keep, (const void *p), (p), return -1)                                     \
  X(uint64_t, leakscope_sample_interval, (void), (), return 0)                                \
  X(int, leakscope_estimate_since,                                                            \
    (leakscope_checkpoint_t cp, leakscope_scope_t scope, leakscope_estimate_t * out),         \
    (cp, scope, out), memset(out, 0, sizeof *out); return -1)                                 \
  X(void, leakscope_pause, (void), (), return)                                                \
  X(void, leakscope_resume, (void), (), return)
/* clang-format on */

/* The real function, looked up once. A racing first call may look it up
 * twice; both get the same pointer. (void *)1 marks "not there". */
#define LS_SHIM(ret, name, params, args, inactive)                                                 \
  LEAKSCOPE_EXPORT ret name params {                                                               \
    static _Atomic(void *) real;                                                                   \
    /* acquire: pairs with the release store (a pointer from dlsym) */                             \
    void *fn = ls_atomic_load_acquire(&real);                                                      \
    if (!fn) {                                                                                     \
      fn = dlsym(RTLD_NEXT, #name);                                                                \
      ls_atomic_store_release(&real, fn ? fn : (void *)1);                                         \
    }                                                                                              \
    if (fn && fn != (void *)1)                                                                     \
      return ((ret(*) params)fn)args;                                                              \
    inactive;                                                                                      \
  }
LS_API(LS_SHIM)
