/* SPDX-License-Identifier: MIT
 * arena.c: mmap-backed bookkeeping memory (see arena.h).
 * The arena is a list of 1 MiB chunks with an atomic bump pointer; a
 * racing thread that finds the chunk full installs a new one with CAS and
 * the loser unmaps its spare. Nothing here ever calls malloc.
 */
#include "arena.h"

#include <sys/mman.h>

#include "atomic.h"

#define LS_CHUNK_SIZE (1u << 20)

typedef struct chunk {
  _Atomic size_t used; /* bytes handed out, header included */
} chunk_t;

static _Atomic(chunk_t *) current;

void *ls_map(size_t size) {
  size = (size + 4095) & ~(size_t)4095;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void ls_unmap(void *p, size_t size) {
  size = (size + 4095) & ~(size_t)4095;
  munmap(p, size);
}

void *ls_arena_alloc(size_t size, size_t align) {
  if (size > LS_CHUNK_SIZE / 2)
    return ls_map(size);
  for (;;) {
    /* acquire: pairs with the release CAS that installed the chunk, so its
     * header is initialised */
    chunk_t *c = ls_atomic_load_acquire(&current);
    if (c) {
      /* relaxed: the bump only hands out disjoint ranges; the memory
       * itself is fresh from mmap (zero) */
      size_t old = ls_atomic_load_relaxed(&c->used);
      for (;;) {
        size_t start = (old + align - 1) & ~(align - 1);
        if (start + size > LS_CHUNK_SIZE)
          break;
        if (ls_atomic_cas_weak_relaxed(&c->used, &old, start + size))
          return (char *)c + start;
      }
    }
    chunk_t *fresh = ls_map(LS_CHUNK_SIZE);
    if (!fresh)
      return NULL;
    ls_atomic_init(&fresh->used, sizeof(chunk_t)); /* published by the CAS */
    /* release: publishes the initialised header; pairs with the acquire
     * load above (and the failure acquire: c is the winner's chunk) */
    if (!ls_atomic_cas_acq_rel(&current, &c, fresh))
      ls_unmap(fresh, LS_CHUNK_SIZE);
  }
}
