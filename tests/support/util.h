/* SPDX-License-Identifier: MIT
 * util.h: the plumbing every test helper needs: growable buffers,
 * monotonic time, whole files and temporary directories. runner.c,
 * tests/staging and tests/real all build on these.
 *
 * Nothing here returns an allocation failure: running out of memory fails
 * the current cmocka test, so callers never check.
 */
#ifndef LS_TEST_UTIL_H
#define LS_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- Buffers --- */

/* A growable byte buffer, always NUL-terminated once anything (even "")
 * was appended; all-zero is an empty buffer with data NULL. */
typedef struct ts_buf {
  char *data;
  size_t len, cap;
} ts_buf_t;

/* Appends p[0..n) to the buffer made of *data, *len and *cap (for structs
 * that keep those as separate fields) and NUL-terminates it. */
void ts_append(char **data, size_t *len, size_t *cap, const void *p, size_t n);

static inline void ts_buf_append(ts_buf_t *b, const void *p, size_t n) {
  ts_append(&b->data, &b->len, &b->cap, p, n);
}

void ts_buf_free(ts_buf_t *b);

/* One read(2) from fd, appended as by ts_append. Returns false once the
 * caller is done with fd: at end of file, or on an error other than
 * EINTR. */
bool ts_read_append(int fd, char **data, size_t *len, size_t *cap);

static inline bool ts_buf_read(ts_buf_t *b, int fd) {
  return ts_read_append(fd, &b->data, &b->len, &b->cap);
}

/* --- Time --- */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t ts_now_ms(void);

/* Sleeps ms milliseconds, resuming after signals. */
void ts_sleep_ms(int ms);

/* --- Files --- */

/* The whole file at path, NUL-terminated (its length in *len if len is
 * not NULL), or NULL if it cannot be opened. The caller frees it. */
char *ts_read_file(const char *path, size_t *len);

/* ts_read_file, but "" (length 0) for a file that cannot be opened. */
char *ts_read_text(const char *path, size_t *len);

/* A new directory $TMPDIR/leakscope-<tag>-XXXXXX (or under /tmp), mode
 * 0755 so that a test running a program as another user can share it.
 * Returns the malloc'd path. */
char *ts_tempdir(const char *tag);

/* Removes path and, for a directory, everything in it (made writable
 * first). Missing is fine. */
void ts_rm_rf(const char *path);

#endif
