/* SPDX-License-Identifier: MIT
 * real.c: resolving the real functions, and the bootstrap arena that feeds
 * dlsym's own allocations while we resolve (see real.h).
 */
#include "real.h"

#include <dlfcn.h>
#include <string.h>

#include "out.h"

ls_real_fns_t ls_real;
_Atomic int ls_real_ready;

/* dlsym needs well under 1 KiB (heaptrack's pool is 1 KiB); a few threads
 * may race through resolution at once. */
_Alignas(16) char ls_boot_pool[LS_BOOT_POOL_BYTES];
static _Atomic size_t boot_used;

void *ls_boot_alloc(size_t size, size_t align) {
  if (align < 16)
    align = 16;
  /* relaxed: disjoint ranges; the memory is static and zero */
  size_t old = ls_atomic_load_relaxed(&boot_used);
  for (;;) {
    /* a 16-byte header in front of each block keeps its size for realloc */
    size_t start = (old + 16 + align - 1) & ~(align - 1);
    if (start + size > sizeof ls_boot_pool || size > sizeof ls_boot_pool)
      return NULL;
    if (ls_atomic_cas_weak_relaxed(&boot_used, &old, start + size)) {
      *(size_t *)(ls_boot_pool + start - 16) = size;
      return ls_boot_pool + start;
    }
  }
}

size_t ls_boot_size(const void *p) { return *(const size_t *)((const char *)p - 16); }

void ls_real_resolve(void) {
  ls_guard_push();
  ls_real_fns_t r;
#define LS_REAL_RESOLVE(req, ret, name, params)                                                    \
  r.name = (ret(*) params)dlsym(RTLD_NEXT, #name);                                                 \
  if ((req) && !r.name)                                                                            \
    ls_fatal("cannot find the real " #name " (dlsym(RTLD_NEXT) failed)");
  LS_REAL_FUNCS(LS_REAL_RESOLVE)
#undef LS_REAL_RESOLVE
  /* Several threads may resolve at once; they compute the same values, so
   * overlapping plain stores of identical pointers are harmless. */
  ls_real = r;
  /* release: the pointers before the flag; pairs with ls_real_ensure */
  ls_atomic_store_release(&ls_real_ready, 1);
  ls_guard_pop();
}
