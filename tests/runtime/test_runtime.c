/* SPDX-License-Identifier: MIT
 * test_runtime.c: issue 13's runtime reproducers (runtime_prog.c), each
 * run bare and under leakscope: same output, same exit status or signal.
 * See docs/reliability.md.
 *
 *   ctest -L runtime
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "relsupport.h"

#define FAKETIME "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

/* One run of runtime_prog (or prog): bare when lib is NULL. set: NULL-
 * terminated NAME, value pairs added to the environment. */
static void run(rel_proc_t *p, const rel_fixture_t *f, const char *preload, const char *mode,
                const char *const *set) {
  rel_env_t env;
  rel_env_base(&env, f->dir);
  if (preload) {
    rel_env_set(&env, "LD_PRELOAD", preload);
    rel_env_set(&env, "LEAKSCOPE_FORMAT", "json");
    rel_env_setf(&env, "LEAKSCOPE_OUTPUT", "%s/r.%%p", f->dir);
  }
  for (size_t i = 0; set && set[i]; i += 2)
    rel_env_set(&env, set[i], set[i + 1]);
  const char *argv[] = {LS_RUNTIME_PROG, mode, NULL};
  rel_run(p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 30000, .umask = -1});
  rel_env_free(&env);
}

/* Same stdout, exit status and signal; the traced run's stderr may only
 * add "leakscope:" lines. */
static void expect_same(const rel_proc_t *bare, const rel_proc_t *traced, const char *what) {
  char *err = rel_strip_leakscope(traced->err);
  bool same = !bare->timed_out && !traced->timed_out && bare->exit_code == traced->exit_code &&
              bare->term_signal == traced->term_signal && !strcmp(bare->out, traced->out) &&
              !strcmp(bare->err, err);
  if (!same) {
    rel_show(bare, "bare run");
    rel_show(traced, "run under leakscope");
    fail_msg("%s: the program behaves differently under leakscope", what);
  }
  free(err);
}

static void bare_and_traced(const rel_fixture_t *f, const char *mode, const char *bare_preload,
                            const char *traced_preload, const char *const *set) {
  rel_proc_t bare, traced;
  run(&bare, f, bare_preload, mode, set);
  run(&traced, f, traced_preload, mode, set);
  char what[512];
  snprintf(what, sizeof what, "%s with LD_PRELOAD=%s", mode, traced_preload);
  expect_same(&bare, &traced, what);
  print_message("%s: %s, %s", what, rel_describe(&traced), traced.out);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* Item 1: a preload that calls back into malloc, free and dlsym from its
 * clock_gettime, before and after leakscope. */
static void test_preload_clock(void **state) {
  rel_fixture_t *f = *state;
  char order[2][1024];
  snprintf(order[0], sizeof order[0], "%s:%s", LS_TEST_CLOCK, LS_TEST_LIB);
  snprintf(order[1], sizeof order[1], "%s:%s", LS_TEST_LIB, LS_TEST_CLOCK);
  for (int i = 0; i < 2; i++)
    bare_and_traced(f, "clock", LS_TEST_CLOCK, order[i], NULL);
}

/* Item 1 with the real thing, when the faketime package is installed. */
static void test_faketime(void **state) {
  rel_fixture_t *f = *state;
  if (access(FAKETIME, R_OK))
    TS_SKIP("%s is not installed (apt-get install faketime)", FAKETIME);
  char order[2][1024];
  snprintf(order[0], sizeof order[0], "%s:%s", FAKETIME, LS_TEST_LIB);
  snprintf(order[1], sizeof order[1], "%s:%s", LS_TEST_LIB, FAKETIME);
  for (int i = 0; i < 2; i++) {
    bare_and_traced(f, "clock", FAKETIME, order[i], NULL);
    static const char *const fake[] = {"FAKETIME", "-1y", NULL};
    bare_and_traced(f, "clock", FAKETIME, order[i], fake);
  }
}

/* Item 2: an 8 KiB makecontext stack and an 8 KiB sigaltstack, each with
 * a guard page below (an overflow is a crash, not silent corruption). */
static void test_coroutine(void **state) {
  bare_and_traced(*state, "coroutine", NULL, LS_TEST_LIB, NULL);
}

static void test_altstack(void **state) {
  bare_and_traced(*state, "altstack", NULL, LS_TEST_LIB, NULL);
}

/* Item 2: the stack budget. Bytes of stack each call touches, bare and
 * under leakscope (runtime_prog paints a stack and runs each call on it);
 * leakscope may add at most LS_STACK_BUDGET bytes. */
#define LS_STACK_BUDGET 2048

static long figure(const char *out, const char *name) {
  size_t n = strlen(name);
  for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (!strncmp(l, name, n) && l[n] == ' ')
      return atol(l + n + 1);
  return -1;
}

static void test_stack_budget(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t bare, traced;
  run(&bare, f, NULL, "stack", NULL);
  run(&traced, f, LS_TEST_LIB, "stack", NULL);
  static const char *const ops[] = {"malloc", "free", "strdup", "open", "first malloc of a thread"};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    long b = figure(bare.out, ops[i]), t = figure(traced.out, ops[i]);
    print_message("stack used by %s: %ld bytes bare, %ld under leakscope (+%ld)\n", ops[i], b, t,
                  t - b);
    if (b <= 0 || t <= 0) {
      rel_show(&bare, "bare run");
      rel_show(&traced, "run under leakscope");
      fail_msg("no figure for %s", ops[i]);
    }
    if (t - b > LS_STACK_BUDGET)
      fail_msg("%s uses %ld bytes more stack under leakscope: over the %d-byte budget", ops[i],
               t - b, LS_STACK_BUDGET);
  }
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* Runs `leakscope dump PID` (the CLI); returns its exit status. */
static int dump(const rel_fixture_t *f, pid_t pid, rel_proc_t *cli) {
  rel_env_t env;
  rel_env_base(&env, f->dir);
  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
  const char *argv[] = {LS_CLI, "dump", pidbuf, "--wait", "30", NULL};
  rel_run(cli, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 40000, .umask = -1});
  rel_env_free(&env);
  return cli->exit_code;
}

/* Starts mode under leakscope and, once it printed "ready", requests up
 * to `dumps` dumps with `leakscope dump`, one after the other, while the
 * program has not printed `done_marker` yet (on a busy machine a report
 * can take longer than the program's sleeps). Returns how many requests
 * were made; each is served (a report, or a CLI that saw the process
 * exit first). */
static int traced_with_dumps(rel_proc_t *p, const rel_fixture_t *f, const char *mode,
                             const char *const *set, int dumps, const char *done_marker) {
  rel_env_t env;
  rel_env_base(&env, f->dir);
  rel_env_set(&env, "LD_PRELOAD", LS_TEST_LIB);
  rel_env_set(&env, "LEAKSCOPE_FORMAT", "json");
  rel_env_setf(&env, "LEAKSCOPE_OUTPUT", "%s/r.%%p", f->dir);
  for (size_t i = 0; set && set[i]; i += 2)
    rel_env_set(&env, set[i], set[i + 1]);
  const char *argv[] = {LS_RUNTIME_PROG, mode, NULL};
  rel_start(p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 60000, .umask = -1});
  if (!rel_wait_output(p, "ready\n", 20000)) {
    rel_finish(p);
    rel_show(p, "run under leakscope");
    fail_msg("%s never got ready", mode);
  }
  int made = 0;
  for (int i = 0; i < dumps; i++) {
    rel_poll(p, 0);
    if (p->exited || (p->out && strstr(p->out, done_marker)))
      break;
    rel_proc_t cli;
    int rc = dump(f, p->pid, &cli);
    made++;
    if (rc != 0) {
      rel_poll(p, 200);
      if (!p->exited) {
        rel_show(&cli, "leakscope dump");
        fail_msg("leakscope dump %d failed while the process runs", (int)p->pid);
      }
    }
    rel_proc_free(&cli);
  }
  rel_finish(p);
  rel_env_free(&env);
  if (made == 0)
    fail_msg("no dump could be requested while %s ran", mode);
  return made;
}

static void expect_signal_reports(const rel_fixture_t *f, const rel_proc_t *p, size_t at_least) {
  rel_reports_t r;
  rel_expect_report(&r, f->dir, p);
  if (r.signal < at_least)
    fail_msg("%zu signal reports, expected at least %zu", r.signal, at_least);
  print_message("%zu signal reports and the exit report\n", r.signal);
  rel_reports_free(&r);
}

/* Item 4 of the issue: sleep(3) and nanosleep while `leakscope dump`
 * asks again and again: neither returns early. */
static void test_sleep_dump(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t bare, traced;
  run(&bare, f, NULL, "sleep", NULL);
  int made = traced_with_dumps(&traced, f, "sleep", NULL, 5, "sleep(3) returned");
  expect_same(&bare, &traced, "sleep under repeated dumps");
  expect_signal_reports(f, &traced, (size_t)made);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* Item 5 of the issue: the program's own disposition of the dump signal. */
static void test_resethand(void **state) {
  bare_and_traced(*state, "resethand", NULL, LS_TEST_LIB, NULL);
}

static void test_readback(void **state) {
  bare_and_traced(*state, "readback", NULL, LS_TEST_LIB, NULL);
}

static void test_nodefer(void **state) {
  bare_and_traced(*state, "nodefer", NULL, LS_TEST_LIB, NULL);
}

/* Item 5 of the issue: a program that takes SIGUSR2 with sigtimedwait and
 * signalfd runs with LEAKSCOPE_SIGNAL set to a signal it does not use
 * (docs/user-guide.md): it gets all its signals, and dumps still work. */
static void test_sigwait(void **state) {
  rel_fixture_t *f = *state;
  static const char *const other[] = {"LEAKSCOPE_SIGNAL", "SIGRTMIN+4", NULL};
  rel_proc_t bare, traced;
  run(&bare, f, NULL, "sigwait", NULL);
  int made = traced_with_dumps(&traced, f, "sigwait", other, 2, "sigtimedwait took");
  expect_same(&bare, &traced, "sigwait with LEAKSCOPE_SIGNAL=SIGRTMIN+4");
  expect_signal_reports(f, &traced, (size_t)made);
  rel_proc_free(&bare);
  rel_proc_free(&traced);
}

/* Item 7 of the issue: an allocator preloaded ahead of leakscope. One
 * warning line naming it; with LEAKSCOPE_EXITCODE, that status. */
static void test_foreign_alloc(void **state) {
  rel_fixture_t *f = *state;
  char order[1024];
  snprintf(order, sizeof order, "%s:%s", LS_TEST_ALLOC, LS_TEST_LIB);
  static const char *const code[] = {"LEAKSCOPE_EXITCODE", "23", NULL};
  for (int with_code = 0; with_code < 2; with_code++) {
    rel_proc_t bare, traced;
    run(&bare, f, LS_TEST_ALLOC, "leak", NULL);
    run(&traced, f, order, "leak", with_code ? code : NULL);
    size_t lines = rel_count_lines(traced.err, "leakscope:");
    bool names_it = strstr(traced.err, "leakscope: warning: malloc comes from ") &&
                    strstr(traced.err, LS_TEST_ALLOC);
    int want = with_code ? 23 : 0;
    if (lines != 1 || !names_it || traced.exit_code != want || strcmp(bare.out, traced.out)) {
      rel_show(&bare, "bare run");
      rel_show(&traced, "run under leakscope");
      fail_msg("expected one warning naming %s and exit %d", LS_TEST_ALLOC, want);
    }
    rel_proc_free(&bare);
    rel_proc_free(&traced);
  }
  /* In the right order, the leak is found as usual; so it is in a
   * position-dependent executable whose malloc address is its own PLT
   * entry (no allocator of its own: no warning). */
  static const char *const progs[] = {LS_RUNTIME_PROG, LS_RUNTIME_NOPIE};
  for (size_t i = 0; i < 2; i++) {
    rel_env_t env;
    rel_env_base(&env, f->dir);
    rel_env_set(&env, "LD_PRELOAD", LS_TEST_LIB);
    rel_env_set(&env, "LEAKSCOPE_EXITCODE", "23");
    rel_env_setf(&env, "LEAKSCOPE_OUTPUT", "%s/r.%%p", f->dir);
    const char *argv[] = {progs[i], "leak", NULL};
    rel_proc_t p;
    rel_run(&p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 30000, .umask = -1});
    if (p.exit_code != 23 || rel_count_lines(p.err, "leakscope:") != 0) {
      rel_show(&p, "run under leakscope alone");
      fail_msg("%s: the leak of 4242 bytes was not reported with exit 23, or a warning", progs[i]);
    }
    rel_proc_free(&p);
    rel_env_free(&env);
  }
}

/* Item 9 of the issue: raise(SIGUSR2) just before main returns makes its
 * signal report, every time. */
static void test_raise_at_exit(void **state) {
  rel_fixture_t *f = *state;
  for (int i = 0; i < 10; i++) {
    rel_proc_t p;
    run(&p, f, LS_TEST_LIB, "raise", NULL);
    rel_reports_t r;
    rel_expect_report(&r, f->dir, &p);
    if (r.signal != 1 || strcmp(p.out, "raised\n") || p.exit_code != 0) {
      rel_show(&p, "run under leakscope");
      fail_msg("run %d: %zu signal reports, expected 1", i, r.signal);
    }
    rel_reports_free(&r);
    rel_proc_free(&p);
  }
}

int main(int argc, char **argv) {
  static const struct CMUnitTest all[] = {
      REL_TEST(test_preload_clock), REL_TEST(test_faketime),      REL_TEST(test_coroutine),
      REL_TEST(test_altstack),      REL_TEST(test_stack_budget),  REL_TEST(test_sleep_dump),
      REL_TEST(test_resethand),     REL_TEST(test_readback),      REL_TEST(test_nodefer),
      REL_TEST(test_sigwait),       REL_TEST(test_foreign_alloc), REL_TEST(test_raise_at_exit),
  };
  return ts_main("runtime", all, sizeof all / sizeof all[0], argc > 1 ? argv[1] : NULL);
}
