/* SPDX-License-Identifier: MIT
 * prog_sample_api.c: the test API in the sampled mode. After a
 * checkpoint, leaks 4000 blocks of 1 KiB, 3 of 1 MiB and 2 fds, then
 * prints what leakscope_estimate_since and leakscope_count_since say, one
 * "name=value" per field, for test_sample.c to judge.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>

#include <leakscope.h>

#include "prog.h"

PROG_LEAKY static void leak(void) {
  for (int i = 0; i < 4000; i++)
    prog_sink = malloc(1024); /* LEAK:small */
  for (int i = 0; i < 3; i++)
    prog_sink = malloc(1 << 20); /* LEAK:large */
  for (int i = 0; i < 2; i++)
    if (open("/dev/null", O_RDONLY) < 0)
      _exit(2);
}

int main(void) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  leak();
  leakscope_estimate_t e;
  leakscope_counts_t c;
  if (leakscope_estimate_since(cp, LEAKSCOPE_SCOPE_PROCESS, &e) != 0 ||
      leakscope_count_since(cp, LEAKSCOPE_SCOPE_PROCESS, &c) != 0)
    return 3;
  prog_say("interval=%" PRIu64 " estimated=%d bytes=%" PRIu64 " blocks=%" PRIu64
           " sampled_bytes=%" PRIu64 " sampled_blocks=%" PRIu64 " fds=%" PRIu64
           " sample_interval=%" PRIu64 " count_bytes=%" PRIu64 " count_blocks=%" PRIu64
           " count_fds=%" PRIu64 "\n",
           leakscope_sample_interval(), e.estimated, e.bytes, e.blocks, e.sampled_bytes,
           e.sampled_blocks, e.fds, e.sample_interval, c.bytes, c.blocks, c.fds);
  prog_sink = NULL;
  return 0;
}
