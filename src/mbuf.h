/* SPDX-License-Identifier: MIT
 * mbuf.h: the one growable buffer of leakscope's own memory. It is an
 * anonymous mapping from ls_map (arena.h) that doubles with mremap, never
 * memory from the allocator leakscope wraps. Report text (out.h's
 * ls_buf_t), the report model's arrays (report.c) and whole files
 * (read_file.h: suppression files, /proc/self/maps for the reachability
 * scan) all grow here.
 *
 * Being ls_map's, every buffer is on ls_map_list, so the reachability scan
 * takes none for the program's memory (the model's arrays hold block
 * addresses). Growing calls mmap or mremap and nothing else: no lock, no
 * errno the caller must keep apart from a failure, fit for an interposer
 * or for a world stopped by reach_stop.c.
 */
#ifndef LS_MBUF_H
#define LS_MBUF_H

#include "common.h"

/* A buffer of bytes: p is NULL (and cap 0) until it first grows. */
typedef struct ls_mbuf {
  char *p;
  size_t len; /* bytes in use: the owner's business, growing keeps them */
  size_t cap; /* bytes mapped */
} ls_mbuf_t;

/* Makes the mapping *p of *cap bytes (NULL and 0: none yet) hold at least
 * need bytes: the capacity doubles, from first for a new one, until it
 * does, and the mapping moves if it must, contents kept. False, with *p
 * and *cap as they were, when the system has no memory for it. */
bool ls_mbuf_grow(void **p, size_t *cap, size_t need, size_t first);

/* The same for an array of elem-byte elements: *cap, need and first count
 * elements. */
bool ls_mbuf_grow_array(void **p, size_t *cap, size_t need, size_t elem, size_t first);

/* Unmaps a mapping from ls_mbuf_grow of cap bytes (p may be NULL). */
void ls_mbuf_unmap(void *p, size_t cap);

static inline bool ls_mbuf_reserve(ls_mbuf_t *m, size_t need, size_t first) {
  return ls_mbuf_grow((void **)&m->p, &m->cap, need, first);
}

static inline void ls_mbuf_release(ls_mbuf_t *m) {
  ls_mbuf_unmap(m->p, m->cap);
  *m = (ls_mbuf_t){0};
}

#endif
