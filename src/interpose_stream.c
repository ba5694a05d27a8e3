/* SPDX-License-Identifier: MIT
 * interpose_stream.c: FILE* streams and DIR* handles.
 *
 * A stream owns its fd: it is recorded once, as resource "stream" (or
 * "dir") with the FILE* or DIR* pointer, and released by fclose/pclose/
 * closedir. The real call runs with the guard held, so the FILE or DIR
 * structure libc allocates inside it is not tracked as a heap block; the
 * stream's I/O buffer, allocated later on first I/O, is folded into the
 * stream's leak by the report (report.c). stdin, stdout and stderr are the
 * process's own and never reported.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "interpose.h"
#include "kind_process.h"
#include "track.h"

static bool std_stream(const FILE *fp) { return fp == stdin || fp == stdout || fp == stderr; }

/* Runs `call` yielding a FILE* and records it as a stream. */
#define LS_STREAM_NEW(fn, ...)                                                                     \
  do {                                                                                             \
    LS_PASS_OR_ENTER(fn, NULL, __VA_ARGS__);                                                       \
    FILE *fp_ = ls_real.fn(__VA_ARGS__);                                                           \
    if (fp_ && !std_stream(fp_))                                                                   \
      ls_track_fd(fileno(fp_), LS_FD_STREAM, 0, fp_);                                              \
    ls_guard_leave();                                                                              \
    return fp_;                                                                                    \
  } while (0)

LS_EXPORT FILE *fopen(const char *path, const char *mode) { LS_STREAM_NEW(fopen, path, mode); }

LS_EXPORT FILE *fopen64(const char *path, const char *mode) { LS_STREAM_NEW(fopen64, path, mode); }

/* The fd now belongs to the stream: its entry is replaced by the stream's. */
LS_EXPORT FILE *fdopen(int fd, const char *mode) { LS_STREAM_NEW(fdopen, fd, mode); }

LS_EXPORT FILE *tmpfile(void) { LS_STREAM_NEW(tmpfile); }

LS_EXPORT FILE *tmpfile64(void) { LS_STREAM_NEW(tmpfile64); }

/* popen also starts a child process (kind_process.h). */
LS_EXPORT FILE *popen(const char *cmd, const char *mode) {
  LS_PASS_OR_ENTER(popen, NULL, cmd, mode);
  FILE *fp = ls_real.popen(cmd, mode);
  if (fp) {
    ls_track_fd(fileno(fp), LS_FD_STREAM, 0, fp);
    ls_track_popen_child(fp);
  }
  ls_guard_leave();
  return fp;
}

/* freopen closes the stream's old fd and opens a new one (usually with the
 * same number) in the same FILE. */
static FILE *reopen(FILE *(*real)(const char *, const char *, FILE *), const char *path,
                    const char *mode, FILE *fp) {
  if (!ls_guard_enter())
    return real(path, mode, fp);
  int old = fileno(fp);
  if (old >= 0)
    ls_track_stream_gone(old, fp);
  FILE *r = real(path, mode, fp);
  if (r && !std_stream(r))
    ls_track_fd(fileno(r), LS_FD_STREAM, 0, r);
  ls_guard_leave();
  return r;
}

LS_EXPORT FILE *freopen(const char *path, const char *mode, FILE *fp) {
  LS_REAL_OR_FAIL(freopen, NULL);
  return reopen(ls_real.freopen, path, mode, fp);
}

LS_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *fp) {
  LS_REAL_OR_FAIL(freopen64, NULL);
  return reopen(ls_real.freopen64, path, mode, fp);
}

/* Runs the real close of stream `obj` whose fd is `fd`, forgetting it
 * first. */
#define LS_STREAM_CLOSE(fn, obj, fd)                                                               \
  do {                                                                                             \
    LS_PASS_OR_ENTER(fn, -1, obj);                                                                 \
    ls_track_stream_gone(fd, obj);                                                                 \
    int rc_ = ls_real.fn(obj);                                                                     \
    ls_guard_leave();                                                                              \
    return rc_;                                                                                    \
  } while (0)

LS_EXPORT int fclose(FILE *fp) { LS_STREAM_CLOSE(fclose, fp, fileno(fp)); }

/* pclose waits for the child itself: its record goes first. */
LS_EXPORT int pclose(FILE *fp) {
  ls_kproc_stream_gone(fp);
  LS_STREAM_CLOSE(pclose, fp, fileno(fp));
}

/* Runs `call` yielding a DIR* and records it as a directory stream. */
#define LS_DIR_NEW(fn, ...)                                                                        \
  do {                                                                                             \
    LS_PASS_OR_ENTER(fn, NULL, __VA_ARGS__);                                                       \
    DIR *d_ = ls_real.fn(__VA_ARGS__);                                                             \
    if (d_)                                                                                        \
      ls_track_fd(dirfd(d_), LS_FD_DIR, O_RDONLY | O_DIRECTORY, d_);                               \
    ls_guard_leave();                                                                              \
    return d_;                                                                                     \
  } while (0)

LS_EXPORT DIR *opendir(const char *path) { LS_DIR_NEW(opendir, path); }

LS_EXPORT DIR *fdopendir(int fd) { LS_DIR_NEW(fdopendir, fd); }

LS_EXPORT int closedir(DIR *d) { LS_STREAM_CLOSE(closedir, d, dirfd(d)); }
