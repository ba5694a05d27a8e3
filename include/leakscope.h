/* SPDX-License-Identifier: MIT
 * leakscope.h: the public API of libleakscope.
 *
 * Works the same whether the library is preloaded (LD_PRELOAD) or linked
 * (-lleakscope). Every function is thread-safe. None is async-signal-safe
 * unless it says so. Functions that answer "how much is live" see every
 * thread's resources unless a LEAKSCOPE_SCOPE_THREAD scope is asked for.
 */
#ifndef LEAKSCOPE_H
#define LEAKSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LEAKSCOPE_VERSION_MAJOR 0
#define LEAKSCOPE_VERSION_MINOR 1
#define LEAKSCOPE_VERSION_PATCH 0
/* major * 10000 + minor * 100 + patch */
#define LEAKSCOPE_VERSION 100

#if defined(__GNUC__)
#define LEAKSCOPE_EXPORT __attribute__((visibility("default")))
#else
#define LEAKSCOPE_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* --- Status --- */

/* True when leakscope tracks this process (preloaded or linked and
 * initialised). Async-signal-safe. */
LEAKSCOPE_EXPORT bool leakscope_active(void);

/* The library's version, "major.minor.patch". Async-signal-safe. */
LEAKSCOPE_EXPORT const char *leakscope_version(void);

/* Figures about the live set and leakscope's own cost. */
typedef struct leakscope_stats {
  uint64_t live_blocks;      /* heap blocks tracked and not yet freed */
  uint64_t live_bytes;       /* their requested sizes, summed */
  uint64_t live_fds;         /* fds, streams and dirs tracked and open */
  uint64_t stacks;           /* distinct stacks in the stack depot */
  uint64_t bookkeeping_bytes; /* leakscope's own memory (tables + depot) */
  uint64_t untracked;        /* resources that could not be recorded */
} leakscope_stats_t;

/* Fills *out. Returns 0, or -1 when leakscope is not active. */
LEAKSCOPE_EXPORT int leakscope_stats(leakscope_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif
