/* SPDX-License-Identifier: MIT
 * suppress.c: `leakscope suppress REPORT.json`, a suppression file with one
 * rule per leak group of a report, to accept today's leaks and see only new
 * ones (or to edit down to the few that are meant).
 *
 * Each rule is a frame rule anchored on frame #0 (docs/user-guide.md,
 * "Suppressions"): `leak:#0:^f0 (*f.c:12)$;^f1$;...` lists the group's
 * frames, innermost first, each function name matched whole, so the rule
 * takes this stack and not another one that merely passes through one of
 * its functions; the innermost frame in the program's own sources also by
 * its location, so two call sites in one function get two rules. A frame
 * without a function name is written `*` (any frame). These are the rules
 * the library prints with LEAKSCOPE_GEN_SUPPRESSIONS (src/report_writer.c,
 * ls_rw_put_rule), and a report that carries them ("suppression") gives
 * them as they are. Groups with the same rule (a stack split by
 * reachability class) get one.
 */
#include <stdlib.h>
#include <string.h>

#include "report_input.h"
#include "subcommands.h"

/* Writes name as a whole-name pattern: ';' would end the frame's pattern
 * and a newline the rule, so both become '*' (any run), which still
 * matches the name. */
static void put_chars(FILE *out, const char *name) {
  for (const char *p = name; *p; p++)
    fputc(*p == ';' || *p == '\n' || *p == '\r' ? '*' : *p, out);
}

/* A frame's pattern: its function whole; with located, also its file's
 * base name and line ("^f (*f.c:12)$"). */
static void put_pattern(FILE *out, const json_value_t *frame, bool located) {
  const char *name = ls_str(frame, "function", NULL);
  const char *file = ls_str(frame, "file", NULL);
  int64_t line = ls_int(frame, "line");

  if (!name) {
    fputc('*', out);
    return;
  }
  fputc('^', out);
  put_chars(out, name);
  if (located && file && line > 0) {
    const char *base = strrchr(file, '/');

    fputs(" (*", out);
    put_chars(out, base ? base + 1 : file);
    fprintf(out, ":%lld)", (long long)line);
  }
  fputc('$', out);
}

/* The rule for group, into a memory stream's buffer (so duplicates can be
 * told); the caller frees it. */
static char *rule_for(const json_value_t *group) {
  const json_value_t *stack = json_get(group, "stack");
  const char *given = ls_str(group, "suppression", NULL);
  char *text = NULL;
  size_t len = 0;
  size_t site = 0, n = json_len(stack);
  FILE *m = open_memstream(&text, &len);

  if (!m)
    ls_cli_fatal(LS_CLI_ERROR, "out of memory");
  if (given) {
    put_chars(m, given);
    if (fclose(m))
      ls_cli_fatal(LS_CLI_ERROR, "out of memory");
    return text;
  }
  /* The rule prefix is the kind's name, but "leak" for heap memory. */
  const char *kind = ls_str(group, "kind", "memory");

  /* The located frame: the innermost own one with a function and a line,
   * else #0 (as ls_rw_put_rule chooses). */
  while (site < n && !(ls_frame_is_own(json_at(stack, site)) &&
                       ls_str(json_at(stack, site), "function", NULL) &&
                       ls_int(json_at(stack, site), "line") > 0))
    site++;
  if (site == n)
    site = 0;
  fprintf(m, "%s:#0:", strcmp(kind, "memory") ? kind : "leak");
  for (size_t i = 0; i < n; i++) {
    if (i)
      fputc(';', m);
    put_pattern(m, json_at(stack, i), i == site);
  }
  if (!json_len(stack))
    fputc('*', m);
  if (fclose(m))
    ls_cli_fatal(LS_CLI_ERROR, "out of memory");
  return text;
}

static void usage(FILE *out) {
  fputs("usage: leakscope suppress REPORT.json [--output FILE]\n"
        "Writes a suppression file (LEAKSCOPE_SUPPRESSIONS, --suppressions) with one\n"
        "rule for each leak group of the last report of a JSON report file. Each rule\n"
        "names the group's whole stack from frame #0, so it suppresses that group only.\n"
        "  --output FILE   write there instead of stdout\n",
        out);
}

int ls_cmd_suppress(int argc, char **argv) {
  const char *input = NULL, *output = NULL;
  json_value_t *report;
  char **seen;
  size_t n, kept = 0;
  FILE *out;

  int status =
      ls_cli_converter_args(argc, argv, "suppress", usage, &input, &output, NULL, NULL, NULL);
  if (status >= 0)
    return status;
  report = ls_report_load(input);
  n = ls_report_groups(report);
  if (!(seen = calloc(n + 1, sizeof *seen)))
    ls_cli_fatal(LS_CLI_ERROR, "out of memory");
  out = ls_open_output(output);
  fprintf(out,
          "# leakscope suppressions: one rule per leak group of report %lld of pid %lld (%s)\n",
          (long long)ls_int(report, "seq"), (long long)ls_int(report, "pid"),
          ls_str(report, "trigger", "?"));
  for (size_t i = 0; i < n; i++) {
    const json_value_t *g = ls_report_group(report, i);
    char *rule = rule_for(g), title[1024], fp[17];
    bool dup = false;

    for (size_t k = 0; k < kept && !dup; k++)
      dup = !strcmp(seen[k], rule);
    if (dup) {
      free(rule);
      continue;
    }
    ls_group_fingerprint(g, fp);
    fputs("# ", out);
    /* A path with a newline in it must not end the comment. */
    for (const char *t = ls_group_title(g, title, sizeof title); *t; t++)
      fputc((unsigned char)*t < 0x20 ? '?' : *t, out);
    fprintf(out, " (fingerprint %s)\n%s\n", fp, rule);
    seen[kept++] = rule;
  }
  ls_close_output(out, output);
  for (size_t k = 0; k < kept; k++)
    free(seen[k]);
  free(seen);
  json_free(report);
  return 0;
}
