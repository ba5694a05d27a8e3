/* SPDX-License-Identifier: MIT
 * report_writer.h: the report writers, one per LEAKSCOPE_FORMAT value, and
 * the helpers they share.
 *
 * A writer turns a finished model (report.h) into bytes, with stacks from
 * report_frames.h; it decides nothing about what is in the report and
 * writes nowhere but into its buffer. Adding a format: a line in
 * LS_REPORT_FORMATS (config.h) and its name in the `format` option's
 * values, a file report_<name>.c defining ls_report_write_<name>, and that
 * file in CMakeLists.txt; the table in report_writer.c follows.
 */
#ifndef LS_REPORT_WRITER_H
#define LS_REPORT_WRITER_H

#include "config.h"
#include "out.h"
#include "report.h"
#include "report_frames.h"

typedef void ls_report_write_fn(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *out);

/* One writer per format (declared from the X-macro). */
#define LS_REPORT_WRITER_DECL(id, name, fn) ls_report_write_fn ls_report_write_##fn;
LS_REPORT_FORMATS(LS_REPORT_WRITER_DECL)
#undef LS_REPORT_WRITER_DECL

/* Formats r with the writer of `format` (LS_FORMAT_*; an unknown value
 * gets text). */
void ls_report_format(const ls_report_t *r, ls_symbolizer_t *sym, int format, ls_buf_t *out);

/* --- Shared helpers --- */

/* ms as seconds with `decimals` (1..3) digits after the point: "12.3". */
void ls_rw_put_seconds(ls_buf_t *b, uint32_t ms, int decimals);

/* one or many by n. */
static inline const char *ls_rw_plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

/* The frames of stack id as reports show them, in arrays shared by every
 * writer (one report at a time: the report lock): *frames[k] and the
 * return address (*pcs)[k] it came from. Returns how many. */
size_t ls_rw_stack(ls_symbolizer_t *sym, uint32_t id, const ls_frame_info_t **frames,
                   const uintptr_t **pcs);

/* The suppression rule that takes group g and no other, with the frames
 * frames[0..n) of its stack (--gen-suppressions; suppress.h): a frame rule
 * from #0 naming every frame's function whole, and the innermost frame in
 * the program's own sources (else #0) also by its location:
 * "leak:#0:^f (*file.c:12)$;^caller$;^main$",
 * "leak:#0:^strdup$;^main (*file.c:40)$". False, writing nothing, for a
 * group without frames (no rule can match it). */
bool ls_rw_put_rule(ls_buf_t *b, const ls_group_t *g, const ls_frame_info_t *frames, size_t n);

/* The command line (report.h's ls_report_command) as text: arguments
 * separated by spaces, each quoted shell-style when it needs it, the
 * whole cut at about 1 KiB with "...". Writes "?" when unknown. */
void ls_rw_put_command(ls_buf_t *b);

#endif
