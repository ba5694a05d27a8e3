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
#include "sample.h"
#include "side_stack.h"
#include "stack.h"
#include "table.h"
#include "thread.h"

static _Atomic uint64_t untracked;
/* Set on the thread that initialises the unwinder, while it does. */
static __thread bool unwinder_starting;

bool ls_track_unwinder_starting(void) { return unwinder_starting; }

/* Start-up state. Initialising calls into libc and the loader
 * (clock_gettime, dlopen, mmap, dl_iterate_phdr), and another preload may
 * interpose any of those and call back into our malloc, free or dlsym
 * while we are half done (libfaketime's clock_gettime calls dlsym, which
 * frees its error string). Nothing is recorded or looked up before READY:
 * a release then finds nothing to forget, and a resource created meanwhile
 * (by the initialising thread's callbacks, which pass through, or by
 * another thread, which must not wait: the initialiser may be waiting for
 * a lock that thread holds) goes untracked and is counted. */
enum { INIT_NONE, INIT_RUNNING, INIT_READY };
static _Atomic int init_state;

void ls_track_init(void) {
  int expected = INIT_NONE;
  /* acq_rel: one thread initialises */
  if (!ls_atomic_cas_acq_rel(&init_state, &expected, INIT_RUNNING))
    return;
  ls_clock_start();
  ls_thread_init();
  ls_table_init();
  ls_fdtable_init();
  unwinder_starting = true;
  ls_stack_init();
  unwinder_starting = false;
  /* release: every structure above before any use of it; pairs with the
   * acquire in ready() */
  ls_atomic_store_release(&init_state, INIT_READY);
}

/* Whether the tables may be used, initialising them on the first call. */
static inline bool ready(void) {
  if (ls_likely(ls_atomic_load_acquire(&init_state) == INIT_READY))
    return true;
  ls_track_init();
  return ls_atomic_load_acquire(&init_state) == INIT_READY;
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
  if (ls_unlikely(!ready())) {
    count_untracked();
    return false;
  }
  *o = (origin_t){.stack = ls_stack_intern((uint32_t)ls_config.depth),
                  .stamp = ls_now_ms(),
                  .thread = ls_thread_self()->id};
  return true;
}

/* Recording runs on the thread's side stack (side_stack.h): the capture
 * and the table's growth need kilobytes, and the program may be on an
 * 8 KiB coroutine stack or sigaltstack. */
typedef struct origin_args {
  ls_origin_t *o;
  bool ok;
} origin_args_t;

static void origin_here(void *arg) {
  origin_args_t *a = arg;
  LS_KEEP_ERRNO();
  a->ok = origin_now(a->o);
  if (a->ok && !a->o->stack)
    count_untracked();
}

bool ls_track_origin(ls_origin_t *o) {
  origin_args_t a = {.o = o, .ok = false};
  ls_side_run(origin_here, &a);
  return a.ok && o->stack;
}

void ls_track_count_untracked(void) { count_untracked(); }

/* A table insert, counted in the sampled mode's filter (sample.h): before
 * the allocating call returns, so before any free of the block. */
static bool insert(const ls_block_t *b) {
  if (!ls_table_insert(b))
    return false;
  if (ls_sample_filter_on())
    ls_sample_filter_add(b->addr);
  return true;
}

typedef struct alloc_args {
  void *p;
  size_t size;
} alloc_args_t;

static void record_alloc(void *arg) {
  const alloc_args_t *a = arg;
  LS_KEEP_ERRNO();
  origin_t o;
  if (origin_now(&o)) {
    ls_block_t b = {.addr = (uintptr_t)a->p,
                    .size = a->size > UINT32_MAX ? UINT32_MAX : (uint32_t)a->size,
                    .stack = o.stack,
                    .stamp = o.stamp,
                    .thread = o.thread};
    if (!b.stack || !insert(&b))
      count_untracked();
  }
}

void ls_track_record_alloc(void *p, size_t size) {
  alloc_args_t a = {p, size};
  ls_side_run(record_alloc, &a);
}

bool ls_track_forget(void *p, ls_block_t *old) {
  if (ls_unlikely(ls_atomic_load_acquire(&init_state) != INIT_READY))
    return false; /* nothing can be tracked yet */
  if (!ls_table_remove((uintptr_t)p, old))
    return false;
  if (ls_sample_filter_on())
    ls_sample_filter_remove((uintptr_t)p);
  return true;
}

void ls_track_restore(const ls_block_t *old) {
  /* old came from ls_track_free, which found the tables ready */
  if (!insert(old))
    count_untracked();
}

typedef struct fd_args {
  int fd, flags;
  ls_fd_kind_t kind;
  void *obj;
} fd_args_t;

static void record_fd_here(void *arg) {
  const fd_args_t *a = arg;
  LS_KEEP_ERRNO();
  origin_t o;
  if (origin_now(&o)) {
    ls_fd_entry_t e = {.kind = a->kind,
                       .stack = o.stack,
                       .stamp = o.stamp,
                       .thread = o.thread,
                       .flags = a->flags,
                       .obj = a->obj};
    if (!ls_fdtable_set(a->fd, &e))
      count_untracked();
  }
}

static void record_fd(int fd, ls_fd_kind_t kind, int flags, void *obj) {
  fd_args_t a = {.fd = fd, .flags = flags, .kind = kind, .obj = obj};
  ls_side_run(record_fd_here, &a);
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
  if (ls_unlikely(ls_atomic_load_acquire(&init_state) != INIT_READY))
    return false;
  LS_KEEP_ERRNO();
  return ls_fdtable_clear(fd, old);
}

void ls_track_stream_gone(int fd, const void *obj) {
  if (ls_unlikely(ls_atomic_load_acquire(&init_state) != INIT_READY))
    return;
  ls_fd_entry_t e;
  if (ls_fdtable_get(fd, &e) && e.obj == obj)
    ls_track_fd_gone(fd, NULL);
}

void ls_track_fd_restore(int fd, const ls_fd_entry_t *old) {
  LS_KEEP_ERRNO();
  ls_fdtable_set(fd, old);
}

static _Atomic int out_of_memory;

/* relaxed: a sticky flag read at report time, publishing nothing */
void ls_track_alloc_failed(void) { ls_atomic_store_relaxed(&out_of_memory, 1); }

bool ls_track_out_of_memory(void) { return ls_atomic_load_relaxed(&out_of_memory); }

uint64_t ls_track_untracked(void) {
  return ls_atomic_load_relaxed(&untracked) + ls_table_dropped();
}
