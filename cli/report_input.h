/* SPDX-License-Identifier: MIT
 * report_input.h: what the converters (sarif, junit, diff, suppress) share:
 * reading a JSON report file, questions about its groups, errors and
 * escaping for their outputs.
 */
#ifndef LS_CLI_REPORT_INPUT_H
#define LS_CLI_REPORT_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

/* Exit statuses shared with cli/leakscope.c (see docs/cli.md). */
enum { LS_CLI_ERROR = 1, LS_CLI_USAGE = 2 };

/* Prints "leakscope: <message>" and exits with status. */
__attribute__((noreturn, format(printf, 2, 3))) void ls_cli_fatal(int status, const char *fmt, ...);

/* The command line the converters share: --help/-h, --output F, one
 * input path ("-": standard input), when baseline is not NULL
 * "--baseline FILE", and when extra_flag is not NULL, one more
 * "extra_flag VALUE" option. Returns -1 when the command should go on,
 * else the status it should exit with: 0 after --help, LS_CLI_USAGE (with
 * the usage on stderr) for anything else or a missing input. */
int ls_cli_converter_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                          const char **input, const char **output, const char **baseline,
                          const char *extra_flag, const char **extra);

/* Known leaks: the fingerprints of a baseline report's groups. */
typedef struct ls_baseline {
  char (*fps)[17];
  size_t n;
  bool given; /* --baseline was given, or the report marks "in_baseline" */
} ls_baseline_t;

/* Loads --baseline path's last report (NULL: none) into b; then, if the
 * report itself carries "in_baseline" marks (a run with --baseline), b
 * counts as given too. Free with ls_baseline_free. */
void ls_baseline_load(ls_baseline_t *b, const char *path, const json_value_t *report);
void ls_baseline_free(ls_baseline_t *b);

/* Whether group is a known leak: marked "in_baseline": true by the
 * library, or its fingerprint is in b. */
bool ls_group_in_baseline(const json_value_t *group, const ls_baseline_t *b);

/* The last report of a JSON Lines report file ("-": standard input): the
 * last line that parses as an object with "format":"leakscope-report".
 * Exits with a one-line error when there is none. Free with json_free. */
json_value_t *ls_report_load(const char *path);

/* leaks[] of a report (an empty array's worth when absent). */
size_t ls_report_groups(const json_value_t *report);
const json_value_t *ls_report_group(const json_value_t *report, size_t i);

/* The group's fingerprint: its "fingerprint" field when the report has
 * one, else computed from its frames as the library computes it
 * (src/fingerprint.h). out holds 17 bytes. */
void ls_group_fingerprint(const json_value_t *group, char out[17]);

/* A string member, or dflt when absent or not a string. */
const char *ls_str(const json_value_t *v, const char *key, const char *dflt);
/* An integer member, or 0. */
int64_t ls_int(const json_value_t *v, const char *key);

/* Index of the innermost frame in the program's own sources: a frame with
 * a source file outside the system's directories (not relative like
 * glibc's "./string/strdup.c", not under /usr/), in a module outside the
 * system's library directories. Falls back to the innermost frame with a
 * file, then to 0; -1 for an empty stack. */
int ls_own_frame(const json_value_t *group);

/* Whether a frame is in the program's own sources (ls_own_frame's test;
 * the library's --gen-suppressions uses the same one). */
bool ls_frame_is_own(const json_value_t *frame);

/* "17 bytes in 3 blocks, definitely lost" / "1 fd still open (file; fd 3:
 * /dev/null)": what a group holds, into buf. */
const char *ls_group_title(const json_value_t *group, char *buf, size_t size);

/* False for a group listed but not a leak ("leak": false: a thread or
 * child process still running). */
bool ls_group_is_leak(const json_value_t *group);

/* "function (file:line)" of a frame, as the text report shows it. */
const char *ls_frame_text(const json_value_t *frame, char *buf, size_t size);

/* s as a JSON string literal, quotes included. */
void ls_put_json_string(FILE *out, const char *s);
/* s as XML character data or attribute value (&, <, >, ", ' escaped;
 * control characters other than tab and newline, which XML 1.0 cannot
 * hold, as '?'). */
void ls_put_xml(FILE *out, const char *s);

/* Opens --output FILE for writing, or returns stdout for NULL / "-". */
FILE *ls_open_output(const char *path);
/* Flushes and closes out; exits with an error if anything failed. */
void ls_close_output(FILE *out, const char *path);

#endif
