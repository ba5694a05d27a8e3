/* SPDX-License-Identifier: MIT
 * out.c: malloc-free formatting and EINTR-safe writes (see out.h).
 * Owns the warning budget. Dynamic buffers grow in mbuf.h's mappings so a
 * report can be built while the host's heap is in any state.
 */
#include "out.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "atomic.h"
#include "mbuf.h"

#define LS_MAX_WARNINGS 32

void ls_buf_fixed(ls_buf_t *b, char *mem, size_t cap) { *b = (ls_buf_t){.data = mem, .cap = cap}; }

void ls_buf_dynamic(ls_buf_t *b) { *b = (ls_buf_t){.owned = true}; }

void ls_buf_release(ls_buf_t *b) {
  if (b->owned)
    ls_mbuf_unmap(b->data, b->cap);
  *b = (ls_buf_t){0};
}

/* Makes room for n more bytes; false when it cannot (the output is then
 * cut short and flagged, never written past the end). */
static bool reserve(ls_buf_t *b, size_t n) {
  if (b->len + n <= b->cap)
    return true;
  if (!b->owned) {
    b->truncated = true;
    return false;
  }
  if (!ls_mbuf_grow((void **)&b->data, &b->cap, b->len + n, 65536)) {
    b->truncated = true;
    return false;
  }
  return true;
}

void ls_buf_put(ls_buf_t *b, const char *s, size_t n) {
  if (!reserve(b, n))
    n = b->cap - b->len;
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

void ls_buf_puts(ls_buf_t *b, const char *s) { ls_buf_put(b, s, strlen(s)); }

void ls_buf_putc(ls_buf_t *b, char c) { ls_buf_put(b, &c, 1); }

static void put_unsigned(ls_buf_t *b, uint64_t v, unsigned base) {
  char tmp[24];
  int i = sizeof tmp;
  do {
    tmp[--i] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  ls_buf_put(b, tmp + i, sizeof tmp - i);
}

void ls_buf_put_u64(ls_buf_t *b, uint64_t v) { put_unsigned(b, v, 10); }

void ls_buf_put_i64(ls_buf_t *b, int64_t v) {
  if (v < 0) {
    ls_buf_putc(b, '-');
    put_unsigned(b, -(uint64_t)v, 10);
  } else {
    put_unsigned(b, (uint64_t)v, 10);
  }
}

void ls_buf_put_hex(ls_buf_t *b, uint64_t v) {
  ls_buf_put(b, "0x", 2);
  put_unsigned(b, v, 16);
}

void ls_buf_put_json_str(ls_buf_t *b, const char *s) {
  if (!s) {
    ls_buf_puts(b, "null");
    return;
  }
  ls_buf_putc(b, '"');
  ls_buf_put_json_chars(b, s);
  ls_buf_putc(b, '"');
}

void ls_buf_put_json_chars(ls_buf_t *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': ls_buf_put(b, "\\\"", 2); break;
    case '\\': ls_buf_put(b, "\\\\", 2); break;
    case '\n': ls_buf_put(b, "\\n", 2); break;
    case '\t': ls_buf_put(b, "\\t", 2); break;
    case '\r': ls_buf_put(b, "\\r", 2); break;
    default:
      if (*p < 0x20) {
        ls_buf_put(b, "\\u00", 4);
        ls_buf_putc(b, "0123456789abcdef"[*p >> 4]);
        ls_buf_putc(b, "0123456789abcdef"[*p & 15]);
      } else {
        ls_buf_putc(b, (char)*p);
      }
    }
  }
}

void ls_buf_vprintf(ls_buf_t *b, const char *fmt, va_list ap) {
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      ls_buf_putc(b, *f);
      continue;
    }
    int longs = 0;
    bool size = false;
    for (f++; *f == 'l' || *f == 'z'; f++) {
      if (*f == 'l')
        longs++;
      else
        size = true;
    }
    switch (*f) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      ls_buf_puts(b, s ? s : "(null)");
      break;
    }
    case 'c': ls_buf_putc(b, (char)va_arg(ap, int)); break;
    case 'd':
    case 'i':
      ls_buf_put_i64(b, size    ? (int64_t)va_arg(ap, ssize_t)
                        : longs ? (int64_t)va_arg(ap, long)
                                : va_arg(ap, int));
      break;
    case 'u':
    case 'x': {
      uint64_t v = size    ? va_arg(ap, size_t)
                   : longs ? va_arg(ap, unsigned long)
                           : va_arg(ap, unsigned);
      put_unsigned(b, v, *f == 'x' ? 16 : 10);
      break;
    }
    case 'p': ls_buf_put_hex(b, (uintptr_t)va_arg(ap, void *)); break;
    case '%': ls_buf_putc(b, '%'); break;
    default: return; /* unknown conversion: stop rather than misread args */
    }
  }
}

void ls_buf_printf(ls_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ls_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

int ls_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* keptfd.c, in the library: the original stderr, which a program that
 * closed or redirected fd 2 no longer has there. Absent from the CLI. */
__attribute__((weak)) int ls_kept_stderr(void);

static int stderr_fd(void) {
  if (!ls_kept_stderr)
    return 2;
  int fd = ls_kept_stderr();
  return fd >= 0 ? fd : 2;
}

static void emit(const char *prefix, const char *fmt, va_list ap) {
  LS_KEEP_ERRNO();
  char mem[512];
  ls_buf_t b;
  ls_buf_fixed(&b, mem, sizeof mem - 1);
  ls_buf_puts(&b, prefix);
  ls_buf_vprintf(&b, fmt, ap);
  b.data[b.len++] = '\n'; /* the -1 above kept room for it */
  ls_write_all(stderr_fd(), b.data, b.len);
}

void ls_warn(const char *fmt, ...) {
  /* relaxed: a counter, no data is published through it */
  static _Atomic unsigned warnings;
  if (ls_atomic_add_relaxed(&warnings, 1) >= LS_MAX_WARNINGS)
    return;
  va_list ap;
  va_start(ap, fmt);
  emit("leakscope: warning: ", fmt, ap);
  va_end(ap);
}

void ls_info(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("leakscope: ", fmt, ap);
  va_end(ap);
}

void ls_fatal(const char *msg) {
  static const char prefix[] = "leakscope: fatal: ";
  ls_write_all(2, prefix, sizeof prefix - 1);
  ls_write_all(2, msg, strlen(msg));
  ls_write_all(2, "\n", 1);
  abort();
}
