/* SPDX-License-Identifier: MIT
 * arena.h: leakscope's own memory, from mmap, never from the allocator it
 * wraps.
 *
 * ls_arena_alloc hands out small, zeroed, never-freed pieces (thread
 * records, module history). ls_map/ls_remap/ls_unmap wrap whole mappings
 * (tables, report buffers), and keep a list of them (ls_map_list).
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

/* Resizes a mapping from ls_map (NULL: a new one), moving it if needed;
 * NULL on failure, when p stays as it was. */
void *ls_remap(void *p, size_t old_size, size_t new_size);

/* Says that the mapping at p (from ls_map or ls_remap) will be filled
 * from its start and used whole: large ones get huge pages. Not for
 * sparse mappings (RSS would grow by 2 MiB for each page touched). */
void ls_map_advise_filled(void *p, size_t size);

/* Adds a mapping leakscope made itself, without ls_map (a side stack,
 * with its own flags), to the list ls_map_list returns: the reachability
 * scan must not take it for the program's. */
void ls_map_register(void *p, size_t size);

/* An address range [lo, hi). */
typedef struct ls_span {
  uintptr_t lo, hi;
} ls_span_t;

/* The mappings of ls_map still held, at most cap of them, unordered; *missed (may be NULL) counts mappings that found no
 * room in the list. The reachability scan leaves them out of its roots: they
 * are leakscope's, and hold block addresses (tables, snapshots). Lock-free;
 * meant to run with the other threads stopped. */
#define LS_MAP_LIST_MAX 4096
size_t ls_map_list(ls_span_t *out, size_t cap, size_t *missed);

#endif
