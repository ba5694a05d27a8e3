/* SPDX-License-Identifier: MIT
 * json.c: recursive-descent JSON parser and tree lookups (see json.h).
 *
 * Strict on purpose: a report the library writes slightly wrong (a trailing
 * comma, a raw control character, a lone surrogate, "01") must fail the
 * test that reads it rather than be silently accepted. The parser never
 * reads past len, so the input need not be NUL-terminated.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

typedef struct parser {
  const char *p;
  const char *end;
  const char *start;
  int depth;
  char *err;
  size_t err_size;
  bool failed;
} parser_t;

static json_value_t *parse_value(parser_t *ps);

/* Records the first error only: later ones are consequences of it. */
__attribute__((format(printf, 2, 3))) static void fail(parser_t *ps, const char *fmt, ...) {
  if (ps->failed)
    return;
  ps->failed = true;
  if (ps->err_size == 0)
    return;
  int n = snprintf(ps->err, ps->err_size, "offset %td: ", ps->p - ps->start);
  if (n < 0 || (size_t)n >= ps->err_size)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
  va_end(ap);
}

static void skip_ws(parser_t *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static json_value_t *new_value(parser_t *ps, json_type_t type) {
  json_value_t *v = calloc(1, sizeof(*v));
  if (!v)
    fail(ps, "out of memory");
  else
    v->type = type;
  return v;
}

/* Grows *items (of elem_size each) so that one more fits. */
static bool reserve(parser_t *ps, void **items, size_t len, size_t *cap, size_t elem_size) {
  if (len < *cap)
    return true;
  size_t ncap = *cap ? *cap * 2 : 4;
  void *n = realloc(*items, ncap * elem_size);
  if (!n) {
    fail(ps, "out of memory");
    return false;
  }
  *items = n;
  *cap = ncap;
  return true;
}

static bool match_literal(parser_t *ps, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
    return false;
  ps->p += n;
  return true;
}

/* --- Strings --- */

static int hex4(parser_t *ps, unsigned *out) {
  if (ps->end - ps->p < 4) {
    fail(ps, "truncated \\u escape");
    return -1;
  }
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = ps->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else {
      fail(ps, "bad hex digit in \\u escape");
      return -1;
    }
  }
  ps->p += 4;
  *out = v;
  return 0;
}

static size_t utf8_encode(unsigned cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Reads the code point of a \u escape (ps->p just past "\u"), joining a
 * surrogate pair; a surrogate without its partner is an error. */
static int unicode_escape(parser_t *ps, unsigned *cp) {
  unsigned hi;
  if (hex4(ps, &hi) < 0)
    return -1;
  if (hi >= 0xDC00 && hi <= 0xDFFF) {
    fail(ps, "unpaired low surrogate");
    return -1;
  }
  if (hi < 0xD800 || hi > 0xDBFF) {
    *cp = hi;
    return 0;
  }
  unsigned lo;
  if (!match_literal(ps, "\\u") || hex4(ps, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF) {
    fail(ps, "unpaired high surrogate");
    return -1;
  }
  *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. Rejects
 * overlong forms and encoded surrogates, as RFC 3629 requires. */
static size_t utf8_valid(const unsigned char *s, size_t n) {
  if (s[0] < 0x80)
    return 1;
  size_t len;
  unsigned cp, min;
  if ((s[0] & 0xE0) == 0xC0)
    len = 2, cp = s[0] & 0x1F, min = 0x80;
  else if ((s[0] & 0xF0) == 0xE0)
    len = 3, cp = s[0] & 0x0F, min = 0x800;
  else if ((s[0] & 0xF8) == 0xF0)
    len = 4, cp = s[0] & 0x07, min = 0x10000;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/* Parses a string (ps->p at the opening quote) into a fresh buffer. */
static char *parse_string_raw(parser_t *ps, size_t *out_len) {
  ps->p++;
  /* Escapes only ever shrink the text, so the raw span bounds the output;
   * find the closing quote first to size the buffer once. */
  const char *q = ps->p;
  while (q < ps->end && *q != '"')
    q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  if (q >= ps->end) {
    fail(ps, "unterminated string");
    return NULL;
  }
  char *buf = malloc((size_t)(q - ps->p) + 1);
  if (!buf) {
    fail(ps, "out of memory");
    return NULL;
  }
  size_t n = 0;
  while (ps->p < q) {
    unsigned char c = (unsigned char)*ps->p;
    if (c < 0x20) {
      fail(ps, "unescaped control character 0x%02x in string", c);
      goto error;
    }
    if (c != '\\') {
      size_t len = utf8_valid((const unsigned char *)ps->p, (size_t)(q - ps->p));
      if (len == 0) {
        fail(ps, "invalid UTF-8 in string");
        goto error;
      }
      memcpy(buf + n, ps->p, len);
      n += len;
      ps->p += len;
      continue;
    }
    ps->p++;
    char e = *ps->p++;
    switch (e) {
    case '"': buf[n++] = '"'; break;
    case '\\': buf[n++] = '\\'; break;
    case '/': buf[n++] = '/'; break;
    case 'b': buf[n++] = '\b'; break;
    case 'f': buf[n++] = '\f'; break;
    case 'n': buf[n++] = '\n'; break;
    case 'r': buf[n++] = '\r'; break;
    case 't': buf[n++] = '\t'; break;
    case 'u': {
      unsigned cp;
      if (unicode_escape(ps, &cp) < 0)
        goto error;
      n += utf8_encode(cp, buf + n);
      break;
    }
    default:
      ps->p--;
      fail(ps, "invalid escape '\\%c'", e);
      goto error;
    }
  }
  ps->p = q + 1;
  buf[n] = '\0';
  *out_len = n;
  return buf;
error:
  free(buf);
  return NULL;
}

static json_value_t *parse_string(parser_t *ps) {
  size_t len;
  char *s = parse_string_raw(ps, &len);
  if (!s)
    return NULL;
  json_value_t *v = new_value(ps, JSON_STRING);
  if (!v) {
    free(s);
    return NULL;
  }
  v->u.string.bytes = s;
  v->u.string.len = len;
  return v;
}

/* --- Numbers --- */

static bool is_digit(const parser_t *ps) {
  return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

/* Validates the RFC 8259 number grammar, then converts: integer literals
 * exactly (int64, overflow falls back to double), others with strtod. */
static json_value_t *parse_number(parser_t *ps) {
  const char *begin = ps->p;
  bool integral = true;
  if (*ps->p == '-')
    ps->p++;
  if (!is_digit(ps)) {
    fail(ps, "expected digit");
    return NULL;
  }
  if (*ps->p == '0') {
    ps->p++;
    if (is_digit(ps)) {
      fail(ps, "leading zero in number");
      return NULL;
    }
  } else {
    while (is_digit(ps))
      ps->p++;
  }
  if (ps->p < ps->end && *ps->p == '.') {
    integral = false;
    ps->p++;
    if (!is_digit(ps)) {
      fail(ps, "expected digit after '.'");
      return NULL;
    }
    while (is_digit(ps))
      ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    integral = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
      ps->p++;
    if (!is_digit(ps)) {
      fail(ps, "expected digit in exponent");
      return NULL;
    }
    while (is_digit(ps))
      ps->p++;
  }

  if (integral) {
    bool neg = *begin == '-';
    /* Accumulate as a negative number: its range includes INT64_MIN. */
    int64_t acc = 0;
    bool overflow = false;
    for (const char *d = begin + neg; d < ps->p && !overflow; d++) {
      int digit = *d - '0';
      if (acc < (INT64_MIN + digit) / 10)
        overflow = true;
      else
        acc = acc * 10 - digit;
    }
    if (!overflow && (neg || acc != INT64_MIN)) {
      json_value_t *v = new_value(ps, JSON_INT);
      if (v)
        v->u.integer = neg ? acc : -acc;
      return v;
    }
  }

  /* strtod needs a NUL-terminated copy: the input may not be terminated. */
  char tmp[64];
  size_t n = (size_t)(ps->p - begin);
  char *copy = n < sizeof(tmp) ? tmp : malloc(n + 1);
  if (!copy) {
    fail(ps, "out of memory");
    return NULL;
  }
  memcpy(copy, begin, n);
  copy[n] = '\0';
  errno = 0;
  double d = strtod(copy, NULL);
  if (copy != tmp)
    free(copy);
  if (errno == ERANGE && isinf(d)) {
    ps->p = begin;
    fail(ps, "number out of range");
    return NULL;
  }
  json_value_t *v = new_value(ps, JSON_DOUBLE);
  if (v)
    v->u.number = d;
  return v;
}

/* --- Containers --- */

static json_value_t *parse_array(parser_t *ps) {
  json_value_t *v = new_value(ps, JSON_ARRAY);
  if (!v)
    return NULL;
  size_t cap = 0;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return v;
  }
  for (;;) {
    json_value_t *item = parse_value(ps);
    if (!item)
      goto error;
    if (!reserve(ps, (void **)&v->u.array.items, v->u.array.len, &cap, sizeof(item))) {
      json_free(item);
      goto error;
    }
    v->u.array.items[v->u.array.len++] = item;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == ']') {
      ps->p++;
      return v;
    }
    fail(ps, "expected ',' or ']' in array");
    goto error;
  }
error:
  json_free(v);
  return NULL;
}

static json_value_t *parse_object(parser_t *ps) {
  json_value_t *v = new_value(ps, JSON_OBJECT);
  if (!v)
    return NULL;
  size_t cap = 0;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return v;
  }
  for (;;) {
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '"') {
      fail(ps, "expected string key in object");
      goto error;
    }
    json_member_t m = {0};
    m.key = parse_string_raw(ps, &m.key_len);
    if (!m.key)
      goto error;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':') {
      free(m.key);
      fail(ps, "expected ':' after object key");
      goto error;
    }
    ps->p++;
    m.value = parse_value(ps);
    if (!m.value || !reserve(ps, (void **)&v->u.object.members, v->u.object.len, &cap, sizeof(m))) {
      free(m.key);
      json_free(m.value);
      goto error;
    }
    v->u.object.members[v->u.object.len++] = m;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == '}') {
      ps->p++;
      return v;
    }
    fail(ps, "expected ',' or '}' in object");
    goto error;
  }
error:
  json_free(v);
  return NULL;
}

/* --- Values --- */

static json_value_t *parse_value(parser_t *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    fail(ps, "unexpected end of input");
    return NULL;
  }
  json_value_t *v = NULL;
  switch (*ps->p) {
  case '{':
  case '[':
    if (++ps->depth > MAX_DEPTH) {
      fail(ps, "nesting deeper than %d", MAX_DEPTH);
      return NULL;
    }
    v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
    ps->depth--;
    return v;
  case '"': return parse_string(ps);
  case 't':
  case 'f':
  case 'n':
    if (match_literal(ps, "true") || match_literal(ps, "false")) {
      v = new_value(ps, JSON_BOOL);
      if (v)
        v->u.boolean = ps->p[-4] == 't'; /* "true" ends 4 bytes back */
      return v;
    }
    if (match_literal(ps, "null"))
      return new_value(ps, JSON_NULL);
    break;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
      return parse_number(ps);
    break;
  }
  fail(ps, "unexpected character '%c'", *ps->p);
  return NULL;
}

json_value_t *json_parse(const char *text, size_t len, char *err, size_t err_size) {
  parser_t ps = {.p = text, .end = text + len, .start = text, .err = err, .err_size = err_size};
  if (err_size > 0)
    err[0] = '\0';
  json_value_t *v = parse_value(&ps);
  if (!v)
    return NULL;
  skip_ws(&ps);
  if (ps.p != ps.end) {
    fail(&ps, "trailing characters after value");
    json_free(v);
    return NULL;
  }
  return v;
}

void json_free(json_value_t *v) {
  if (!v)
    return;
  switch (v->type) {
  case JSON_STRING: free(v->u.string.bytes); break;
  case JSON_ARRAY:
    for (size_t i = 0; i < v->u.array.len; i++)
      json_free(v->u.array.items[i]);
    free(v->u.array.items);
    break;
  case JSON_OBJECT:
    for (size_t i = 0; i < v->u.object.len; i++) {
      free(v->u.object.members[i].key);
      json_free(v->u.object.members[i].value);
    }
    free(v->u.object.members);
    break;
  default: break;
  }
  free(v);
}

/* --- Lookups --- */

const json_value_t *json_get(const json_value_t *v, const char *key) {
  if (!v || v->type != JSON_OBJECT)
    return NULL;
  size_t klen = strlen(key);
  for (size_t i = 0; i < v->u.object.len; i++) {
    const json_member_t *m = &v->u.object.members[i];
    if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
      return m->value;
  }
  return NULL;
}

size_t json_len(const json_value_t *v) {
  if (!v)
    return 0;
  if (v->type == JSON_ARRAY)
    return v->u.array.len;
  if (v->type == JSON_OBJECT)
    return v->u.object.len;
  return 0;
}

const json_value_t *json_at(const json_value_t *v, size_t i) {
  if (!v || v->type != JSON_ARRAY || i >= v->u.array.len)
    return NULL;
  return v->u.array.items[i];
}

bool json_as_int(const json_value_t *v, int64_t *out) {
  if (!v || v->type != JSON_INT)
    return false;
  *out = v->u.integer;
  return true;
}

const char *json_as_str(const json_value_t *v) {
  return v && v->type == JSON_STRING ? v->u.string.bytes : NULL;
}

bool json_as_bool(const json_value_t *v, bool *out) {
  if (!v || v->type != JSON_BOOL)
    return false;
  *out = v->u.boolean;
  return true;
}

bool json_is_null(const json_value_t *v) { return v && v->type == JSON_NULL; }

const char *json_type_name(json_type_t t) {
  static const char *const names[] = {"null", "bool", "int", "double", "string", "array", "object"};
  return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}
