/* SPDX-License-Identifier: MIT
 * report.h: the report model: a snapshot of live resources, filtered,
 * grouped by (kind, resource, stack) and sorted biggest first, with the
 * summary totals, each group's growth since the previous diff report and
 * which groups suppression rules hide.
 *
 * The layers of the report side. Each uses only the layers listed above
 * it, and none calls back into one below (no include circle); the model
 * is the one exception, reaching report_frames.h to match suppressions
 * against the frames the writers will print:
 *   report.h        the model (this file): report.c builds it,
 *                   report_fds.c describes its fds, report_kinds.c adds
 *                   threads, mappings and child processes. Writes nothing.
 *   report_frames.h a stack id -> the source frames a report shows
 *                   (symbolizer, below-main cut, public names)
 *   report_writer.h the writers' table and shared helpers; one file per
 *                   format (report_text.c, report_json.c, report_folded.c)
 *   report_output.h where finished bytes go (report lock, file
 *                   replacement, the original stderr, room for fds)
 *   report_emit.h   the pipeline: build -> diff -> suppress -> format ->
 *                   output; what triggers call
 *
 * Building never stops other threads: the tables are read while they
 * change (table.h and fdtable.h say what a concurrent reader sees). All
 * report memory comes from mmap (ls_buf_t / ls_map) except the
 * symbolizer's, which uses the real malloc under the guard.
 */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include "common.h"
#include "fdtable.h"
#include "out.h"
#include "reach.h"
#include "symbolize.h"

/* X(id, name): what made a report, and its name in every format. */
/* clang-format off */
#define LS_REPORT_TRIGGERS(X) X(EXIT, "exit") X(SIGNAL, "signal") X(API, "api") X(PERIODIC, "periodic")
/* clang-format on */

/* clang-format off */
typedef enum {
#define LS_TRIGGER_ENUM(id, name) LS_TRIGGER_##id,
  LS_REPORT_TRIGGERS(LS_TRIGGER_ENUM)
#undef LS_TRIGGER_ENUM
  LS_TRIGGER_COUNT
} ls_trigger_t;
/* clang-format on */

/* "exit", "signal", ... */
const char *ls_trigger_name(ls_trigger_t t);

/* Which live resources a report covers. */
typedef struct ls_filter {
  uint32_t since;      /* only those created at stamp >= since (0: all) */
  int thread;          /* only this thread id's (-1: all threads) */
  uint32_t min_age_ms; /* only those at least this old */
  bool memory, fds;    /* which kinds */
  bool threads, mappings, processes;
  bool diff;  /* give each group's growth since the previous
                          report that had diff set */
  bool reach; /* classify blocks by reachability (reach.h) */
} ls_filter_t;

/* X(id, name): the kinds of resource a group holds, in report order, and
 * the name every format gives them (JSON "kind", folded root frames).
 * LS_RULE_* (suppress.h) follows the same order. */
/* clang-format off */
#define LS_GROUP_KINDS(X)                                                             \
  X(MEMORY, "memory") X(FD, "fd") X(THREAD, "thread") X(MAPPING, "mapping")         \
  X(PROCESS, "process")
/* clang-format on */

/* clang-format off */
typedef enum {
#define LS_GROUP_KIND_ENUM(id, name) LS_GROUP_##id,
  LS_GROUP_KINDS(LS_GROUP_KIND_ENUM)
#undef LS_GROUP_KIND_ENUM
  LS_GROUP_KIND_COUNT
} ls_group_kind_t;
/* clang-format on */

/* "memory", "fd", "thread", ... */
const char *ls_group_kind_name(ls_group_kind_t k);

/* The `resource` of thread, mapping and process groups (the state part
 * of their key), with the JSON word of each (report_kinds.c). */
enum { LS_THREAD_NOT_JOINED, LS_THREAD_RUNNING };
enum { LS_MAPPING_ANONYMOUS, LS_MAPPING_FILE, LS_MAPPING_SHM };
enum { LS_PROCESS_ZOMBIE, LS_PROCESS_RUNNING };
const char *ls_kind_resource_name(ls_group_kind_t kind, int resource);

typedef struct ls_group {
  ls_group_kind_t kind;
  ls_fd_kind_t resource; /* fd groups: the fd kind; thread, mapping and
                            process groups: LS_THREAD_* etc. */
  uint32_t stack;
  uint64_t bytes, count;
  uint32_t oldest, newest; /* creation stamps (ms) of the oldest/newest */
  size_t first_fd;         /* fd groups: this group's fds are */
  size_t nfds;             /* report.fds[first_fd .. first_fd + nfds) */
  bool suppressed;         /* matched a suppression rule: not listed */
  bool not_leak;           /* listed, but not a leak (threads and
                              children still running; not in `listed`) */
  uint8_t reach;           /* memory groups of a report with `reach`: the
                              blocks' ls_reach_class_t (part of the key) */
  bool in_baseline;        /* LEAKSCOPE_BASELINE: its fingerprint is in the
                              baseline report (listed, not counted by the
                              exit status) */
  bool has_growth;         /* diff mode: changed since the last report */
  int64_t growth_bytes, growth_count;
  /* Memory groups of a sampled report (r->sample_interval): bytes and
   * count above are estimates (sample.h), rounded from est_bytes and
   * est_count (sums of size/p and 1/p, kept while building); these are
   * the blocks recorded. */
  uint64_t sampled_bytes, sampled_count;
  double est_bytes, est_count;
} ls_group_t;

/* One fd of an fd group, or one thread, mapping or child process of
 * such a group (items of other kinds use the fields their writers
 * document: fd = tid or pid; path = the thread's name, the mapping's
 * backing file, the child's state). */
typedef struct ls_fd_item {
  int fd;
  uint32_t group;
  size_t path;         /* offset of a NUL-terminated description in report.text */
  uint64_t addr, size; /* mappings: start and length; threads: stack size */
  int prot;            /* mappings: PROT_* */
  int status;          /* processes: wait status of a zombie, -1 running */
} ls_fd_item_t;

/* Bytes and blocks of one reachability class. */
typedef struct ls_class_total {
  uint64_t bytes, blocks;
} ls_class_total_t;

typedef struct ls_report {
  ls_trigger_t trigger;
  int pid;
  uint64_t seq; /* reports written so far, this one included (a fork
                   child goes on from its parent's count) */
  uint32_t now; /* ls_now_ms() when the snapshot was taken */
  uint64_t memory_bytes, memory_blocks, fds, untracked;
  uint64_t threads, threads_running; /* not joined; still running */
  uint64_t mappings, mapping_bytes;
  uint64_t mappings_reachable, mapping_bytes_reachable; /* with reach:
                              still reachable, not listed */
  uint64_t processes, processes_running;                /* zombies; still running */
  uint64_t fds_stale;                                   /* fd records left out because their fd was
                            closed or replaced out of our sight
                            (ls_fdtable_check) */
  uint64_t loader_bytes;                                /* held by ld.so (TLS, DTVs): not listed */
  size_t listed;                              /* groups not suppressed (the entries listed) */
  size_t leak_groups;                         /* of those, the leaks (not running threads or
                            children) */
  size_t baseline_groups;                     /* of the leaks, those in the baseline
                            (LEAKSCOPE_BASELINE); the exit code counts
                            leak_groups - baseline_groups */
  bool baseline;                              /* a baseline is loaded: groups carry in_baseline */
  bool reach;                                 /* LEAKSCOPE_REACHABILITY: memory groups are split
                            by reachability class; reachable blocks are
                            listed only with LEAKSCOPE_SHOW_REACHABLE */
  uint64_t reachable_bytes, reachable_blocks; /* reachable, listed or not */
  /* With reach: the listed, unsuppressed memory by class (the summary's
   * split of memory_bytes/memory_blocks). */
  ls_class_total_t by_class[LS_REACH_CLASS_COUNT];
  bool diff; /* groups carry growth figures */
  /* LEAKSCOPE_SAMPLE: the sampling interval, 0 in exact mode. When set,
   * every memory figure (memory_bytes/blocks, by_class, reachable_*,
   * loader_bytes and the memory groups') is an estimate; sampled_bytes
   * and sampled_blocks are what the listed memory groups recorded. */
  uint64_t sample_interval;
  uint64_t sampled_bytes, sampled_blocks;
  bool cut; /* LEAKSCOPE_TOP left listed groups out of groups[] */
  ls_group_t *groups;
  size_t ngroups;
  ls_fd_item_t *fd_items;
  size_t nfd_items;
  ls_buf_t text; /* fd descriptions */
  size_t groups_cap, fd_items_cap;
} ls_report_t;

/* --- Building (report.c), for the kind visitors (report_kinds.c) --- */
typedef struct builder ls_report_builder_t;
/* Whether a resource created at stamp by thread passes the filter. */
bool ls_report_passes(const ls_report_builder_t *b, uint32_t stamp, uint16_t thread);
/* Adds one item (its `group` is set here; `path` from text, copied) to
 * the group (kind, resource, stack), counting `bytes`; not_leak marks
 * the group as listed but not a leak. False when out of memory. */
bool ls_report_add_item(ls_report_builder_t *b, ls_group_kind_t kind, int resource, uint32_t stack,
                        uint32_t stamp, uint64_t bytes, bool not_leak, ls_fd_item_t item,
                        const char *text);
ls_report_t *ls_report_of(ls_report_builder_t *b);
/* Adds the threads and child processes the filter asks for (before the
 * reachability scan), then the mappings (after it: they are in its
 * graph). */
void ls_report_visit_kinds(ls_report_builder_t *b, const ls_filter_t *f);
void ls_report_visit_mappings(ls_report_builder_t *b, const ls_filter_t *f);
/* The reachability class (ls_reach_class_t) of the mapping that starts
 * at start, or -1 when the report has none. */
int ls_report_mapping_class(const ls_report_builder_t *b, uintptr_t start);

/* Snapshots the live set through filter f into r. Returns 0 or -ENOMEM.
 * Under the report lock (the address sort's counters are static). */
int ls_report_build(ls_report_t *r, const ls_filter_t *f, ls_trigger_t trigger);
void ls_report_release(ls_report_t *r);

/* Sets each group's growth against the previous report diffed (a group
 * not in it grew from zero) and makes r the previous one. Under the
 * report lock. */
void ls_report_diff(ls_report_t *r);

/* Marks the groups that suppression rules match and takes them out of
 * the totals; each rule's counters then describe this report. Then marks
 * the groups in the baseline (baseline.h), when one is loaded. sym may be
 * NULL (frames from the loader alone). */
void ls_report_suppress(ls_report_t *r, ls_symbolizer_t *sym);

/* The group's fingerprint (fingerprint.h) from frames[0..n), the frames
 * the reports show for its stack (report_frames.h): what the JSON report
 * writes and `leakscope` recomputes from it. */
uint64_t ls_report_fingerprint(const ls_group_t *g, const ls_frame_info_t *frames, size_t n);

/* Orders and cuts the list of groups, after ls_report_suppress: with
 * by_growth and a diff report, the biggest growth first (LEAKSCOPE_SORT
 * =growth); with top, only the first top listed groups are kept for the
 * writers (LEAKSCOPE_TOP; `cut` set). The summary still counts them all. */
void ls_report_rank(ls_report_t *r, bool by_growth, size_t top);

/* The program and its arguments as the process started (argv, captured
 * before main by report.c): argc strings; 0 when unknown. Never freed. */
size_t ls_report_command(const char *const **argv);

#endif
