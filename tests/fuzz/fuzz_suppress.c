/* SPDX-License-Identifier: MIT
 * fuzz_suppress.c: libFuzzer target for the suppression-file parser
 * (src/suppress.c).
 *
 * src/suppress.c is included, not linked, so the fuzzer reaches its
 * static parse() with an exactly sized buffer (ASan sees any read past the
 * end) and can reset the rule list between inputs. Its arena allocations
 * are redirected to malloc and freed after each input, so memory does not
 * grow with the run and ASan checks every pattern string's bounds. One
 * input in 16 also goes through ls_suppress_load on a temporary file
 * (open/read, the ':'-separated list). Every rule must then have a
 * non-empty pattern without a newline, and a line number in the input
 * (a NUL byte in a line makes it malformed: it once cut a pattern down to
 * "", which matched every name). Each pattern is matched against a fixed
 * name and against itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *pieces[1 << 16];
static size_t npieces;

static void *fuzz_alloc(size_t size, size_t align) {
  (void)align;
  if (npieces == sizeof pieces / sizeof pieces[0])
    return NULL;
  return pieces[npieces++] = calloc(1, size);
}

#define ls_arena_alloc fuzz_alloc
#include "../../src/suppress.c"
#undef ls_arena_alloc

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rules = fuzz_alloc(MAX_RULES * sizeof *rules, 16);
  nrules = 0;
  char *text = malloc(size ? size : 1);
  memcpy(text, data, size);
  int lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += text[i] == '\n';
  if (size && data[0] % 16 == 0) {
    char path[] = "/tmp/leakscope-fuzz-suppress-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
      if (write(fd, text, size) == (ssize_t)size) {
        char list[sizeof path * 2 + 2];
        snprintf(list, sizeof list, "%s::%s", path, path);
        size_t got = ls_suppress_load(list);
        if (got > MAX_RULES)
          __builtin_trap();
      }
      close(fd);
      unlink(path);
    }
    nrules = 0;
  }
  parse("fuzz", text, size);
  for (size_t i = 0; i < nrules; i++) {
    const ls_rule_t *r = &rules[i];
    if (!r->pattern || !*r->pattern || strchr(r->pattern, '\n') || r->line < 1 || r->line > lines)
      __builtin_trap();
    ls_suppress_match(r->pattern, "std::vector<int>::_M_realloc_insert");
    if (!ls_suppress_match(r->pattern, r->pattern) && !strpbrk(r->pattern, "*^$"))
      __builtin_trap(); /* a plain pattern contains itself */
  }
  free(text);
  for (size_t i = 0; i < npieces; i++)
    free(pieces[i]);
  npieces = 0;
  rules = NULL;
  nrules = 0;
  return 0;
}
