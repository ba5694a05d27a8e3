/* SPDX-License-Identifier: MIT
 * eco_prog.c: the program the tools tests (tests/eco) run under leakscope.
 * Source lines are named by LEAK markers, which the tests look up.
 *
 * Usage: eco_prog leaks     two memory groups that share frame #0
 *                           (make_record, called from two places), one
 *                           plain strdup group and one open file; exits 0
 *        eco_prog service   a service: one big block kept at start, then
 *                           a small block every 10 ms (the grower), until
 *                           killed; prints "ready" once set up
 *        eco_prog new       as "leaks", plus one more leak (for --baseline)
 *        eco_prog sites     two groups in one function on different lines
 *                           (two_sites) and one in another (other_site)
 *        eco_prog clean     allocates and frees; exits 0
 *        eco_prog inline    one leak through an always-inlined helper
 *                           (one return address, two source frames)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink[4096];
static int nsink;

__attribute__((noinline)) static void *make_record(size_t n) {
  return malloc(n); /* LEAK:make_record */
}

__attribute__((noinline)) static void load_users(void) {
  sink[nsink++] = make_record(100); /* LEAK:load_users */
  sink[nsink - 1] = NULL;
}

__attribute__((noinline)) static void load_groups(void) {
  sink[nsink++] = make_record(40); /* LEAK:load_groups */
  sink[nsink - 1] = NULL;
}

__attribute__((noinline)) static void extra_leak(void) {
  sink[nsink++] = malloc(7); /* LEAK:extra */
  sink[nsink - 1] = NULL;
}

__attribute__((noinline)) static void two_sites(void) {
  sink[nsink++] = malloc(11); /* LEAK:site_a */
  sink[nsink - 1] = NULL;
  sink[nsink++] = malloc(22); /* LEAK:site_b */
  sink[nsink - 1] = NULL;
}

__attribute__((noinline)) static void other_site(void) {
  sink[nsink++] = malloc(33); /* LEAK:site_c */
  sink[nsink - 1] = NULL;
}

static inline __attribute__((always_inline)) void *inline_alloc(size_t n) {
  return malloc(n); /* LEAK:inline_alloc */
}

__attribute__((noinline)) static void load_inline(void) {
  sink[nsink++] = inline_alloc(33); /* LEAK:load_inline */
  sink[nsink - 1] = NULL;
}

__attribute__((noinline)) static void serve_one(int i) {
  /* The grower: kept in the global array, 64 bytes a request. */
  sink[i % 4096] = malloc(64); /* LEAK:grower */
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "leaks") || !strcmp(mode, "new")) {
    load_users();
    load_groups();
    sink[nsink++] = strdup("leaked name"); /* LEAK:strdup */
    sink[nsink - 1] = NULL;
    int fd = open("/dev/null", O_RDONLY); /* LEAK:open */
    (void)fd;
    if (!strcmp(mode, "new"))
      extra_leak();
    return 0;
  }
  if (!strcmp(mode, "service")) {
    static void *volatile config;
    config = malloc(100000); /* LEAK:stable */
    (void)config;
    printf("ready\n");
    fflush(stdout);
    for (int i = 0;; i++) {
      serve_one(i);
      nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
  }
  if (!strcmp(mode, "inline")) {
    load_inline();
    return 0;
  }
  if (!strcmp(mode, "sites")) {
    two_sites();
    other_site();
    return 0;
  }
  if (!strcmp(mode, "clean")) {
    free(malloc(10));
    return 0;
  }
  fprintf(stderr, "usage: eco_prog leaks|service|new|sites|clean|inline\n");
  return 2;
}
