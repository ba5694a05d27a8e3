/* SPDX-License-Identifier: MIT
 * preload_alloc.c: a stand-in for jemalloc or tcmalloc preloaded ahead of
 * leakscope: it defines the malloc family itself (forwarding to glibc's
 * __libc_* entry points), so the program's allocations never reach
 * leakscope. leakscope must say so instead of reporting a clean run
 * (issue 13, item 7).
 */
#include <stddef.h>

/* The project builds with hidden visibility; these must be exported. */
#define EXPORT __attribute__((visibility("default")))

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

EXPORT void *malloc(size_t n) { return __libc_malloc(n); }
EXPORT void *calloc(size_t c, size_t n) { return __libc_calloc(c, n); }
EXPORT void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
EXPORT void free(void *p) { __libc_free(p); }
EXPORT void *memalign(size_t a, size_t n) { return __libc_memalign(a, n); }
EXPORT void *aligned_alloc(size_t a, size_t n) { return __libc_memalign(a, n); }
EXPORT int posix_memalign(void **out, size_t a, size_t n) {
  void *p = __libc_memalign(a, n);
  if (!p)
    return 12; /* ENOMEM */
  *out = p;
  return 0;
}
