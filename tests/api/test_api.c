/* SPDX-License-Identifier: MIT
 * test_api.c: the public API, called in a process that links libleakscope
 * (so tracking is on from the start), with exact expectations.
 *
 * Counts are exact because each test makes every allocation it counts
 * itself and the only other thread (test_thread_scope) is started before
 * the checkpoint. Report checks find the leaking line by its LEAK marker
 * comment, so editing this file never invalidates a line number.
 *
 * Usage: test_api [TEST]   CTest runs one test per process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leakscope.h>

#include "api_test.h"
#include "archive.h"
#include "json.h"
#include "report.h"
#include "testmain.h"

#define PROCESS LEAKSCOPE_SCOPE_PROCESS
#define THREAD LEAKSCOPE_SCOPE_THREAD

/* --- Helpers --- */

/* Allocates the block the report tests look for. noinline and the memset
 * keep this frame on the stack at any optimisation level (no inlining, no
 * tail call into malloc). */
static __attribute__((noinline)) void *leak_for_report(size_t n) {
  void *p = malloc(n); /* LEAK:report */
  memset(p, 0, n);
  return p;
}

/* Reads everything from fd (until EOF) into a NUL-terminated buffer. */
static char *read_all(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  ssize_t r;
  while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
    n += (size_t)r;
    if (cap - n < 2)
      buf = realloc(buf, cap *= 2);
  }
  assert_true(r == 0);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Writes a report into a pipe and returns what came out; *groups gets
 * report_fd's result. The pipe is made by the caller before the
 * checkpoint, so its fds are not part of what the report is about. */
static char *report_through_pipe(const int pipefd[2], leakscope_checkpoint_t cp, unsigned kinds,
                                 leakscope_format_t format, int *groups) {
  *groups = leakscope_report_fd(pipefd[1], cp, PROCESS, kinds, format);
  /* The reports here are a few kilobytes: far below the pipe's capacity,
   * so writing before reading cannot block. A non-blocking read end
   * turns "all read" into EAGAIN instead of waiting for EOF. */
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  ssize_t r;
  while (n < cap - 1 && (r = read(pipefd[0], buf + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = '\0';
  return buf;
}

/* Parses a one-line JSON report, failing with the text if it is not. */
static json_value_t *parse_report(const char *text) {
  char err[256];
  size_t len = strlen(text);
  while (len && text[len - 1] == '\n')
    len--;
  json_value_t *v = json_parse(text, len, err, sizeof(err));
  if (!v)
    fail_msg("report is not one JSON document (%s):\n%s", err, text);
  ts_archive_report(text, len);
  ts_run_t as_run = {
      .path = "(in-process report)", .report_text = (char *)text, .report_len = strlen(text)};
  ts_check_report_shape(&as_run, v);
  return v;
}

static void expect_str(const json_value_t *v, const char *key, const char *want) {
  const char *got = json_as_str(json_get(v, key));
  if (!got || strcmp(got, want) != 0)
    fail_msg("\"%s\": expected \"%s\", got \"%s\"", key, want, got ? got : "(absent)");
}

static int64_t get_int(const json_value_t *v, const char *key) {
  int64_t n = -1;
  if (!json_as_int(json_get(v, key), &n))
    fail_msg("\"%s\" is not an integer", key);
  return n;
}

/* Checks the one memory group leak_for_report(bytes) produced: bytes,
 * count 1, and its first frame in this file is leak_for_report at the
 * marker line. */
static void expect_report_group(const json_value_t *group, int64_t bytes) {
  expect_str(group, "kind", "memory");
  assert_int_equal(get_int(group, "bytes"), bytes);
  assert_int_equal(get_int(group, "count"), 1);
  int f = ts_first_frame_in(group, __FILE__);
  if (f < 0)
    fail_msg("no frame of the leak's stack is in %s", __FILE__);
  const json_value_t *frame = ts_frame(group, f);
  if (!ts_function_is(ts_frame_str(frame, "function"), "leak_for_report"))
    fail_msg("first frame in this file: expected leak_for_report, got %s",
             ts_frame_str(frame, "function"));
  assert_int_equal(ts_frame_line(frame), ts_marker_line(__FILE__, "report"));
}

/* --- Status --- */

static void test_status(void **state) {
  assert_true(leakscope_active());
  assert_string_equal(leakscope_version(), "0.1.0");
  char macro[32];
  snprintf(macro, sizeof(macro), "%d.%d.%d", LEAKSCOPE_VERSION_MAJOR, LEAKSCOPE_VERSION_MINOR,
           LEAKSCOPE_VERSION_PATCH);
  assert_string_equal(leakscope_version(), macro);
  assert_int_equal(LEAKSCOPE_VERSION, LEAKSCOPE_VERSION_MAJOR * 10000 +
                                          LEAKSCOPE_VERSION_MINOR * 100 + LEAKSCOPE_VERSION_PATCH);
}

/* --- Checkpoints and counts --- */

static void test_checkpoint_exact(void **state) {
  void *before = malloc(100);
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  assert_true(cp != 0);
  void *p[3];
  for (int i = 0; i < 3; i++)
    p[i] = malloc(100);
  CHECK_COUNTS(cp, PROCESS, 300, 3, 0);
  CHECK_COUNTS(cp, THREAD, 300, 3, 0);
  free(p[1]);
  CHECK_COUNTS(cp, PROCESS, 200, 2, 0);
  free(before); /* freeing an older block changes nothing since cp */
  CHECK_COUNTS(cp, PROCESS, 200, 2, 0);

  /* A later checkpoint sees only what comes after it. */
  leakscope_checkpoint_t cp2 = leakscope_checkpoint();
  assert_true(cp2 > cp);
  void *q = malloc(7);
  CHECK_COUNTS(cp2, PROCESS, 7, 1, 0);
  CHECK_COUNTS(cp, PROCESS, 207, 3, 0);
  free(q);
  free(p[0]);
  free(p[2]);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);
}

static void test_realloc_counts_new_size(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  char *p = malloc(10);
  p = realloc(p, 1000);
  CHECK_COUNTS(cp, PROCESS, 1000, 1, 0);
  void *z = calloc(4, 25);
  CHECK_COUNTS(cp, PROCESS, 1100, 2, 0);
  free(p);
  free(z);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);
}

/* --- Thread scope --- */

#define CHURN_RING 16
#define CHURN_BYTES 64

/* A thread that keeps replacing the blocks of a ring until told to stop,
 * so the process allocates continuously while the test counts. Started
 * and stopped by the test's setup and teardown, so a failing check cannot
 * leave it running. */
static struct churn {
  pthread_t thread;
  atomic_bool stop;
  atomic_ulong rounds; /* rounds completed */
  void *ring[CHURN_RING];
} churn;

static void *churn_main(void *arg) {
  for (unsigned long i = 0; !atomic_load(&churn.stop); i++) {
    free(churn.ring[i % CHURN_RING]);
    churn.ring[i % CHURN_RING] = malloc(CHURN_BYTES);
    atomic_store(&churn.rounds, i + 1);
  }
  return NULL;
}

static void wait_rounds(unsigned long n) {
  while (atomic_load(&churn.rounds) < n)
    sched_yield();
}

static int churn_start(void **state) {
  if (pthread_create(&churn.thread, NULL, churn_main, NULL) != 0)
    return -1;
  wait_rounds(1);
  return 0;
}

static void churn_stop(void) {
  if (!atomic_exchange(&churn.stop, true))
    pthread_join(churn.thread, NULL);
}

static int churn_teardown(void **state) {
  churn_stop();
  for (int i = 0; i < CHURN_RING; i++)
    free(churn.ring[i]);
  return 0;
}

static void test_thread_scope(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  /* Round r0 may have allocated before cp; rounds from r0 + 1 on start
   * after we read r0, so after cp. Once CHURN_RING more have completed,
   * every ring slot holds a block created since cp. */
  unsigned long r0 = atomic_load(&churn.rounds);
  wait_rounds(r0 + 1 + CHURN_RING + 1);

  void *mine[2] = {malloc(40), malloc(40)};
  uint64_t most_seen = 0;
  for (int i = 0; i < 50; i++) {
    CHECK_COUNTS(cp, THREAD, 80, 2, 0);
    /* A count taken while another thread allocates and frees is not a
     * snapshot of one instant (the table is walked while it changes), so
     * only the thread-scoped count is exact here. The process-scoped one
     * must at least see the other thread's blocks. */
    leakscope_counts_t c;
    assert_int_equal(leakscope_count_since(cp, PROCESS, &c), 0);
    if (c.blocks > most_seen)
      most_seen = c.blocks;
  }
  if (most_seen <= 2)
    fail_msg("PROCESS scope never counted the other thread's blocks (at most %llu blocks)",
             (unsigned long long)most_seen);
  unsigned long r1 = atomic_load(&churn.rounds);
  wait_rounds(r1 + 100); /* it really was allocating meanwhile */

  churn_stop();
  CHECK_COUNTS(cp, THREAD, 80, 2, 0);
  CHECK_COUNTS(cp, PROCESS, 80 + CHURN_RING * CHURN_BYTES, 2 + CHURN_RING, 0);
  free(mine[0]);
  free(mine[1]);
  CHECK_COUNTS(cp, PROCESS, CHURN_RING * CHURN_BYTES, CHURN_RING, 0);
}

/* --- Kept blocks --- */

static void test_keep(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  char *kept = malloc(100);
  char *other = malloc(50);
  CHECK_COUNTS(cp, PROCESS, 150, 2, 0);
  assert_int_equal(leakscope_keep(kept), 0);
  CHECK_COUNTS(cp, PROCESS, 50, 1, 0);

  int on_stack = 0;
  assert_int_equal(leakscope_keep(&on_stack), -1);
  assert_int_equal(leakscope_keep(NULL), -1);
  assert_int_equal(leakscope_keep(other + 1), -1); /* inside a block is not a block */
  assert_int_equal(leakscope_keep(kept), -1);      /* already kept: no longer tracked */
  CHECK_COUNTS(cp, PROCESS, 50, 1, 0);

  /* A kept block is not in reports either. */
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  leakscope_checkpoint_t cp2 = leakscope_checkpoint();
  void *kept2 = leak_for_report(33);
  void *reported = leak_for_report(44);
  assert_int_equal(leakscope_keep(kept2), 0);
  int groups;
  char *text = report_through_pipe(pipefd, cp2, LEAKSCOPE_MEMORY, LEAKSCOPE_FORMAT_JSON, &groups);
  assert_int_equal(groups, 1);
  json_value_t *r = parse_report(text);
  assert_int_equal(json_len(json_get(r, "leaks")), 1);
  expect_report_group(json_at(json_get(r, "leaks"), 0), 44);
  json_free(r);
  free(text);
  close(pipefd[0]);
  close(pipefd[1]);

  free(kept); /* freeing a kept block is fine */
  free(kept2);
  free(reported);
  free(other);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);
}

/* --- Paused regions --- */

static void test_pause(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *counted = malloc(70);
  CHECK_COUNTS(cp, PROCESS, 70, 1, 0);

  leakscope_pause();
  void *hidden = malloc(100);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  free(counted); /* releases are seen during a pause */
  leakscope_resume();
  assert_true(fd >= 0);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);

  /* Calls nest: still paused after one resume of two pauses. */
  leakscope_pause();
  leakscope_pause();
  leakscope_resume();
  void *still_hidden = malloc(10);
  leakscope_resume();
  void *seen = malloc(20);
  CHECK_COUNTS(cp, PROCESS, 20, 1, 0);

  /* A resume without a pause does not make the next pause a no-op. */
  leakscope_resume();
  leakscope_pause();
  void *hidden_again = malloc(30);
  leakscope_resume();
  CHECK_COUNTS(cp, PROCESS, 20, 1, 0);

  free(hidden); /* freeing an untracked block is harmless */
  free(still_hidden);
  free(hidden_again);
  close(fd);
  free(seen);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);
}

/* A pause covers only the calling thread. */
static void *alloc_thread(void *arg) { return malloc((size_t)(uintptr_t)arg); }

static void test_pause_is_per_thread(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  leakscope_pause();
  pthread_t t;
  void *from_thread = NULL;
  assert_int_equal(pthread_create(&t, NULL, alloc_thread, (void *)(uintptr_t)55), 0);
  assert_int_equal(pthread_join(t, &from_thread), 0);
  leakscope_resume();
  leakscope_counts_t c;
  assert_int_equal(leakscope_count_since(cp, PROCESS, &c), 0);
  /* pthread_create may allocate for itself while we are paused; the
   * thread's own 55-byte block must be there. */
  if (c.blocks < 1 || c.bytes < 55)
    fail_msg("the other thread's block was not counted: %llu bytes in %llu blocks",
             (unsigned long long)c.bytes, (unsigned long long)c.blocks);
  free(from_thread);
}

/* --- File descriptors --- */

static void test_fds_separate_from_memory(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int sv[2];
  assert_true(fd >= 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 3);
  CHECK_COUNTS(cp, THREAD, 0, 0, 3);
  void *p = malloc(11);
  CHECK_COUNTS(cp, PROCESS, 11, 1, 3);
  close(sv[0]);
  CHECK_COUNTS(cp, PROCESS, 11, 1, 2);
  close(sv[1]);
  close(fd);
  CHECK_COUNTS(cp, PROCESS, 11, 1, 0);
  free(p);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);
}

/* A FILE* or DIR* counts as one fd and its own memory is not a block. */
static void test_streams_count_once(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  FILE *f = fopen("/dev/zero", "r");
  assert_non_null(f);
  assert_int_equal(fgetc(f), 0); /* makes stdio allocate the buffer */
  CHECK_COUNTS(cp, PROCESS, 0, 0, 1);
  DIR *d = opendir("/");
  assert_non_null(d);
  assert_non_null(readdir(d));
  CHECK_COUNTS(cp, PROCESS, 0, 0, 2);
  fclose(f);
  closedir(d);
  CHECK_COUNTS(cp, PROCESS, 0, 0, 0);
}

/* --- Reports --- */

static void test_report_fd_json(void **state) {
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *p = leak_for_report(123);

  int groups;
  char *text = report_through_pipe(pipefd, cp, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_JSON, &groups);
  assert_int_equal(groups, 1);
  if (!strchr(text, '\n') || strchr(text, '\n')[1] != '\0')
    fail_msg("a JSON report is one line ending in a newline:\n%s", text);
  json_value_t *r = parse_report(text);
  expect_str(r, "trigger", "api");
  assert_int_equal(get_int(r, "pid"), getpid());
  const json_value_t *summary = json_get(r, "summary");
  assert_int_equal(get_int(summary, "memory_bytes"), 123);
  assert_int_equal(get_int(summary, "memory_blocks"), 1);
  assert_int_equal(get_int(summary, "fds"), 0);
  assert_int_equal(json_len(json_get(r, "leaks")), 1);
  expect_report_group(json_at(json_get(r, "leaks"), 0), 123);
  json_free(r);
  free(text);

  /* Once freed, nothing is left: 0 groups, and still a report. */
  free(p);
  text = report_through_pipe(pipefd, cp, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_JSON, &groups);
  assert_int_equal(groups, 0);
  r = parse_report(text);
  expect_str(r, "trigger", "api");
  assert_int_equal(json_len(json_get(r, "leaks")), 0);
  json_free(r);
  free(text);
  close(pipefd[0]);
  close(pipefd[1]);
}

/* kinds selects groups: memory only, fds only, or both. */
static void test_report_kinds(void **state) {
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *p = leak_for_report(64);
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

  static const struct {
    unsigned kinds;
    int memory_groups, fd_groups;
  } cases[] = {{LEAKSCOPE_MEMORY, 1, 0}, {LEAKSCOPE_FDS, 0, 1}, {LEAKSCOPE_ALL, 1, 1}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int groups;
    char *text = report_through_pipe(pipefd, cp, cases[i].kinds, LEAKSCOPE_FORMAT_JSON, &groups);
    json_value_t *r = parse_report(text);
    const json_value_t *leaks = json_get(r, "leaks");
    int memory = 0, fd = 0;
    int64_t fd_count = 0;
    for (size_t g = 0; g < json_len(leaks); g++) {
      const char *kind = json_as_str(json_get(json_at(leaks, g), "kind"));
      if (kind && strcmp(kind, "memory") == 0) {
        memory++;
        expect_report_group(json_at(leaks, g), 64);
      } else if (kind && strcmp(kind, "fd") == 0) {
        fd++;
        fd_count += get_int(json_at(leaks, g), "count");
      }
    }
    if (groups != cases[i].memory_groups + cases[i].fd_groups || memory != cases[i].memory_groups ||
        fd != cases[i].fd_groups || fd_count != 2 * cases[i].fd_groups)
      fail_msg("kinds %u: expected %d memory and %d fd groups (2 fds), got rc %d, %d memory and"
               " %d fd groups (%lld fds):\n%s",
               cases[i].kinds, cases[i].memory_groups, cases[i].fd_groups, groups, memory, fd,
               (long long)fd_count, text);
    json_free(r);
    free(text);
  }
  close(sv[0]);
  close(sv[1]);
  free(p);
  close(pipefd[0]);
  close(pipefd[1]);
}

/* The text and folded formats name the same function and line. */
static void test_report_file_text_and_folded(void **state) {
  FILE *out = tmpfile();
  assert_non_null(out);
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *p = leak_for_report(77);

  assert_int_equal(leakscope_report_file(out, cp, PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_TEXT),
                   1);
  size_t len;
  rewind(out);
  char *text = read_all(fileno(out), &len);
  char frame[1024];
  snprintf(frame, sizeof(frame), "leak_for_report (%s:%d)", __FILE__,
           ts_marker_line(__FILE__, "report"));
  if (!strstr(text, frame) || !strstr(text, "77 bytes in 1 block") || !strstr(text, "#0 "))
    fail_msg("text report: expected \"77 bytes in 1 block\" and a frame \"%s\":\n%s", frame, text);
  free(text);

  assert_int_equal(ftruncate(fileno(out), 0), 0);
  rewind(out);
  assert_int_equal(
      leakscope_report_file(out, cp, PROCESS, LEAKSCOPE_MEMORY, LEAKSCOPE_FORMAT_FOLDED), 1);
  rewind(out);
  text = read_all(fileno(out), &len);
  /* One stack line per group, root first, the allocating function last
   * (the allocator's own frames are not shown), then the bytes. */
  if (!strstr(text, ";test_report_file_text_and_folded;leak_for_report 77\n"))
    fail_msg("folded report: expected a line"
             " \"...;test_report_file_text_and_folded;leak_for_report 77\":\n%s",
             text);
  free(text);
  fclose(out);
  free(p);
}

static void test_report_path_appends(void **state) {
  char dir[] = "/tmp/leakscope-api-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[sizeof(dir) + 16];
  snprintf(path, sizeof(path), "%s/report", dir);

  leakscope_checkpoint_t cp = leakscope_checkpoint();
  void *p = leak_for_report(99);
  assert_int_equal(leakscope_report_path(path, cp, PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_JSON),
                   1);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* Its own fd is not the program's: nothing new is open since cp. */
  CHECK_COUNTS(cp, PROCESS, 99, 1, 0);
  assert_int_equal(leakscope_report_path(path, cp, PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_JSON),
                   1);

  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  size_t len;
  char *text = read_all(fd, &len);
  close(fd);
  /* Two reports, one per line, each the same single group. */
  char *second = strchr(text, '\n');
  if (!second || !second[1] || strchr(second + 1, '\n') != text + len - 1)
    fail_msg("expected exactly two report lines:\n%s", text);
  *second++ = '\0';
  for (char *one = text; one; one = one == text ? second : NULL) {
    json_value_t *r = parse_report(one);
    expect_str(r, "trigger", "api");
    assert_int_equal(json_len(json_get(r, "leaks")), 1);
    expect_report_group(json_at(json_get(r, "leaks"), 0), 99);
    json_free(r);
  }
  free(text);
  free(p);
  unlink(path);
  rmdir(dir);
}

static void test_report_errors(void **state) {
  leakscope_checkpoint_t cp = leakscope_checkpoint();
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(leakscope_report_fd(-1, cp, PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_JSON), -1);
  /* Writing to a read-only fd fails. */
  assert_int_equal(leakscope_report_fd(fd, cp, PROCESS, LEAKSCOPE_ALL, LEAKSCOPE_FORMAT_TEXT), -1);
  assert_int_equal(leakscope_report_path("/nonexistent-dir/report", cp, PROCESS, LEAKSCOPE_ALL,
                                         LEAKSCOPE_FORMAT_JSON),
                   -1);
  close(fd);
}

/* --- Stats --- */

static void test_stats(void **state) {
  leakscope_stats_t s0, s1;
  assert_int_equal(leakscope_stats(&s0), 0);
  assert_true(s0.stacks > 0);
  assert_true(s0.bookkeeping_bytes > 0);
  assert_int_equal(s0.untracked, 0);

  void *p[10];
  for (int i = 0; i < 10; i++)
    p[i] = malloc(1000);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_int_equal(leakscope_stats(&s1), 0);
  assert_int_equal(s1.live_blocks - s0.live_blocks, 10);
  assert_int_equal(s1.live_bytes - s0.live_bytes, 10000);
  assert_int_equal(s1.live_fds - s0.live_fds, 1);
  assert_true(s1.stacks >= s0.stacks);

  for (int i = 0; i < 10; i++)
    free(p[i]);
  close(fd);
  assert_int_equal(leakscope_stats(&s1), 0);
  assert_int_equal(s1.live_blocks, s0.live_blocks);
  assert_int_equal(s1.live_bytes, s0.live_bytes);
  assert_int_equal(s1.live_fds, s0.live_fds);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status),
      cmocka_unit_test(test_checkpoint_exact),
      cmocka_unit_test(test_realloc_counts_new_size),
      cmocka_unit_test_setup_teardown(test_thread_scope, churn_start, churn_teardown),
      cmocka_unit_test(test_keep),
      cmocka_unit_test(test_pause),
      cmocka_unit_test(test_pause_is_per_thread),
      cmocka_unit_test(test_fds_separate_from_memory),
      cmocka_unit_test(test_streams_count_once),
      cmocka_unit_test(test_report_fd_json),
      cmocka_unit_test(test_report_kinds),
      cmocka_unit_test(test_report_file_text_and_folded),
      cmocka_unit_test(test_report_path_appends),
      cmocka_unit_test(test_report_errors),
      cmocka_unit_test(test_stats),
  };
  return ts_main("test_api", tests, sizeof(tests) / sizeof(tests[0]), argc > 1 ? argv[1] : NULL);
}
