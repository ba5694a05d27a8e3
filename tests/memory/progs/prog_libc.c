/* SPDX-License-Identifier: MIT
 * prog_libc.c: leaks memory that libc functions allocate for the caller:
 * strdup, asprintf and getline's line buffer, one block each.
 *
 * getline's buffer size is libc's choice, so the program prints it
 * ("getline_capacity=N") for the test to compare against the report.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"

PROG_LEAKY static void leak_strdup(void) {
  prog_sink = strdup("hello"); /* LEAK:strdup */
}

PROG_LEAKY static int leak_asprintf(void) {
  char *s;
  if (asprintf(&s, "%s-%d", "leakscope", 2024) < 0) /* LEAK:asprintf */
    return 1;
  prog_sink = s;
  return 0;
}

PROG_LEAKY static int leak_getline(void) {
  static char text[] = "first line\nsecond line\n";
  FILE *f = fmemopen(text, sizeof(text) - 1, "r");
  if (!f)
    return 1;
  char *line = NULL;
  size_t capacity = 0;
  ssize_t n = getline(&line, &capacity, f); /* LEAK:getline */
  fclose(f);
  if (n != 11)
    return 1;
  prog_sink = line;
  prog_say("getline_capacity=%zu\n", capacity);
  return 0;
}

int main(void) {
  leak_strdup();
  return leak_asprintf() || leak_getline();
}
