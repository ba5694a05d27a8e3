/* SPDX-License-Identifier: MIT
 * consumer.c: a program built against an installed leakscope, as a user
 * would build one. Checks exact counts through the API.
 *
 * Usage: consumer active|inactive
 * "active" when libleakscope is linked or preloaded, "inactive" when the
 * program links only the API shim and runs without it. Exits 0 when every
 * answer is the expected one, 1 (saying which) otherwise.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leakscope.h>

static int failures;

static void expect(const char *what, long long want, long long got) {
  if (want != got) {
    fprintf(stderr, "consumer: %s: expected %lld, got %lld\n", what, want, got);
    failures++;
  }
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "active") != 0 && strcmp(argv[1], "inactive") != 0)) {
    fprintf(stderr, "usage: %s active|inactive\n", argv[0]);
    return 2;
  }
  int active = strcmp(argv[1], "active") == 0;
  expect("leakscope_active()", active, leakscope_active());

  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *volatile blocks[3] = {malloc(100), malloc(100), malloc(100)};
  int fd = open("/dev/null", O_RDONLY);
  leakscope_counts_t c;
  expect("count_since() return", active ? 0 : -1,
         leakscope_count_since(cp, LEAKSCOPE_SCOPE_PROCESS, &c));
  expect("bytes since the checkpoint", active ? 300 : 0, (long long)c.bytes);
  expect("blocks since the checkpoint", active ? 3 : 0, (long long)c.blocks);
  expect("fds since the checkpoint", active ? 1 : 0, (long long)c.fds);

  for (int i = 0; i < 3; i++)
    free(blocks[i]);
  close(fd);
  leakscope_count_since(cp, LEAKSCOPE_SCOPE_PROCESS, &c);
  expect("bytes after freeing", 0, (long long)c.bytes);
  expect("fds after closing", 0, (long long)c.fds);

  printf("consumer: %s (%s): %s\n", argv[1], leakscope_version(), failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
