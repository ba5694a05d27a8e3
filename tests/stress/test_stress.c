/* SPDX-License-Identifier: MIT
 * test_stress.c: leakscope under load, with dump signals arriving all the
 * time, and next to programs that handle the dump signal themselves.
 *
 *   threads       16 threads x STRESS_OPS operations, SIGUSR2 every 50 ms
 *                 from the test, thread 0 forks STRESS_FORKS children that
 *                 allocate, dump (raise, and kill from the parent) and
 *                 exit. Checks: no crash or hang (timeout), exit 0, the
 *                 exact leaks of leak_memory()/leak_fds() and nothing from
 *                 the workers, every report of every process whole.
 *   threads_long  the same, 10x the operations and 5x the forks; label
 *                 stress-long, runs only with LEAKSCOPE_STRESS_LONG=1.
 *   handler       the program's own handlers still get every signal.
 *   signalfd      SIGUSR2 blocked and read with a signalfd; see
 *                 docs/reliability.md for what leakscope changes there.
 *   blocked       every signal blocked in every program thread.
 *
 * Usage: test_stress CASE
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "relsupport.h"

#ifndef LS_TEST_LIB
#error "LS_TEST_LIB must name libleakscope.so"
#endif
#ifndef LS_STRESS_PROG
#error "LS_STRESS_PROG must name stress_prog"
#endif

/* Must match stress_prog.c. */
#define LEAK_BLOCKS 123
#define LEAK_SIZE 77
#define LEAK_FDS 3
#define CHILD_LEAK_BLOCKS 3
#define CHILD_LEAK_SIZE 111

#define STRESS_THREADS 16
#define STRESS_OPS 20000 /* per thread */
#define STRESS_FORKS 8

typedef struct fixture {
  char *dir;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  f->dir = rel_tempdir("stress");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  rel_rm_rf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static void show(const rel_proc_t *p, const char *title) {
  print_error("%s: %s\n----- stdout -----\n%.4000s\n----- stderr -----\n%.4000s\n", title,
              rel_describe(p), p->out, p->err);
}

/* Starts stress_prog (under leakscope if traced) and sends SIGUSR2 every
 * 50 ms from its "ready" line until it exits. Returns the number of
 * signals sent. */
static int run_signalled(rel_proc_t *p, const char *dir, const char *const *argv, int timeout_ms,
                         bool traced) {
  rel_env_t env;
  rel_env_base(&env, dir);
  if (traced) {
    rel_env_preload(&env, LS_TEST_LIB, dir);
    rel_env_set(&env, "LEAKSCOPE_SHOW_REACHABLE", "1");
  }
  rel_start(p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = timeout_ms, .umask = -1});
  int sent = 0;
  if (rel_wait_output(p, "ready\n", 10000)) {
    while (!rel_poll(p, 50)) {
      if (kill(p->pid, SIGUSR2) == 0)
        sent++;
    }
  }
  rel_finish(p);
  rel_env_free(&env);
  return sent;
}

static void load_top(rel_reports_t *r, const char *dir, const rel_proc_t *p) {
  char path[1024];
  snprintf(path, sizeof path, "%s/r.%d", dir, (int)p->pid);
  rel_reports_load(r, path);
  if (!r->complete || r->n == 0 || !rel_exit_report(r, p->pid)) {
    show(p, "program");
    fail_msg("%s: %zu reports, complete=%d, exit report %s: %s", path, r->n, r->complete,
             rel_exit_report(r, p->pid) ? "present" : "missing", r->error);
  }
}

static void expect_sum(const json_value_t *report, const char *kind, const char *fn,
                       int64_t bytes, int64_t count) {
  rel_sum_t s = rel_sum_in_function(report, kind, fn);
  if (s.count != count || (bytes >= 0 && s.bytes != bytes))
    fail_msg("%s leaks in %s(): expected %lld bytes in %lld, got %lld bytes in %lld (%lld groups)",
             kind, fn, (long long)bytes, (long long)count, (long long)s.bytes, (long long)s.count,
             (long long)s.groups);
}

/* --- threads --- */

static void stress_threads(fixture_t *f, int threads, long ops, int forks, int timeout_ms) {
  char a_threads[16], a_ops[32], a_forks[16];
  snprintf(a_threads, sizeof a_threads, "%d", threads);
  snprintf(a_ops, sizeof a_ops, "%ld", ops);
  snprintf(a_forks, sizeof a_forks, "%d", forks);
  const char *argv[] = {LS_STRESS_PROG, "threads", a_threads, a_ops, a_forks, NULL};
  rel_proc_t p;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int sent = run_signalled(&p, f->dir, argv, timeout_ms, true);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (p.exit_code != 0 || !strstr(p.out, "done ")) {
    show(&p, "stress_prog threads");
    fail_msg("stress_prog did not finish cleanly (%s)", rel_describe(&p));
  }
  rel_reports_t r;
  load_top(&r, f->dir, &p);
  const json_value_t *exit_report = rel_exit_report(&r, p.pid);
  expect_sum(exit_report, "memory", "leak_memory", LEAK_BLOCKS * LEAK_SIZE, LEAK_BLOCKS);
  expect_sum(exit_report, "fd", "leak_fds", -1, LEAK_FDS);
  /* Everything the workers allocated or opened was released. */
  expect_sum(exit_report, "memory", "worker", 0, 0);
  expect_sum(exit_report, "fd", "worker", -1, 0);
  if (rel_summary(exit_report, "untracked") != 0)
    fail_msg("untracked resources: %lld", (long long)rel_summary(exit_report, "untracked"));
  if (r.signal < 1)
    fail_msg("%d signals sent, no signal-triggered report", sent);

  /* Children: each wrote whole reports, a dump and its exit report. */
  char err[512];
  long files = rel_check_report_dir(f->dir, true, err, sizeof err);
  if (files < 0)
    fail_msg("%s", err);
  if (files != forks + 1)
    fail_msg("expected %d report files (program + children), found %ld", forks + 1, files);
  size_t child_dumps = 0;
  DIR *d = opendir(f->dir);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    /* r.<pid> files other than the program's own are its children's */
    char path[1400];
    if (strncmp(de->d_name, "r.", 2) != 0 || atoi(de->d_name + 2) == p.pid ||
        strchr(de->d_name + 2, '.'))
      continue;
    snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
    rel_reports_t c;
    rel_reports_load(&c, path);
    if (c.signal < 1)
      fail_msg("%s: the child wrote no signal report", path);
    child_dumps += c.signal;
    expect_sum(rel_exit_report(&c, atoi(de->d_name + 2)), "memory", "child_leak",
               CHILD_LEAK_BLOCKS * CHILD_LEAK_SIZE, CHILD_LEAK_BLOCKS);
    rel_reports_free(&c);
  }
  if (d)
    closedir(d);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  print_message("stress: %d threads, %ld operations, %.1f s, %d SIGUSR2 sent, %zu signal reports,"
                " %d forks (%zu child dumps), all %ld report files whole; exact leaks\n",
                threads, (long)threads * ops, secs, sent, r.signal, forks, child_dumps, files);
  rel_reports_free(&r);
  rel_proc_free(&p);
}

static void test_threads(void **state) {
  stress_threads(*state, STRESS_THREADS, STRESS_OPS, STRESS_FORKS, 25000);
}

static void test_threads_long(void **state) {
  const char *on = getenv("LEAKSCOPE_STRESS_LONG");
  if (!on || strcmp(on, "1") != 0)
    rel_skip("the long stress run needs LEAKSCOPE_STRESS_LONG=1 (ctest -L stress-long)");
  stress_threads(*state, STRESS_THREADS, STRESS_OPS * 10, STRESS_FORKS * 5, 600000);
}

/* --- the program's own signal handling --- */

/* Runs argv bare and under leakscope (both signalled every 50 ms when
 * `signal` is set); returns the traced run's reports in *r and the signals
 * sent to each run in sent[0] (bare) and sent[1]. */
static void bare_and_traced(fixture_t *f, const char *const *argv, bool signal, rel_proc_t *bare,
                            rel_proc_t *traced, rel_reports_t *r, int sent[2]) {
  rel_env_t env;
  if (signal) {
    sent[0] = run_signalled(bare, f->dir, argv, 20000, false);
    sent[1] = run_signalled(traced, f->dir, argv, 20000, true);
  } else {
    rel_env_base(&env, f->dir);
    rel_run(bare, &(rel_opts_t){.argv = argv, .env = &env, .umask = -1});
    rel_env_free(&env);
    rel_env_base(&env, f->dir);
    rel_env_preload(&env, LS_TEST_LIB, f->dir);
    rel_env_set(&env, "LEAKSCOPE_SHOW_REACHABLE", "1");
    rel_run(traced, &(rel_opts_t){.argv = argv, .env = &env, .umask = -1});
    rel_env_free(&env);
    sent[0] = sent[1] = 0;
  }
  if (bare->exit_code != 0 || traced->exit_code != 0) {
    show(bare, "bare run");
    show(traced, "run under leakscope");
    fail_msg("exit status: bare %s, under leakscope %s", rel_describe(bare), rel_describe(traced));
  }
  load_top(r, f->dir, traced);
}

static void expect_same_output(const rel_proc_t *bare, const rel_proc_t *traced) {
  char *a = strdup(bare->out), *b = strdup(traced->out);
  /* "observed:" lines report what may legitimately differ. */
  for (char *s = a; (s = strstr(s, "observed:"));)
    *s = '\0';
  for (char *s = b; (s = strstr(s, "observed:"));)
    *s = '\0';
  char *err = rel_strip_leakscope(traced->err);
  if (strcmp(a, b) != 0 || strcmp(bare->err, err) != 0) {
    show(bare, "bare run");
    show(traced, "run under leakscope");
    fail_msg("the program's output differs under leakscope");
  }
  free(a);
  free(b);
  free(err);
}

static void test_handler(void **state) {
  fixture_t *f = *state;
  const char *argv[] = {LS_STRESS_PROG, "handler", NULL};
  rel_proc_t bare, traced;
  rel_reports_t r;
  int sent[2];
  bare_and_traced(f, argv, false, &bare, &traced, &r, sent);
  expect_same_output(&bare, &traced);
  if (r.signal < 1)
    fail_msg("the program's raise(SIGUSR2) produced no dump");
  expect_sum(rel_exit_report(&r, traced.pid), "memory", "handler_leak", 200, 4);
  print_message("handler: output identical (%zu bytes), %zu dumps\n", bare.out_len, r.signal);
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

static void test_signalfd(void **state) {
  fixture_t *f = *state;
  const char *argv[] = {LS_STRESS_PROG, "signalfd", NULL};
  rel_proc_t bare, traced;
  rel_reports_t r;
  int sent[2];
  bare_and_traced(f, argv, true, &bare, &traced, &r, sent);
  expect_same_output(&bare, &traced);
  /* The bare run shows what the program is owed: every signal. */
  int ext[2] = {-1, -1}, own[2] = {-1, -1};
  const char *outs[2] = {bare.out, traced.out};
  for (int i = 0; i < 2; i++) {
    const char *e = strstr(outs[i], "external kill(): "), *o = strstr(outs[i], "own kill(): ");
    if (e)
      ext[i] = atoi(e + strlen("external kill(): "));
    if (o)
      own[i] = atoi(o + strlen("own kill(): "));
  }
  print_message("signalfd: SIGUSR2 from outside: bare run read %d of %d sent, under leakscope %d of"
                " %d (%zu dumps); its own kill(): bare %d of 3, under leakscope %d of 3\n",
                ext[0], sent[0], ext[1], sent[1], r.signal, own[0], own[1]);
  if (own[0] != 3 || ext[0] < 1)
    fail_msg("bare run: the signalfd should get every process-directed SIGUSR2");
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

static void test_blocked(void **state) {
  fixture_t *f = *state;
  const char *argv[] = {LS_STRESS_PROG, "blocked", "8", "20000", NULL};
  rel_proc_t bare, traced;
  rel_reports_t r;
  int sent[2];
  bare_and_traced(f, argv, true, &bare, &traced, &r, sent);
  expect_same_output(&bare, &traced);
  if (r.signal < 1)
    fail_msg("%d signals sent, no dump", sent[1]);
  expect_sum(rel_exit_report(&r, traced.pid), "memory", "leak_memory", LEAK_BLOCKS * LEAK_SIZE,
             LEAK_BLOCKS);
  print_message("blocked: %d SIGUSR2 sent, %zu dumps, output identical\n", sent[1], r.signal);
  rel_reports_free(&r);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

int main(int argc, char **argv) {
  static const struct CMUnitTest all[] = {
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads_long, setup, teardown),
      cmocka_unit_test_setup_teardown(test_handler, setup, teardown),
      cmocka_unit_test_setup_teardown(test_signalfd, setup, teardown),
      cmocka_unit_test_setup_teardown(test_blocked, setup, teardown),
  };
  struct CMUnitTest tests[sizeof all / sizeof all[0]];
  size_t n = 0;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (argc < 2 || !strcmp(argv[1], all[i].name + strlen("test_")))
      tests[n++] = all[i];
  if (n == 0) {
    fprintf(stderr, "test_stress: no case named %s\n", argv[1]);
    return 1;
  }
  int failed = _cmocka_run_group_tests("stress", tests, n, NULL, NULL);
  return failed ? 1 : rel_skipped ? REL_SKIP_CODE : 0;
}
