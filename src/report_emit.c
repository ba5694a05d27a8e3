/* SPDX-License-Identifier: MIT
 * report_emit.c: the report pipeline (see report_emit.h). Owns the report
 * numbering; everything else belongs to the layer it calls.
 */
#include "report_emit.h"

#include "config.h"
#include "guard.h"
#include "keptfd.h"
#include "report_frames.h"
#include "report_writer.h"

static int render_locked(ls_trigger_t trigger, const ls_filter_t *f, int format, ls_buf_t *out) {
  /* Numbered in the order written; counts taken through the API are not
   * reports. Under the report lock, so a plain counter. */
  static uint64_t reports;
  ls_report_t r;
  if (ls_report_build(&r, f, trigger) < 0)
    ls_warn("out of memory while building the report; it is incomplete");
  r.seq = ++reports;
  if (f->diff)
    ls_report_diff(&r);
  ls_symbolizer_t *sym = ls_report_symbolizer();
  ls_report_suppress(&r, sym);
  ls_report_rank(&r, ls_config.sort == LS_SORT_GROWTH, ls_config.top);
  ls_report_format(&r, sym, format, out);
  if (sym)
    ls_sym_close(sym);
  /* what the exit status counts: the leaks not in the baseline */
  int groups = out->truncated ? -1 : (int)(r.leak_groups - r.baseline_groups);
  if (out->truncated)
    ls_warn("out of memory while formatting the report; nothing written");
  ls_report_release(&r);
  return groups;
}

int ls_report_render(ls_trigger_t trigger, const ls_filter_t *f, int format, ls_buf_t *out) {
  ls_guard_push();
  ls_report_lock();
  ls_kept_report_begin(false);
  int groups = render_locked(trigger, f, format, out);
  ls_kept_report_end();
  ls_report_unlock();
  ls_guard_pop();
  return groups;
}

int ls_report_emit(ls_trigger_t trigger) {
  ls_filter_t f = {.thread = -1,
                   .memory = true,
                   .fds = true,
                   .threads = true,
                   .mappings = true,
                   .processes = true,
                   .diff = ls_config.diff,
                   .reach =
                       ls_config.reachability == LS_REACH_ALWAYS ||
                       (trigger == LS_TRIGGER_EXIT && ls_config.reachability == LS_REACH_AT_EXIT)};
  if (trigger == LS_TRIGGER_SIGNAL || trigger == LS_TRIGGER_PERIODIC)
    /* Ages are uint32_t milliseconds (clock.h): a minimum past that range
     * (MIN_AGE allows a year) saturates rather than wrapping to a small
     * age that would list young resources. */
    f.min_age_ms =
        ls_config.min_age >= UINT32_MAX / 1000 ? UINT32_MAX : (uint32_t)(ls_config.min_age * 1000);
  ls_buf_t out;
  ls_buf_dynamic(&out);
  ls_guard_push();
  ls_report_lock();
  /* the fd room covers symbolizing, the reachability scan's /proc reads
   * and the output file */
  ls_kept_report_begin(trigger == LS_TRIGGER_EXIT);
  int groups = render_locked(trigger, &f, ls_config.format, &out);
  if (groups >= 0)
    ls_report_output(&out);
  ls_kept_report_end();
  ls_report_unlock();
  ls_guard_pop();
  ls_buf_release(&out);
  return groups;
}
