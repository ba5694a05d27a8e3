/* SPDX-License-Identifier: MIT
 * util.c: buffers, time, files and temporary directories for the test
 * helpers (see util.h).
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* --- Buffers --- */

void ts_append(char **data, size_t *len, size_t *cap, const void *p, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap : 4096;
    while (c < *len + n + 1)
      c *= 2;
    char *d = realloc(*data, c);
    if (!d)
      fail_msg("out of memory");
    *data = d;
    *cap = c;
  }
  memcpy(*data + *len, p, n);
  *len += n;
  (*data)[*len] = '\0';
}

void ts_buf_free(ts_buf_t *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

bool ts_read_append(int fd, char **data, size_t *len, size_t *cap) {
  char chunk[16384];
  ssize_t got = read(fd, chunk, sizeof chunk);
  if (got > 0)
    ts_append(data, len, cap, chunk, (size_t)got);
  return got > 0 || (got < 0 && errno == EINTR);
}

/* --- Time --- */

int64_t ts_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ts_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* --- Files --- */

char *ts_read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  ts_buf_t b = {0};
  ts_buf_append(&b, "", 0);
  while (ts_buf_read(&b, fd))
    ;
  close(fd);
  if (len)
    *len = b.len;
  return b.data;
}

char *ts_read_text(const char *path, size_t *len) {
  char *text = ts_read_file(path, len);
  if (text)
    return text;
  ts_buf_t empty = {0};
  ts_buf_append(&empty, "", 0);
  if (len)
    *len = 0;
  return empty.data;
}

char *ts_tempdir(const char *tag) {
  const char *tmp = getenv("TMPDIR");
  char *path;
  if (asprintf(&path, "%s/leakscope-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag) < 0)
    fail_msg("out of memory");
  if (!mkdtemp(path))
    fail_msg("mkdtemp %s: %s", path, strerror(errno));
  chmod(path, 0755);
  return path;
}

void ts_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return;
  if (!S_ISDIR(st.st_mode)) {
    unlink(path);
    return;
  }
  chmod(path, 0700);
  DIR *d = opendir(path);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    char *child;
    if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
      fail_msg("out of memory");
    ts_rm_rf(child);
    free(child);
  }
  if (d)
    closedir(d);
  rmdir(path);
}
