/* SPDX-License-Identifier: MIT
 * modhist.h: the module history: where each module unloaded by dlclose()
 * was mapped, so that stacks captured while it was loaded still
 * symbolize. interpose_dl.c records a module before the real dlclose
 * unmaps it; the symbolizer (symbolize.c) reads the history at report time
 * and opens such a module offline from its file at its old load address.
 *
 * Lives for the process: at most LS_MODHIST_CAP entries in .bss, never
 * freed; no lock (a claim counter, then a release flag per entry).
 */
#ifndef LS_MODHIST_H
#define LS_MODHIST_H

#include "atomic.h"
#include "common.h"

#define LS_MODHIST_CAP 256

/* Written once by the recorder that claimed it, then published with
 * `ready`; only `mark` changes afterwards (a module unloaded again from
 * the same place raises it). */
typedef struct ls_modhist_entry {
  uintptr_t start, end; /* [start, end): union of the PT_LOAD segments */
  uintptr_t bias;       /* l_addr: runtime address - ELF virtual address */
  char *path;           /* canonical path; never freed (process lifetime) */
  _Atomic uint32_t mark;
  _Atomic bool ready;
} ls_modhist_entry_t;

/* Records the module behind `handle` before dlclose() unmaps it. Called by
 * the dlclose interposer with the guard held (it allocates with the real
 * allocator and calls dl_iterate_phdr); thread-safe, takes no lock of its
 * own. `depot_mark` is ls_depot_mark() at that moment: stacks with an id
 * below it were captured while the module was mapped. Keeps at most
 * LS_MODHIST_CAP entries (a module unloaded repeatedly from the same place
 * takes one); later ones are dropped (their addresses show as unknown
 * frames). */
void ls_modhist_record_dlclose(void *handle, uint32_t depot_mark);

/* How many entries have been claimed (at most LS_MODHIST_CAP), in dlclose
 * order. */
size_t ls_modhist_count(void);

/* Entry i (< ls_modhist_count()) once its recorder has published it, else
 * NULL (a module still being recorded is still mapped). */
const ls_modhist_entry_t *ls_modhist_entry(size_t i);

/* e's mark: stacks with a lower id may hold addresses in its range. */
static inline uint32_t ls_modhist_mark(const ls_modhist_entry_t *e) {
  /* relaxed: a number compared on its own; it publishes nothing */
  return ls_atomic_load_relaxed(&e->mark);
}

#endif
