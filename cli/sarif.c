/* SPDX-License-Identifier: MIT
 * sarif.c: `leakscope sarif REPORT.json`, a JSON report as SARIF 2.1.0, the
 * format of GitHub code scanning and other CI result viewers.
 *
 * One result per leak group. Its location is the innermost frame in the
 * program's own sources (ls_own_frame): that is the line a reviewer can
 * change, where the report's frame #0 is often libc's strdup. The whole
 * stack goes into the result's "stacks". The group's fingerprint
 * (src/fingerprint.h: names and files, no addresses or lines) is the
 * result's partialFingerprints "leakscope/v1", so a viewer tracks one leak
 * across runs and builds. File paths under --source-root (default: the
 * current directory) become relative to %SRCROOT%, as code scanning wants.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_input.h"
#include "subcommands.h"

/* The rules: one per kind of finding, in this order (ruleIndex). */
static const struct sarif_rule {
  const char *id;
  const char *level;
  const char *text;
} rules[] = {
    {"memory-definitely-lost", "error", "Heap memory definitely lost: no pointer to it is left"},
    {"memory-indirectly-lost", "warning",
     "Heap memory indirectly lost: only lost blocks point to it"},
    {"memory-possibly-lost", "warning",
     "Heap memory possibly lost: only pointers into its middle are left"},
    {"memory-still-reachable", "note", "Heap memory never freed but still reachable"},
    {"memory-not-released", "error", "Heap memory not released (report without reachability)"},
    {"fd-not-closed", "error", "File descriptor, FILE* or DIR* stream never closed"},
    {"thread-leak", "error", "Thread never joined (its stack and TLS are held)"},
    {"mapping-leak", "error", "Memory mapping never unmapped"},
    {"process-leak", "error", "Child process never waited for"},
};

static size_t rule_of(const json_value_t *group) {
  const char *cls = ls_str(group, "reachability", NULL);

  const char *kind = ls_str(group, "kind", "");

  if (!strcmp(kind, "thread"))
    return 6;
  if (!strcmp(kind, "mapping"))
    return 7;
  if (!strcmp(kind, "process"))
    return 8;
  if (strcmp(kind, "memory"))
    return 5;
  if (!cls)
    return 4;
  if (!strcmp(cls, "definite"))
    return 0;
  if (!strcmp(cls, "indirect"))
    return 1;
  if (!strcmp(cls, "possible"))
    return 2;
  return 3;
}

/* Writes an artifactLocation for file: relative to %SRCROOT% when it lies
 * under root, else an absolute file: URI, else the path as given. */
static void put_artifact(FILE *out, const char *file, const char *root) {
  size_t n = strlen(root);

  fputs("\"artifactLocation\":{\"uri\":", out);
  if (n && !strncmp(file, root, n) && file[n] == '/') {
    ls_put_json_string(out, file + n + 1);
    fputs(",\"uriBaseId\":\"%SRCROOT%\"}", out);
    return;
  }
  if (file[0] == '/') {
    fputs("\"file://", out);
    /* A URI path: the few characters that would break it, escaped. */
    for (const char *p = file; *p; p++)
      if (*p == ' ' || *p == '%' || *p == '#' || *p == '?' || *p == '"' || *p == '\\' ||
          (unsigned char)*p < 0x20)
        fprintf(out, "%%%02X", (unsigned char)*p);
      else
        fputc(*p, out);
    fputs("\"}", out);
    return;
  }
  ls_put_json_string(out, file);
  fputc('}', out);
}

/* A location for frame, or nothing (returns false) without a source file. */
static bool put_location(FILE *out, const json_value_t *frame, const char *root, const char *msg) {
  const char *file = ls_str(frame, "file", NULL);
  int64_t line = ls_int(frame, "line");

  if (!file)
    return false;
  fputs("{\"physicalLocation\":{", out);
  put_artifact(out, file, root);
  if (line > 0)
    fprintf(out, ",\"region\":{\"startLine\":%lld}", (long long)line);
  fputc('}', out);
  if (msg) {
    fputs(",\"message\":{\"text\":", out);
    ls_put_json_string(out, msg);
    fputc('}', out);
  }
  fputc('}', out);
  return true;
}

static void put_result(FILE *out, const json_value_t *group, const char *root,
                       const ls_baseline_t *baseline) {
  const json_value_t *stack = json_get(group, "stack");
  int own = ls_own_frame(group);
  size_t rule = rule_of(group);
  char title[1024], where[1024], fp[17], msg[2200];

  ls_group_title(group, title, sizeof title);
  ls_group_fingerprint(group, fp);
  if (own >= 0)
    snprintf(msg, sizeof msg, "%s, %s at %s", title,
             strcmp(ls_str(group, "kind", ""), "memory") ? "created" : "allocated",
             ls_frame_text(json_at(stack, (size_t)own), where, sizeof where));
  else
    snprintf(msg, sizeof msg, "%s (no stack recorded)", title);
  fprintf(out, "{\"ruleId\":\"%s\",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":{\"text\":",
          rules[rule].id, rule, rules[rule].level);
  ls_put_json_string(out, msg);
  fputs("},\"locations\":[", out);
  if (own >= 0)
    put_location(out, json_at(stack, (size_t)own), root, NULL);
  fprintf(out, "],\"partialFingerprints\":{\"leakscope/v1\":\"%s\"}", fp);
  /* against a baseline: "unchanged" for a known leak, "new" for the rest */
  if (baseline->given)
    fprintf(out, ",\"baselineState\":\"%s\"",
            ls_group_in_baseline(group, baseline) ? "unchanged" : "new");
  if (json_len(stack)) {
    bool first = true;

    fputs(",\"stacks\":[{\"message\":{\"text\":\"allocation stack, innermost first\"},\"frames\":[",
          out);
    for (size_t i = 0; i < json_len(stack); i++) {
      const json_value_t *f = json_at(stack, i);
      const char *module = ls_str(f, "module", NULL);

      fputs(first ? "{" : ",{", out);
      first = false;
      fputs("\"location\":", out);
      if (!put_location(out, f, root, ls_str(f, "function", "??"))) {
        fputs("{\"message\":{\"text\":", out);
        ls_frame_text(f, where, sizeof where);
        ls_put_json_string(out, where);
        fputs("}}", out);
      }
      if (module) {
        fputs(",\"module\":", out);
        ls_put_json_string(out, module);
      }
      fputc('}', out);
    }
    fputs("]}]", out);
  }
  fputs(",\"properties\":{\"kind\":", out);
  ls_put_json_string(out, ls_str(group, "kind", "?"));
  fputs(",\"resource\":", out);
  ls_put_json_string(out, ls_str(group, "resource", "?"));
  fprintf(out, ",\"bytes\":%lld,\"count\":%lld}}", (long long)ls_int(group, "bytes"),
          (long long)ls_int(group, "count"));
}

static void usage(FILE *out) {
  fputs("usage: leakscope sarif REPORT.json [--output FILE] [--source-root DIR]\n"
        "                       [--baseline BASE.json]\n"
        "Converts the last report of a JSON report file to SARIF 2.1.0 (one result\n"
        "per leak group, located at the innermost frame in the program's own\n"
        "sources; the group's fingerprint as partialFingerprints \"leakscope/v1\").\n"
        "  --output FILE       write there instead of stdout\n"
        "  --source-root DIR   paths under DIR are written relative to %SRCROOT%\n"
        "                      (default: the current directory)\n"
        "  --baseline FILE     a JSON report of known leaks: each result gets\n"
        "                      baselineState \"unchanged\" (its fingerprint is in FILE,\n"
        "                      or the report marks it in_baseline) or \"new\"\n",
        out);
}

int ls_cmd_sarif(int argc, char **argv) {
  const char *input = NULL, *output = NULL, *root_arg = NULL, *baseline_path = NULL;
  char cwd[PATH_MAX] = "", *root;
  ls_baseline_t baseline;
  json_value_t *report;
  FILE *out;

  int status = ls_cli_converter_args(argc, argv, "sarif", usage, &input, &output, &baseline_path,
                                     "--source-root", &root_arg);
  if (status >= 0)
    return status;
  if (!root_arg && !getcwd(cwd, sizeof cwd))
    cwd[0] = '\0';
  root = root_arg ? realpath(root_arg, NULL) : strdup(cwd);
  if (!root)
    ls_cli_fatal(LS_CLI_USAGE, "sarif: cannot resolve --source-root '%s'", root_arg);
  if (!strcmp(root, "/"))
    root[0] = '\0';
  report = ls_report_load(input);
  ls_baseline_load(&baseline, baseline_path, report);
  out = ls_open_output(output);
  fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
        "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"leakscope\",\"version\":"
        "\"" LEAKSCOPE_VERSION_STRING "\",\"semanticVersion\":\"" LEAKSCOPE_VERSION_STRING "\","
        "\"rules\":[",
        out);
  for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
    fprintf(out, "%s{\"id\":\"%s\",\"shortDescription\":{\"text\":", r ? "," : "", rules[r].id);
    ls_put_json_string(out, rules[r].text);
    fprintf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"}}", rules[r].level);
  }
  fputs("]}},", out);
  if (*root) {
    fputs("\"originalUriBaseIds\":{\"%SRCROOT%\":{\"uri\":", out);
    /* A directory URI ends with '/'. */
    fputc('"', out);
    fputs("file://", out);
    for (const char *p = root; *p; p++)
      fputc(*p == '"' || *p == '\\' ? '_' : *p, out);
    fputs("/\"}},", out);
  }
  fputs("\"results\":[", out);
  for (size_t i = 0, n = 0; i < ls_report_groups(report); i++) {
    /* running threads and processes are listed but are not leaks */
    if (!ls_group_is_leak(ls_report_group(report, i)))
      continue;
    if (n++)
      fputc(',', out);
    put_result(out, ls_report_group(report, i), root, &baseline);
  }
  fputs("]", out);
  fprintf(out, ",\"properties\":{\"pid\":%lld,\"seq\":%lld,\"trigger\":",
          (long long)ls_int(report, "pid"), (long long)ls_int(report, "seq"));
  ls_put_json_string(out, ls_str(report, "trigger", "?"));
  fputs("}}]}\n", out);
  ls_close_output(out, output);
  json_free(report);
  ls_baseline_free(&baseline);
  free(root);
  return 0;
}
