/* SPDX-License-Identifier: MIT
 * test_reach_preload.c: Valgrind's leak kinds, one program each, run under
 * the preloaded library with LEAKSCOPE_REACHABILITY=1, and checked against
 * exact expected counts per marker line; then against valgrind's own
 * verdict on the same binary.
 *
 * Usage: test_reach_preload CASE_OPT            e.g. list_O2
 *        test_reach_preload valgrind CASE_OPT   compare with valgrind; exits
 *                                               77 (CTest: skipped) when
 *                                               valgrind is not installed
 *
 * What a case checks:
 *  - the default report lists the lost blocks at each marker with their
 *    class ("reachability"), and no group at a reachable marker; the
 *    summary's reachable_bytes/reachable_blocks are exactly the program's
 *    reachable blocks;
 *  - with LEAKSCOPE_SHOW_REACHABLE=1 the reachable ones are listed too;
 *  - cases with a dump: the report the program asked for with SIGUSR2
 *    while its other thread ran says the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"
#include "runner.h"

typedef struct expect {
  const char *marker; /* LEAK:<marker> in the program's source */
  const char *cls;    /* "definite", "indirect", "possible", "reachable" */
  int64_t bytes, count;
  const char *vg_cls; /* valgrind's verdict where it knowingly differs */
} expect_t;

typedef struct reach_case {
  const char *name;   /* prog_reach_<name>_<opt>.c */
  bool dump;          /* the program also asks for a report with SIGUSR2 */
  expect_t expect[7]; /* ended by an entry without a marker */
} reach_case_t;

#define E(m, c, b, n)                                                                              \
  { .marker = m, .cls = c, .bytes = b, .count = n }
static const reach_case_t cases[] = {
    {"list", false, {E("head", "definite", 32, 1), E("node", "indirect", 128, 4)}},
    {"global", false, {E("global", "reachable", 48, 1), E("lost", "definite", 24, 1)}},
    {"indirect", false, {E("parent", "definite", 64, 1), E("child", "indirect", 100, 1)}},
    {"interior", false, {E("interior", "possible", 80, 1)}},
    {"thread", true, {E("held", "reachable", 72, 1), E("lost", "definite", 40, 1)}},
    /* Blocks held in a dlopen'ed module's __thread variable (dynamic TLS).
     * Valgrind follows the TCB's pointer to &dtv[1], an interior pointer,
     * so a thread's heap DTV and all behind it are only "possibly lost"
     * to it; leakscope treats a live thread's DTV as held. */
    /* Mappings of the program are roots (Valgrind's rule); a block of
     * its own mapping is not. */
    {"mmap",
     false,
     {E("anon", "reachable", 40, 1), E("shared", "reachable", 56, 1), E("file", "reachable", 72, 1),
      E("big", "definite", 256 * 1024, 1), E("child", "indirect", 24, 1),
      E("unmapped", "definite", 88, 1)}},
    {"dtls",
     false,
     {E("dtls_main", "reachable", 56, 1),
      {.marker = "dtls_thread", .cls = "reachable", .bytes = 88, .count = 1, .vg_cls = "possible"},
      E("lost", "definite", 40, 1)}},
};
#undef E

static const reach_case_t *current_case;
static char current_opt[8];
static ts_run_t current_run;

static const char *source_path(const reach_case_t *c) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/prog_reach_%s.c", LS_REACH_PROG_SRC_DIR, c->name);
  return path;
}

static const char *binary_path(const reach_case_t *c, const char *opt) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/prog_reach_%s_%s", LS_REACH_PROG_DIR, c->name, opt);
  return path;
}

/* Bytes and blocks of class cls at marker e, and how many groups there
 * have another class. */
typedef struct tally {
  int64_t bytes, count;
  size_t others;
  const char *other_cls;
} tally_t;

static tally_t tally_at(const json_value_t *report, const reach_case_t *c, const char *marker,
                        const char *cls) {
  const char *src = source_path(c);
  ts_leaks_t m = ts_leaks_at(report, src, ts_marker_line(src, marker));
  tally_t t = {0};
  for (size_t i = 0; i < m.groups && i < TS_MAX_MATCHES; i++) {
    const char *got = json_as_str(json_get(m.group[i], "reachability"));
    int64_t bytes = 0, count = 0;
    json_as_int(json_get(m.group[i], "bytes"), &bytes);
    json_as_int(json_get(m.group[i], "count"), &count);
    if (got && !strcmp(got, cls)) {
      t.bytes += bytes;
      t.count += count;
    } else {
      t.others++;
      t.other_cls = got ? got : "(none)";
    }
  }
  return t;
}

/* One report's verdict on every marker of the case. */
static void check_report(const ts_run_t *run, const json_value_t *report, const reach_case_t *c,
                         bool reachable_listed, const char *which) {
  ts_check_report_shape(run, report);
  const json_value_t *summary = json_get(report, "summary");
  int64_t reach_bytes = -1, reach_blocks = -1, want_bytes = 0, want_blocks = 0;
  json_as_int(json_get(summary, "reachable_bytes"), &reach_bytes);
  json_as_int(json_get(summary, "reachable_blocks"), &reach_blocks);
  char what[256];
  for (const expect_t *e = c->expect; e->marker; e++) {
    bool reachable = !strcmp(e->cls, "reachable");
    if (reachable) {
      want_bytes += e->bytes;
      want_blocks += e->count;
    }
    tally_t t = tally_at(report, c, e->marker, e->cls);
    if (t.others)
      TS_FAIL(run, "%s: LEAK:%s has %zu group(s) of class %s; expected only %s", which, e->marker,
              t.others, t.other_cls, e->cls);
    bool listed = !reachable || reachable_listed;
    snprintf(what, sizeof what, "%s: %s blocks at LEAK:%s", which, e->cls, e->marker);
    TS_CHECK_INT(run, what, listed ? e->count : 0, t.count);
    snprintf(what, sizeof what, "%s: %s bytes at LEAK:%s", which, e->cls, e->marker);
    TS_CHECK_INT(run, what, listed ? e->bytes : 0, t.bytes);
  }
  snprintf(what, sizeof what, "%s: summary.reachable_bytes", which);
  TS_CHECK_INT(run, what, want_bytes, reach_bytes);
  snprintf(what, sizeof what, "%s: summary.reachable_blocks", which);
  TS_CHECK_INT(run, what, want_blocks, reach_blocks);
}

static const json_value_t *report_with_trigger(const ts_run_t *run, const char *trigger) {
  for (size_t i = 0; i < run->nreports; i++) {
    const char *t = json_as_str(json_get(run->reports[i], "trigger"));
    int64_t pid = 0;
    if (t && !strcmp(t, trigger) && json_as_int(json_get(run->reports[i], "pid"), &pid) &&
        pid == run->pid)
      return run->reports[i];
  }
  TS_FAIL(run, "no report with \"trigger\":\"%s\"", trigger);
  return NULL;
}

static void run_one(const reach_case_t *c, const char *opt, bool show_reachable) {
  const char *env_default[] = {"LEAKSCOPE_REACHABILITY=1", NULL};
  const char *env_show[] = {"LEAKSCOPE_REACHABILITY=1", "LEAKSCOPE_SHOW_REACHABLE=1", NULL};
  ts_run(&current_run, LS_TEST_LIB, binary_path(c, opt), NULL,
         show_reachable ? env_show : env_default);
  const ts_run_t *run = &current_run;
  if (run->timed_out || run->term_signal || run->exit_code != 0)
    TS_FAIL(run, "the program did not exit cleanly");
  if (strstr(run->err, "leakscope: warning"))
    TS_FAIL(run, "leakscope warned");
  check_report(run, ts_run_exit_report(run), c, show_reachable,
               show_reachable ? "exit report, reachable shown" : "exit report");
  if (c->dump)
    check_report(run, report_with_trigger(run, "signal"), c, show_reachable,
                 show_reachable ? "dump report, reachable shown" : "dump report");
  ts_run_free(&current_run);
}

static void test_kinds(void **state) { run_one(current_case, current_opt, false); }

static void test_kinds_shown(void **state) { run_one(current_case, current_opt, true); }

/* --- valgrind --- */

typedef struct vg_tally {
  int64_t bytes[4], count[4]; /* by class, in expect order of names */
} vg_tally_t;

static const char *const vg_kinds[4] = {"definitely lost", "indirectly lost", "possibly lost",
                                        "still reachable"};
static const char *const our_kinds[4] = {"definite", "indirect", "possible", "reachable"};

static char *read_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len < 2)
      buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  buf[len] = '\0';
  return buf;
}

/* Runs valgrind on the program; returns its log (malloc'd) or NULL. */
static char *run_valgrind(const char *prog) {
  char log[] = "/tmp/ls_reach_vg_XXXXXX";
  int fd = mkstemp(log);
  if (fd < 0)
    return NULL;
  close(fd);
  char logopt[128];
  snprintf(logopt, sizeof logopt, "--log-file=%s", log);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    unsetenv("LD_PRELOAD");
    execlp("valgrind", "valgrind", "--leak-check=full", "--show-leak-kinds=all",
           "--errors-for-leak-kinds=none", logopt, prog, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited++) {
    if (waited > 100 * 100) { /* 100 s */
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      unlink(log);
      return NULL;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  char *text = read_file(log);
  unlink(log);
  return text;
}

/* Valgrind's loss records charged to `line` of the program's source (the
 * first frame in it), summed by kind. Blocks the dynamic loader allocated
 * (its first caller is ld.so: dynamic TLS, DTVs) are skipped, as leakscope
 * never lists them. */
/* A number as valgrind prints it: digits with thousands commas
 * ("262,144"). */
static long long vg_number(const char *s, char **end) {
  long long v = 0;
  for (; (*s >= '0' && *s <= '9') || (*s == ',' && s[1] >= '0' && s[1] <= '9'); s++)
    if (*s != ',')
      v = v * 10 + (*s - '0');
  *end = (char *)s;
  return v;
}

static vg_tally_t vg_at(const char *text, const char *source_base, int line) {
  vg_tally_t t = {0};
  int kind = -1, frames = 0;
  int64_t bytes = 0, count = 0;
  bool charged = false;
  for (const char *p = text; p && *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), p);
    const char *body = strstr(buf, "== ");
    body = body ? body + 3 : buf;
    int k = -1;
    for (int i = 0; i < 4; i++)
      if (strstr(body, vg_kinds[i]) && strstr(body, "in loss record"))
        k = i;
    if (k >= 0) {
      /* "B bytes in N blocks are ..." or "T (D direct, I indirect) bytes in N blocks ..." */
      long long total = 0, direct = -1, blocks = 0;
      char *q;
      total = vg_number(body, &q);
      if (*q == ' ' && q[1] == '(')
        direct = vg_number(q + 2, &q);
      const char *in = strstr(body, " bytes in ");
      if (in)
        blocks = vg_number(in + 10, &q);
      kind = k;
      bytes = direct >= 0 ? direct : total;
      count = blocks;
      charged = false;
      frames = 0;
    } else if (kind >= 0 && !charged && (strstr(body, "at 0x") || strstr(body, "by 0x"))) {
      if (frames++ == 1 &&
          (strstr(body, "rtld-malloc.h") || strstr(body, "ld-linux") || strstr(body, "(dl-"))) {
        kind = -1; /* the loader's */
        p = eol ? eol + 1 : NULL;
        continue;
      }
      const char *paren = strrchr(body, '(');
      size_t blen = strlen(source_base);
      if (paren && !strncmp(paren + 1, source_base, blen) && paren[1 + blen] == ':') {
        charged = true;
        if (atoi(paren + 2 + blen) == line) {
          t.bytes[kind] += bytes;
          t.count[kind] += count;
        }
      }
    } else if (kind >= 0 && !strstr(body, "0x")) {
      kind = -1; /* end of the record's stack */
    }
    p = eol ? eol + 1 : NULL;
  }
  return t;
}

static bool have_valgrind(void) { return system("valgrind --version >/dev/null 2>&1") == 0; }

/* leakscope (reachable blocks listed) and valgrind, marker by marker. */
static void test_valgrind(void **state) {
  const reach_case_t *c = current_case;
  const char *prog = binary_path(c, current_opt);
  char *vg = run_valgrind(prog);
  if (!vg)
    fail_msg("valgrind did not run %s", prog);
  const char *env[] = {"LEAKSCOPE_REACHABILITY=1", "LEAKSCOPE_SHOW_REACHABLE=1", NULL};
  ts_run(&current_run, LS_TEST_LIB, prog, NULL, env);
  const ts_run_t *run = &current_run;
  const json_value_t *report = ts_run_exit_report(run);
  const char *src = source_path(c);
  const char *base = strrchr(src, '/') + 1;
  for (const expect_t *e = c->expect; e->marker; e++) {
    int line = ts_marker_line(src, e->marker);
    vg_tally_t v = vg_at(vg, base, line);
    if (e->vg_cls) { /* a known difference: valgrind must say vg_cls */
      int k = 0;
      while (k < 3 && strcmp(our_kinds[k], e->vg_cls))
        k++;
      tally_t ours = tally_at(report, c, e->marker, e->cls);
      if (v.count[k] != ours.count || v.bytes[k] != ours.bytes)
        TS_FAIL(run, "LEAK:%s: expected valgrind to call %lld blocks %s, got %lld", e->marker,
                (long long)ours.count, e->vg_cls, (long long)v.count[k]);
      continue;
    }
    for (int k = 0; k < 4; k++) {
      tally_t ours = tally_at(report, c, e->marker, our_kinds[k]);
      if (ours.count != v.count[k] || ours.bytes != v.bytes[k]) {
        fprintf(stderr, "--- valgrind log ---\n%s\n", vg);
        TS_FAIL(run,
                "LEAK:%s (line %d), %s: leakscope %lld bytes in %lld blocks, valgrind %lld "
                "bytes in %lld blocks",
                e->marker, line, our_kinds[k], (long long)ours.bytes, (long long)ours.count,
                (long long)v.bytes[k], (long long)v.count[k]);
      }
    }
  }
  free(vg);
  ts_run_free(&current_run);
}

int main(int argc, char **argv) {
  bool valgrind = argc > 2 && !strcmp(argv[1], "valgrind");
  const char *which = argc > 1 ? argv[argc - 1] : NULL;
  if (!which) {
    fprintf(stderr, "usage: %s [valgrind] CASE_OPT\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t n = strlen(cases[i].name);
    if (!strncmp(which, cases[i].name, n) && which[n] == '_' && strlen(which + n + 1) < 8) {
      current_case = &cases[i];
      strcpy(current_opt, which + n + 1);
    }
  }
  if (!current_case) {
    fprintf(stderr, "unknown case %s\n", which);
    return 2;
  }
  if (valgrind) {
    if (!have_valgrind()) {
      fprintf(stderr, "valgrind is not installed: skipped\n");
      return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_valgrind)};
    return cmocka_run_group_tests_name(which, tests, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kinds),
                                     cmocka_unit_test(test_kinds_shown)};
  return cmocka_run_group_tests_name(which, tests, NULL, NULL);
}
