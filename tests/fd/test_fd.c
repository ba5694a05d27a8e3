/* SPDX-License-Identifier: MIT
 * test_fd.c: runs each fd leak program of tests/fd/progs under the
 * preloaded library, at -O0 and at -O2, and checks the fd leaks in its
 * report.
 *
 * Every case is data: per marker, the resource and the number of fds the
 * call leaked. The program prints the fd numbers and the path each must
 * show ("fd <marker> <fd> <path>"); the report must then hold, for each
 * marker, exactly one fd group whose frame 0 is that line, in function
 * leak_<marker>, of that resource, with exactly those fds and paths. On
 * top of that, nothing else: no other fd group, summary.fds equal to the
 * fds printed, no heap block of the program's source (a stream's FILE and
 * buffer belong to its fd leak), and never fd 0, 1, 2 or the fd this test
 * leaves open across exec, all of which predate the library.
 *
 * Usage: test_fd [CASE_OPT]   e.g. test_fd ipc_O2
 * CTest runs one case per test; without an argument all cases run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd_report.h"
#include "report.h"
#include "runner.h"
#include "testmain.h"

typedef struct expect {
  const char *marker;   /* LEAK:<marker>, in function leak_<marker> */
  const char *resource; /* "resource" of its group */
  int fds;              /* fds the call created */
} expect_t;

typedef struct fd_case {
  const char *name; /* test name, before _O0/_O2 */
  const char *prog; /* prog_fd_<prog>_<opt>, from progs/prog_fd_<prog>.c */
  const char *mode; /* argv[2], or NULL */
  expect_t leaks[24];
  const char *clean[8]; /* markers of calls whose fd must not be reported */
  const char *env[2];   /* extra environment ("NAME=value") */
  int stale;            /* summary.fds_stale: records of fds closed or
                           replaced out of the library's sight */
  int stale_reusable;   /* of those, how many may be missing from the
                           count: a closed fd's number is the lowest free
                           one, so a file the report itself opens (through
                           close(), which forgets a record even inside the
                           library) can take it and clear the record first */
  bool std_fds;         /* fds 0-2 may be listed (LEAKSCOPE_SHOW_STD_FDS) */
} fd_case_t;

/* One "fd <marker> <fd> <path>" line of the program's output. */
typedef struct said {
  char marker[64];
  int fd;
  char path[PATH_MAX];
} said_t;

#define MAX_SAID 64

static ts_run_t current_run;
static char scratch_dir[PATH_MAX];
static said_t said[MAX_SAID];
static size_t nsaid;
/* Opened without O_CLOEXEC before any run, so every program inherits it. */
static int inherited_fd = -1;

static const char *src_path(const fd_case_t *c) {
  static char path[1024];
  snprintf(path, sizeof(path), "%s/prog_fd_%s.c", LS_FD_PROG_SRC_DIR, c->prog);
  return path;
}

/* --- Scratch directory --- */

/* A fresh directory, canonical because the report shows the kernel's
 * path for it. */
static void make_scratch_dir(void) {
  const char *tmp = getenv("TMPDIR");
  char templ[PATH_MAX];
  snprintf(templ, sizeof(templ), "%s/leakscope-fd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(templ) || !realpath(templ, scratch_dir))
    fail_msg("cannot make a scratch directory from %s", templ);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  return remove(path);
}

static void remove_scratch_dir(void) {
  if (scratch_dir[0])
    nftw(scratch_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  scratch_dir[0] = '\0';
}

/* --- The program's account of its leaks --- */

static void parse_said(const ts_run_t *run) {
  nsaid = 0;
  for (const char *p = run->out; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char line[PATH_MAX + 128];
    snprintf(line, sizeof(line), "%.*s", (int)len, p);
    said_t s;
    int path_at = 0;
    if (sscanf(line, "fd %63s %d %n", s.marker, &s.fd, &path_at) == 2 && path_at > 0) {
      snprintf(s.path, sizeof(s.path), "%s", line + path_at);
      if (nsaid == MAX_SAID)
        TS_FAIL(run, "the program printed more than %d fds", MAX_SAID);
      said[nsaid++] = s;
    }
    p = nl ? nl + 1 : p + len;
  }
}

static size_t said_for(const char *marker) {
  size_t n = 0;
  for (size_t i = 0; i < nsaid; i++)
    n += strcmp(said[i].marker, marker) == 0;
  return n;
}

static const expect_t *expect_for(const fd_case_t *c, const char *marker) {
  for (const expect_t *e = c->leaks; e->marker; e++)
    if (strcmp(e->marker, marker) == 0)
      return e;
  return NULL;
}

/* --- Checks --- */

/* The group's fds and paths are exactly the ones the program printed for
 * the marker, in any order. */
static void check_fds(const ts_run_t *run, const json_value_t *g, const expect_t *e) {
  char what[160];
  snprintf(what, sizeof(what), "fds in the group of LEAK:%s", e->marker);
  TS_CHECK_INT(run, what, e->fds, (int64_t)fd_group_nfds(g));
  for (size_t i = 0; i < nsaid; i++) {
    if (strcmp(said[i].marker, e->marker) != 0)
      continue;
    size_t j = 0;
    while (j < fd_group_nfds(g) && fd_group_fd(g, j) != said[i].fd)
      j++;
    if (j == fd_group_nfds(g))
      TS_FAIL(run, "LEAK:%s: fd %d is not in the group's \"fds\"", e->marker, said[i].fd);
    if (strcmp(fd_group_path(g, j), said[i].path) != 0)
      TS_FAIL(run, "LEAK:%s: path of fd %d: expected \"%s\", got \"%s\"", e->marker, said[i].fd,
              said[i].path, fd_group_path(g, j));
  }
}

static void check_leak(const ts_run_t *run, const json_value_t *report, const fd_case_t *c,
                       const expect_t *e) {
  const char *src = src_path(c);
  int line = ts_marker_line(src, e->marker);
  char what[160];
  snprintf(what, sizeof(what), "fds the program printed for LEAK:%s", e->marker);
  TS_CHECK_INT(run, what, e->fds, (int64_t)said_for(e->marker));

  ts_leaks_t m = ts_groups_at(report, "fd", src, line);
  snprintf(what, sizeof(what), "fd groups whose first frame in prog_fd_%s.c is LEAK:%s (line %d)",
           c->prog, e->marker, line);
  TS_CHECK_INT(run, what, 1, (int64_t)m.groups);
  const json_value_t *g = m.group[0];
  if (strcmp(fd_group_resource(g), e->resource) != 0)
    TS_FAIL(run, "LEAK:%s: resource: expected \"%s\", got \"%s\"", e->marker, e->resource,
            fd_group_resource(g));
  snprintf(what, sizeof(what), "stack index of the frame at LEAK:%s (the creating call's caller)",
           e->marker);
  TS_CHECK_INT(run, what, 0, m.frame[0]);
  char fn[96];
  snprintf(fn, sizeof(fn), "leak_%s", e->marker);
  const char *reported = json_as_str(json_get(ts_frame(g, 0), "function"));
  if (!ts_function_is(reported, fn))
    TS_FAIL(run, "LEAK:%s: function of frame 0: expected %s, got %s", e->marker, fn,
            reported ? reported : "null");
  check_fds(run, g, e);
}

/* A call whose fd was handed to a stream or replaced: no fd and no block
 * may be charged to its line. */
static void check_clean_line(const ts_run_t *run, const json_value_t *report, const fd_case_t *c,
                             const char *marker) {
  const char *src = src_path(c);
  int line = ts_marker_line(src, marker);
  ts_leaks_t m = ts_groups_at(report, "fd", src, line);
  if (m.groups)
    TS_FAIL(run, "LEAK:%s (line %d) must not be reported, got a \"%s\" group with fd %lld", marker,
            line, fd_group_resource(m.group[0]), (long long)fd_group_fd(m.group[0], 0));
  ts_leaks_t heap = ts_leaks_at(report, src, line);
  if (heap.groups)
    TS_FAIL(run, "LEAK:%s (line %d): expected no heap leak, got %lld bytes", marker, line,
            (long long)heap.bytes);
}

/* Nothing beyond the expected groups; no fd from before the library. */
static void check_totals(const ts_run_t *run, const json_value_t *report, const fd_case_t *c) {
  size_t groups = 0;
  for (const expect_t *e = c->leaks; e->marker; e++)
    groups++;
  ts_leaks_t all = ts_groups_all(report, "fd");
  for (size_t i = 0; i < all.groups && i < TS_MAX_MATCHES; i++) {
    for (size_t j = 0; j < fd_group_nfds(all.group[i]); j++) {
      int64_t fd = fd_group_fd(all.group[i], j);
      if ((fd <= 2 && !c->std_fds) || fd == inherited_fd)
        TS_FAIL(run, "fd %lld (%s) was open before the library loaded, yet is reported",
                (long long)fd, fd_group_path(all.group[i], j));
    }
  }
  TS_CHECK_INT(run, "fd groups in the report", (int64_t)groups, (int64_t)all.groups);
  /* count is each group's number of fds (fd_check_shape checked it). */
  TS_CHECK_INT(run, "fds in the report's fd groups", (int64_t)nsaid, all.count);
  int64_t summary_fds = -1;
  json_as_int(json_get(json_get(report, "summary"), "fds"), &summary_fds);
  TS_CHECK_INT(run, "summary.fds", (int64_t)nsaid, summary_fds);
  int64_t stale = -1;
  json_as_int(json_get(json_get(report, "summary"), "fds_stale"), &stale);
  if (stale < c->stale - c->stale_reusable || stale > c->stale)
    TS_FAIL(run, "summary.fds_stale: expected %d (at least %d), got %lld", c->stale,
            c->stale - c->stale_reusable, (long long)stale);

  ts_leaks_t heap = ts_leaks_touching(report, src_path(c));
  if (heap.groups) {
    const json_value_t *frame = ts_frame(heap.group[0], heap.frame[0]);
    TS_FAIL(run,
            "expected no heap leak with a frame in prog_fd_%s.c, got %zu group(s), %lld "
            "bytes; first at line %lld in %s",
            c->prog, heap.groups, (long long)heap.bytes, (long long)ts_frame_line(frame),
            ts_frame_str(frame, "function"));
  }
}

static void run_case(void **state) {
  const ts_opt_case_t *t = *state;
  const fd_case_t *c = t->c;
  char path[1024], inherited[64];
  snprintf(path, sizeof(path), "%s/prog_fd_%s_%s", LS_PROG_DIR, c->prog, t->opt);
  snprintf(inherited, sizeof(inherited), "LS_TEST_INHERITED_FD=%d", inherited_fd);
  make_scratch_dir();
  const char *argv[] = {path, scratch_dir, c->mode, NULL};
  const char *env[] = {inherited, c->env[0], c->env[1], NULL};

  ts_run(&current_run, LS_TEST_LIB, path, argv, env);
  const ts_run_t *run = &current_run;
  const json_value_t *report = ts_clean_exit_report(run);
  fd_check_shape(run, report);

  parse_said(run);
  for (size_t i = 0; i < nsaid; i++)
    if (!expect_for(c, said[i].marker))
      TS_FAIL(run, "the program leaked fd %d for LEAK:%s, which the test does not expect",
              said[i].fd, said[i].marker);
  for (const expect_t *e = c->leaks; e->marker; e++)
    check_leak(run, report, c, e);
  for (size_t i = 0; i < sizeof(c->clean) / sizeof(c->clean[0]) && c->clean[i]; i++)
    check_clean_line(run, report, c, c->clean[i]);
  check_totals(run, report, c);
}

static int free_run(void **state) {
  ts_run_free(&current_run);
  remove_scratch_dir();
  return 0;
}

/* --- The cases --- */

#define LEAK(marker, resource)                                                                     \
  { marker, resource, 1 }
#define LEAK_PAIR(marker, resource)                                                                \
  { marker, resource, 2 }

static const fd_case_t cases[] = {
    {"files",
     "files",
     NULL,
     {LEAK("open", "file"), LEAK("open64", "file"), LEAK("openat", "file"),
      LEAK("openat64", "file"), LEAK("creat", "file"), LEAK("creat64", "file"), LEAK("dup", "file"),
      LEAK("dup2", "file"), LEAK("dup3", "file"), LEAK("fcntl_dupfd", "file"),
      LEAK("fcntl_dupfd_cloexec", "file"), LEAK("cloexec_range", "file"), LEAK("dup2_over", "file"),
      /* stdin is the runner's /dev/null: a path, hence a "file". */
      LEAK("dup2_stdin", "file")},
     {"dup2_over_orig"},
     .stale = 0},
    {"ipc",
     "ipc",
     NULL,
     {LEAK_PAIR("pipe", "pipe"), LEAK_PAIR("pipe2", "pipe"), LEAK("socket", "socket"),
      LEAK("accept", "socket"), LEAK("accept4", "socket"), LEAK_PAIR("socketpair", "socket"),
      /* Received fds are classified by what the kernel says they are. */
      LEAK("recvmsg_eventfd", "eventfd"), LEAK("recvmsg_file", "file")},
     {NULL},
     .stale = 0},
    {"anon",
     "anon",
     NULL,
     {LEAK("epoll_create", "epoll"), LEAK("epoll_create1", "epoll"), LEAK("eventfd", "eventfd"),
      LEAK("timerfd_create", "timerfd"), LEAK("signalfd", "signalfd"),
      LEAK("inotify_init", "inotify"), LEAK("inotify_init1", "inotify"),
      LEAK("memfd_create", "memfd")},
     {NULL},
     .stale = 0},
    {"streams",
     "streams",
     NULL,
     {LEAK("fopen", "stream"), LEAK("fopen64", "stream"), LEAK("fdopen", "stream"),
      LEAK("freopen", "stream"), LEAK("tmpfile", "stream"), LEAK("popen", "stream"),
      LEAK("opendir", "dir"), LEAK("fdopendir", "dir")},
     {"fdopen_fd", "freopen_orig", "fdopendir_fd"},
     .stale = 0},
    /* The same through syscall(): reported at the line calling it. */
    {"syscall",
     "syscall",
     NULL,
     {LEAK("openat", "file"), LEAK("openat2", "file"), LEAK("open", "file"),
      LEAK("memfd_create", "memfd"), LEAK("eventfd2", "eventfd"), LEAK("timerfd_create", "timerfd"),
      LEAK("signalfd4", "signalfd"), LEAK("epoll_create1", "epoll"),
      LEAK("inotify_init1", "inotify"), LEAK("pidfd_open", "other"), LEAK("pidfd_getfd", "file"),
      LEAK("socket", "socket"), LEAK_PAIR("socketpair", "socket"), LEAK_PAIR("pipe2", "pipe"),
      LEAK("dup", "file"), LEAK("dup3", "file"), LEAK("fcntl_dupfd", "file")},
     {"close_open", "close_raw", "close_range", "dup3_over_orig"},
     .stale = 0},
    /* Closed or replaced where no interposer sees it: left out, counted. */
    {"hidden",
     "hidden",
     NULL,
     {LEAK("kept", "file")},
     {"replaced_orig", "replaced_socket", "replaced_pipe", "closed"},
     .stale = 4},
    {"hidden_stdout",
     "hidden",
     "stdout",
     {LEAK("kept", "file")},
     {"replaced_orig", "replaced_socket", "replaced_pipe", "closed", "stdout"},
     {"LEAKSCOPE_SHOW_STD_FDS=1"},
     .stale = 5,
     .stale_reusable = 1,
     .std_fds = true},
    /* fds 0-2 made anew: left out by default, listed on request. */
    {"std_hidden",
     "std",
     "quiet",
     {{NULL}},
     {"std_open", "std_dup2_err", "std_dup2_out"},
     .stale = 0},
    {"std_shown",
     "std",
     NULL,
     {LEAK("std_open", "file"), LEAK("std_dup2_err", "file"), LEAK("std_dup2_out", "file")},
     {NULL},
     {"LEAKSCOPE_SHOW_STD_FDS=1"},
     .std_fds = true},
    /* A vfork child's dup2 and closes change its own fds, not the
     * parent's records (fds 0-2 listed: the child's fd 1 must not be). */
    {"vfork",
     "vfork",
     NULL,
     {LEAK_PAIR("pipe", "pipe")},
     {NULL},
     {"LEAKSCOPE_SHOW_STD_FDS=1"},
     .stale = 0},
    {"clean", "clean", NULL, {{NULL}}, {NULL}, .stale = 0},
    {"daemon_loop", "daemon", "loop", {LEAK("socket", "socket")}, {NULL}, .stale = 0},
    {"daemon_range", "daemon", "range", {LEAK("socket", "socket")}, {NULL}, .stale = 0},
    {"daemon_closefrom", "daemon", "closefrom", {LEAK("socket", "socket")}, {NULL}, .stale = 0},
};

int main(int argc, char **argv) {
  /* Above the numbers the programs use, and kept open across exec. */
  int null_fd = open("/dev/null", O_RDONLY);
  inherited_fd = null_fd < 0 ? -1 : fcntl(null_fd, F_DUPFD, 77);
  if (inherited_fd < 0) {
    perror("test_fd: cannot open the inherited fd");
    return 1;
  }
  close(null_fd);
  return TS_MAIN_OPTS("fd", cases, run_case, free_run, argc > 1 ? argv[1] : NULL);
}
