/* SPDX-License-Identifier: MIT
 * block_sort.h: sorting a report's snapshot of live blocks by address.
 */
#ifndef LS_BLOCK_SORT_H
#define LS_BLOCK_SORT_H

#include "common.h"
#include "table.h"

/* Sorts the n blocks of a by addr, ascending, in place. Calls no
 * allocator and maps nothing. Not reentrant: callers hold the report
 * lock (its counters are static). */
void ls_blocks_sort_by_addr(ls_block_t *a, size_t n);

#endif
