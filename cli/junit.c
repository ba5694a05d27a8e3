/* SPDX-License-Identifier: MIT
 * junit.c: `leakscope junit REPORT.json`, a JSON report as JUnit XML, which
 * every CI server shows as test results.
 *
 * One test suite per report, one test case per leak group, named after the
 * innermost frame in the program's own sources and the group's fingerprint
 * (so a CI history tracks one leak across runs). A group fails, with the
 * text report's words as message and its stack as the failure's text;
 * still-reachable groups (listed only with LEAKSCOPE_SHOW_REACHABLE=1)
 * pass with the same text as output. A report without leaks is one passing
 * test case, "no leaks", so the suite is never empty.
 */
#include <string.h>

#include "report_input.h"
#include "subcommands.h"

static void put_stack(FILE *out, const json_value_t *group) {
  const json_value_t *stack = json_get(group, "stack");
  char frame[1024];

  for (size_t i = 0; i < json_len(stack); i++) {
    fprintf(out, "    #%zu ", i);
    ls_put_xml(out, ls_frame_text(json_at(stack, i), frame, sizeof frame));
    fputc('\n', out);
  }
}

/* A group that is not a failure: still reachable, or a known leak of the
 * baseline. Its case passes, with its text as system-out. */
static bool passes(const json_value_t *group, const ls_baseline_t *baseline) {
  return !strcmp(ls_str(group, "reachability", ""), "reachable") ||
         ls_group_in_baseline(group, baseline);
}

static void put_case(FILE *out, const json_value_t *group, const ls_baseline_t *baseline) {
  const json_value_t *stack = json_get(group, "stack");
  int own = ls_own_frame(group);
  const char *kind = ls_str(group, "kind", "?");
  bool memory = !strcmp(kind, "memory");
  bool reachable = passes(group, baseline);
  bool known = ls_group_in_baseline(group, baseline);
  char title[1024], where[1024], fp[17];

  ls_group_title(group, title, sizeof title);
  ls_group_fingerprint(group, fp);
  fputs("    <testcase classname=\"leakscope.", out);
  ls_put_xml(out, kind);
  fputs("\" name=\"", out);
  ls_put_xml(out, own >= 0 ? ls_frame_text(json_at(stack, (size_t)own), where, sizeof where)
                           : "(no stack recorded)");
  fprintf(out, " [%s]\" time=\"0\">\n", fp);
  if (reachable) {
    fputs("      <system-out>", out);
  } else {
    fputs("      <failure message=\"", out);
    ls_put_xml(out, title);
    fputs("\" type=\"", out);
    ls_put_xml(out, kind);
    fputs("-leak\">", out);
  }
  ls_put_xml(out, title);
  if (known)
    fputs(", in the baseline", out);
  fputs(memory ? ", allocated at:\n" : ", created at:\n", out);
  put_stack(out, group);
  fputs(reachable ? "</system-out>\n" : "</failure>\n", out);
  fputs("    </testcase>\n", out);
}

static void usage(FILE *out) {
  fputs("usage: leakscope junit REPORT.json [--output FILE] [--baseline BASE.json]\n"
        "Converts the last report of a JSON report file to JUnit XML: one failed\n"
        "test case per leak group, or one passing case when nothing leaked.\n"
        "  --output FILE     write there instead of stdout\n"
        "  --baseline FILE   a JSON report of known leaks: their cases pass (as do\n"
        "                    groups the report marks in_baseline)\n",
        out);
}

int ls_cmd_junit(int argc, char **argv) {
  const char *input = NULL, *output = NULL, *baseline_path = NULL;
  size_t groups, failures = 0;
  ls_baseline_t baseline;
  json_value_t *report;
  FILE *out;

  int status = ls_cli_converter_args(argc, argv, "junit", usage, &input, &output, &baseline_path,
                                     NULL, NULL);
  if (status >= 0)
    return status;
  report = ls_report_load(input);
  ls_baseline_load(&baseline, baseline_path, report);
  groups = ls_report_groups(report);
  /* running threads and processes are listed but are not leaks: left out */
  for (size_t i = 0; i < ls_report_groups(report); i++)
    groups -= !ls_group_is_leak(ls_report_group(report, i));
  for (size_t i = 0; i < ls_report_groups(report); i++)
    failures += ls_group_is_leak(ls_report_group(report, i)) &&
                !passes(ls_report_group(report, i), &baseline);
  out = ls_open_output(output);
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuites name=\"leakscope\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n"
          "  <testsuite name=\"leakscope report %lld of pid %lld (",
          groups ? groups : 1, failures, (long long)ls_int(report, "seq"),
          (long long)ls_int(report, "pid"));
  ls_put_xml(out, ls_str(report, "trigger", "?"));
  fprintf(out, ")\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
          groups ? groups : 1, failures);
  for (size_t i = 0; i < ls_report_groups(report); i++)
    if (ls_group_is_leak(ls_report_group(report, i)))
      put_case(out, ls_report_group(report, i), &baseline);
  if (!groups)
    fputs("    <testcase classname=\"leakscope\" name=\"no leaks\" time=\"0\"/>\n", out);
  fputs("  </testsuite>\n</testsuites>\n", out);
  ls_close_output(out, output);
  json_free(report);
  ls_baseline_free(&baseline);
  return 0;
}
