/* SPDX-License-Identifier: MIT
 * kvconfig.c: see kvconfig.h. Every error path releases what it made, so
 * the example's clean tests stay clean under leakscope.
 */
#include "kvconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A trimmed copy of [begin, end). */
static char *dup_trimmed(const char *begin, const char *end) {
  while (begin < end && isspace((unsigned char)*begin))
    begin++;
  while (end > begin && isspace((unsigned char)end[-1]))
    end--;
  return strndup(begin, (size_t)(end - begin));
}

struct kvconfig *kvconfig_parse(const char *line) {
  const char *eq = strchr(line, '=');
  if (!eq || line[strspn(line, " \t")] == '#')
    return NULL;
  struct kvconfig *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->key = dup_trimmed(line, eq);
  c->value = dup_trimmed(eq + 1, eq + strlen(eq));
  if (!c->key || !c->value || !c->key[0]) {
    kvconfig_free(c);
    return NULL;
  }
  return c;
}

void kvconfig_free(struct kvconfig *c) {
  if (!c)
    return;
  free(c->key);
  free(c->value);
  free(c);
}
