/* SPDX-License-Identifier: MIT
 * fuzz_match.c: libFuzzer target for suppression pattern matching
 * (ls_suppress_match in src/suppress.c). The input is "pattern\nname";
 * both become exactly sized NUL-terminated strings. Checks what must hold
 * for any pattern: a pattern without '*', '^' or '$' matches exactly the
 * names that contain it, and "*" alone matches everything.
 *
 * Matching backtracks exponentially in the number of '*' (a known bug,
 * docs/reliability.md "Bugs found"): inputs with more than MAX_STARS are
 * skipped, and names cut to MAX_NAME bytes, so the fuzzer can look for
 * other problems; lift both limits with the fix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

#define MAX_STARS 3
#define MAX_NAME 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t plen = nl ? (size_t)(nl - data) : size;
  size_t slen = nl ? size - plen - 1 : 0;
  size_t stars = 0;
  for (size_t i = 0; i < plen; i++)
    stars += data[i] == '*';
  if (stars > MAX_STARS)
    return 0;
  if (slen > MAX_NAME)
    slen = MAX_NAME;
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
