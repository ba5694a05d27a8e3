/* SPDX-License-Identifier: MIT
 * baseline.c: loading LEAKSCOPE_BASELINE (see baseline.h). The file is
 * mapped read-only; its last report line is scanned with a small JSON
 * tokenizer that knows strings from the rest, so a path or function name
 * that spells "fingerprint" is never taken for the member. The
 * fingerprints are kept sorted for binary search.
 */
#include "baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "out.h"

static uint64_t *fps; /* sorted; written before the program's main runs */
static size_t nfps;
static bool active;

/* The last line of [text, text + len) that is a complete report: starts
 * with the format member the JSON writer puts first and ends with '}'.
 * *line_len receives its length; NULL when there is none. */
static const char *last_report(const char *text, size_t len, size_t *line_len) {
  static const char head[] = "{\"format\":\"leakscope-report\"";
  size_t end = len;
  while (end > 0) {
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n')
      start--;
    size_t e = end;
    while (e > start && (text[e - 1] == '\n' || text[e - 1] == '\r' || text[e - 1] == ' '))
      e--;
    if (e - start >= sizeof head - 1 && !memcmp(text + start, head, sizeof head - 1) &&
        text[e - 1] == '}') {
      *line_len = e - start;
      return text + start;
    }
    end = start ? start - 1 : 0;
  }
  return NULL;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Calls add(value) for each `"fingerprint":"<16 hex digits>"` member of the
 * JSON text [s, e): a string token equal to fingerprint, then ':', then a
 * string of 16 lower-case hex digits. Returns how many. */
static size_t scan(const char *s, const char *e, uint64_t *out) {
  size_t n = 0;
  while (s < e) {
    if (*s++ != '"')
      continue;
    const char *str = s; /* a string token: find its end */
    while (s < e && *s != '"')
      s += *s == '\\' ? 2 : 1;
    if (s >= e)
      break;
    size_t slen = (size_t)(s - str);
    s++; /* the closing quote */
    if (slen != 11 || memcmp(str, "fingerprint", 11))
      continue;
    const char *v = s;
    while (v < e && *v == ' ')
      v++;
    if (v >= e || *v++ != ':')
      continue;
    while (v < e && *v == ' ')
      v++;
    if (e - v < 18 || v[0] != '"' || v[17] != '"')
      continue;
    uint64_t fp = 0;
    int i;
    for (i = 1; i <= 16 && hex_digit(v[i]) >= 0; i++)
      fp = fp << 4 | (uint64_t)hex_digit(v[i]);
    if (i != 17)
      continue;
    if (out)
      out[n] = fp;
    n++;
    s = v + 18;
  }
  return n;
}

static void sort(uint64_t *a, size_t n) {
  /* insertion sort: baselines hold tens to thousands of groups, read once */
  for (size_t i = 1; i < n; i++) {
    uint64_t x = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1] > x; j--)
      a[j] = a[j - 1];
    a[j] = x;
  }
}

size_t ls_baseline_load(const char *path) {
  if (!path || !*path)
    return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd < 0) {
    ls_warn("cannot read LEAKSCOPE_BASELINE '%s' (%s); every leak counts", path, strerror(errno));
    return 0;
  }
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    ls_warn("LEAKSCOPE_BASELINE '%s' is not a report file (empty or not a regular file); every "
            "leak counts",
            path);
    close(fd);
    return 0;
  }
  size_t len = (size_t)st.st_size;
  const char *text = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (text == MAP_FAILED) {
    ls_warn("cannot map LEAKSCOPE_BASELINE '%s' (%s); every leak counts", path, strerror(errno));
    return 0;
  }
  size_t line_len = 0;
  const char *line = last_report(text, len, &line_len);
  if (!line) {
    ls_warn(
        "LEAKSCOPE_BASELINE '%s' holds no complete JSON report (--format json); every leak counts",
        path);
  } else {
    size_t n = scan(line, line + line_len, NULL);
    fps = n ? ls_arena_alloc(n * sizeof *fps, 8) : NULL;
    if (n && !fps) {
      ls_warn("out of memory reading LEAKSCOPE_BASELINE '%s'; every leak counts", path);
    } else {
      nfps = scan(line, line + line_len, fps);
      sort(fps, nfps);
      active = true;
      /* a report with groups but no fingerprints predates them */
      if (!nfps && memmem(line, line_len, "\"stack\":", 8))
        ls_warn(
            "LEAKSCOPE_BASELINE '%s' has no fingerprints (a report from before version_minor 3); "
            "every leak counts",
            path);
    }
  }
  munmap((void *)text, len);
  return nfps;
}

bool ls_baseline_active(void) { return active; }

bool ls_baseline_has(uint64_t fp) {
  size_t lo = 0, hi = nfps;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (fps[mid] == fp)
      return true;
    if (fps[mid] < fp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}
