/* SPDX-License-Identifier: MIT
 * depot.h: the stack depot. Each distinct stack is stored once and named by
 * a 32-bit id.
 *
 * Invariants: a stack, once interned, is immutable and never freed; ids grow
 * with interning order (an id is the node's position in one append-only
 * region), so "captured before X" is "id < ls_depot_mark() taken at X".
 * Id 0 is never a stack: it means "no stack".
 */
#ifndef LS_DEPOT_H
#define LS_DEPOT_H

#include "common.h"

/* Interns frames[0..depth) and returns its id, or 0 if the depot is full.
 * Compares with the stacks this thread interned last before hashing.
 * Hot path: lock-free, no allocation but from the depot's own region. */
uint32_t ls_depot_intern(const uintptr_t *frames, uint32_t depth);

/* The same without that first comparison, for a caller whose own
 * per-thread cache has just missed (the unwinder's memo): a stack it
 * brings is almost never one of the last few (python3, cc1, git: under
 * 1 in 150). */
uint32_t ls_depot_intern_missed(const uintptr_t *frames, uint32_t depth);

/* Frames of stack `id`, innermost first; sets *depth. NULL for id 0 or an
 * id never returned by ls_depot_intern. */
const uintptr_t *ls_depot_get(uint32_t id, uint32_t *depth);

/* An id greater than every id interned so far. */
uint32_t ls_depot_mark(void);

/* Bytes of depot memory in use and distinct stacks interned. */
size_t ls_depot_bytes(void);
size_t ls_depot_count(void);

#endif
