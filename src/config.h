/* SPDX-License-Identifier: MIT
 * config.h: leakscope's options, read once from LEAKSCOPE_* environment
 * variables.
 *
 * LS_OPTIONS is the one list of options: it generates the fields of
 * ls_config_t, the parser table, the defaults, the verbose dump and the
 * documentation check (tests/unit compares it with docs/options.md).
 * Parsing never allocates; an invalid value gets one warning naming the
 * variable and the default that is used instead. The CLI compiles this
 * file too, so `leakscope run` and `dump` judge values by this parser.
 */
#ifndef LS_CONFIG_H
#define LS_CONFIG_H

#include "common.h"

/* X(id, name, writer): the report formats, in the order of the `format`
 * option's values below (keep both in step); each has a writer
 * ls_report_write_<writer> (report_writer.h). */
/* clang-format off */
#define LS_REPORT_FORMATS(X)                                                      \
  X(TEXT, "text", text) X(JSON, "json", json) X(FOLDED, "folded", folded)         \
  X(PPROF, "pprof", pprof)
/* clang-format off */
enum {
#define LS_FORMAT_ENUM(id, name, writer) LS_FORMAT_##id,
  LS_REPORT_FORMATS(LS_FORMAT_ENUM)
#undef LS_FORMAT_ENUM
  LS_FORMAT_COUNT
};
/* clang-format on */
/* clang-format on */
/* LEAKSCOPE_UNWIND: cfi is our .eh_frame walker with libunwind behind it;
 * "libunwind" (its name before) is accepted and means the same. */
/* clang-format off */
enum { LS_UNWIND_CFI, LS_UNWIND_FP, LS_UNWIND_CFI_ALIAS };
/* LEAKSCOPE_REACHABILITY: at exit only (default), for every report, never. */
enum { LS_REACH_AT_EXIT, LS_REACH_ALWAYS, LS_REACH_NEVER };
/* LEAKSCOPE_THREADS: threads still running are listed (default), or
 * reported as leaks (strict). */
enum { LS_THREADS_LIST, LS_THREADS_STRICT };
/* LEAKSCOPE_SORT: groups by size (default), or by growth (diff reports). */
enum { LS_SORT_SIZE, LS_SORT_GROWTH };

/* X(field, kind, default, min, max, values, flags, doc)
 * kind: BOOL, UINT (min..max), STRING, ENUM (values: "a|b|c", value is the
 * index; an enum with values "1" and "0" also takes the boolean words),
 * SIGNAL (a name like SIGUSR2/USR2, a number, or none = 0).
 * For STRING, `default` must be 0: unset means NULL.
 * flags: the option's `leakscope run` flags, which cli/leakscope.c parses
 * and lists in --help (with `doc` as the help text); "" for none. Specs are
 * separated by ", ":
 *   "--name ARG"     takes a value; ARG is the placeholder shown in --help
 *   "--name"         takes a value; the placeholder is `values` (ENUM)
 *   "--name ARG..."  repeatable; the values are joined with ':'
 *   "--name=V"       takes no value and sets the variable to V
 * Every value still goes through this parser (ls_config_parse). */
#define LS_OPTIONS(X)                                                             \
  X(output, STRING, 0, 0, 0, "", "--output FILE",                                 \
    "report path; %p becomes the pid; appended; unset: stderr")                  \
  X(format, ENUM, LS_FORMAT_TEXT, 0, 0, "text|json|folded|pprof", "--format", "report format") \
  X(depth, UINT, 32, 1, 256, "", "--depth N", "frames captured per stack")        \
  X(unwind, ENUM, LS_UNWIND_CFI, 0, 0, "cfi|fp|libunwind", "--unwind", "stack capture method") \
  X(signal, SIGNAL, 12, 0, 64, "", "--signal NAME|N|none",                        \
    "signal that requests a report (default SIGUSR2); none disables")            \
  X(interval, UINT, 0, 0, 86400 * 365, "", "--interval SECONDS",                  \
    "seconds between periodic reports; 0: none")                                \
  X(min_age, UINT, 0, 0, 86400 * 365, "", "--min-age SECONDS",                    \
    "list only resources live at least this many seconds")                       \
  X(diff, BOOL, 0, 0, 1, "", "--diff=1", "report growth since the previous report") \
  X(exitcode, UINT, 0, 0, 255, "", "--error-exitcode N",                          \
    "exit status when the exit report has leaks; 0: keep the program's")         \
  X(follow_exec, BOOL, 1, 0, 1, "", "--no-follow=0", "keep tracking programs started with exec") \
  X(reachability, ENUM, LS_REACH_AT_EXIT, 0, 0, "exit|1|0", "--reachability=1, --no-reachability=0", \
    "classify leaks by scanning memory for pointers: at exit, for every report (1), never (0)") \
  X(show_reachable, BOOL, 0, 0, 1, "", "--show-reachable=1", "also list reachable blocks") \
  X(show_below_main, BOOL, 0, 0, 1, "", "--show-below-main=1",                    \
    "also show the C runtime's frames below main and thread starts")             \
  X(python, BOOL, 1, 0, 1, "", "--no-python=0",                                  \
    "record the Python frames of CPython 3.11-3.13 processes")                   \
  X(python_objects, BOOL, 0, 0, 1, "", "--python-objects=1",                      \
    "also record the interpreter's own object allocations (pymalloc)")            \
  X(python_view, ENUM, 0, 0, 0, "mixed|python", "--python-view",                  \
    "Python stacks: Python and native frames (mixed), or Python frames and the innermost native frame") \
  X(threads, ENUM, LS_THREADS_LIST, 0, 0, "list|strict", "",                      \
    "threads still running: listed, not leaks (list), or leaks (strict)")        \
  X(show_std_fds, BOOL, 0, 0, 1, "", "--show-std-fds=1",                          \
    "also list fds 0, 1 and 2 (the standard streams)")                           \
  X(suppressions, STRING, 0, 0, 0, "", "--suppressions FILE...",                  \
    "suppression files, separated by ':'")                                       \
  X(sample, UINT, 0, 0, 1073741824, "", "--sample BYTES",                         \
    "sampled mode: record about one heap allocation per BYTES allocated (mean); 0: every one") \
  X(seed, UINT, 0, 0, 4294967295, "", "",                                         \
    "sampled mode: seed of the sampling (reproducible runs); 0: a new one per run") \
  X(gen_suppressions, BOOL, 0, 0, 1, "", "--gen-suppressions=1",                  \
    "print a ready suppression rule with each group")                           \
  X(baseline, STRING, 0, 0, 0, "", "--baseline FILE",                             \
    "JSON report of known leaks: the exit status counts only groups not in it")  \
  X(sort, ENUM, 0, 0, 0, "size|growth", "--sort",                                 \
    "order of the groups: by size, or by growth since the previous report (--diff)") \
  X(top, UINT, 0, 0, 1000000000, "", "--top N", "list only the first N groups; 0: all") \
  X(folded_lines, BOOL, 0, 0, 1, "", "--folded-lines=1",                          \
    "folded stacks: each frame with its file:line")                             \
  X(verbose, BOOL, 0, 0, 1, "", "--verbose=1", "print the effective options at start")

typedef struct ls_config {
#define LS_CONFIG_FIELD_BOOL(f) bool f;
#define LS_CONFIG_FIELD_UINT(f) unsigned long f;
#define LS_CONFIG_FIELD_ENUM(f) int f;
#define LS_CONFIG_FIELD_SIGNAL(f) int f;
#define LS_CONFIG_FIELD_STRING(f) const char *f;
#define LS_CONFIG_FIELD(f, kind, def, min, max, values, flags, doc) LS_CONFIG_FIELD_##kind(f)
  LS_OPTIONS(LS_CONFIG_FIELD)
#undef LS_CONFIG_FIELD
} ls_config_t;

/* The options in force. Written only by ls_config_load (before any thread
 * of the host can see a non-default value matter: it runs in our
 * constructor) and read everywhere without synchronisation. */
extern ls_config_t ls_config;

/* Sets every option to its default. */
void ls_config_defaults(ls_config_t *cfg);

/* Parses one variable (`name` without the LEAKSCOPE_ prefix, any case) into
 * cfg. Returns 0, -EINVAL for a bad value (cfg keeps the default and one
 * warning is printed) or -ENOENT for an unknown name. Strings are copied
 * into storage owned by cfg's parser (valid for the process's life). */
int ls_config_set(ls_config_t *cfg, const char *name, const char *value);

/* ls_config_set without the warning and without copying: the one parser,
 * for tools that validate a value or read another process's options (the
 * CLI). On -EINVAL the option gets its default; a string option's field
 * points into value. */
int ls_config_parse(ls_config_t *cfg, const char *name, const char *value);

/* Describes the values `name` accepts ("a whole number from 1 to 256")
 * into buf (n bytes, NUL-terminated) and returns buf, or NULL for an
 * unknown name. */
const char *ls_config_expected(const char *name, char *buf, size_t n);

/* Loads ls_config from envp (defaults first). Warns once about each
 * unknown LEAKSCOPE_ variable. With secure (set-uid/set-gid programs),
 * LEAKSCOPE_OUTPUT, LEAKSCOPE_SUPPRESSIONS and LEAKSCOPE_BASELINE
 * are refused (they name files to read or write). */
void ls_config_load(char **envp, bool secure);

/* Reads envp into cfg exactly as ls_config_load reads it into ls_config,
 * but prints nothing and copies no string (fields point into envp). */
void ls_config_read(ls_config_t *cfg, char **envp, bool secure);

/* The report path LEAKSCOPE_OUTPUT=output names for process pid: each %p
 * becomes the pid and %% a '%'. Writes at most cap bytes with the NUL;
 * false when the path does not fit (reports then go to stderr, with a
 * buffer of LS_OUTPUT_PATH_MAX). Never allocates. */
#define LS_OUTPUT_PATH_MAX 4096
bool ls_config_expand_output(const char *output, long pid, char *dst, size_t cap);

/* A spelling of sig that LEAKSCOPE_SIGNAL accepts: "SIGUSR2",
 * "SIGRTMIN+3", "none" for 0, else the number. Written to buf (n bytes,
 * NUL-terminated); returns buf. Never allocates. */
const char *ls_signal_name(int sig, char *buf, size_t n);

/* Writes "leakscope: option NAME=value" lines for every option (verbose). */
void ls_config_print(const ls_config_t *cfg);

#endif

/* clang-format on */