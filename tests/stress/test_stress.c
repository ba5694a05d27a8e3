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

/* --- threads --- */

static void stress_threads(rel_fixture_t *f, int threads, long ops, int forks, int timeout_ms) {
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
    rel_show(&p, "stress_prog threads");
    fail_msg("stress_prog did not finish cleanly (%s)", rel_describe(&p));
  }
  rel_reports_t r;
  const json_value_t *exit_report = rel_expect_report(&r, f->dir, &p);
  rel_expect_sum(exit_report, "memory", "leak_memory", LEAK_BLOCKS * LEAK_SIZE, LEAK_BLOCKS);
  rel_expect_sum(exit_report, "fd", "leak_fds", -1, LEAK_FDS);
  /* Everything the workers allocated or opened was released. */
  rel_expect_sum(exit_report, "memory", "worker", 0, 0);
  rel_expect_sum(exit_report, "fd", "worker", -1, 0);
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
    rel_expect_sum(rel_exit_report(&c, atoi(de->d_name + 2)), "memory", "child_leak",
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
    TS_SKIP("the long stress run needs LEAKSCOPE_STRESS_LONG=1 (ctest -L stress-long)");
  stress_threads(*state, STRESS_THREADS, STRESS_OPS * 10, STRESS_FORKS * 5, 600000);
}

/* --- the program's own signal handling --- */

static void expect_same_output(const rel_proc_t *bare, const rel_proc_t *traced) {
  char *a = strdup(bare->out), *b = strdup(traced->out);
  /* "observed:" lines report what may legitimately differ. */
  for (char *s = a; (s = strstr(s, "observed:"));)
    *s = '\0';
  for (char *s = b; (s = strstr(s, "observed:"));)
    *s = '\0';
  char *err = rel_strip_leakscope(traced->err);
  if (strcmp(a, b) != 0 || strcmp(bare->err, err) != 0) {
    rel_show(bare, "bare run");
    rel_show(traced, "run under leakscope");
    fail_msg("the program's output differs under leakscope");
  }
  free(a);
  free(b);
  free(err);
}

/* A program run bare and under leakscope. */
typedef struct pair {
  rel_proc_t bare, traced;
  rel_reports_t r; /* the traced run's report file */
  int sent[2];     /* SIGUSR2 sent to the bare run and to the traced one */
} pair_t;

/* Runs argv bare and under leakscope (both signalled every 50 ms when
 * `signal` is set) into *t: both must exit 0 with the same output, and the
 * traced run must leave a complete report file. */
static void bare_and_traced(rel_fixture_t *f, const char *const *argv, bool signal, pair_t *t) {
  rel_env_t env;
  if (signal) {
    t->sent[0] = run_signalled(&t->bare, f->dir, argv, 20000, false);
    t->sent[1] = run_signalled(&t->traced, f->dir, argv, 20000, true);
  } else {
    rel_env_base(&env, f->dir);
    rel_run(&t->bare, &(rel_opts_t){.argv = argv, .env = &env, .umask = -1});
    rel_env_free(&env);
    rel_env_base(&env, f->dir);
    rel_env_preload(&env, LS_TEST_LIB, f->dir);
    rel_env_set(&env, "LEAKSCOPE_SHOW_REACHABLE", "1");
    rel_run(&t->traced, &(rel_opts_t){.argv = argv, .env = &env, .umask = -1});
    rel_env_free(&env);
    t->sent[0] = t->sent[1] = 0;
  }
  if (t->bare.exit_code != 0 || t->traced.exit_code != 0) {
    rel_show(&t->bare, "bare run");
    rel_show(&t->traced, "run under leakscope");
    fail_msg("exit status: bare %s, under leakscope %s", rel_describe(&t->bare),
             rel_describe(&t->traced));
  }
  rel_expect_report(&t->r, f->dir, &t->traced);
  expect_same_output(&t->bare, &t->traced);
}

static void pair_free(pair_t *t) {
  rel_reports_free(&t->r);
  rel_proc_free(&t->bare);
  rel_proc_free(&t->traced);
}

static void test_handler(void **state) {
  rel_fixture_t *f = *state;
  const char *argv[] = {LS_STRESS_PROG, "handler", NULL};
  pair_t t;
  bare_and_traced(f, argv, false, &t);
  if (t.r.signal < 1)
    fail_msg("the program's raise(SIGUSR2) produced no dump");
  rel_expect_sum(rel_exit_report(&t.r, t.traced.pid), "memory", "handler_leak", 200, 4);
  print_message("handler: output identical (%zu bytes), %zu dumps\n", t.bare.out_len, t.r.signal);
  pair_free(&t);
}

static void test_signalfd(void **state) {
  rel_fixture_t *f = *state;
  const char *argv[] = {LS_STRESS_PROG, "signalfd", NULL};
  pair_t t;
  bare_and_traced(f, argv, true, &t);
  /* The bare run shows what the program is owed: every signal. */
  int ext[2] = {-1, -1}, own[2] = {-1, -1};
  const char *outs[2] = {t.bare.out, t.traced.out};
  for (int i = 0; i < 2; i++) {
    const char *e = strstr(outs[i], "external kill(): "), *o = strstr(outs[i], "own kill(): ");
    if (e)
      ext[i] = atoi(e + strlen("external kill(): "));
    if (o)
      own[i] = atoi(o + strlen("own kill(): "));
  }
  print_message("signalfd: SIGUSR2 from outside: bare run read %d of %d sent, under leakscope %d of"
                " %d (%zu dumps); its own kill(): bare %d of 3, under leakscope %d of 3\n",
                ext[0], t.sent[0], ext[1], t.sent[1], t.r.signal, own[0], own[1]);
  if (own[0] != 3 || ext[0] < 1)
    fail_msg("bare run: the signalfd should get every process-directed SIGUSR2");
  pair_free(&t);
}

static void test_blocked(void **state) {
  rel_fixture_t *f = *state;
  const char *argv[] = {LS_STRESS_PROG, "blocked", "8", "20000", NULL};
  pair_t t;
  bare_and_traced(f, argv, true, &t);
  if (t.r.signal < 1)
    fail_msg("%d signals sent, no dump", t.sent[1]);
  rel_expect_sum(rel_exit_report(&t.r, t.traced.pid), "memory", "leak_memory",
                 LEAK_BLOCKS * LEAK_SIZE, LEAK_BLOCKS);
  print_message("blocked: %d SIGUSR2 sent, %zu dumps, output identical\n", t.sent[1], t.r.signal);
  pair_free(&t);
}

int main(int argc, char **argv) {
  static const struct CMUnitTest all[] = {
      REL_TEST(test_threads),  REL_TEST(test_threads_long), REL_TEST(test_handler),
      REL_TEST(test_signalfd), REL_TEST(test_blocked),
  };
  return ts_main("stress", all, sizeof all / sizeof all[0], argc > 1 ? argv[1] : NULL);
}
