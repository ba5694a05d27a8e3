/* SPDX-License-Identifier: MIT
 * test_out.c: the output buffer and the JSON string writer (out.c).
 *
 * Reports of any size are built in a growing buffer, warnings in a fixed
 * one; a fixed buffer must never be written past its end and must say it
 * cut the text. Every JSON string the reports hold goes through
 * ls_buf_put_json_str: whatever bytes a symbol, path or pattern holds,
 * the result must parse as JSON and decode to those bytes (checked with
 * the tests' own parser, tests/support/json.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "out.h"

/* A fixed buffer keeps the first cap bytes, flags the rest and never
 * writes past cap (the guard bytes after it stay). */
static void test_fixed_truncates(void **state) {
  (void)state;
  char mem[16];
  memset(mem, 'G', sizeof mem);
  ls_buf_t b;
  ls_buf_fixed(&b, mem, 8);
  ls_buf_puts(&b, "hello");
  assert_false(b.truncated);
  ls_buf_puts(&b, " world");
  assert_true(b.truncated);
  assert_int_equal(b.len, 8);
  assert_memory_equal(mem, "hello wo", 8);
  ls_buf_printf(&b, "%d more", 42);
  ls_buf_put_json_str(&b, "x");
  assert_int_equal(b.len, 8);
  for (size_t i = 8; i < sizeof mem; i++)
    assert_int_equal(mem[i], 'G');
}

/* A dynamic buffer grows past its first mapping (64 KiB) and its
 * doublings, and keeps every byte. */
static void test_dynamic_long(void **state) {
  (void)state;
  enum { TOTAL = 3 << 20 };
  ls_buf_t b;
  ls_buf_dynamic(&b);
  char chunk[1000];
  for (size_t i = 0; i < sizeof chunk; i++)
    chunk[i] = (char)('a' + i % 26);
  size_t want = 0;
  while (want < TOTAL) {
    ls_buf_put(&b, chunk, sizeof chunk);
    want += sizeof chunk;
  }
  char *big = malloc(1 << 20);
  assert_non_null(big);
  memset(big, 'z', 1 << 20);
  ls_buf_put(&b, big, 1 << 20); /* one put larger than the doubled capacity */
  want += 1 << 20;
  assert_false(b.truncated);
  assert_int_equal(b.len, want);
  assert_true(b.cap >= b.len);
  for (size_t off = 0; off + sizeof chunk <= TOTAL; off += sizeof chunk)
    assert_memory_equal(b.data + off, chunk, sizeof chunk);
  assert_memory_equal(b.data + want - (1 << 20), big, 1 << 20);
  free(big);
  ls_buf_release(&b);
  assert_null(b.data);
}

static void printf_equals(const char *want, const char *fmt, ...) {
  char mem[256];
  ls_buf_t b;
  ls_buf_fixed(&b, mem, sizeof mem - 1);
  va_list ap;
  va_start(ap, fmt);
  ls_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  mem[b.len] = '\0';
  assert_string_equal(mem, want);
}

/* The printf subset out.h documents, against what libc prints. */
static void test_printf_subset(void **state) {
  (void)state;
  char want[256];
  snprintf(want, sizeof want, "%s|%c|%d|%i|%u|%x|%ld|%lld|%zu|%zd|%lu|%%", "str", 'c', -17, 42,
           4000000000u, 0xbeefu, -5000000000l, -9223372036854775807ll - 1, (size_t)123, (ssize_t)-3,
           18446744073709551615ul);
  printf_equals(want, "%s|%c|%d|%i|%u|%x|%ld|%lld|%zu|%zd|%lu|%%", "str", 'c', -17, 42, 4000000000u,
                0xbeefu, -5000000000l, -9223372036854775807ll - 1, (size_t)123, (ssize_t)-3,
                18446744073709551615ul);
  printf_equals("0x1f", "%p", (void *)0x1f);
  printf_equals("(null)", "%s", (char *)NULL);
  /* An unknown conversion stops the output instead of misreading args. */
  printf_equals("a ", "a %f b %d", 1.0, 2);
}

static void test_integers(void **state) {
  (void)state;
  char mem[128];
  ls_buf_t b;
  ls_buf_fixed(&b, mem, sizeof mem - 1);
  ls_buf_put_i64(&b, INT64_MIN);
  ls_buf_putc(&b, ' ');
  ls_buf_put_u64(&b, UINT64_MAX);
  ls_buf_putc(&b, ' ');
  ls_buf_put_hex(&b, 0);
  ls_buf_putc(&b, ' ');
  ls_buf_put_hex(&b, UINT64_MAX);
  mem[b.len] = '\0';
  assert_string_equal(mem, "-9223372036854775808 18446744073709551615 0x0 0xffffffffffffffff");
}

/* Writes s as a JSON string, parses it back and checks the bytes. */
static void round_trip(const char *s, size_t len) {
  ls_buf_t b;
  ls_buf_dynamic(&b);
  ls_buf_put_json_str(&b, s);
  assert_false(b.truncated);
  char err[160] = "";
  json_value_t *v = json_parse(b.data, b.len, err, sizeof err);
  if (!v)
    fail_msg("ls_buf_put_json_str wrote invalid JSON for a %zu-byte string: %s", len, err);
  assert_int_equal(v->type, JSON_STRING);
  const char *got = json_as_str(v);
  assert_non_null(got);
  assert_int_equal(strlen(got), len);
  assert_memory_equal(got, s, len);
  json_free(v);
  ls_buf_release(&b);
}

/* Every control character, quotes, backslashes, DEL and UTF-8 survive;
 * no raw control byte is left in the output (JSON forbids them). */
static void test_json_control_characters(void **state) {
  (void)state;
  char s[64];
  size_t n = 0;
  for (int c = 1; c < 0x20; c++)
    s[n++] = (char)c;
  s[n++] = '"';
  s[n++] = '\\';
  s[n++] = '/';
  s[n++] = 0x7f;
  s[n] = '\0';
  round_trip(s, n);
  round_trip("", 0);
  round_trip("caf\xc3\xa9 \xe2\x82\xac", strlen("caf\xc3\xa9 \xe2\x82\xac"));

  char mem[512];
  ls_buf_t b;
  ls_buf_fixed(&b, mem, sizeof mem);
  ls_buf_put_json_str(&b, s);
  for (size_t i = 0; i < b.len; i++)
    if ((unsigned char)mem[i] < 0x20)
      fail_msg("raw control byte 0x%02x at %zu", (unsigned char)mem[i], i);
  ls_buf_fixed(&b, mem, sizeof mem);
  ls_buf_put_json_str(&b, NULL);
  assert_int_equal(b.len, 4);
  assert_memory_equal(mem, "null", 4);
}

/* Long strings: 200 KB of quotes and newlines (each escaped to two
 * bytes) and a 1 MB path. */
static void test_json_long_strings(void **state) {
  (void)state;
  size_t n = 200000;
  char *s = malloc(n + 1);
  assert_non_null(s);
  for (size_t i = 0; i < n; i++)
    s[i] = "\"\n\\a\x01"[i % 5];
  s[n] = '\0';
  round_trip(s, n);
  free(s);
  n = 1 << 20;
  s = malloc(n + 1);
  assert_non_null(s);
  for (size_t i = 0; i < n; i++)
    s[i] = i % 64 == 0 ? '/' : 'p';
  s[n] = '\0';
  round_trip(s, n);
  free(s);
}

/* In a fixed buffer too small for it, a JSON string is cut and the buffer
 * says so: the text is not valid JSON, and a writer must check
 * `truncated` before using it (the bug behind a 699-byte suppression
 * pattern breaking the JSON report line). */
static void test_json_truncated_is_flagged(void **state) {
  (void)state;
  char mem[64];
  ls_buf_t b;
  ls_buf_fixed(&b, mem, sizeof mem);
  char s[200];
  memset(s, '"', sizeof s - 1);
  s[sizeof s - 1] = '\0';
  ls_buf_put_json_str(&b, s);
  assert_true(b.truncated);
  assert_int_equal(b.len, sizeof mem);
  char err[160];
  json_value_t *v = json_parse(mem, b.len, err, sizeof err);
  assert_null(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixed_truncates),
      cmocka_unit_test(test_dynamic_long),
      cmocka_unit_test(test_printf_subset),
      cmocka_unit_test(test_integers),
      cmocka_unit_test(test_json_control_characters),
      cmocka_unit_test(test_json_long_strings),
      cmocka_unit_test(test_json_truncated_is_flagged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
