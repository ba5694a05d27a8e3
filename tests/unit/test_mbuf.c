/* SPDX-License-Identifier: MIT
 * test_mbuf.c: the growable buffer (mbuf.c) and the whole-file reader
 * built on it (read_file.c).
 *
 * The buffer must double from its first size, keep its contents when it
 * moves, be one of leakscope's own mappings (ls_map_list: the
 * reachability scan must not take it for the program's memory) and fail
 * cleanly on a size it cannot have. The reader must return a file's
 * exact bytes however its size compares with the first buffer, cut at
 * max and say so, wait only a bounded time on a FIFO with no writer's
 * data, and give -errno when the file cannot be opened; its sibling for
 * small files must cut and NUL-terminate within the caller's buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "mbuf.h"
#include "read_file.h"

static bool listed(const void *p) {
  static ls_span_t spans[LS_MAP_LIST_MAX];
  size_t n = ls_map_list(spans, LS_MAP_LIST_MAX, NULL);
  for (size_t i = 0; i < n; i++)
    if (spans[i].lo <= (uintptr_t)p && (uintptr_t)p < spans[i].hi)
      return true;
  return false;
}

static void test_grows_by_doubling_and_keeps_contents(void **state) {
  (void)state;
  ls_mbuf_t m = {0};
  assert_true(ls_mbuf_reserve(&m, 10, 4096));
  assert_int_equal(m.cap, 4096);
  assert_true(listed(m.p));
  for (size_t i = 0; i < 4096; i++)
    m.p[i] = (char)(i * 7);
  m.len = 4096;
  assert_true(ls_mbuf_reserve(&m, 4097, 4096));
  assert_int_equal(m.cap, 8192);
  assert_true(ls_mbuf_reserve(&m, 40000, 4096));
  assert_int_equal(m.cap, 65536);
  assert_int_equal(m.len, 4096);
  for (size_t i = 0; i < 4096; i++)
    assert_int_equal(m.p[i], (char)(i * 7));
  assert_true(listed(m.p));
  char *p = m.p;
  assert_true(ls_mbuf_reserve(&m, 100, 4096)); /* room already: unchanged */
  assert_ptr_equal(m.p, p);
  assert_false(ls_mbuf_reserve(&m, SIZE_MAX, 4096)); /* cannot double that far */
  assert_ptr_equal(m.p, p);
  assert_int_equal(m.cap, 65536);
  ls_mbuf_release(&m);
  assert_null(m.p);
  assert_false(listed(p));
}

static void test_array_counts_elements(void **state) {
  (void)state;
  uint64_t *a = NULL;
  size_t cap = 0;
  assert_true(ls_mbuf_grow_array((void **)&a, &cap, 1, sizeof *a, 256));
  assert_int_equal(cap, 256);
  for (size_t i = 0; i < 256; i++)
    a[i] = i;
  assert_true(ls_mbuf_grow_array((void **)&a, &cap, 257, sizeof *a, 256));
  assert_int_equal(cap, 512);
  for (size_t i = 0; i < 256; i++)
    assert_int_equal(a[i], i);
  assert_false(ls_mbuf_grow_array((void **)&a, &cap, SIZE_MAX / 4, sizeof *a, 256));
  assert_int_equal(cap, 512);
  ls_mbuf_unmap(a, cap * sizeof *a);
}

static void write_file(const char *path, size_t n) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (size_t i = 0; i < n; i++)
    fputc('a' + (int)(i % 26), f);
  fclose(f);
}

static void check_bytes(const ls_mbuf_t *m, size_t n) {
  assert_int_equal(m->len, n);
  for (size_t i = 0; i < n; i++)
    if (m->p[i] != 'a' + (int)(i % 26))
      fail_msg("byte %zu differs", i);
}

/* Smaller than, exactly, and larger than the first buffer: the last one
 * starts over in bigger buffers and must not repeat or lose a byte. */
static void test_reads_whole_files(void **state) {
  (void)state;
  char path[] = "/tmp/leakscope-test-mbuf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  size_t sizes[] = {0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 1000000};
  ls_mbuf_t m = {0};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    write_file(path, sizes[i]);
    int err = -1;
    assert_int_equal(ls_read_file(path, &m, 4096, SIZE_MAX, 0, &err), LS_READ_WHOLE);
    assert_int_equal(err, 0);
    check_bytes(&m, sizes[i]);
  }
  /* cut at max, and said so */
  write_file(path, 10000);
  ls_mbuf_release(&m);
  int err;
  assert_int_equal(ls_read_file(path, &m, 8192, 8192, 0, &err), LS_READ_CUT);
  check_bytes(&m, 8192);
  ls_mbuf_release(&m);
  assert_int_equal(ls_read_file(path, &m, 4096, 6000, 0, &err), LS_READ_CUT);
  check_bytes(&m, 6000);
  ls_mbuf_release(&m);
  unlink(path);
  assert_int_equal(ls_read_file(path, &m, 4096, SIZE_MAX, 0, &err), -ENOENT);
  assert_int_equal(m.len, 0);
  /* a directory opens, and its read fails */
  assert_int_equal(ls_read_file("/tmp", &m, 4096, SIZE_MAX, 0, &err), LS_READ_FAILED);
  assert_int_equal(err, EISDIR);
  ls_mbuf_release(&m);
}

/* /proc/self/maps is larger than a page here: read in one pass, it ends
 * with a newline and names the stack. */
static void test_reads_proc(void **state) {
  (void)state;
  ls_mbuf_t m = {0};
  int err;
  assert_int_equal(ls_read_file("/proc/self/maps", &m, 64, SIZE_MAX, 0, &err), LS_READ_WHOLE);
  assert_true(m.len > 64);
  assert_int_equal(m.p[m.len - 1], '\n');
  assert_non_null(memmem(m.p, m.len, "[stack]", 7));
  ls_mbuf_release(&m);
}

/* A small file into the caller's buffer: cut at cap - 1, always
 * NUL-terminated, -errno when it cannot be opened. */
static void test_reads_small_files(void **state) {
  (void)state;
  char path[] = "/tmp/leakscope-test-mbuf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, 40);
  char buf[16];
  memset(buf, 'G', sizeof buf);
  assert_int_equal(ls_read_small(path, buf, sizeof buf), 15);
  assert_memory_equal(buf, "abcdefghijklmno", 16); /* and the NUL */
  char big[64];
  assert_int_equal(ls_read_small(path, big, sizeof big), 40);
  assert_int_equal(big[40], '\0');
  unlink(path);
  assert_int_equal(ls_read_small(path, big, sizeof big), -ENOENT);
  assert_true(ls_read_small("/proc/self/stat", big, sizeof big) > 0);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A FIFO whose writer sends a little and never closes: what came is
 * returned after about wait_ms, never a hang. */
static void test_fifo_waits_a_bounded_time(void **state) {
  (void)state;
  char dir[] = "/tmp/leakscope-test-mbuf-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/fifo", dir);
  assert_int_equal(mkfifo(path, 0600), 0);
  /* our own writer end, opened without blocking once a reader exists:
   * open the read end first, non-blocking, to let it */
  int keep = open(path, O_RDONLY | O_NONBLOCK);
  assert_true(keep >= 0);
  int w = open(path, O_WRONLY | O_NONBLOCK);
  assert_true(w >= 0);
  assert_int_equal(write(w, "leak:x\n", 7), 7);
  close(keep); /* the data stays in the pipe while w is open */
  ls_mbuf_t m = {0};
  int err;
  double t0 = now_s();
  int end = ls_read_file(path, &m, 4096, 4096, 300, &err);
  double took = now_s() - t0;
  assert_int_equal(end, LS_READ_NO_EOF);
  assert_int_equal(m.len, 7);
  assert_memory_equal(m.p, "leak:x\n", 7);
  assert_true(took >= 0.25 && took < 5);
  ls_mbuf_release(&m);
  close(w);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grows_by_doubling_and_keeps_contents),
      cmocka_unit_test(test_array_counts_elements),
      cmocka_unit_test(test_reads_whole_files),
      cmocka_unit_test(test_reads_proc),
      cmocka_unit_test(test_reads_small_files),
      cmocka_unit_test(test_fifo_waits_a_bounded_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
