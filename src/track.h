/* SPDX-License-Identifier: MIT
 * track.h: the C ABI the interposers call. One function per event; each
 * captures the stack, interns it and updates the tables.
 *
 * Contract for every ls_track_*: the caller holds the guard (so anything
 * called below passes through), and errno is preserved. Hot path: no lock,
 * no malloc, no I/O. ls_track_*_gone must be called BEFORE the real
 * free/close, so the address or fd number cannot be reused in between.
 */
#ifndef LS_TRACK_H
#define LS_TRACK_H

#include "clock.h"
#include "common.h"
#include "fdtable.h"

/* One-time set-up of tables and unwinder; idempotent. */
void ls_track_init(void);

/* Whether this thread is inside the unwinder's set-up (ls_track_init):
 * libunwind opens its validation pipe then (interpose_fd.c). */
bool ls_track_unwinder_starting(void);

#include "sample.h"
#include "table.h"

/* Records the block p of size bytes (the stack, a table entry). */
void ls_track_record_alloc(void *p, size_t size);
/* A new block: recorded in exact mode; in sampled mode only when the
 * thread's countdown says so (sample.h), so an allocation that is not
 * sampled costs a few instructions here and nothing else. */
static inline void ls_track_alloc(void *p, size_t size) {
  if (ls_sample_take(size))
    ls_track_record_alloc(p, size);
}
/* Forgets p; with `old`, returns its entry there (for ls_track_restore).
 * Returns whether p was tracked. In sampled mode, a block the counting
 * filter says was never recorded is not looked up at all. */
bool ls_track_forget(void *p, ls_block_t *old);
static inline bool ls_track_free(void *p, ls_block_t *old) {
  if (ls_config.sample && !ls_sample_filter_maybe((uintptr_t)p))
    return false;
  return ls_track_forget(p, old);
}
/* Puts back an entry taken by ls_track_free (a realloc that failed). */
void ls_track_restore(const ls_block_t *old);

/* A new fd of `kind` (obj: the FILE* or DIR* that owns it, if any). */
void ls_track_fd(int fd, ls_fd_kind_t kind, int flags, void *obj);
/* A new fd duplicated from `from`: inherits its kind, new stack. */
void ls_track_fd_dup(int from, int fd, int flags);
/* fd is about to be closed (or replaced by dup2). With `old`, its entry
 * is returned there for ls_track_fd_restore. Returns whether it was
 * tracked. */
bool ls_track_fd_gone(int fd, ls_fd_entry_t *old);
/* The stream or directory `obj` is about to be closed: forgets its fd if
 * the fd still belongs to it. */
void ls_track_stream_gone(int fd, const void *obj);
/* Puts back an entry taken by ls_track_fd_gone (the close/dup2 failed
 * before the fd was released). */
void ls_track_fd_restore(int fd, const ls_fd_entry_t *old);

/* The real allocator failed a request (once set, stays set): the report
 * then avoids libdw, which does not survive allocation failures. */
void ls_track_alloc_failed(void);
bool ls_track_out_of_memory(void);

/* What every new resource records: where (depot id of the creating
 * stack), when (ls_now_ms) and which thread (ls_thread_t id). */
typedef struct ls_origin {
  uint32_t stack, stamp;
  uint16_t thread;
} ls_origin_t;

/* Fills *o for a resource the interposed call is creating now, for the
 * kind tables outside track.c (threads, mappings, child processes).
 * False when nothing is to be recorded: the thread is paused, or the
 * stack could not be stored (then counted as untracked). Guard held;
 * errno kept. */
bool ls_track_origin(ls_origin_t *o);

/* Counts one resource a kind table had no room for. */
void ls_track_count_untracked(void);

/* Resources that could not be recorded (table or depot out of memory,
 * fd beyond the table). */
uint64_t ls_track_untracked(void);

#endif
