/* SPDX-License-Identifier: MIT
 * table.h: the lock-free table of live heap blocks, keyed by address.
 *
 * Contract (what the allocator guarantees and the table relies on): a live
 * address is unique, and its removal happens-before any later insertion of
 * the same address, because the interposer removes the entry before the
 * real free(). So no key is ever inserted and removed concurrently.
 * Each live block costs a 16-byte slot plus a 4-byte stamp, at a load of
 * 1/2 to 3/4 (about 34 bytes in all).
 */
#ifndef LS_TABLE_H
#define LS_TABLE_H

#include "common.h"

typedef struct ls_block {
  uintptr_t addr;
  uint32_t size;   /* requested size, saturated at UINT32_MAX */
  uint32_t stack;  /* depot id */
  uint32_t stamp;  /* creation time, ls_now_ms() */
  uint16_t thread; /* ls_thread_t.id of the allocating thread */
} ls_block_t;

void ls_table_init(void);

/* Records a live block. Hot path: lock-free, no allocation except, rarely,
 * a new mapping when the block's shard grows. Returns false if it could
 * not be recorded (out of memory): the block is then untracked. */
bool ls_table_insert(const ls_block_t *b);

/* Forgets addr; returns false if it was not tracked (allocated before
 * leakscope loaded, kept, or untracked). If `old` is not NULL it receives
 * the removed entry. Hot path: lock-free. */
bool ls_table_remove(uintptr_t addr, ls_block_t *old);

/* Whether addr is a live block. Lock-free and allocation-free, correct
 * while other threads are stopped anywhere (even mid-migration), so the
 * reachability classifier can call it with the world stopped; the calling
 * thread must already be registered (ls_thread_self) for that. */
bool ls_table_contains(uintptr_t addr);

/* Calls fn for every live block. Concurrent inserts and removes go on;
 * each block reported was live at some moment during the call and none is
 * reported twice (a shard is not resized while it is being visited). An
 * address freed and allocated again during the call may be reported for
 * both blocks.
 * Not for the hot path. */
typedef void (*ls_table_visit_fn)(const ls_block_t *b, void *ctx);
void ls_table_foreach(ls_table_visit_fn fn, void *ctx);

/* Entries a migration could not place and forgot (counted as untracked). */
uint64_t ls_table_dropped(void);

/* Migrations (growths and tombstone purges) completed so far. */
uint64_t ls_table_migrations(void);

/* Bytes of table memory held. */
size_t ls_table_bytes(void);

/* pthread_atfork hooks: no shard is being resized across fork(). */
void ls_table_before_fork(void);
void ls_table_after_fork(bool child);

#endif
