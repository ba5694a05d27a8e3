/* SPDX-License-Identifier: MIT
 * out.h: text building and output that never allocate through malloc.
 *
 * An ls_buf_t either wraps caller memory (fixed: output past the end is
 * dropped and `truncated` set) or owns a growable mapping (mbuf.h: reports
 * of any size). Formatting understands a small printf
 * subset: %s %c %d %i %u %x %p %% with the l, ll and z length modifiers.
 * No stdio anywhere: stdio locks and EINTR would corrupt the host's streams
 * (heaptrack, KDE bug 393387).
 */
#ifndef LS_OUT_H
#define LS_OUT_H

#include <stdarg.h>
#include "common.h"

typedef struct ls_buf {
  char *data;
  size_t len, cap;
  bool owned;     /* data is our mmap and may grow */
  bool truncated; /* a fixed buffer ran out of room */
} ls_buf_t;

void ls_buf_fixed(ls_buf_t *b, char *mem, size_t cap);
void ls_buf_dynamic(ls_buf_t *b);
void ls_buf_release(ls_buf_t *b);
void ls_buf_put(ls_buf_t *b, const char *s, size_t n);
void ls_buf_puts(ls_buf_t *b, const char *s);
void ls_buf_putc(ls_buf_t *b, char c);
void ls_buf_put_u64(ls_buf_t *b, uint64_t v);
void ls_buf_put_i64(ls_buf_t *b, int64_t v);
void ls_buf_put_hex(ls_buf_t *b, uint64_t v); /* "0x1f" */
/* A JSON string with quotes and escapes, or null when s is NULL. */
void ls_buf_put_json_str(ls_buf_t *b, const char *s);
/* The characters of s escaped for inside a JSON string, without quotes
 * (any length: a caller concatenating parts into one string). */
void ls_buf_put_json_chars(ls_buf_t *b, const char *s);
void ls_buf_vprintf(ls_buf_t *b, const char *fmt, va_list ap);
__attribute__((format(printf, 2, 3))) void ls_buf_printf(ls_buf_t *b, const char *fmt, ...);

/* Writes all of data to fd, retrying on EINTR and short writes.
 * Returns 0 or -errno. Async-signal-safe. */
int ls_write_all(int fd, const void *data, size_t len);

/* "leakscope: warning: <msg>\n" / "leakscope: <msg>\n" on stderr, at most
 * LS_MAX_WARNINGS warnings per process so a broken environment cannot flood
 * the host's stderr. Keeps errno. */
__attribute__((format(printf, 1, 2))) void ls_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void ls_info(const char *fmt, ...);

#endif
