/* SPDX-License-Identifier: MIT
 * api.c: the public leakscope_* functions, thin over the core. Reports
 * and counts go through the same model as every other report
 * (ls_report_build), so a count and the report printed beside it agree.
 */
#include "leakscope.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"
#include "config.h"
#include "depot.h"
#include "fdtable.h"
#include "guard.h"
#include "out.h"
#include "real.h"
#include "report_emit.h"
#include "report_frames.h"
#include "suppress.h"
#include "table.h"
#include "thread.h"
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

/* Stamps are ls_now_ms() values. Waiting for the clock to tick past the
 * current value makes the checkpoint exact: whatever was created before
 * has a stamp <= t, whatever is created after we return has >= t + 1. */
LEAKSCOPE_EXPORT leakscope_checkpoint_t leakscope_checkpoint(void) {
  if (!leakscope_active())
    return 0;
  ls_track_init();
  uint32_t t = ls_now_ms();
  while (ls_now_ms() == t) {
    struct timespec ms = {0, 500000};
    nanosleep(&ms, NULL);
  }
  return (leakscope_checkpoint_t)t + 1;
}

static ls_filter_t filter_for(leakscope_checkpoint_t cp, leakscope_scope_t scope, unsigned kinds) {
  ls_guard_push();
  int thread = scope == LEAKSCOPE_SCOPE_THREAD ? ls_thread_self()->id : -1;
  ls_guard_pop();
  return (ls_filter_t){.since = (uint32_t)cp,
                       .thread = thread,
                       .memory = kinds & LEAKSCOPE_MEMORY,
                       .fds = kinds & LEAKSCOPE_FDS,
                       .threads = kinds & LEAKSCOPE_THREADS,
                       .mappings = kinds & LEAKSCOPE_MAPPINGS,
                       .processes = kinds & LEAKSCOPE_PROCESSES,
                       .reach = ls_config.reachability == LS_REACH_ALWAYS};
}

/* Builds the report of what was created since cp, suppressions applied,
 * into *r (released by the caller, under the report lock). */
static int count_report(ls_report_t *r, leakscope_checkpoint_t cp, leakscope_scope_t scope,
                        unsigned kinds) {
  ls_filter_t f = filter_for(cp, scope, kinds);
  int rc = ls_report_build(r, &f, LS_TRIGGER_API);
  size_t nrules;
  ls_suppress_rules(&nrules);
  if (nrules && r->ngroups) {
    /* Suppressed leaks do not count, as they are not reported. */
    ls_symbolizer_t *sym = ls_report_symbolizer();
    ls_report_suppress(r, sym);
    if (sym)
      ls_sym_close(sym);
  }
  return rc;
}

LEAKSCOPE_EXPORT int leakscope_count_kinds_since(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                                 leakscope_kind_counts_t *out) {
  *out = (leakscope_kind_counts_t){0};
  if (!leakscope_active())
    return -1;
  ls_report_t r;
  ls_guard_push();
  ls_report_lock();
  int rc =
      count_report(&r, cp, scope, LEAKSCOPE_THREADS | LEAKSCOPE_MAPPINGS | LEAKSCOPE_PROCESSES);
  *out = (leakscope_kind_counts_t){.threads = r.threads,
                                   .threads_running = r.threads_running,
                                   .mappings = r.mappings,
                                   .mapping_bytes = r.mapping_bytes,
                                   .processes = r.processes,
                                   .processes_running = r.processes_running};
  ls_report_release(&r);
  ls_report_unlock();
  ls_guard_pop();
  return rc < 0 ? -1 : 0;
}

LEAKSCOPE_EXPORT uint64_t leakscope_sample_interval(void) {
  return leakscope_active() ? ls_config.sample : 0;
}

LEAKSCOPE_EXPORT int leakscope_estimate_since(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                              leakscope_estimate_t *out) {
  *out = (leakscope_estimate_t){0};
  if (!leakscope_active())
    return -1;
  ls_report_t r;
  ls_guard_push();
  ls_report_lock();
  int rc = count_report(&r, cp, scope, LEAKSCOPE_MEMORY | LEAKSCOPE_FDS);
  bool estimated = r.sample_interval != 0;
  *out = (leakscope_estimate_t){.bytes = r.memory_bytes,
                                .blocks = r.memory_blocks,
                                .sampled_bytes = estimated ? r.sampled_bytes : r.memory_bytes,
                                .sampled_blocks = estimated ? r.sampled_blocks : r.memory_blocks,
                                .fds = r.fds,
                                .sample_interval = r.sample_interval,
                                .estimated = estimated};
  ls_report_release(&r);
  ls_report_unlock();
  ls_guard_pop();
  return rc < 0 ? -1 : 0;
}

LEAKSCOPE_EXPORT int leakscope_count_since(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                           leakscope_counts_t *out) {
  leakscope_estimate_t e;
  int rc = leakscope_estimate_since(cp, scope, &e);
  *out = (leakscope_counts_t){.bytes = e.bytes, .blocks = e.blocks, .fds = e.fds};
  return rc;
}

/* Renders an API report; the caller writes out and releases it. */
static int render(ls_buf_t *out, leakscope_checkpoint_t cp, leakscope_scope_t scope, unsigned kinds,
                  leakscope_format_t format) {
  ls_buf_dynamic(out);
  if (!leakscope_active())
    return -1;
  ls_filter_t f = filter_for(cp, scope, kinds);
  return ls_report_render(LS_TRIGGER_API, &f, (int)format, out);
}

LEAKSCOPE_EXPORT int leakscope_report_fd(int fd, leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                         unsigned kinds, leakscope_format_t format) {
  ls_buf_t out;
  int groups = render(&out, cp, scope, kinds, format);
  if (groups >= 0 && ls_write_all(fd, out.data, out.len) < 0)
    groups = -1;
  ls_buf_release(&out);
  return groups;
}

LEAKSCOPE_EXPORT int leakscope_report_file(FILE *stream, leakscope_checkpoint_t cp,
                                           leakscope_scope_t scope, unsigned kinds,
                                           leakscope_format_t format) {
  ls_buf_t out;
  int groups = render(&out, cp, scope, kinds, format);
  if (groups >= 0 && (fwrite(out.data, 1, out.len, stream) != out.len || fflush(stream) != 0))
    groups = -1;
  ls_buf_release(&out);
  return groups;
}

LEAKSCOPE_EXPORT int leakscope_report_path(const char *path, leakscope_checkpoint_t cp,
                                           leakscope_scope_t scope, unsigned kinds,
                                           leakscope_format_t format) {
  ls_guard_push(); /* our own fd is not the program's resource */
  /* O_NONBLOCK: a FIFO without a reader fails at once; writes that would
   * block wait LS_OUTPUT_WAIT_MS at most (report_output.h) */
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  ls_guard_pop();
  if (fd < 0)
    return -1;
  ls_buf_t out;
  int groups = render(&out, cp, scope, kinds, format);
  if (groups >= 0 && ls_output_write_bounded(fd, out.data, out.len) < 0)
    groups = -1;
  ls_buf_release(&out);
  ls_guard_push();
  close(fd);
  ls_guard_pop();
  return groups;
}

LEAKSCOPE_EXPORT int leakscope_keep(const void *p) {
  if (!leakscope_active() || !p)
    return -1;
  ls_guard_push();
  bool found = ls_track_free((void *)p, NULL);
  ls_guard_pop();
  /* sampled mode: a block not recorded is never reported anyway */
  return found || ls_config.sample ? 0 : -1;
}

LEAKSCOPE_EXPORT void leakscope_pause(void) { ls_tls.paused++; }

LEAKSCOPE_EXPORT void leakscope_resume(void) {
  if (ls_tls.paused)
    ls_tls.paused--;
}
