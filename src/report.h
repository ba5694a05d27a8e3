/* SPDX-License-Identifier: MIT
 * report.h: the report model: a snapshot of live resources, filtered,
 * grouped by (kind, resource, stack) and sorted biggest first; and the
 * one entry point that builds, formats and writes a report.
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
#include "symbolize.h"

typedef enum { LS_TRIGGER_EXIT, LS_TRIGGER_SIGNAL, LS_TRIGGER_API, LS_TRIGGER_PERIODIC } ls_trigger_t;

/* Which live resources a report covers. */
typedef struct ls_filter {
  uint32_t since;      /* only those created at stamp >= since (0: all) */
  int thread;          /* only this thread id's (-1: all threads) */
  uint32_t min_age_ms; /* only those at least this old */
  bool memory, fds;    /* which kinds */
  bool threads, mappings, processes;
  bool diff;           /* give each group's growth since the previous
                          report that had diff set */
  bool reach;          /* classify blocks by reachability (reach.h) */
} ls_filter_t;

typedef enum {
  LS_GROUP_MEMORY,
  LS_GROUP_FD,
  LS_GROUP_THREAD,
  LS_GROUP_MAPPING,
  LS_GROUP_PROCESS
} ls_group_kind_t;

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
  bool has_growth;         /* diff mode: changed since the last report */
  int64_t growth_bytes, growth_count;
} ls_group_t;

/* One fd of an fd group, or one thread, mapping or child process of
 * such a group (items of other kinds use the fields their writers
 * document: fd = tid or pid; path = the thread's name, the mapping's
 * backing file, the child's state). */
typedef struct ls_fd_item {
  int fd;
  uint32_t group;
  size_t path; /* offset of a NUL-terminated description in report.text */
  uint64_t addr, size; /* mappings: start and length; threads: stack size */
  int prot;            /* mappings: PROT_* */
  int status;          /* processes: wait status of a zombie, -1 running */
} ls_fd_item_t;

typedef struct ls_report {
  ls_trigger_t trigger;
  int pid;
  uint64_t seq; /* reports written so far, this one included (a fork
                   child goes on from its parent's count) */
  uint32_t now; /* ls_now_ms() when the snapshot was taken */
  uint64_t memory_bytes, memory_blocks, fds, untracked;
  uint64_t threads, threads_running;       /* not joined; still running */
  uint64_t mappings, mapping_bytes;
  uint64_t mappings_reachable, mapping_bytes_reachable; /* with reach:
                              still reachable, not listed */
  uint64_t processes, processes_running;   /* zombies; still running */
  uint64_t fds_stale;    /* fd records left out because their fd was
                            closed or replaced out of our sight
                            (ls_fdtable_check) */
  uint64_t loader_bytes; /* held by ld.so (TLS, DTVs): not listed */
  size_t listed;         /* groups not suppressed (the entries listed) */
  size_t leak_groups;    /* of those, the leaks (not running threads or
                            children): what the exit code counts */
  bool reach;            /* LEAKSCOPE_REACHABILITY: memory groups are split
                            by reachability class; reachable blocks are
                            listed only with LEAKSCOPE_SHOW_REACHABLE */
  uint64_t reachable_bytes, reachable_blocks; /* reachable, listed or not */
  bool diff;    /* groups carry growth figures */
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

/* Snapshots the live set through filter f into r. Returns 0 or -ENOMEM. */
int ls_report_build(ls_report_t *r, const ls_filter_t *f, ls_trigger_t trigger);
void ls_report_release(ls_report_t *r);

/* Expands one return address of stack `id` into source frames (inlined
 * calls first); without a symbolizer (NULL: out of memory), into the
 * loader's module and exported name. Returns how many (>= 1 if max). */
size_t ls_report_expand_pc(ls_symbolizer_t *sym, uintptr_t pc, uint32_t id, ls_frame_info_t *out,
                           size_t max);

/* Source frames a writer shows per stack at most (inline chains make
 * more frames than return addresses). */
#define LS_MAX_FRAMES 1024

/* Expands stack `id` into source frames (inlined calls included),
 * innermost first, as reports show them (the C runtime's frames below
 * main and thread starts left out unless LEAKSCOPE_SHOW_BELOW_MAIN=1);
 * returns how many were written (at most max). With pcs, pcs[k] receives
 * the return address frame k was expanded from. */
size_t ls_report_frames(ls_symbolizer_t *sym, uint32_t id, ls_frame_info_t *out, uintptr_t *pcs,
                        size_t max);

/* The writers: one per format, over the same model. */
void ls_report_text(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *out);
void ls_report_json(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *out);
void ls_report_folded(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *out);

/* The symbolizer for a report, or NULL when there is none to be had:
 * libdw does not survive its own allocation failures (it crashes), so
 * after the program ran out of memory it is used only if room for its
 * work can be had now; NULL frames come from the loader alone. Close it
 * with ls_sym_close. */
ls_symbolizer_t *ls_report_symbolizer(void);

/* Marks the groups that suppression rules match and takes them out of
 * the totals; each rule's counters then describe this report. */
void ls_report_suppress(ls_report_t *r, ls_symbolizer_t *sym);

/* Formats r in `format` (LS_FORMAT_*) into out. */
void ls_report_format(const ls_report_t *r, ls_symbolizer_t *sym, int format, ls_buf_t *out);

/* Builds, filters and formats a report into out (one report at a time:
 * takes the report lock). Returns the number of leak groups, or -1 if out
 * of memory. Any thread but a signal handler. */
int ls_report_render(ls_trigger_t trigger, const ls_filter_t *f, int format, ls_buf_t *out);

/* Builds a report of everything live (the configured minimum age applies
 * to signal and periodic reports), formats it as configured and writes it
 * to the configured output. One report at a time; safe from any thread
 * but a signal handler. Returns the number of leak groups reported, or -1
 * if none could be written. */
int ls_report_emit(ls_trigger_t trigger);

/* Writes a finished report to LEAKSCOPE_OUTPUT (or stderr), as one
 * write so a report is whole or absent. */
void ls_report_output(const ls_buf_t *b);

/* Serialises reports; the fork hooks keep the lock consistent. */
void ls_report_lock(void);
void ls_report_unlock(void);

#endif
