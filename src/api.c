/* SPDX-License-Identifier: MIT
 * api.c: the public leakscope_* functions, thin over the core.
 */
#include "leakscope.h"

#include "arena.h"
#include "atomic.h"
#include "depot.h"
#include "fdtable.h"
#include "guard.h"
#include "real.h"
#include "table.h"
#include "track.h"

LEAKSCOPE_EXPORT bool leakscope_active(void) { return ls_atomic_load_acquire(&ls_real_ready) != 0; }

LEAKSCOPE_EXPORT const char *leakscope_version(void) { return LEAKSCOPE_VERSION_STRING; }

static void count_block(const ls_block_t *b, void *ctx) {
  leakscope_stats_t *s = ctx;
  s->live_blocks++;
  s->live_bytes += b->size;
}

static void count_fd(int fd, const ls_fd_entry_t *e, void *ctx) {
  ((leakscope_stats_t *)ctx)->live_fds++;
}

LEAKSCOPE_EXPORT int leakscope_stats(leakscope_stats_t *out) {
  *out = (leakscope_stats_t){0};
  if (!leakscope_active())
    return -1;
  ls_guard_push();
  ls_table_foreach(count_block, out);
  ls_fdtable_foreach(count_fd, out);
  out->stacks = ls_depot_count();
  out->bookkeeping_bytes = ls_table_bytes() + ls_depot_bytes() + ls_fdtable_bytes();
  out->untracked = ls_track_untracked();
  ls_guard_pop();
  return 0;
}
