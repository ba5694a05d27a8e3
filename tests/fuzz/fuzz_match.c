/* SPDX-License-Identifier: MIT
 * fuzz_match.c: libFuzzer target for suppression pattern matching
 * (ls_suppress_match in src/suppress.c). The input is "pattern\nname";
 * both become exactly sized NUL-terminated strings. Checks what must hold
 * for any pattern: a pattern without '*', '^' or '$' matches exactly the
 * names that contain it, and "*" alone matches everything. Matching is
 * O(|pattern| x |name|) (it once was exponential in the number of '*'),
 * so inputs of any shape are matched; libFuzzer's -timeout catches a
 * regression.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t plen = nl ? (size_t)(nl - data) : size;
  size_t slen = nl ? size - plen - 1 : 0;
  char *pattern = malloc(plen + 1), *name = malloc(slen + 1);
  memcpy(pattern, data, plen);
  pattern[plen] = '\0';
  memcpy(name, nl ? nl + 1 : data, slen);
  name[slen] = '\0';
  bool m = ls_suppress_match(pattern, name);
  if (!strpbrk(pattern, "*^$") && strlen(pattern) == plen && strlen(name) == slen &&
      m != (strstr(name, pattern) != NULL))
    __builtin_trap();
  if (!ls_suppress_match("*", name))
    __builtin_trap();
  free(pattern);
  free(name);
  return 0;
}
