/* SPDX-License-Identifier: MIT
 * report_fingerprint.c: a group's fingerprint from the frames the reports
 * show (see report.h). The hash is fingerprint.h's, fed the same strings
 * the JSON report writes, so `leakscope` recomputing it from a JSON report
 * gets the same value (tests/eco/tools.sh, case fingerprint).
 */
#include "fingerprint.h"
#include "report.h"

/* "0x11ce", as ls_buf_put_hex writes a frame's offset in JSON. */
static const char *hex(uint64_t v, char out[19]) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do
    tmp[n++] = digits[v & 15];
  while (v >>= 4);
  out[0] = '0';
  out[1] = 'x';
  for (size_t i = 0; i < n; i++)
    out[2 + i] = tmp[n - 1 - i];
  out[2 + n] = '\0';
  return out;
}

uint64_t ls_report_fingerprint(const ls_group_t *g, const ls_frame_info_t *frames, size_t n) {
  uint64_t h = LS_FP_INIT;
  h = ls_fp_add(h, ls_group_kind_name(g->kind));
  if (g->kind == LS_GROUP_MEMORY)
    h = ls_fp_add(h, "heap");
  else if (g->kind == LS_GROUP_FD)
    h = ls_fp_add(h, ls_fd_kind_name(g->resource));
  else
    h = ls_fp_add(h, ls_kind_resource_name(g->kind, (int)g->resource));
  for (size_t k = 0; k < n; k++) {
    const ls_frame_info_t *f = &frames[k];
    char offset[19];
    /* a Python frame's module and offset are null in JSON */
    h = ls_fp_frame(h, f->function, f->file, f->python ? NULL : f->module,
                    f->python ? NULL : hex(f->offset, offset));
  }
  return h;
}
