/* SPDX-License-Identifier: MIT
 * fuzz_config.c: libFuzzer target for the option parser (src/config.c).
 *
 * The input is lines. Each line becomes an environment entry for
 * ls_config_load (prefixed with LEAKSCOPE_ unless it already starts with
 * it) and, split at its first '=', a direct ls_config_set call. The first
 * byte's low bit selects a set-uid load. After parsing, every option must
 * hold a value its documentation allows, whatever the input.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_LINES 64

static void check(const ls_config_t *c) {
  if (c->format < LS_FORMAT_TEXT || c->format >= LS_FORMAT_COUNT || c->depth < 1 ||
      c->depth > 256 || c->unwind < LS_UNWIND_CFI || c->unwind > LS_UNWIND_CFI_ALIAS ||
      c->signal < 0 || c->signal >= 65 || c->signal == SIGKILL || c->signal == SIGSTOP ||
      c->signal == SIGSEGV || c->signal == SIGBUS || c->exitcode > 255 ||
      c->interval > 86400UL * 365 || c->min_age > 86400UL * 365 || (c->output && !*c->output) ||
      (c->suppressions && !*c->suppressions))
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  char *lines[MAX_LINES], *env[MAX_LINES + 1];
  size_t n = 0;
  for (char *s = text, *nl; n < MAX_LINES && s < text + size; s = nl + 1) {
    nl = memchr(s, '\n', (size_t)(text + size - s));
    if (!nl)
      nl = text + size;
    *nl = '\0';
    lines[n++] = s;
  }
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(lines[i]);
    env[i] = malloc(len + 11);
    if (!strncmp(lines[i], "LEAKSCOPE_", 10))
      memcpy(env[i], lines[i], len + 1);
    else
      memcpy(env[i], "LEAKSCOPE_", 10), memcpy(env[i] + 10, lines[i], len + 1);
  }
  env[n] = NULL;
  ls_config_load(env, size && (data[0] & 1));
  check(&ls_config);

  ls_config_t cfg;
  ls_config_defaults(&cfg);
  for (size_t i = 0; i < n; i++) {
    char *eq = strchr(lines[i], '=');
    if (!eq)
      continue;
    *eq = '\0';
    ls_config_set(&cfg, lines[i], eq + 1);
    check(&cfg);
  }
  for (size_t i = 0; i < n; i++)
    free(env[i]);
  free(text);
  return 0;
}
