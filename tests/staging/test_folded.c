/* SPDX-License-Identifier: MIT
 * test_folded.c: LEAKSCOPE_FORMAT=folded, read back by a parser here.
 *
 * stage_folded leaks 6541 bytes along known call paths and one eventfd.
 * It is dumped once with `leakscope dump` and then exits, so the file holds
 * two reports. Each must consist of lines "frame;frame;... weight" (root
 * first, no empty frame, no space in a frame, a decimal weight) and end with "# leakscope: end
 * of report N (pid P)". Memory lines weigh bytes and must add up to 6541,
 * per call path as well; fd lines start with "[fd:eventfd]" and weigh
 * their count. The dump's output must be the first report verbatim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staging.h"

static st_cmd_t dump;
static char *folded_text;

static int teardown(void **state) {
  free(folded_text);
  folded_text = NULL;
  st_cmd_free(&dump);
  return st_teardown(state);
}

typedef struct folded {
  int64_t memory, fds; /* weights of memory lines and of fd lines */
  int64_t by_fn[5];    /* memory weight of the lines through each of functions[] */
  int64_t eventfd;     /* weight of "[fd:eventfd]" lines from start_worker */
  int reports;         /* end lines seen */
} folded_t;

static const char *const functions[] = {"build_response", "cache_insert", "parse_entry",
                                        "read_config_file", NULL};

/* Whether frames (a "a;b;c" list) contains frame exactly. */
static bool has_frame(const char *frames, size_t len, const char *frame) {
  size_t k = strlen(frame);
  for (const char *s = frames; s < frames + len;) {
    const char *semi = memchr(s, ';', (size_t)(frames + len - s));
    size_t n = semi ? (size_t)(semi - s) : (size_t)(frames + len - s);
    if (n == k && memcmp(s, frame, k) == 0)
      return true;
    s += n + 1;
  }
  return false;
}

/* Parses text[0, len) holding whole reports of process pid, numbered from
 * first_seq; fails the test on any malformed line. */
static folded_t parse(const char *text, size_t len, pid_t pid, int first_seq) {
  const ts_run_t *run = &st_prog.run;
  folded_t f = {0};
  for (const char *line = text; line < text + len;) {
    const char *nl = memchr(line, '\n', (size_t)(text + len - line));
    if (!nl)
      TS_FAIL(run, "folded output does not end with a newline");
    int n = (int)(nl - line);
    if (n > 0 && line[0] == '#') {
      char want[96];
      snprintf(want, sizeof(want), "# leakscope: end of report %d (pid %d)", first_seq + f.reports,
               (int)pid);
      if ((size_t)n != strlen(want) || memcmp(line, want, (size_t)n) != 0)
        TS_FAIL(run, "end line: expected \"%s\", got \"%.*s\"", want, n, line);
      f.reports++;
      line = nl + 1;
      continue;
    }
    const char *space = line + n;
    while (space > line && space[-1] != ' ')
      space--;
    if (space == line || space - 1 == line || space == line + n)
      TS_FAIL(run, "not \"frames weight\": \"%.*s\"", n, line);
    for (const char *d = space; d < line + n; d++)
      if (!isdigit((unsigned char)*d))
        TS_FAIL(run, "weight is not a number: \"%.*s\"", n, line);
    size_t frames_len = (size_t)(space - 1 - line);
    if (line[0] == ';' || line[frames_len - 1] == ';' || memmem(line, frames_len, ";;", 2))
      TS_FAIL(run, "empty frame in \"%.*s\"", n, line);
    if (memchr(line, ' ', frames_len)) /* the writer turns spaces in names into '_' */
      TS_FAIL(run, "space inside the frames of \"%.*s\"", n, line);
    int64_t weight = strtoll(space, NULL, 10);
    if (weight <= 0)
      TS_FAIL(run, "weight must be positive: \"%.*s\"", n, line);
    if (strncmp(line, "[fd:", 4) == 0) {
      f.fds += weight;
      if (strncmp(line, "[fd:eventfd];", 13) == 0 && has_frame(line, frames_len, "start_worker"))
        f.eventfd += weight;
    } else {
      f.memory += weight;
      /* Any frame, not just the leaf: strdup's block is charged to
       * libc's strdup, below parse_entry. */
      for (int i = 0; functions[i]; i++)
        if (has_frame(line, frames_len, functions[i]))
          f.by_fn[i] += weight;
      /* Root first: a direct malloc caller is the last frame. */
      static const char leaf[] = ";build_response";
      if (has_frame(line, frames_len, "build_response") &&
          (frames_len < sizeof(leaf) - 1 ||
           memcmp(line + frames_len - (sizeof(leaf) - 1), leaf, sizeof(leaf) - 1) != 0))
        TS_FAIL(run, "build_response calls malloc itself, so it must be the leaf: \"%.*s\"", n,
                line);
    }
    line = nl + 1;
  }
  return f;
}

static void check(const folded_t *f, const char *which) {
  const ts_run_t *run = &st_prog.run;
  char what[128];
  snprintf(what, sizeof(what), "%s: reports (end lines)", which);
  TS_CHECK_INT(run, what, 1, f->reports);
  snprintf(what, sizeof(what), "%s: memory weights (bytes leaked)", which);
  TS_CHECK_INT(run, what, 6541, f->memory);
  snprintf(what, sizeof(what), "%s: weight through build_response", which);
  TS_CHECK_INT(run, what, 4 * 1000, f->by_fn[0]);
  snprintf(what, sizeof(what), "%s: weight through cache_insert", which);
  TS_CHECK_INT(run, what, 4 * 256, f->by_fn[1]);
  snprintf(what, sizeof(what), "%s: weight through parse_entry", which);
  TS_CHECK_INT(run, what, 6 + 5 + 6, f->by_fn[2]);
  snprintf(what, sizeof(what), "%s: weight through read_config_file", which);
  TS_CHECK_INT(run, what, 1500, f->by_fn[3]);
  snprintf(what, sizeof(what), "%s: fd weights", which);
  TS_CHECK_INT(run, what, 1, f->fds);
  snprintf(what, sizeof(what), "%s: [fd:eventfd] weight from start_worker", which);
  TS_CHECK_INT(run, what, 1, f->eventfd);
}

static void report(void **state) {
  char out_var[600], line[64];
  const char *out_path = st_output_var(out_var, sizeof(out_var), "leaks.folded");
  const char *env[] = {"LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=folded", out_var, NULL};
  const char *argv[] = {ST_PROG_DIR "/stage_folded", NULL};
  st_spawn(&st_prog, argv, env);
  st_expect_line(&st_prog, "ready", line, sizeof(line));
  dump = st_dump(&st_prog, 0, NULL);
  st_check_dump_ok(&st_prog, &dump);
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);
  const ts_run_t *run = &st_prog.run;

  size_t len;
  char *text = folded_text = st_load_text(&st_prog, out_path, &len);
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "stage_folded did not exit with status 0");
  size_t dumped = strlen(dump.out);
  if (len < dumped || memcmp(text, dump.out, dumped) != 0)
    TS_FAIL(run, "the dump's output is not the file's first report:\n%s", dump.out);
  folded_t first = parse(text, dumped, run->pid, 1);
  folded_t second = parse(text + dumped, len - dumped, run->pid, 2);
  check(&first, "dumped report");
  check(&second, "exit report");
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(report, teardown)};
  return ts_main("staging_folded", tests, 1, argc > 1 ? argv[1] : NULL);
}
