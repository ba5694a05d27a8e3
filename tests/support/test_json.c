/* SPDX-License-Identifier: MIT
 * test_json.c: unit tests of the test-support JSON parser.
 *
 * Every preload test trusts this parser to read reports, so it is tested on
 * its own: values, escapes, number edge cases, the lookups' tolerance of
 * wrong types, and rejection of each kind of malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "json.h"

/* Parses s, failing the test with the parser's message if it is rejected. */
static json_value_t *parse_ok(const char *s) {
  char err[128];
  json_value_t *v = json_parse(s, strlen(s), err, sizeof(err));
  if (!v)
    fail_msg("rejected valid JSON %s: %s", s, err);
  return v;
}

static void test_scalars(void **state) {
  int64_t i = 0;
  bool b = false;
  json_value_t *v = parse_ok(" 42 ");
  assert_true(json_as_int(v, &i));
  assert_int_equal(i, 42);
  json_free(v);

  v = parse_ok("-9223372036854775808");
  assert_true(json_as_int(v, &i));
  assert_true(i == INT64_MIN);
  json_free(v);

  /* One past INT64_MAX no longer fits: it becomes a double, not garbage. */
  v = parse_ok("9223372036854775808");
  assert_int_equal(v->type, JSON_DOUBLE);
  assert_false(json_as_int(v, &i));
  json_free(v);

  v = parse_ok("-1.5e3");
  assert_int_equal(v->type, JSON_DOUBLE);
  assert_true(v->u.number == -1500.0);
  json_free(v);

  v = parse_ok("0.25");
  assert_true(v->u.number == 0.25);
  json_free(v);

  v = parse_ok("true");
  assert_true(json_as_bool(v, &b) && b);
  json_free(v);
  v = parse_ok("false");
  assert_true(json_as_bool(v, &b) && !b);
  json_free(v);
  v = parse_ok("null");
  assert_true(json_is_null(v));
  json_free(v);
}

static void test_strings(void **state) {
  json_value_t *v = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
  assert_string_equal(json_as_str(v), "a\"b\\c/d\b\f\n\r\t");
  json_free(v);

  /* BMP escape, surrogate pair and raw multibyte UTF-8 all become UTF-8. */
  v = parse_ok("\"\\u00e9\\u20AC\\ud83d\\ude00\xc3\xa9\"");
  assert_string_equal(json_as_str(v), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9");
  json_free(v);

  /* \u0000 is kept as a byte; the length says where the string ends. */
  v = parse_ok("\"x\\u0000y\"");
  assert_int_equal(v->u.string.len, 3);
  assert_memory_equal(v->u.string.bytes, "x\0y", 3);
  json_free(v);
}

static void test_containers(void **state) {
  json_value_t *v =
      parse_ok("{\"format\":\"leakscope-report\",\"pid\":7,\"unknown\":{\"x\":[1,2]},"
               "\"leaks\":[{\"bytes\":1234,\"stack\":[{\"function\":null,\"line\":12}]},{}],"
               "\"empty\":[],\"pid\":8}");
  int64_t i = 0;
  assert_string_equal(json_as_str(json_get(v, "format")), "leakscope-report");
  /* Duplicate keys are kept; lookup answers the first. */
  assert_true(json_as_int(json_get(v, "pid"), &i));
  assert_int_equal(i, 7);
  assert_int_equal(json_len(v), 6);

  const json_value_t *leaks = json_get(v, "leaks");
  assert_int_equal(json_len(leaks), 2);
  const json_value_t *frame = json_at(json_get(json_at(leaks, 0), "stack"), 0);
  assert_true(json_is_null(json_get(frame, "function")));
  assert_true(json_as_int(json_get(frame, "line"), &i));
  assert_int_equal(i, 12);
  assert_int_equal(json_len(json_at(leaks, 1)), 0);
  assert_int_equal(json_len(json_get(v, "empty")), 0);

  /* Absent or wrong-typed values read as absent, never crash. */
  assert_null(json_at(leaks, 2));
  assert_null(json_get(leaks, "bytes"));
  assert_null(json_at(json_get(v, "format"), 0));
  assert_null(json_get(NULL, "x"));
  assert_null(json_as_str(json_get(v, "pid")));
  assert_false(json_as_int(json_get(v, "format"), &i));
  assert_false(json_as_int(NULL, &i));
  assert_false(json_is_null(NULL));
  json_free(v);
}

/* Input that stops mid-buffer: the parser must honour len, not a NUL. */
static void test_length_bound(void **state) {
  const char buf[] = "[1,2]garbage";
  char err[128];
  json_value_t *v = json_parse(buf, 5, err, sizeof(err));
  assert_non_null(v);
  assert_int_equal(json_len(v), 2);
  json_free(v);
  int64_t i = 0;
  v = json_parse("123", 2, err, sizeof(err));
  assert_true(json_as_int(v, &i));
  assert_int_equal(i, 12);
  json_free(v);
  assert_null(json_parse("\"ab\"", 3, err, sizeof(err)));
}

static void test_deep_nesting(void **state) {
  char buf[2 * 300 + 1];
  char err[128];
  for (int depth = 256; depth <= 257; depth++) {
    memset(buf, '[', (size_t)depth);
    memset(buf + depth, ']', (size_t)depth);
    json_value_t *v = json_parse(buf, 2 * (size_t)depth, err, sizeof(err));
    if (depth == 256) {
      assert_non_null(v);
      json_free(v);
    } else {
      assert_null(v);
      assert_non_null(strstr(err, "nesting"));
    }
  }
}

static void test_rejects(void **state) {
  static const char *const bad[] = {
      "",
      "   ",
      "{",
      "[1,]",
      "{\"a\":1,}",
      "[1 2]",
      "{\"a\" 1}",
      "{1:2}",
      "'x'",
      "\"abc",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\u12G4\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"a\tb\"",
      "\"\xc3\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "01",
      "-",
      "1.",
      ".5",
      "1e",
      "+1",
      "0x10",
      "tru",
      "nul",
      "True",
      "NaN",
      "Infinity",
      "1e999",
      "[1] [2]",
      "{} x",
      "[\"a\"]]",
  };
  char err[128];
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    json_value_t *v = json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
    if (v) {
      json_free(v);
      fail_msg("accepted invalid JSON #%zu: %s", i, bad[i]);
    }
    if (strncmp(err, "offset ", 7) != 0)
      fail_msg("no error message for invalid JSON #%zu: %s (got \"%s\")", i, bad[i], err);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalars),      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_containers),   cmocka_unit_test(test_length_bound),
      cmocka_unit_test(test_deep_nesting), cmocka_unit_test(test_rejects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
