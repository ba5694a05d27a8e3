/* SPDX-License-Identifier: MIT
 * stage_folded.c: a small program whose leaks make a readable flame graph
 * (docs/flamegraph.md) and exact folded weights (test_folded.c).
 *
 *   main > load_config > read_config_file         1500 bytes
 *   main > load_config > parse_entry > strdup     3 names, 6+5+6 = 17 bytes
 *   main > serve > handle_request > build_response  4 x 1000 bytes
 *   main > serve > handle_request > cache_insert    4 x 256 bytes
 *   main > start_worker > eventfd                   1 fd
 *
 * 6541 bytes in all. After leaking it prints "ready" and waits for EOF on
 * stdin, so the test can dump it while it runs.
 */
#include <stdlib.h>
#include <sys/eventfd.h>

#include "stage.h"

#define REQUESTS 4

PROG_LEAKY static void parse_entry(const char *name) {
  prog_sink = strdup(name); /* LEAK:parse_entry */
}

PROG_LEAKY static void read_config_file(void) {
  prog_sink = malloc(1500); /* LEAK:read_config_file */
}

PROG_LEAKY static void load_config(void) {
  static const char *const names[] = {"alpha", "beta", "gamma"};
  read_config_file();
  for (int i = 0; i < 3; i++)
    parse_entry(names[i]);
}

PROG_LEAKY static void build_response(void) {
  prog_sink = malloc(1000); /* LEAK:build_response */
}

PROG_LEAKY static void cache_insert(void) {
  prog_sink = malloc(256); /* LEAK:cache_insert */
}

PROG_LEAKY static void handle_request(void) {
  build_response();
  cache_insert();
}

PROG_LEAKY static void serve(void) {
  for (int i = 0; i < REQUESTS; i++)
    handle_request();
}

PROG_LEAKY static void start_worker(void) {
  prog_fd_sink = eventfd(0, EFD_CLOEXEC); /* LEAK:start_worker */
}

int main(void) {
  load_config();
  serve();
  start_worker();
  prog_say("ready\n");
  stage_wait_eof();
  return 0;
}
