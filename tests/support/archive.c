/* SPDX-License-Identifier: MIT
 * archive.c: the report archive (see archive.h). One file per test process,
 * <pid>.jsonl, written with O_APPEND: tests run in parallel and each keeps
 * to its own file, and the checker (tests/eco/validate_json.py --consume)
 * runs after them.
 */
#include "archive.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Per test process: a report that would take its file past this size is
 * not kept (nor, so, one report bigger than this). */
#define TS_ARCHIVE_MAX_BYTES (1 << 20)

void ts_archive_report(const char *line, size_t len) {
  static const char mark[] = "\"format\":\"leakscope-report\"";
  const char *dir = getenv("LS_REPORT_ARCHIVE");
#ifdef TS_REPORT_ARCHIVE
  if (!dir)
    dir = TS_REPORT_ARCHIVE;
#endif
  if (!dir || !*dir || !memmem(line, len, mark, sizeof mark - 1))
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%d.jsonl", dir, (int)getpid());
  mkdir(dir, 0700);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  /* A sample of each test's reports is enough for the schema, and keeps
   * the check fast: the fault tests read hundreds of big reports. */
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size + len >= TS_ARCHIVE_MAX_BYTES) {
    close(fd);
    return;
  }
  struct iovec iov[2] = {{(void *)line, len}, {(void *)"\n", 1}};
  (void)!writev(fd, iov, 2);
  close(fd);
}
