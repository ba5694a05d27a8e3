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

/* The library's version, "major.minor.patch" ("inactive" from the
 * leakscope_api shim when the library is not loaded). Async-signal-safe. */
LEAKSCOPE_EXPORT const char *leakscope_version(void);

/* Figures about the live set and leakscope's own cost. */
typedef struct leakscope_stats {
  uint64_t live_blocks;       /* heap blocks tracked and not yet freed (in the
                                 sampled mode: those recorded) */
  uint64_t live_bytes;        /* their requested sizes, summed */
  uint64_t live_fds;          /* fds, streams and dirs tracked and open */
  uint64_t stacks;            /* distinct stacks in the stack depot */
  uint64_t bookkeeping_bytes; /* leakscope's own memory (tables + depot) */
  uint64_t untracked;         /* resources that could not be recorded */
} leakscope_stats_t;

/* Fills *out. Returns 0, or -1 when leakscope is not active (then *out
 * is all zero). */
LEAKSCOPE_EXPORT int leakscope_stats(leakscope_stats_t *out);

/* --- Checkpoints --- */

/* A point in time. Resources created after it are "since" it. */
typedef uint64_t leakscope_checkpoint_t;

/* Takes a checkpoint now: every resource created before the call is
 * before it, every one created after the call returns is after it. May
 * sleep up to a few milliseconds (the clock's resolution). Returns 0 when
 * leakscope is not active. */
LEAKSCOPE_EXPORT leakscope_checkpoint_t leakscope_checkpoint(void);

/* Whose resources a query covers. */
typedef enum leakscope_scope {
  LEAKSCOPE_SCOPE_PROCESS = 0, /* every thread's */
  LEAKSCOPE_SCOPE_THREAD = 1   /* only those the calling thread created */
} leakscope_scope_t;

/* Which kinds of resources a query or report covers (a bit set). */
#define LEAKSCOPE_MEMORY 1u
#define LEAKSCOPE_FDS 2u
#define LEAKSCOPE_THREADS 4u    /* threads created with pthread_create */
#define LEAKSCOPE_MAPPINGS 8u   /* mmap/mremap/shmat mappings */
#define LEAKSCOPE_PROCESSES 16u /* child processes (fork, posix_spawn, popen) */
#define LEAKSCOPE_ALL                                                                              \
  (LEAKSCOPE_MEMORY | LEAKSCOPE_FDS | LEAKSCOPE_THREADS | LEAKSCOPE_MAPPINGS | LEAKSCOPE_PROCESSES)

typedef struct leakscope_counts {
  uint64_t bytes;  /* heap bytes still live */
  uint64_t blocks; /* heap blocks still live */
  uint64_t fds;    /* fds, FILE* streams and DIR* handles still open */
} leakscope_counts_t;

/* Counts what was created since cp and is still live (in the sampled mode
 * the heap figures are estimates: see leakscope_estimate_since). Blocks marked with
 * leakscope_keep are not counted; nor is a FILE*'s internal buffer (the
 * stream counts as one fd), nor what suppression rules match. Returns 0,
 * or -1 when leakscope is not active (then *out is all zero).
 * With LEAKSCOPE_SCOPE_PROCESS while other threads allocate and free, the
 * count is not one instant's: each resource counted was live at some
 * moment of the call. The calling thread's own resources are exact. */
LEAKSCOPE_EXPORT int leakscope_count_since(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                           leakscope_counts_t *out);

/* The sampled mode (LEAKSCOPE_SAMPLE=BYTES): the heap figures of
 * leakscope_count_since and of reports are then estimates, made from the
 * blocks leakscope recorded (about one per BYTES bytes allocated, every
 * block of BYTES or more). This struct says which figures are which. */
typedef struct leakscope_estimate {
  uint64_t bytes;           /* heap bytes still live: an estimate when estimated */
  uint64_t blocks;          /* heap blocks still live: an estimate when estimated */
  uint64_t sampled_bytes;   /* of the blocks leakscope recorded, the bytes */
  uint64_t sampled_blocks;  /* and their number (= bytes, blocks in exact mode) */
  uint64_t fds;             /* fds, streams and dirs still open: always exact */
  uint64_t sample_interval; /* LEAKSCOPE_SAMPLE; 0: exact mode */
  bool estimated;           /* bytes and blocks are estimates */
} leakscope_estimate_t;

/* The sampling interval in bytes (LEAKSCOPE_SAMPLE), 0 in exact mode or
 * when leakscope is not active. Async-signal-safe. */
LEAKSCOPE_EXPORT uint64_t leakscope_sample_interval(void);

/* leakscope_count_since, saying whether its heap figures are estimates
 * and what they were made from. Same rules (scope, keep, suppressions).
 * Returns 0, or -1 when leakscope is not active (then *out is all zero). */
LEAKSCOPE_EXPORT int leakscope_estimate_since(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                              leakscope_estimate_t *out);

/* Threads, mappings and child processes created since a checkpoint and
 * still there (a struct of its own: leakscope_counts_t keeps its size). */
typedef struct leakscope_kind_counts {
  uint64_t threads;           /* returned but never joined */
  uint64_t threads_running;   /* still running (not detached ones that ended) */
  uint64_t mappings;          /* mappings still mapped */
  uint64_t mapping_bytes;     /* their sizes, summed */
  uint64_t processes;         /* children that exited and were never waited for */
  uint64_t processes_running; /* children still running */
} leakscope_kind_counts_t;

/* leakscope_count_since for threads, mappings and child processes, with
 * the same rules (scope, suppressions). A test that leaves a thread or a
 * child running has leaked it too: assert_no_leaks_since counts every
 * field. Returns 0, or -1 when leakscope is not active (then *out is
 * all zero). */
LEAKSCOPE_EXPORT int leakscope_count_kinds_since(leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                                 leakscope_kind_counts_t *out);

/* --- Reports --- */

typedef enum leakscope_format {
  LEAKSCOPE_FORMAT_TEXT = 0,
  LEAKSCOPE_FORMAT_JSON = 1,
  LEAKSCOPE_FORMAT_FOLDED = 2
} leakscope_format_t;

/* Writes a report ("trigger":"api") of what was created since cp and is
 * still live, of the given kinds (LEAKSCOPE_MEMORY, LEAKSCOPE_FDS,
 * LEAKSCOPE_THREADS, LEAKSCOPE_MAPPINGS, LEAKSCOPE_PROCESSES), to an
 * fd, a FILE* (flushed) or a file path (appended, created 0600). Returns
 * the number of leak groups written (0: nothing leaked), or -1 when
 * leakscope is not active or the report could not be written. */
LEAKSCOPE_EXPORT int leakscope_report_fd(int fd, leakscope_checkpoint_t cp, leakscope_scope_t scope,
                                         unsigned kinds, leakscope_format_t format);
LEAKSCOPE_EXPORT int leakscope_report_file(FILE *stream, leakscope_checkpoint_t cp,
                                           leakscope_scope_t scope, unsigned kinds,
                                           leakscope_format_t format);
LEAKSCOPE_EXPORT int leakscope_report_path(const char *path, leakscope_checkpoint_t cp,
                                           leakscope_scope_t scope, unsigned kinds,
                                           leakscope_format_t format);

/* --- Control --- */

/* Marks the live heap block p as intentionally kept: it is never reported
 * or counted. Returns 0, or -1 if p is not a tracked block (in the sampled
 * mode, 0 also for a block that was not recorded: it is never reported
 * either). */
LEAKSCOPE_EXPORT int leakscope_keep(const void *p);

/* Stops (and resumes) recording resources created by the calling thread.
 * Calls nest. Releases are still seen, so a block allocated before a pause
 * and freed during it is forgotten as usual. Async-signal-safe. */
LEAKSCOPE_EXPORT void leakscope_pause(void);
LEAKSCOPE_EXPORT void leakscope_resume(void);

#ifdef __cplusplus
}
#endif
#endif
