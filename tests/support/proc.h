/* SPDX-License-Identifier: MIT
 * proc.h: the one process runner of the tests. Every test that runs a
 * program goes through it: ts_run (runner.h, run to completion and read
 * the report), the rel_* helpers of the reliability tests (relsupport.h)
 * and the st_* helpers of the staging tests (staging.h), which talk to a
 * program while it runs.
 *
 * ts_proc_start forks and execs argv[0] with exactly the environment
 * given (building it is the caller's business), in its own process group,
 * with stdout and stderr captured through pipes and stdin a pipe: empty
 * and closed, or kept open for ts_proc_write (or /dev/null if asked). The child calls only
 * async-signal-safe functions between fork and exec. Every wait is
 * bounded by the process's deadline, at which a process still running has
 * its whole group killed (timed_out). Out of memory, a failed fork or pipe
 * fail the current cmocka test.
 */
#ifndef LS_TEST_PROC_H
#define LS_TEST_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TS_PROC_TIMEOUT_MS 20000

typedef struct ts_proc_opts {
  const char *const *argv; /* argv[0] is the file executed, unless path */
  const char *path;        /* the file executed; NULL: argv[0] */
  char *const *envp;       /* the whole environment; NULL: empty */
  const char *cwd;         /* NULL: the test's */
  int timeout_ms;          /* 0: TS_PROC_TIMEOUT_MS */
  bool keep_stdin;         /* stdin stays open for ts_proc_write */
  bool stdin_null;         /* stdin is /dev/null (ts_run: programs see a
                               file there, as the fd tests expect) */
  bool as_user;            /* setgroups/setgid/setuid to uid/gid before exec */
  uid_t uid;
  gid_t gid;
  int umask;               /* -1: inherit */
  bool hold;               /* wait for ts_proc_release() before exec */
  const char *stdout_path; /* stdout to this file (O_APPEND) instead of a pipe */
} ts_proc_opts_t;

typedef struct ts_proc {
  pid_t pid;
  int in_fd, out_fd, err_fd, go_fd; /* our ends of the pipes; -1 once closed */
  char *out, *err;                  /* captured so far, NUL-terminated */
  size_t out_len, out_cap, err_len, err_cap;
  int64_t deadline; /* ts_now_ms() value */
  bool exited, timed_out;
  int exit_code;   /* -1 unless exited normally */
  int term_signal; /* 0 unless killed */
} ts_proc_t;

/* Starts the process. */
void ts_proc_start(ts_proc_t *p, const ts_proc_opts_t *o);
/* With o->hold: lets the child exec. */
void ts_proc_release(ts_proc_t *p);
/* Reads output for up to ms milliseconds; true once the process has exited
 * and both pipes are closed. At the deadline: a running process's group is
 * killed (timed_out); an exited one's pipes, still held by something it
 * started, are closed. */
bool ts_proc_poll(ts_proc_t *p, int ms);
/* Waits until stdout contains needle (true) or the process ends. */
bool ts_proc_wait_output(ts_proc_t *p, const char *needle, int ms);
/* Writes s to stdin (o->keep_stdin); false with errno set if it cannot. */
bool ts_proc_write(ts_proc_t *p, const char *s);
/* Closes stdin, runs to completion (or the deadline) and reaps. */
void ts_proc_finish(ts_proc_t *p);
/* Moves the deadline to ms from now. */
void ts_proc_set_timeout(ts_proc_t *p, int ms);
/* Kills the group of a process not yet reaped, closes everything, frees
 * the output. Safe on an all-zero ts_proc_t that was never started. */
void ts_proc_free(ts_proc_t *p);

/* "exit 3" / "killed by signal 9" / "timed out" (a static buffer). */
const char *ts_proc_describe(const ts_proc_t *p);

#endif
