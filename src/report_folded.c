/* SPDX-License-Identifier: MIT
 * report_folded.c: folded stacks for flame graphs (flamegraph.pl,
 * inferno, speedscope; docs/flamegraph.md): one line per group, frames
 * outermost first separated by ';', then the weight: bytes for memory,
 * the count for fds (under a root frame naming the resource). With
 * LEAKSCOPE_FOLDED_LINES=1 each frame with a source line is
 * "function:file.c:LINE" (the file's base name).
 */
#include <string.h>

#include "report_writer.h"

/* A name in a frame: ';' separates frames and ' ' the weight, so both
 * become '_'. */
static void put_name(ls_buf_t *b, const char *name) {
  for (const char *c = name; *c; c++)
    ls_buf_putc(b, *c == ';' || *c == ' ' ? '_' : *c);
}

void ls_report_write_folded(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *b) {
  for (size_t i = 0; i < r->ngroups; i++) {
    const ls_group_t *g = &r->groups[i];
    if (g->suppressed)
      continue;
    const ls_frame_info_t *frames;
    size_t n = ls_rw_stack(sym, g->stack, &frames, NULL);
    if (g->kind == LS_GROUP_FD)
      ls_buf_printf(b, "[fd:%s];", ls_fd_kind_name(g->resource));
    else if (g->kind >= LS_GROUP_THREAD)
      ls_buf_printf(b, "[%s:%s];", ls_group_kind_name(g->kind),
                    ls_kind_resource_name(g->kind, (int)g->resource));
    for (size_t k = n; k-- > 0;) {
      const char *name = frames[k].function;
      if (name) {
        put_name(b, name);
      } else {
        ls_buf_printf(b, "0x%lx", (unsigned long)frames[k].offset);
      }
      if (ls_config.folded_lines && frames[k].file && frames[k].line > 0) {
        /* "parse:parse.c:12": two sites in one function stay apart */
        const char *base = strrchr(frames[k].file, '/');
        ls_buf_putc(b, ':');
        put_name(b, base ? base + 1 : frames[k].file);
        ls_buf_printf(b, ":%d", frames[k].line);
      }
      if (k)
        ls_buf_putc(b, ';');
    }
    /* the weight: bytes for memory and mappings, a count for the rest */
    ls_buf_printf(b, " %lu\n",
                  (unsigned long)(g->kind == LS_GROUP_MEMORY || g->kind == LS_GROUP_MAPPING
                                      ? g->bytes
                                      : g->count));
  }
  ls_buf_printf(b, "# leakscope: end of report %lu (pid %d)\n", (unsigned long)r->seq, r->pid);
}
