/* SPDX-License-Identifier: MIT
 * test_memory.c: runs each leak program of tests/memory/progs under the preloaded
 * library, at -O0 and at -O2, and checks the memory leaks in its report.
 *
 * Every case is data: the program, and per marker comment in its source
 * the exact bytes and blocks that must be charged to that line (summed
 * over the groups whose stack first enters the source file there), the
 * function that line is in, and where in the stack it must appear. One
 * test function, run_case, checks any case; a few cases add a check that
 * needs the program's output or a frame outside the program.
 *
 * Usage: test_memory [CASE_OPT]   e.g. test_memory malloc_O2
 * CTest runs one case per test; without an argument all cases run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "runner.h"
#include "testmain.h"

#define ANY (-1) /* in expect_t: do not check this field */

typedef struct expect {
  const char *marker;   /* LEAK:<marker> in source */
  const char *source;   /* file in progs/ holding it; NULL: the program's */
  const char *function; /* function of the first frame in source; NULL: no check */
  int64_t bytes;        /* summed over the groups at the marker, or ANY */
  int64_t count;        /* blocks, summed likewise */
  int groups;           /* exact number of groups at the marker, or ANY */
  int frame;            /* index of the first frame in source, or ANY */
} expect_t;

typedef struct prog_case {
  const char *name;   /* built as prog_<name>_O0 and prog_<name>_O2 */
  const char *source; /* in progs/ */
  bool clean;         /* no memory group may have a frame in source */
  void (*extra)(const ts_run_t *run, const json_value_t *report, const ts_opt_case_t *t);
  expect_t expect[4];
} prog_case_t;

static ts_run_t current_run;

/* Path of a file in tests/memory/progs. */
static const char *src_path(const char *file) {
  static char path[1024];
  snprintf(path, sizeof(path), "%s/%s", LS_PROG_SRC_DIR, file);
  return path;
}

/* --- Checks every case shares --- */

static void check_expect(const ts_run_t *run, const json_value_t *report, const prog_case_t *c,
                         const expect_t *e) {
  const char *file = e->source ? e->source : c->source;
  const char *path = src_path(file);
  int line = ts_marker_line(path, e->marker);
  ts_leaks_t m = ts_leaks_at(report, path, line);
  char what[256];
  if (e->bytes != ANY) {
    snprintf(what, sizeof(what), "bytes leaked at LEAK:%s (%s:%d)", e->marker, file, line);
    TS_CHECK_INT(run, what, e->bytes, m.bytes);
  }
  snprintf(what, sizeof(what), "blocks leaked at LEAK:%s (%s:%d)", e->marker, file, line);
  TS_CHECK_INT(run, what, e->count, m.count);
  if (e->groups != ANY) {
    snprintf(what, sizeof(what), "leak groups at LEAK:%s (%s:%d)", e->marker, file, line);
    TS_CHECK_INT(run, what, e->groups, (int64_t)m.groups);
  }
  for (size_t i = 0; i < m.groups && i < TS_MAX_MATCHES; i++) {
    const json_value_t *frame = ts_frame(m.group[i], m.frame[i]);
    const char *fn = json_as_str(json_get(frame, "function"));
    int64_t bytes = 0;
    json_as_int(json_get(m.group[i], "bytes"), &bytes);
    if (e->function && !ts_function_is(fn, e->function))
      TS_FAIL(run, "function of frame %d (%s:%d) in a group of %lld bytes: expected %s, got %s",
              m.frame[i], file, line, (long long)bytes, e->function, fn ? fn : "null");
    if (e->frame != ANY) {
      snprintf(what, sizeof(what), "stack index of the first %s frame (LEAK:%s)", file, e->marker);
      TS_CHECK_INT(run, what, e->frame, m.frame[i]);
    }
  }
}

static void check_clean(const ts_run_t *run, const json_value_t *report, const prog_case_t *c) {
  ts_leaks_t m = ts_leaks_touching(report, src_path(c->source));
  if (m.groups) {
    const json_value_t *frame = ts_frame(m.group[0], m.frame[0]);
    TS_FAIL(run,
            "expected no leak with a frame in %s, got %zu group(s), %lld bytes; "
            "first at %s:%lld in %s",
            c->source, m.groups, (long long)m.bytes, ts_frame_str(frame, "file"),
            (long long)ts_frame_line(frame), ts_frame_str(frame, "function"));
  }
}

static void run_case(void **state) {
  const ts_opt_case_t *t = *state;
  const prog_case_t *c = t->c;
  char path[1024];
  snprintf(path, sizeof(path), "%s/prog_%s_%s", LS_PROG_DIR, c->name, t->opt);

  ts_run(&current_run, LS_TEST_LIB, path, NULL, NULL);
  const ts_run_t *run = &current_run;
  const json_value_t *report = ts_clean_exit_report(run);

  for (size_t i = 0; i < sizeof(c->expect) / sizeof(c->expect[0]) && c->expect[i].marker; i++)
    check_expect(run, report, c, &c->expect[i]);
  if (c->clean)
    check_clean(run, report, c);
  if (c->extra)
    c->extra(run, report, t);
}

static int free_run(void **state) {
  ts_run_free(&current_run);
  return 0;
}

/* --- Checks a single case adds --- */

/* strdup's block is allocated by libc: frame 0 is strdup itself. getline's
 * buffer size is libc's choice, which the program prints. */
static void extra_libc(const ts_run_t *run, const json_value_t *report, const ts_opt_case_t *t) {
  const prog_case_t *c = t->c;
  const char *path = src_path(c->source);
  ts_leaks_t dup = ts_leaks_at(report, path, ts_marker_line(path, "strdup"));
  const char *fn = ts_frame_str(ts_frame(dup.group[0], 0), "function");
  if (!strstr(fn, "strdup"))
    TS_FAIL(run, "frame 0 of the strdup leak: expected strdup in libc, got %s", fn);

  const char *said = strstr(run->out, "getline_capacity=");
  long long capacity = -1;
  if (!said || sscanf(said, "getline_capacity=%lld", &capacity) != 1)
    TS_FAIL(run, "prog_libc did not print getline_capacity=N");
  ts_leaks_t line = ts_leaks_at(report, path, ts_marker_line(path, "getline"));
  TS_CHECK_INT(run, "bytes of getline's buffer (as the program saw its capacity)", capacity,
               line.bytes);
}

/* The plugin is unloaded before exit, yet its frame must still name its
 * module, and its function must be found by name alone too. */
static void extra_dlopen(const ts_run_t *run, const json_value_t *report, const ts_opt_case_t *t) {
  const char *path = src_path("plugin.c");
  ts_leaks_t m = ts_leaks_at(report, path, ts_marker_line(path, "plugin"));
  ts_leaks_t by_name = ts_leaks_in_function(report, "plugin_leak");
  TS_CHECK_INT(run, "bytes in groups with a plugin_leak frame", 2 * 777, by_name.bytes);
  TS_CHECK_INT(run, "blocks in groups with a plugin_leak frame", 2, by_name.count);
  char want[64];
  snprintf(want, sizeof(want), "/plugin_%s.so", t->opt);
  for (size_t i = 0; i < m.groups && i < TS_MAX_MATCHES; i++) {
    const char *module = ts_frame_str(ts_frame(m.group[i], m.frame[i]), "module");
    size_t n = strlen(module), w = strlen(want);
    if (n < w || strcmp(module + n - w, want) != 0)
      TS_FAIL(run, "module of the plugin_leak frame: expected a path ending in %s, got %s", want,
              module);
  }
}

/* The function of the outermost frame a group shows. */
static const char *last_function(const json_value_t *group) {
  const json_value_t *frames = json_get(group, "stack");
  size_t n = frames ? json_len(frames) : 0;
  return n ? ts_frame_str(ts_frame(group, (int)n - 1), "function") : NULL;
}

/* Checks the outermost frame of every memory group is `fn` (the C
 * runtime's frames below it are left out). */
static void check_last_frames(const ts_run_t *run, const json_value_t *report, const char *fn) {
  ts_leaks_t all = ts_groups_all(report, "memory");
  if (!all.groups)
    TS_FAIL(run, "no memory group in the report");
  for (size_t i = 0; i < all.groups && i < TS_MAX_MATCHES; i++) {
    const char *got = last_function(all.group[i]);
    if (!got || !ts_function_is(got, fn))
      TS_FAIL(run, "outermost frame of memory group %zu: expected %s, got %s", i, fn,
              got ? got : "null");
  }
}

/* Stacks end at main; LEAKSCOPE_SHOW_BELOW_MAIN=1 shows the frames of
 * the C runtime that called it. */
static void extra_below_main(const ts_run_t *run, const json_value_t *report,
                             const ts_opt_case_t *t) {
  check_last_frames(run, report, "main");
  const prog_case_t *c = t->c;
  char path[1024];
  snprintf(path, sizeof(path), "%s/prog_%s_%s", LS_PROG_DIR, c->name, t->opt);
  static const char *const env[] = {"LEAKSCOPE_SHOW_BELOW_MAIN=1", NULL};
  ts_run_t shown;
  ts_run(&shown, LS_TEST_LIB, path, NULL, env);
  ts_leaks_t start = ts_leaks_in_function(ts_clean_exit_report(&shown), "__libc_start_call_main");
  TS_CHECK_INT(&shown, "blocks in groups with a __libc_start_call_main frame (shown)", 3,
               start.count);
  ts_run_free(&shown);
}

/* A thread's stacks end at its start routine, not in start_thread. (A
 * frame-pointer walk cannot tell a complete stack from one that stopped in
 * libc, so with LEAKSCOPE_UNWIND=fp the thread start is kept.) */
static void extra_thread_start(const ts_run_t *run, const json_value_t *report,
                               const ts_opt_case_t *t) {
  const char *unwind = getenv("LEAKSCOPE_UNWIND");
  if (!unwind || strcmp(unwind, "fp") != 0)
    check_last_frames(run, report, "leak_in_thread");
}

/* --- The cases --- */

/* A direct call of an allocator leaking `count` blocks of `size` bytes
 * from function fn: the call is frame 0. */
#define DIRECT(marker, fn, size, count)                                                            \
  { marker, NULL, fn, (size) * (count), count, ANY, 0 }
#define NOTHING_AT(marker)                                                                         \
  { marker, NULL, NULL, 0, 0, ANY, ANY }

static const prog_case_t cases[] = {
    {"malloc",
     "prog_malloc.c",
     false,
     extra_below_main,
     {DIRECT("malloc", "leak_malloc", 1234, 3)}},
    {"calloc", "prog_calloc.c", false, NULL, {DIRECT("calloc", "leak_calloc", 13 * 101, 2)}},
    {"realloc_null",
     "prog_realloc_null.c",
     false,
     NULL,
     {DIRECT("realloc_null", "leak_realloc_null", 2222, 4)}},
    {"reallocarray",
     "prog_reallocarray.c",
     false,
     NULL,
     {DIRECT("reallocarray", "leak_reallocarray", 7 * 321, 3)}},
    {"posix_memalign",
     "prog_posix_memalign.c",
     false,
     NULL,
     {DIRECT("posix_memalign", "leak_posix_memalign", 3000, 2)}},
    {"aligned_alloc",
     "prog_aligned_alloc.c",
     false,
     NULL,
     {DIRECT("aligned_alloc", "leak_aligned_alloc", 2560, 2)}},
    {"memalign", "prog_memalign.c", false, NULL, {DIRECT("memalign", "leak_memalign", 1111, 3)}},
    {"valloc", "prog_valloc.c", false, NULL, {DIRECT("valloc", "leak_valloc", 3333, 2)}},
    /* pvalloc(5000) reserves 8192 bytes, as malloc_usable_size says. */
    {"pvalloc", "prog_pvalloc.c", false, NULL, {DIRECT("pvalloc", "leak_pvalloc", 8192, 2)}},
    {"loop", "prog_loop.c", false, NULL, {{"loop", NULL, "leak_in_loop", 4800, 100, 1, 0}}},
    {"threads",
     "prog_threads.c",
     false,
     extra_thread_start,
     {{"thread", NULL, "leak_in_thread", 40 * 64, 40, 1, 0}}},
    /* Only the last realloc's size and stack; the earlier blocks are gone. */
    {"realloc",
     "prog_realloc.c",
     false,
     NULL,
     {{"realloc_shrink", NULL, "leak_after_reallocs", 2345, 1, 1, 0},
      NOTHING_AT("realloc_origin"),
      NOTHING_AT("realloc_move"),
      NOTHING_AT("realloc_grow")}},
    {"libc",
     "prog_libc.c",
     false,
     extra_libc,
     {{"strdup", NULL, "leak_strdup", 6, 1, ANY, 1},
      {"asprintf", NULL, "leak_asprintf", sizeof("leakscope-2024"), 1, ANY, ANY},
      {"getline", NULL, "leak_getline", ANY, 1, ANY, ANY}}},
    {"dlopen",
     "prog_dlopen.c",
     false,
     extra_dlopen,
     {{"plugin", "plugin.c", "plugin_leak", 2 * 777, 2, ANY, 0},
      {"plugin_call", NULL, "call_plugin", 2 * 777, 2, ANY, ANY}}},
    /* operator new (libstdc++) sits between malloc and the user's line, and
     * at -O2 inlined header frames may too: hence no fixed stack index. */
    {"cxx",
     "prog_cxx.cpp",
     false,
     NULL,
     {{"cxx_new_array", NULL, "leak_new_array", 100 * sizeof(int), 1, ANY, ANY},
      {"cxx_string", NULL, "leak_string", sizeof("a std::string too long for its buffer..."), 1,
       ANY, ANY},
      {"cxx_vector", NULL, "leak_vector", 8 * sizeof(int), 1, ANY, ANY}}},
    {"clean", "prog_clean.cpp", true, NULL, {{0}}},
    {"semantics", "prog_semantics.c", true, NULL, {NOTHING_AT("realloc_zero")}},
};

int main(int argc, char **argv) {
  return TS_MAIN_OPTS("memory", cases, run_case, free_run, argc > 1 ? argv[1] : NULL);
}
