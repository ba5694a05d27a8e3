/* SPDX-License-Identifier: MIT
 * suppress.h: suppression rules, in LeakSanitizer's format plus fd rules.
 *
 *   # comment
 *   leak:pattern    a memory leak group is dropped if any frame's
 *                   function, module path or source file matches
 *   fd:pattern      the same for fd, stream and dir leak groups
 *   thread:pattern, mapping:pattern, process:pattern
 *                   the same for threads, memory mappings and child
 *                   processes
 *
 *   leak:#0:P0;P1;...  a frame rule: P0 must match frame #0 (the
 *                   allocating call), P1 frame #1, and so on; the frames
 *                   after the last pattern are free. In a frame rule a
 *                   pattern may also match the frame's location as the
 *                   text report prints it, "function (file:line)", which
 *                   tells two call sites in one function apart. fd:#0:
 *                   and the other kinds likewise.
 *
 * Patterns match anywhere in the name unless anchored with ^ (start) or
 * $ (end); * matches any run of characters (LeakSanitizer's rules).
 * Rules are loaded once at start-up from LEAKSCOPE_SUPPRESSIONS; a
 * malformed line is reported with its file and line and skipped.
 */
#ifndef LS_SUPPRESS_H
#define LS_SUPPRESS_H

#include "common.h"
#include "symbolize.h"

/* Rule kinds: the prefix before the colon, and the groups each matches. */
typedef enum {
  LS_RULE_LEAK,    /* leak:     heap memory */
  LS_RULE_FD,      /* fd:       fd, stream and dir groups */
  LS_RULE_THREAD,  /* thread:   thread groups (not joined or running) */
  LS_RULE_MAPPING, /* mapping:  memory mapping groups */
  LS_RULE_PROCESS, /* process:  child process groups (zombie or running) */
  LS_RULE_KINDS
} ls_rule_kind_t;

/* The prefix of a rule kind, without the colon ("leak", "fd", ...). */
const char *ls_rule_kind_name(ls_rule_kind_t kind);

typedef struct ls_rule {
  bool fd; /* fd: rule (kind == LS_RULE_FD) */
  ls_rule_kind_t kind;
  bool frames; /* a frame rule: pattern is "#0:" and one pattern
                           per frame from #0 on, separated by ';' */
  const char *pattern;
  const char *file; /* where it was read, for the report */
  int line;
  uint64_t groups, bytes, count; /* what it suppressed in the current report */
} ls_rule_t;

/* Reads every file of a ':'-separated list. Returns the number of rules. */
size_t ls_suppress_load(const char *files);

/* The loaded rules (valid for the process's life). */
ls_rule_t *ls_suppress_rules(size_t *n);

/* Whether pattern matches s (LeakSanitizer's template matching). */
bool ls_suppress_match(const char *pattern, const char *s);

/* The first rule of the right kind matching any of frames[0..n), or NULL. */
ls_rule_t *ls_suppress_find(ls_rule_kind_t kind, const ls_frame_info_t *frames, size_t n);

#endif
