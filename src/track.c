/* SPDX-License-Identifier: MIT
 * track.c: turns interposer events into table entries (see track.h).
 * The only place that combines stack capture, the depot and the tables,
 * so the interposers stay pure forwarding.
 */
#include "track.h"

#include <errno.h>
#include <fcntl.h>

#include "atomic.h"
#include "config.h"
#include "guard.h"
#include "stack.h"
#include "table.h"
#include "thread.h"

static _Atomic uint64_t untracked;
static _Atomic int initialised;
/* Set on the thread that initialises the unwinder, while it does. */
static __thread bool unwinder_starting;

bool ls_track_unwinder_starting(void) { return unwinder_starting; }

void ls_track_init(void) {
  int expected = 0;
  /* acq_rel: one thread initialises; the rest need not wait, because each
   * structure below also initialises itself on first use */
  if (!ls_atomic_cas_acq_rel(&initialised, &expected, 1))
    return;
  ls_clock_start();
  ls_thread_init();
  ls_table_init();
  ls_fdtable_init();
  unwinder_starting = true;
  ls_stack_init();
  unwinder_starting = false;
}

static void count_untracked(void) {
  /* relaxed: a statistic */
  ls_atomic_add_relaxed(&untracked, 1);
}

typedef ls_origin_t origin_t;

/* Fills *o for a resource being created now; false when the thread is
 * paused (nothing is recorded). */
static bool origin_now(origin_t *o) {
  if (ls_tls.paused)
    return false;
  if (ls_unlikely(!ls_atomic_load_acquire(&initialised)))
    ls_track_init();
  *o = (origin_t){.stack = ls_stack_intern((uint32_t)ls_config.depth),
                  .stamp = ls_now_ms(),
                  .thread = ls_thread_self()->id};
  return true;
}

bool ls_track_origin(ls_origin_t *o) {
  int saved = errno;
  bool ok = origin_now(o);
  if (ok && !o->stack)
    count_untracked();
  errno = saved;
  return ok && o->stack;
}

void ls_track_count_untracked(void) { count_untracked(); }

void ls_track_alloc(void *p, size_t size) {
  int saved = errno;
  origin_t o;
  if (origin_now(&o)) {
    ls_block_t b = {.addr = (uintptr_t)p, .size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
                    .stack = o.stack, .stamp = o.stamp, .thread = o.thread};
    if (!b.stack || !ls_table_insert(&b))
      count_untracked();
  }
  errno = saved;
}

bool ls_track_free(void *p, ls_block_t *old) {
  if (ls_unlikely(!ls_atomic_load_acquire(&initialised)))
    return false; /* nothing can be tracked yet */
  return ls_table_remove((uintptr_t)p, old);
}

void ls_track_restore(const ls_block_t *old) {
  if (!ls_table_insert(old))
    count_untracked();
}

static void record_fd(int fd, ls_fd_kind_t kind, int flags, void *obj) {
  int saved = errno;
  origin_t o;
  if (origin_now(&o)) {
    ls_fd_entry_t e = {.kind = kind, .stack = o.stack, .stamp = o.stamp, .thread = o.thread,
                       .flags = flags, .obj = obj};
    if (!ls_fdtable_set(fd, &e))
      count_untracked();
  }
  errno = saved;
}

void ls_track_fd(int fd, ls_fd_kind_t kind, int flags, void *obj) {
  if (fd >= 0)
    record_fd(fd, kind, flags, obj);
}

void ls_track_fd_dup(int from, int fd, int flags) {
  if (fd < 0)
    return;
  ls_fd_entry_t src;
  /* A dup of a stream's fd is a plain fd: the stream keeps the original.
   * A dup shares the source's open file, hence its access mode. */
  bool known = ls_fdtable_get(from, &src) && src.kind != LS_FD_STREAM && src.kind != LS_FD_DIR;
  ls_fd_kind_t kind = known ? src.kind : LS_FD_OTHER;
  if (known && (src.flags & LS_FD_ACCMODE_KNOWN))
    flags |= src.flags & (LS_FD_ACCMODE_KNOWN | O_ACCMODE);
  record_fd(fd, kind, flags, NULL);
}

bool ls_track_fd_gone(int fd, ls_fd_entry_t *old) {
  int saved = errno;
  bool tracked = ls_fdtable_clear(fd, old);
  errno = saved;
  return tracked;
}

void ls_track_stream_gone(int fd, const void *obj) {
  ls_fd_entry_t e;
  if (ls_fdtable_get(fd, &e) && e.obj == obj)
    ls_track_fd_gone(fd, NULL);
}

void ls_track_fd_restore(int fd, const ls_fd_entry_t *old) {
  int saved = errno;
  ls_fdtable_set(fd, old);
  errno = saved;
}

static _Atomic int out_of_memory;

/* relaxed: a sticky flag read at report time, publishing nothing */
void ls_track_alloc_failed(void) { ls_atomic_store_relaxed(&out_of_memory, 1); }

bool ls_track_out_of_memory(void) { return ls_atomic_load_relaxed(&out_of_memory); }

uint64_t ls_track_untracked(void) {
  return ls_atomic_load_relaxed(&untracked) + ls_table_dropped();
}
