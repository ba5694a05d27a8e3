/* SPDX-License-Identifier: MIT
 * suppress.c: loading and matching suppression rules (see suppress.h).
 * Files are read whole (read_file.h) into an arena copy at start-up; rules and
 * patterns live in the arena for the process's life. Matching runs at
 * report time over symbolized frames.
 */
#include "suppress.h"

#include <errno.h>
#include <string.h>

#include "arena.h"
#include "out.h"
#include "read_file.h"

#define MAX_RULES 1024
#define MAX_FILE (1 << 20)

static const char *const kind_names[LS_RULE_KINDS] = {"leak", "fd", "thread", "mapping", "process"};

const char *ls_rule_kind_name(ls_rule_kind_t kind) { return kind_names[kind]; }

static ls_rule_t *rules;
static size_t nrules;

static char *arena_strndup(const char *s, size_t n) {
  char *d = ls_arena_alloc(n + 1, 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Reads the whole file into arena memory; NULL with a warning on error.
 * ls_read_file opens it O_NONBLOCK and waits at most READ_WAIT_MS for
 * data, so a FIFO, a terminal or a device at the path can never block the
 * program's start (`--suppressions <(...)` still works: a pipe is read
 * until EOF or READ_WAIT_MS). One buffer of MAX_FILE: a pipe cannot be
 * read twice. */
#define READ_WAIT_MS 2000
static char *read_file(const char *path, size_t *len) {
  ls_mbuf_t m = {0};
  int err;
  int end = ls_read_file(path, &m, MAX_FILE, MAX_FILE, READ_WAIT_MS, &err);
  if (end < 0 && end != -ENOMEM) {
    ls_warn("cannot read suppression file '%s' (%s)", path, strerror(-end));
    return NULL;
  }
  if (end == LS_READ_NO_EOF)
    ls_warn("suppression file '%s' gave no end of file in %d ms; read what came", path,
            READ_WAIT_MS);
  if (end == LS_READ_CUT)
    ls_warn("suppression file '%s' is larger than 1 MiB; the rest is ignored", path);
  char *copy = end < 0 ? NULL : arena_strndup(m.p, m.len);
  *len = m.len;
  ls_mbuf_release(&m);
  return copy;
}

static void parse(const char *path, const char *text, size_t len) {
  const char *end = text + len;
  int lineno = 0;
  for (const char *line = text; line < end; lineno++) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol)
      eol = end;
    const char *s = line, *e = eol;
    line = eol + 1;
    while (s < e && (*s == ' ' || *s == '\t'))
      s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
      e--;
    if (s == e || *s == '#')
      continue;
    const char *colon = memchr(s, ':', (size_t)(e - s));
    int kind = -1;
    for (int k = 0; colon && k < LS_RULE_KINDS; k++)
      if ((size_t)(colon - s) == strlen(kind_names[k]) &&
          !memcmp(s, kind_names[k], (size_t)(colon - s)))
        kind = k;
    /* A NUL would cut the pattern short, down to "" which matches all. */
    if (kind < 0 || colon + 1 == e || memchr(s, '\0', (size_t)(e - s))) {
      char shown[64];
      size_t n = (size_t)(e - s) < sizeof shown - 1 ? (size_t)(e - s) : sizeof shown - 1;
      for (size_t i = 0; i < n; i++)
        shown[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
      shown[n] = '\0';
      ls_warn("%s:%d: malformed suppression '%s' skipped (expected leak:, fd:, thread:, mapping: "
              "or process:PATTERN)",
              path, lineno + 1, shown);
      continue;
    }
    if (nrules == MAX_RULES) {
      ls_warn("%s:%d: more than %d suppressions; the rest are ignored", path, lineno + 1,
              MAX_RULES);
      return;
    }
    ls_rule_t *r = &rules[nrules];
    const char *pattern = colon + 1;
    /* "#0:" starts a frame rule; no function, module or file name starts
     * with '#', so no plain rule changes meaning. */
    bool frames = e - pattern > 3 && !memcmp(pattern, "#0:", 3);
    *r = (ls_rule_t){.fd = kind == LS_RULE_FD,
                     .kind = (ls_rule_kind_t)kind,
                     .frames = frames,
                     .pattern = arena_strndup(pattern, (size_t)(e - pattern)),
                     .file = path,
                     .line = lineno + 1};
    if (r->pattern)
      nrules++;
  }
}

size_t ls_suppress_load(const char *files) {
  if (!files || !*files)
    return 0;
  if (!rules && !(rules = ls_arena_alloc(MAX_RULES * sizeof *rules, 16)))
    return 0;
  for (const char *f = files; *f;) {
    size_t n = strcspn(f, ":");
    char *path = arena_strndup(f, n);
    size_t len;
    char *text = path && n ? read_file(path, &len) : NULL;
    if (text)
      parse(path, text, len);
    f += n + (f[n] == ':');
  }
  return nrules;
}

ls_rule_t *ls_suppress_rules(size_t *n) {
  *n = nrules;
  return rules;
}

/* Whether [s, se) starts with a match of [p, pe), where '*' matches any
 * run and the rest matches literally; with to_end the match must reach
 * se. Iterative with one backtrack point (the last star), so it takes
 * O(|s| * |p|) time at worst: a pattern full of stars cannot hang the
 * report. */
static bool glob_at(const char *s, const char *se, const char *p, const char *pe, bool to_end) {
  const char *star = NULL, *resume = NULL;
  while (p < pe || (to_end && s < se)) {
    if (p < pe && *p == '*') {
      star = ++p;
      resume = s;
      continue;
    }
    if (p == pe && !to_end)
      return true;
    if (p < pe && s < se && *s == *p) {
      s++, p++;
      continue;
    }
    if (!star || resume == se)
      return false;
    p = star; /* let the last star swallow one more character */
    s = ++resume;
  }
  return true;
}

/* ls_suppress_match for the pattern [p, pe). */
static bool match_range(const char *p, const char *pe, const char *s) {
  if (!s)
    return false;
  const char *se = s + strlen(s);
  bool start = p < pe && *p == '^';
  p += start;
  bool end = pe > p && pe[-1] == '$';
  pe -= end;
  if (start)
    return glob_at(s, se, p, pe, end);
  for (const char *t = s;; t++) {
    if (glob_at(t, se, p, pe, end))
      return true;
    if (t == se)
      return false;
  }
}

bool ls_suppress_match(const char *pattern, const char *s) {
  return match_range(pattern, pattern + strlen(pattern), s);
}

/* Whether the pattern [p, pe) matches the frame's function, module or file. */
static bool frame_matches(const char *p, const char *pe, const ls_frame_info_t *f) {
  return match_range(p, pe, f->function) || match_range(p, pe, f->module) ||
         match_range(p, pe, f->file);
}

/* Whether the pattern [p, pe) matches the frame's location as the text
 * report prints it, "function (file:line)": how a frame rule tells two
 * call sites in one function apart (--gen-suppressions writes frame #0 so).
 * Built in a stack buffer; a location longer than it is not matched. */
static bool location_matches(const char *p, const char *pe, const ls_frame_info_t *f) {
  char loc[1024], digits[12];
  size_t n = 0, nd = 0;
  if (!f->function || !f->file || f->line <= 0)
    return false;
  for (int line = f->line; line; line /= 10)
    digits[nd++] = (char)('0' + line % 10);
  size_t fn = strlen(f->function), ff = strlen(f->file);
  if (fn + ff + nd + 5 > sizeof loc)
    return false;
  memcpy(loc, f->function, fn);
  n = fn;
  loc[n++] = ' ';
  loc[n++] = '(';
  memcpy(loc + n, f->file, ff);
  n += ff;
  loc[n++] = ':';
  while (nd)
    loc[n++] = digits[--nd];
  loc[n++] = ')';
  loc[n] = '\0';
  return match_range(p, pe, loc);
}

/* A frame rule ("#0:" then patterns): the i-th ';'-separated pattern
 * matches frames[i] (its function, module, file, or location), for every
 * pattern; a stack shorter than the list does not match. */
static bool frames_match(const char *pattern, const ls_frame_info_t *frames, size_t n) {
  size_t i = 0;
  for (const char *p = pattern + 3;; i++) {
    const char *pe = p + strcspn(p, ";");
    if (i == n || !(frame_matches(p, pe, &frames[i]) || location_matches(p, pe, &frames[i])))
      return false;
    if (!*pe)
      return true;
    p = pe + 1;
  }
}

ls_rule_t *ls_suppress_find(ls_rule_kind_t kind, const ls_frame_info_t *frames, size_t n) {
  for (size_t r = 0; r < nrules; r++) {
    if (rules[r].kind != kind)
      continue;
    if (rules[r].frames) {
      if (frames_match(rules[r].pattern, frames, n))
        return &rules[r];
      continue;
    }
    const char *p = rules[r].pattern, *pe = p + strlen(p);
    for (size_t i = 0; i < n; i++)
      if (frame_matches(p, pe, &frames[i]))
        return &rules[r];
  }
  return NULL;
}
