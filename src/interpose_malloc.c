/* SPDX-License-Identifier: MIT
 * interpose_malloc.c: the malloc family. Pure forwarding: guard, real call,
 * ls_track_*; no logic of its own beyond libc's argument semantics.
 *
 * Order rule: record an allocation after the real call succeeded; forget a
 * block before the real free (heaptrack's lesson: afterwards another thread
 * may already have been handed the same address).
 * malloc_usable_size is not interposed: blocks keep the real allocator's
 * layout, so its own answer is right.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "real.h"
#include "track.h"

/* Allocation wrapper body: `call` is the real call producing `p`. */
#define LS_ALLOC(size, call)                                                                       \
  do {                                                                                             \
    if (!ls_guard_enter())                                                                         \
      return call;                                                                                 \
    void *p_ = call;                                                                               \
    if (p_)                                                                                        \
      ls_track_alloc(p_, size);                                                                    \
    else                                                                                           \
      ls_track_alloc_failed();                                                                     \
    ls_guard_leave();                                                                              \
    return p_;                                                                                     \
  } while (0)

LS_EXPORT void *malloc(size_t n) {
  if (ls_unlikely(!ls_real_ensure()))
    return ls_boot_alloc(n, 16);
  LS_ALLOC(n, ls_real.malloc(n));
}

/* Our own malloc and free, whatever the program's symbol lookup finds
 * (lifecycle.c compares the two to notice an allocator loaded ahead). */
extern __typeof(malloc) ls_own_malloc
    __attribute__((alias("malloc"), visibility("hidden"), copy(malloc)));

LS_EXPORT void *calloc(size_t count, size_t n) {
  if (ls_unlikely(!ls_real_ensure())) {
    size_t total;
    if (__builtin_mul_overflow(count, n, &total)) {
      errno = ENOMEM;
      return NULL;
    }
    return ls_boot_alloc(total, 16);
  }
  /* An overflowing count*n makes the real calloc fail with ENOMEM and we
   * record nothing, so the product below is only used on success. */
  LS_ALLOC(count * n, ls_real.calloc(count, n));
}

/* Releases are recorded even inside leakscope or a guarded real call
 * (fclose frees the stream's buffer from inside libc): an entry left
 * behind would outlive its block and be reported, or collide with the
 * next block at that address. */
LS_EXPORT void free(void *p) {
  if (!p || ls_boot_owns(p))
    return;
  if (ls_unlikely(!ls_real_ensure()))
    return; /* cannot happen: only boot blocks exist before resolution */
  ls_guard_push();
  ls_track_free(p, NULL);
  ls_guard_pop();
  ls_real.free(p);
}

/* realloc of a bootstrap block: move it to the real heap. */
static void *realloc_boot(void *p, size_t n) {
  void *q = malloc(n);
  if (q) {
    size_t old = ls_boot_size(p);
    memcpy(q, p, old < n ? old : n);
  }
  return q;
}

LS_EXPORT void *realloc(void *p, size_t n) {
  if (ls_unlikely(!ls_real_ensure())) {
    void *q = ls_boot_alloc(n, 16);
    if (q && p)
      memcpy(q, p, ls_boot_size(p) < n ? ls_boot_size(p) : n);
    return q;
  }
  if (p && ls_boot_owns(p))
    return realloc_boot(p, n);
  /* Forget the old block first: once the real realloc returns, its address
   * may belong to another thread's new block. Then:
   *  - success from the program: a new block with the realloc's stack;
   *  - success inside a guarded call (libc resizing the program's block
   *    for it): the block keeps its stack, at its new address and size;
   *  - failure: the old block is still live, its entry goes back;
   *  - realloc(p, 0) frees p and returns NULL (glibc): nothing to record. */
  bool entered = ls_guard_enter();
  if (!entered)
    ls_guard_push();
  ls_block_t old;
  bool was_tracked = p && ls_track_free(p, &old);
  void *q = ls_real.realloc(p, n);
  if (q && entered) {
    ls_track_alloc(q, n);
  } else if (was_tracked && (q || n)) {
    if (q) {
      old.addr = (uintptr_t)q;
      old.size = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    ls_track_restore(&old);
  }
  if (entered)
    ls_guard_leave();
  else
    ls_guard_pop();
  return q;
}

LS_EXPORT void *reallocarray(void *p, size_t count, size_t n) {
  size_t total;
  if (__builtin_mul_overflow(count, n, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, total);
}

LS_EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  if (ls_unlikely(!ls_real_ensure())) {
    *out = ls_boot_alloc(n, align);
    return *out ? 0 : ENOMEM;
  }
  if (!ls_guard_enter())
    return ls_real.posix_memalign(out, align, n);
  int rc = ls_real.posix_memalign(out, align, n);
  if (rc == 0)
    ls_track_alloc(*out, n);
  ls_guard_leave();
  return rc;
}

LS_EXPORT void *aligned_alloc(size_t align, size_t n) {
  if (ls_unlikely(!ls_real_ensure()))
    return ls_boot_alloc(n, align);
  LS_ALLOC(n, ls_real.aligned_alloc(align, n));
}

LS_EXPORT void *memalign(size_t align, size_t n) {
  if (ls_unlikely(!ls_real_ensure()))
    return ls_boot_alloc(n, align);
  LS_ALLOC(n, ls_real.memalign(align, n));
}

LS_EXPORT void *valloc(size_t n) {
  if (ls_unlikely(!ls_real_ensure()))
    return ls_boot_alloc(n, 4096);
  LS_ALLOC(n, ls_real.valloc(n));
}

/* pvalloc reserves whole pages (at least one): the block the program owns
 * is that size, as malloc_usable_size says, and that is what a leak of it
 * costs, so that is what is recorded (pvalloc(5000) is 8192 bytes).
 * valloc does not round the size (glibc: memalign(page size, n)), so it
 * records n like every other call. */
LS_EXPORT void *pvalloc(size_t n) {
  size_t page = 4096;
  size_t rounded = n ? (n + page - 1) & ~(page - 1) : page;
  if (rounded < n)
    rounded = n; /* overflow: the real call fails anyway */
  if (ls_unlikely(!ls_real_ensure()))
    return ls_boot_alloc(rounded, 4096);
  LS_ALLOC(rounded, ls_real.pvalloc(n));
}
