/* SPDX-License-Identifier: MIT
 * report_writer.c: the writers' table and the helpers they share (see
 * report_writer.h).
 */
#include "report_writer.h"

#include <string.h>

static ls_report_write_fn *const writers[] = {
#define LS_REPORT_WRITER_ENTRY(id, name, fn) [LS_FORMAT_##id] = ls_report_write_##fn,
    LS_REPORT_FORMATS(LS_REPORT_WRITER_ENTRY)
#undef LS_REPORT_WRITER_ENTRY
};
LS_STATIC_ASSERT(LS_ARRAY_LEN(writers) == LS_FORMAT_COUNT, "one writer per format");

void ls_report_format(const ls_report_t *r, ls_symbolizer_t *sym, int format, ls_buf_t *out) {
  if (format < 0 || format >= LS_FORMAT_COUNT)
    format = LS_FORMAT_TEXT;
  writers[format](r, sym, out);
}

void ls_rw_put_seconds(ls_buf_t *b, uint32_t ms, int decimals) {
  ls_buf_put_u64(b, ms / 1000);
  ls_buf_putc(b, '.');
  for (uint32_t div = 100; decimals-- > 0 && div; div /= 10)
    ls_buf_putc(b, (char)('0' + ms / div % 10));
}

size_t ls_rw_stack(ls_symbolizer_t *sym, uint32_t id, const ls_frame_info_t **frames,
                   const uintptr_t **pcs) {
  /* under the report lock: one report, so one stack, at a time */
  static ls_frame_info_t fr[LS_MAX_FRAMES];
  static uintptr_t pc[LS_MAX_FRAMES];
  size_t n = ls_report_frames(sym, id, fr, pc, LS_MAX_FRAMES);
  *frames = fr;
  if (pcs)
    *pcs = pc;
  return n;
}

/* Whether s can be shown without quotes to a shell reader. */
static bool plain_word(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%^", *s))
      return false;
  return true;
}

void ls_rw_put_command(ls_buf_t *b) {
  enum { CAP = 1024 };
  const char *const *argv;
  size_t argc = ls_report_command(&argv);
  if (!argc) {
    ls_buf_putc(b, '?');
    return;
  }
  size_t start = b->len;
  for (size_t i = 0; i < argc; i++) {
    if (b->len - start > CAP) {
      ls_buf_puts(b, " ...");
      return;
    }
    if (i)
      ls_buf_putc(b, ' ');
    if (plain_word(argv[i])) {
      ls_buf_puts(b, argv[i]);
      continue;
    }
    /* 'it'\''s': single quotes, each ' written as '\'' ; control
     * characters as '?' so a report line stays one line */
    ls_buf_putc(b, '\'');
    for (const char *c = argv[i]; *c; c++) {
      if (*c == '\'')
        ls_buf_puts(b, "'\\''");
      else
        ls_buf_putc(b, (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
    }
    ls_buf_putc(b, '\'');
  }
}
