/* SPDX-License-Identifier: MIT
 * json.h: a small, strict JSON (RFC 8259) parser for reading leakscope's
 * reports in tests.
 *
 * The whole document becomes one tree owned by the returned root; free it
 * with json_free(). Lookup helpers accept NULL and wrong-typed values and
 * answer "absent", so a chain like json_get(json_at(a, 0), "x") never
 * crashes on an unexpected report. Unknown members are simply never looked
 * at, which is how tests stay valid when the report gains fields.
 */
#ifndef LS_TEST_JSON_H
#define LS_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
  JSON_NULL,
  JSON_BOOL,
  JSON_INT,    /* an integer literal that fits int64_t */
  JSON_DOUBLE, /* any other number */
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT,
} json_type_t;

typedef struct json_value json_value_t;

typedef struct json_member {
  char *key; /* NUL-terminated UTF-8; may contain "\u0000" as a NUL byte */
  size_t key_len;
  json_value_t *value;
} json_member_t;

struct json_value {
  json_type_t type;
  union {
    bool boolean;
    int64_t integer;
    double number;
    struct {
      char *bytes; /* NUL-terminated UTF-8 */
      size_t len;
    } string;
    struct {
      json_value_t **items;
      size_t len;
    } array;
    struct {
      json_member_t *members; /* in document order, duplicates kept */
      size_t len;
    } object;
  } u;
};

/* Parses exactly one JSON value from text[0..len), surrounded only by
 * whitespace. Returns the tree, or NULL with a message naming the byte
 * offset in err (if err_size > 0). Nesting deeper than 256 is rejected. */
json_value_t *json_parse(const char *text, size_t len, char *err, size_t err_size);

/* Frees a tree returned by json_parse. NULL is fine. */
void json_free(json_value_t *v);

/* The value of the first member named key, or NULL if v is not an object
 * or has no such member. */
const json_value_t *json_get(const json_value_t *v, const char *key);

/* Number of items of an array or members of an object; 0 otherwise. */
size_t json_len(const json_value_t *v);

/* Item i of an array, or NULL if v is not an array or i is out of range. */
const json_value_t *json_at(const json_value_t *v, size_t i);

/* Stores an integer value in *out and returns true; false (and *out
 * untouched) for anything else, including doubles. */
bool json_as_int(const json_value_t *v, int64_t *out);

/* The bytes of a string value, or NULL for anything else. */
const char *json_as_str(const json_value_t *v);

/* Stores a boolean value in *out and returns true; false otherwise. */
bool json_as_bool(const json_value_t *v, bool *out);

bool json_is_null(const json_value_t *v);

/* Name of a type, for messages. */
const char *json_type_name(json_type_t t);

#endif
