/* SPDX-License-Identifier: MIT
 * kvconfig.h: the "library under test" of the cmocka example: parses one
 * "key = value" configuration line.
 */
#ifndef KVCONFIG_H
#define KVCONFIG_H

struct kvconfig {
  char *key;   /* owned, trimmed */
  char *value; /* owned, trimmed; may be empty */
};

/* Parses line. Returns a new kvconfig to release with kvconfig_free, or
 * NULL for a blank line, a comment ('#') or a line without a key and '='. */
struct kvconfig *kvconfig_parse(const char *line);

/* Releases c and its strings. NULL is fine. */
void kvconfig_free(struct kvconfig *c);

#endif
