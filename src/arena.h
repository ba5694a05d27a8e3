/* SPDX-License-Identifier: MIT
 * arena.h: leakscope's own memory, from mmap, never from the allocator it
 * wraps.
 *
 * ls_arena_alloc hands out small, zeroed, never-freed pieces (thread
 * records, module history). ls_map/ls_unmap wrap whole mappings (tables,
 * report buffers).
 */
#ifndef LS_ARENA_H
#define LS_ARENA_H

#include "common.h"

/* Zeroed memory, aligned to `align` (a power of two <= 4096); NULL when
 * the system is out of memory. Lock-free. */
void *ls_arena_alloc(size_t size, size_t align);

/* A fresh zeroed mapping of `size` bytes (rounded up to pages), reserved
 * lazily (MAP_NORESERVE); NULL on failure. */
void *ls_map(size_t size);
void ls_unmap(void *p, size_t size);

#endif
