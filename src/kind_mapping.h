/* SPDX-License-Identifier: MIT
 * kind_mapping.h: the memory mappings the program made with mmap,
 * mmap64, mremap and shmat, until it unmaps them (the "mapping" kind).
 *
 * Only the program's own calls arrive here: the C library's internal
 * mmap calls (malloc's arenas and large chunks, thread stacks) and the
 * loader's (dlopen) do not go through the PLT, and leakscope's own pass
 * through under the guard. One record per mapping in a fixed array of
 * slots mapped once; a record is claimed and freed with a CAS on its
 * state word (flags and generation, as in kind_thread.h) and its range
 * is written under a per-slot sequence count, so a partial munmap can
 * shrink or split it while a report reads it. No locks, no malloc, no
 * I/O.
 */
#ifndef LS_KIND_MAPPING_H
#define LS_KIND_MAPPING_H

#include "common.h"
#include "track.h"

/* What backs a mapping (the group's resource: LS_MAPPING_* of report.h). */
enum { LS_KMAP_ANONYMOUS, LS_KMAP_FILE, LS_KMAP_SHM };

typedef struct ls_kmap_info {
  uintptr_t start;
  uint64_t len;
  int prot, kind;
  uint32_t stack, stamp;
  uint16_t thread;
} ls_kmap_info_t;

/* Records [start, start + len) (len rounded up to pages). */
void ls_kmap_add(const ls_origin_t *o, uintptr_t start, uint64_t len, int prot, int kind);

/* Forgets [start, start + len): records inside it go, records that
 * overlap it shrink or split. Called BEFORE the real munmap (or mremap,
 * mmap MAP_FIXED). With first, the first record that overlapped is
 * copied there (whole, as it was); returns whether one did. */
bool ls_kmap_remove(uintptr_t start, uint64_t len, ls_kmap_info_t *first);

/* Forgets the record that starts at start (shmdt); its length in *len.
 * Returns whether there was one. */
bool ls_kmap_remove_at(uintptr_t start, uint64_t *len);

/* Calls fn for every record. Any thread. */
typedef void (*ls_kmap_visit_fn)(const ls_kmap_info_t *m, void *ctx);
void ls_kmap_foreach(ls_kmap_visit_fn fn, void *ctx);

#endif
