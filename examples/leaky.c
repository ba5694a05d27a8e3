/* SPDX-License-Identifier: MIT
 * A small program with three kinds of leak, for the README's first
 * command: heap blocks from a helper called in a loop, a file descriptor,
 * and a FILE* stream that is never closed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct record {
  char *name;
  int value;
};

static struct record *parse_record(const char *line) {
  struct record *r = malloc(sizeof *r);
  r->name = strdup(line);
  r->value = (int)strlen(line);
  return r;
}

int main(void) {
  static const char *lines[] = {"alpha", "beta", "gamma"};
  long total = 0;
  for (int i = 0; i < 3; i++) {
    struct record *r = parse_record(lines[i]);
    total += r->value;
    free(r); /* forgets r->name: leaked */
  }
  int fd = open("/dev/null", O_RDONLY);        /* never closed */
  FILE *log = fopen("/proc/self/status", "r"); /* never closed */
  char first[128];
  if (log && fgets(first, sizeof first, log))
    total += (long)strlen(first);
  printf("leaky: processed 3 records (%ld), fd %d still open\n", total, fd);
  return 0;
}
