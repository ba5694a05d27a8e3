/* SPDX-License-Identifier: MIT
 * prog_semantics.c: checks that preloading keeps the allocator's libc
 * behaviour, and frees everything it allocates.
 *
 * Programs depend on these details (errno after failures and successes,
 * NULL from overflowing sizes, realloc(p, 0) freeing), so an interposer
 * must pass them through unchanged. Each failed check prints one line and
 * the program exits 1; the test also requires that nothing here leaks, in
 * particular not the block realloc(p, 0) freed.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"

/* Sizes read through volatiles: the compiler must not see, warn about or
 * fold the overflowing requests. */
static volatile size_t half_max = SIZE_MAX / 2;
static volatile size_t too_big = SIZE_MAX - 4096;

static int failures;

static void check(bool ok, const char *what, int line) {
  if (!ok) {
    prog_say("prog_semantics.c:%d: check failed: %s\n", line, what);
    failures++;
  }
}
#define CHECK(c) check((c), #c, __LINE__)

static bool aligned(const void *p, size_t alignment) {
  return (uintptr_t)p % alignment == 0;
}

PROG_LEAKY static void failures_set_enomem(void) {
  errno = 0;
  prog_sink = calloc(half_max, 4);
  CHECK(prog_sink == NULL && errno == ENOMEM);
  errno = 0;
  prog_sink = malloc(too_big);
  CHECK(prog_sink == NULL && errno == ENOMEM);
  errno = 0;
  prog_sink = reallocarray(NULL, half_max, 4);
  CHECK(prog_sink == NULL && errno == ENOMEM);

  /* A failed realloc leaves the old block allocated and intact. GCC
   * cannot know this realloc fails, hence its use-after-free warning. */
  char *p = malloc(16);
  CHECK(p != NULL);
  strcpy(p, "still here");
  errno = 0;
  prog_sink = realloc(p, too_big);
  CHECK(prog_sink == NULL && errno == ENOMEM);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
  CHECK(strcmp(p, "still here") == 0);
  free(p);
#pragma GCC diagnostic pop

  /* posix_memalign reports errors by return value. */
  void *q = NULL;
  CHECK(posix_memalign(&q, 3, 16) == EINVAL);
}

PROG_LEAKY static void successes_keep_errno(void) {
  errno = 1234;
  prog_sink = malloc(10);
  CHECK(errno == 1234);
  free(prog_sink);
  CHECK(errno == 1234);
  prog_sink = calloc(3, 10);
  CHECK(errno == 1234);
  prog_sink = realloc(prog_sink, 5000);
  CHECK(errno == 1234);
  free(prog_sink);
  prog_sink = strdup("x");
  CHECK(errno == 1234);
  free(prog_sink);
  void *p = NULL;
  CHECK(posix_memalign(&p, 64, 10) == 0);
  CHECK(errno == 1234);
  free(p);
  CHECK(errno == 1234);
}

PROG_LEAKY static void alignment_and_sizes(void) {
  void *p = NULL;
  CHECK(posix_memalign(&p, 64, 100) == 0 && aligned(p, 64));
  free(p);
  prog_sink = aligned_alloc(256, 512);
  CHECK(aligned(prog_sink, 256));
  free(prog_sink);
  prog_sink = memalign(128, 100);
  CHECK(aligned(prog_sink, 128));
  free(prog_sink);
  prog_sink = valloc(100);
  CHECK(aligned(prog_sink, (size_t)sysconf(_SC_PAGESIZE)));
  free(prog_sink);
  prog_sink = malloc(100);
  CHECK(malloc_usable_size(prog_sink) >= 100);
  free(prog_sink);
  /* glibc returns a unique, freeable block for malloc(0). */
  prog_sink = malloc(0);
  CHECK(prog_sink != NULL);
  free(prog_sink);
}

PROG_LEAKY static void freeing_edge_cases(void) {
  /* free(NULL) through a volatile: a literal one is compiled away. */
  prog_sink = NULL;
  free(prog_sink);
  /* glibc's realloc(p, 0) frees p and returns NULL. */
  void *p = malloc(100); /* LEAK:realloc_zero */
  prog_sink = realloc(p, 0);
  CHECK(prog_sink == NULL);
}

int main(void) {
  failures_set_enomem();
  successes_keep_errno();
  alignment_and_sizes();
  freeing_edge_cases();
  return failures ? 1 : 0;
}
