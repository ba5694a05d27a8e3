/* SPDX-License-Identifier: MIT
 * relsupport.h: what the reliability tests (tests/real, stress, faults)
 * share: running a program (with proc.h) with a fully specified
 * environment (no inherited variables, so runs are reproducible), in a
 * given directory, optionally as another user, with stdout/stderr
 * captured and a timeout;
 * reading a directory of JSON Lines report files; and the fixture every
 * test uses (a temporary directory). Buffers, files and skipping come
 * from tests/support (util.h, testmain.h).
 *
 * Unlike ts_run (tests/support/runner.h), nothing is added to the
 * environment: a "bare" run and a run under leakscope differ only by the
 * variables the test passes. Processes can also be started, signalled
 * while they run, and collected later (stress tests).
 */
#ifndef LS_REL_SUPPORT_H
#define LS_REL_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "proc.h"
#include "testmain.h"
#include "util.h"

/* --- Environment --- */

typedef struct rel_env {
  char *vars[96];
  size_t len;
} rel_env_t;

/* PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C TZ=UTC HOME=home (if non-NULL). */
void rel_env_base(rel_env_t *e, const char *home);
/* Sets NAME=value, replacing an earlier NAME. */
void rel_env_set(rel_env_t *e, const char *name, const char *value);
void rel_env_setf(rel_env_t *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds LD_PRELOAD=lib, LEAKSCOPE_FORMAT=json, LEAKSCOPE_OUTPUT=dir/r.%p. */
void rel_env_preload(rel_env_t *e, const char *lib, const char *report_dir);
void rel_env_copy(rel_env_t *dst, const rel_env_t *src);
void rel_env_free(rel_env_t *e);

/* --- Processes: the runner of proc.h, started with a rel_env_t --- */

typedef struct rel_opts {
  const char *const *argv; /* argv[0] is the file executed */
  const rel_env_t *env;
  const char *cwd; /* NULL: the test's */
  int timeout_ms;  /* 0: 20 s */
  bool as_user;    /* setgroups/setgid/setuid to uid/gid before exec */
  uid_t uid;
  gid_t gid;
  int umask;               /* -1: inherit */
  bool hold;               /* wait for rel_release() before exec */
  const char *stdout_path; /* stdout to this file (O_APPEND) instead of a pipe */
} rel_opts_t;

typedef ts_proc_t rel_proc_t;

/* Starts a process (stdin an empty pipe). Fails the test if fork fails. */
void rel_start(rel_proc_t *p, const rel_opts_t *o);
/* rel_start + rel_finish. */
void rel_run(rel_proc_t *p, const rel_opts_t *o);

/* The proc.h calls under the names the reliability tests use. */
static inline void rel_release(rel_proc_t *p) { ts_proc_release(p); }
static inline bool rel_poll(rel_proc_t *p, int ms) { return ts_proc_poll(p, ms); }
static inline bool rel_wait_output(rel_proc_t *p, const char *needle, int ms) {
  return ts_proc_wait_output(p, needle, ms);
}
static inline void rel_finish(rel_proc_t *p) { ts_proc_finish(p); }
static inline void rel_proc_free(rel_proc_t *p) { ts_proc_free(p); }
static inline const char *rel_describe(const rel_proc_t *p) { return ts_proc_describe(p); }

/* Prints title, how p ended, and (the start of) its stdout and stderr. */
void rel_show(const rel_proc_t *p, const char *title);

/* --- Files --- */

void rel_write_file(const char *path, const char *text);
/* Copies a file with the given mode. */
void rel_copy_file(const char *from, const char *to, int mode);
/* A new 0755 temp directory holding copies (mode 0755, same base names) of
 * files[], so that another user can run them whatever the build tree's
 * permissions. Returns the malloc'd directory. */
char *rel_stage(const char *tag, const char *const *files);
/* A program in /usr/local/bin, /usr/bin or /bin (never a PATH shim), or
 * NULL. Returns a static buffer. */
const char *rel_find_prog(const char *name);
/* text without the lines that start with "leakscope:" (malloc'd). */
char *rel_strip_leakscope(const char *text);
/* text without the lines that start with '{' (JSON reports on stderr). */
char *rel_strip_json(const char *text);
/* Number of lines of text that start with prefix. */
size_t rel_count_lines(const char *text, const char *prefix);

/* --- Reports --- */

typedef struct rel_reports {
  json_value_t **items;
  size_t n;
  size_t lines; /* non-empty lines */
  size_t signal, exit, periodic, api;
  bool complete;   /* every line parsed and the text ends with '\n' */
  char error[256]; /* first problem, "" if none */
} rel_reports_t;

/* Parses text as JSON Lines of leakscope reports. */
void rel_reports_parse(rel_reports_t *r, const char *text, size_t len);
/* Parses the file at path; false if it cannot be read. */
bool rel_reports_load(rel_reports_t *r, const char *path);
void rel_reports_free(rel_reports_t *r);
/* The last "trigger":"exit" report naming pid, or NULL. */
const json_value_t *rel_exit_report(const rel_reports_t *r, pid_t pid);

/* Fails the test unless the groups of kind ("memory" or "fd") with a frame
 * in function fn (ts_groups_in_function) hold count blocks or fds and,
 * unless bytes is negative, bytes bytes. */
void rel_expect_sum(const json_value_t *report, const char *kind, const char *fn, int64_t bytes,
                    int64_t count);
/* Loads <dir>/r.<pid of p> into *r (free it with rel_reports_free) and
 * returns its exit report; fails the test, showing p, unless the file is
 * complete and has one. */
const json_value_t *rel_expect_report(rel_reports_t *r, const char *dir, const rel_proc_t *p);
/* summary.<field> of a report, or -1. */
int64_t rel_summary(const json_value_t *report, const char *field);

/* Checks every file "r.<pid>" in dir: each must be complete, name only
 * its own pid and (with need_exit) end with that pid's exit report.
 * Returns the number of files; on a problem fills err and returns -1. */
long rel_check_report_dir(const char *dir, bool need_exit, char *err, size_t errlen);

/* --- Fixture --- */

/* The state of every reliability test: a fresh temporary directory
 * (leakscope-<binary>-XXXXXX) and, if the test mounted a file system
 * there, its mount point. */
typedef struct rel_fixture {
  char *dir;
  char *mounted; /* malloc'd; unmounted (lazily) at teardown */
} rel_fixture_t;

int rel_setup(void **state);
/* Unmounts f->mounted, removes f->dir with everything in it. */
int rel_teardown(void **state);

#define REL_TEST(fn) cmocka_unit_test_setup_teardown(fn, rel_setup, rel_teardown)

#endif
