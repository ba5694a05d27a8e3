/* SPDX-License-Identifier: MIT
 * api_test.h: what the API test binaries share: exact count checks that
 * print both sides. Include after <cmocka.h> and <leakscope.h>.
 */
#ifndef LS_API_TEST_H
#define LS_API_TEST_H

#include <stdio.h>

/* Fails at the caller's line unless what leakscope counts since cp in
 * scope is exactly bytes/blocks/fds. */
static inline void api_check_counts(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                    uint64_t bytes, uint64_t blocks, uint64_t fds, const char *file,
                                    int line) {
  leakscope_counts_t c;
  int rc = leakscope_count_since(cp, scope, &c);
  if (rc == 0 && c.bytes == bytes && c.blocks == blocks && c.fds == fds)
    return;
  print_error("count_since(%s): expected rc 0, %llu bytes, %llu blocks, %llu fds;"
              " got rc %d, %llu bytes, %llu blocks, %llu fds\n",
              scope == LEAKSCOPE_SCOPE_THREAD ? "THREAD" : "PROCESS", (unsigned long long)bytes,
              (unsigned long long)blocks, (unsigned long long)fds, rc, (unsigned long long)c.bytes,
              (unsigned long long)c.blocks, (unsigned long long)c.fds);
  _fail(file, line);
}

#define CHECK_COUNTS(cp, scope, bytes, blocks, fds)                                                \
  api_check_counts(cp, scope, bytes, blocks, fds, __FILE__, __LINE__)

#endif
