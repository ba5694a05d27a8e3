/* SPDX-License-Identifier: MIT
 * report_input.c: reading JSON reports for the converters (see
 * report_input.h). The reports are parsed with the strict JSON parser the
 * tests use (tests/support/json.c), compiled into the tool.
 */
#include "report_input.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"

void ls_cli_fatal(int status, const char *fmt, ...) {
  va_list ap;

  fputs("leakscope: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(status);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);

  if (!f)
    ls_cli_fatal(LS_CLI_ERROR, "cannot read %s: %s", path, strerror(errno));
  if (!buf)
    ls_cli_fatal(LS_CLI_ERROR, "out of memory");
  for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
    n += got;
    if (n + 1 == cap && !(buf = realloc(buf, cap *= 2)))
      ls_cli_fatal(LS_CLI_ERROR, "out of memory");
  }
  if (ferror(f))
    ls_cli_fatal(LS_CLI_ERROR, "cannot read %s: %s", path, strerror(errno));
  if (f != stdin)
    fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

json_value_t *ls_report_load(const char *path) {
  size_t len;
  char *text = read_all(path, &len);
  json_value_t *found = NULL;
  char err[128] = "";

  /* From the last line back: a file of periodic reports may end in one
   * cut short by a crash, and the last whole report is the one wanted. */
  for (size_t end = len; end > 0 && !found;) {
    size_t start = end;
    json_value_t *v;

    while (start > 0 && text[start - 1] != '\n')
      start--;
    v = json_parse(text + start, end - start, err, sizeof err);
    if (v && !strcmp(ls_str(v, "format", ""), "leakscope-report"))
      found = v;
    else
      json_free(v);
    end = start > 0 ? start - 1 : 0;
  }
  free(text);
  if (!found)
    ls_cli_fatal(LS_CLI_USAGE, "%s holds no JSON report (write one with --format json)", path);
  return found;
}

size_t ls_report_groups(const json_value_t *report) { return json_len(json_get(report, "leaks")); }

const json_value_t *ls_report_group(const json_value_t *report, size_t i) {
  return json_at(json_get(report, "leaks"), i);
}

const char *ls_str(const json_value_t *v, const char *key, const char *dflt) {
  const char *s = json_as_str(json_get(v, key));

  return s ? s : dflt;
}

int64_t ls_int(const json_value_t *v, const char *key) {
  int64_t n = 0;

  json_as_int(json_get(v, key), &n);
  return n;
}

void ls_group_fingerprint(const json_value_t *group, char out[17]) {
  const char *given = ls_str(group, "fingerprint", NULL);
  const json_value_t *stack = json_get(group, "stack");
  uint64_t h = LS_FP_INIT;

  if (given && strlen(given) == 16) {
    memcpy(out, given, 17);
    return;
  }
  h = ls_fp_add(h, ls_str(group, "kind", NULL));
  h = ls_fp_add(h, ls_str(group, "resource", NULL));
  for (size_t i = 0; i < json_len(stack); i++) {
    const json_value_t *f = json_at(stack, i);

    h = ls_fp_frame(h, ls_str(f, "function", NULL), ls_str(f, "file", NULL),
                    ls_str(f, "module", NULL), ls_str(f, "offset", NULL));
  }
  ls_fp_format(h, out);
}

static bool starts_with(const char *s, const char *prefix) {
  return s && !strncmp(s, prefix, strlen(prefix));
}

static bool system_module(const char *module) {
  return starts_with(module, "/lib/") || starts_with(module, "/lib64/") ||
         starts_with(module, "/usr/lib/") || starts_with(module, "/usr/lib64/") ||
         starts_with(module, "/usr/local/lib/");
}

bool ls_frame_is_own(const json_value_t *f) {
  const char *file = ls_str(f, "file", NULL);

  return file && file[0] == '/' && !starts_with(file, "/usr/") &&
         !system_module(ls_str(f, "module", NULL));
}

int ls_own_frame(const json_value_t *group) {
  const json_value_t *stack = json_get(group, "stack");
  int with_file = -1;

  for (size_t i = 0; i < json_len(stack); i++) {
    const json_value_t *f = json_at(stack, i);
    const char *file = ls_str(f, "file", NULL);

    if (!file)
      continue;
    if (with_file < 0)
      with_file = (int)i;
    if (ls_frame_is_own(f))
      return (int)i;
  }
  if (with_file >= 0)
    return with_file;
  return json_len(stack) ? 0 : -1;
}

const char *ls_group_title(const json_value_t *group, char *buf, size_t size) {
  const char *kind = ls_str(group, "kind", "?");
  const char *resource = ls_str(group, "resource", "?");
  int64_t count = ls_int(group, "count");

  if (!strcmp(kind, "memory")) {
    const char *cls = ls_str(group, "reachability", NULL);
    static const char *const words[][2] = {{"definite", "definitely lost"},
                                           {"indirect", "indirectly lost"},
                                           {"possible", "possibly lost"},
                                           {"reachable", "still reachable"}};
    const char *said = NULL;

    for (size_t i = 0; cls && i < sizeof words / sizeof *words; i++)
      if (!strcmp(cls, words[i][0]))
        said = words[i][1];
    snprintf(buf, size, "%lld byte%s in %lld block%s%s%s", (long long)ls_int(group, "bytes"),
             ls_int(group, "bytes") == 1 ? "" : "s", (long long)count, count == 1 ? "" : "s",
             said ? ", " : "", said ? said : "");
  } else if (strcmp(kind, "fd")) {
    /* thread, mapping, process: the kind, its state, and what it holds */
    int64_t bytes = ls_int(group, "bytes");
    int n = snprintf(buf, size, "%lld %s%s (%s)", (long long)count, kind, count == 1 ? "" : "s",
                     resource);
    if (bytes && n > 0 && (size_t)n < size)
      snprintf(buf + n, size - (size_t)n, ", %lld bytes", (long long)bytes);
  } else {
    const json_value_t *fds = json_get(group, "fds"), *paths = json_get(group, "paths");
    size_t used = (size_t)snprintf(buf, size, "%lld fd%s still open (%s; ", (long long)count,
                                   count == 1 ? "" : "s", resource);

    for (size_t i = 0; i < json_len(fds) && used < size; i++) {
      int64_t fd = 0;

      json_as_int(json_at(fds, i), &fd);
      used +=
          (size_t)snprintf(buf + used, size - used, "%sfd %lld: %s", i ? "; " : "", (long long)fd,
                           json_as_str(json_at(paths, i)) ? json_as_str(json_at(paths, i)) : "?");
    }
    if (used < size)
      snprintf(buf + used, size - used, ")");
  }
  return buf;
}

bool ls_group_is_leak(const json_value_t *group) {
  bool leak = true;

  json_as_bool(json_get(group, "leak"), &leak);
  return leak;
}

const char *ls_frame_text(const json_value_t *frame, char *buf, size_t size) {
  const char *function = ls_str(frame, "function", "??");
  const char *file = ls_str(frame, "file", NULL);
  int64_t line = ls_int(frame, "line");

  if (file && line > 0)
    snprintf(buf, size, "%s (%s:%lld)", function, file, (long long)line);
  else if (file)
    snprintf(buf, size, "%s (%s)", function, file);
  else
    snprintf(buf, size, "%s (%s+%s)", function, ls_str(frame, "module", "?"),
             ls_str(frame, "offset", "?"));
  return buf;
}

void ls_put_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", out);
    else if (*p == '\t')
      fputs("\\t", out);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

void ls_put_xml(FILE *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&apos;", out); break;
    default: fputc(*p < 0x20 && *p != '\t' && *p != '\n' ? '?' : *p, out);
    }
  }
}

FILE *ls_open_output(const char *path) {
  FILE *f;

  if (!path || !strcmp(path, "-"))
    return stdout;
  if (!(f = fopen(path, "w")))
    ls_cli_fatal(LS_CLI_ERROR, "cannot write %s: %s", path, strerror(errno));
  return f;
}

void ls_close_output(FILE *out, const char *path) {
  bool failed = ferror(out) | (fflush(out) != 0);

  if (out != stdout)
    failed |= fclose(out) != 0;
  if (failed)
    ls_cli_fatal(LS_CLI_ERROR, "cannot write %s: %s", path && strcmp(path, "-") ? path : "stdout",
                 strerror(errno));
}

int ls_cli_converter_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                          const char **input, const char **output, const char **baseline,
                          const char *extra_flag, const char **extra) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
      *output = argv[++i];
    } else if (baseline && !strcmp(argv[i], "--baseline") && i + 1 < argc) {
      *baseline = argv[++i];
    } else if (extra_flag && !strcmp(argv[i], extra_flag) && i + 1 < argc) {
      *extra = argv[++i];
    } else if (!*input && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
      *input = argv[i];
    } else {
      fprintf(stderr, "leakscope: %s: unexpected argument '%s'\n", cmd, argv[i]);
      usage(stderr);
      return LS_CLI_USAGE;
    }
  }
  if (!*input) {
    usage(stderr);
    return LS_CLI_USAGE;
  }
  return -1;
}

void ls_baseline_load(ls_baseline_t *b, const char *path, const json_value_t *report) {
  *b = (ls_baseline_t){0};
  if (path) {
    json_value_t *base = ls_report_load(path);
    size_t n = ls_report_groups(base);

    if (!(b->fps = calloc(n + 1, sizeof *b->fps)))
      ls_cli_fatal(LS_CLI_ERROR, "out of memory");
    for (size_t i = 0; i < n; i++)
      ls_group_fingerprint(ls_report_group(base, i), b->fps[b->n++]);
    json_free(base);
    b->given = true;
  }
  for (size_t i = 0; i < ls_report_groups(report) && !b->given; i++)
    b->given = json_get(ls_report_group(report, i), "in_baseline") != NULL;
}

void ls_baseline_free(ls_baseline_t *b) {
  free(b->fps);
  *b = (ls_baseline_t){0};
}

bool ls_group_in_baseline(const json_value_t *group, const ls_baseline_t *b) {
  char fp[17];
  bool marked = false;

  if (json_as_bool(json_get(group, "in_baseline"), &marked) && marked)
    return true;
  if (!b->n)
    return false;
  ls_group_fingerprint(group, fp);
  for (size_t i = 0; i < b->n; i++)
    if (!strcmp(b->fps[i], fp))
      return true;
  return false;
}
