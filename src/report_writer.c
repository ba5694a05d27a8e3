/* SPDX-License-Identifier: MIT
 * report_writer.c: the writers' table and the helpers they share (see
 * report_writer.h).
 */
#include "report_writer.h"

#include <string.h>

#include "suppress.h"

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

/* name as a pattern character run: ';' would end the frame's pattern and
 * a line break the rule, so they become '*' (any run), which still
 * matches them. */
static void put_pattern_chars(ls_buf_t *b, const char *name) {
  for (const char *c = name; *c; c++)
    ls_buf_putc(b, *c == ';' || *c == '\n' || *c == '\r' ? '*' : *c);
}

static bool starts_with(const char *s, const char *prefix) {
  return s && !strncmp(s, prefix, strlen(prefix));
}

/* Whether frame f is in the program's own sources: an absolute source
 * file not under /usr/, in a module outside the system's library
 * directories (glibc's frames have relative files, "./string/strdup.c").
 * The same test as `leakscope sarif`'s location (cli/report_input.c). */
static bool own_frame(const ls_frame_info_t *f) {
  return f->file && f->file[0] == '/' && !starts_with(f->file, "/usr/") &&
         !starts_with(f->module, "/lib/") && !starts_with(f->module, "/lib64/") &&
         !starts_with(f->module, "/usr/lib/") && !starts_with(f->module, "/usr/lib64/") &&
         !starts_with(f->module, "/usr/local/lib/");
}

bool ls_rw_put_rule(ls_buf_t *b, const ls_group_t *g, const ls_frame_info_t *frames, size_t n) {
  if (!n)
    return false;
  /* The frame that carries its file:line: the innermost of the program's
   * own (a library's line numbers change with its version), else #0. */
  size_t site = 0;
  while (site < n && !(own_frame(&frames[site]) && frames[site].function && frames[site].line > 0))
    site++;
  if (site == n)
    site = 0;
  /* the rule kinds follow the group kinds */
  ls_buf_printf(b, "%s:#0:", ls_rule_kind_name((ls_rule_kind_t)g->kind));
  for (size_t k = 0; k < n; k++) {
    const ls_frame_info_t *f = &frames[k];
    if (k)
      ls_buf_putc(b, ';');
    if (!f->function) {
      ls_buf_putc(b, '*'); /* any frame */
      continue;
    }
    ls_buf_putc(b, '^');
    put_pattern_chars(b, f->function);
    if (k == site && f->file && f->line > 0) {
      /* the call site: the file's base name (the directory differs
       * between build trees), then the line */
      const char *base = strrchr(f->file, '/');
      ls_buf_puts(b, " (*");
      put_pattern_chars(b, base ? base + 1 : f->file);
      ls_buf_printf(b, ":%d)", f->line);
    }
    ls_buf_putc(b, '$');
  }
  return true;
}
