/* SPDX-License-Identifier: MIT
 * test_dump.c: `leakscope dump PID` end to end and each of its error exits
 * (docs/cli.md): 0 ok (the first report, later ones, text format), 3 no
 * such process, 4 not under leakscope, 5 permission denied, 6 signal dumps
 * disabled, 7 timed out.
 *
 * The target is stage_sleeper, which leaks 64 bytes from leak_sleeper()
 * and waits for EOF on stdin. The permission case needs root and setpriv
 * (the target runs as nobody, the dump as another unprivileged uid); where
 * that is impossible it is skipped with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "staging.h"

#define SLEEPER ST_PROG_DIR "/stage_sleeper"

static st_cmd_t dump;
static char out_var[600], out_path[600];

static int setup(void **state) {
  st_output_var(out_var, sizeof(out_var), "dump-%p.out");
  return 0;
}

static int teardown(void **state) {
  st_cmd_free(&dump);
  return st_teardown(state);
}

/* Starts stage_sleeper waiting on stdin, under the library unless lib is
 * false, with env added; returns once it printed "ready". */
static void start_sleeper(bool lib, const char *extra1, const char *extra2) {
  const char *env[6] = {0};
  size_t n = 0;
  if (lib)
    env[n++] = "LD_PRELOAD=" ST_LIB;
  env[n++] = out_var;
  if (extra1)
    env[n++] = extra1;
  if (extra2)
    env[n++] = extra2;
  const char *argv[] = {SLEEPER, "stdin", NULL};
  char line[64];
  st_spawn(&st_prog, argv, env);
  st_expand_pid(out_path, sizeof(out_path), strchr(out_var, '=') + 1, st_prog.run.pid);
  st_expect_line(&st_prog, "ready", line, sizeof(line));
}

/* Fails unless the dump exited with `status` and said something. */
static void check_status(int status, const char *meaning) {
  if (dump.status != status || (status != 0 && !dump.err[0]))
    TS_FAIL(&st_prog.run,
            "leakscope dump: expected exit %d (%s) with a message, got %d\n"
            "--- its stdout ---\n%s\n--- its stderr ---\n%s",
            status, meaning, dump.status, dump.out, dump.err);
}

static void finish_ok(void) {
  st_finish(&st_prog, ST_EXIT_TIMEOUT_MS);
  if (st_prog.run.timed_out || st_prog.run.term_signal || st_prog.run.exit_code != 0)
    TS_FAIL(&st_prog.run, "stage_sleeper did not exit with status 0");
}

/* --- Success --- */

static void json(void **state) {
  start_sleeper(true, "LEAKSCOPE_FORMAT=json", NULL);
  dump = st_dump(&st_prog, 0, NULL);
  check_status(0, "ok");
  size_t len;
  char *file = ts_read_text(out_path, &len);
  bool same = strcmp(file, dump.out) == 0;
  free(file);
  if (!same || strchr(dump.out, '\n') != dump.out + strlen(dump.out) - 1)
    TS_FAIL(&st_prog.run, "dump printed something else than the one line in the file:\n%s",
            dump.out);
  finish_ok();
  TS_CHECK_INT(&st_prog.run, "reports in the file", 2,
               (int64_t)st_load_json_reports(&st_prog, out_path));
  st_check_report(&st_prog, st_prog.run.reports[0], st_prog.run.pid, "signal");
  st_check_report(&st_prog, st_prog.run.reports[1], st_prog.run.pid, "exit");
  st_sum_t leak = st_sum_in_function(st_prog.run.reports[0], "memory", "leak_sleeper");
  TS_CHECK_INT(&st_prog.run, "dumped: bytes from leak_sleeper", 64, leak.bytes);
}

/* A second dump, when the file already holds a report: dump must see the
 * new one however the library extends the file (appended in place, or a
 * new file renamed over the old one). */
static void again(void **state) {
  start_sleeper(true, "LEAKSCOPE_FORMAT=json", NULL);
  for (int i = 1; i <= 3; i++) {
    dump = st_dump(&st_prog, 0, NULL);
    check_status(0, "ok");
    char seq[32];
    snprintf(seq, sizeof(seq), "\"seq\":%d,", i);
    if (!strstr(dump.out, seq) || !strstr(dump.out, "\"trigger\":\"signal\""))
      TS_FAIL(&st_prog.run, "dump %d: expected the signal report with %s, got:\n%s", i, seq,
              dump.out);
    st_cmd_free(&dump);
  }
  finish_ok();
  TS_CHECK_INT(&st_prog.run, "reports in the file", 4,
               (int64_t)st_load_json_reports(&st_prog, out_path));
}

static void text(void **state) {
  start_sleeper(true, "LEAKSCOPE_FORMAT=text", NULL);
  dump = st_dump(&st_prog, 0, NULL);
  check_status(0, "ok");
  char end[128];
  snprintf(end, sizeof(end), "== leakscope: end of report 1 (pid %d) ==\n", (int)st_prog.run.pid);
  size_t n = strlen(dump.out), k = strlen(end);
  char *file = ts_read_text(out_path, NULL);
  bool same = strcmp(file, dump.out) == 0;
  free(file);
  if (!same || n < k || strcmp(dump.out + n - k, end) != 0 || !strstr(dump.out, "leak_sleeper"))
    TS_FAIL(&st_prog.run,
            "dump should print the whole text report (the file so far), naming leak_sleeper "
            "and ending with \"%.*s\"; it printed:\n%s",
            (int)k - 1, end, dump.out);
  finish_ok();
  TS_CHECK_INT(&st_prog.run, "end lines in the file (the dump, then exit)", 2,
               (int64_t)st_count_in_file(out_path, "== leakscope: end of report"));
}

/* --- Errors --- */

static void no_such_process(void **state) {
  pid_t gone = fork();
  if (gone == 0)
    _exit(0);
  waitpid(gone, NULL, 0);
  dump = st_dump(&st_prog, gone, NULL);
  check_status(3, "no such process");
}

static void not_traced(void **state) {
  start_sleeper(false, NULL, NULL);
  dump = st_dump(&st_prog, 0, NULL);
  check_status(4, "not under leakscope");
  finish_ok();
}

static void disabled(void **state) {
  start_sleeper(true, "LEAKSCOPE_FORMAT=json", "LEAKSCOPE_SIGNAL=none");
  dump = st_dump(&st_prog, 0, NULL);
  check_status(6, "signal dumps disabled");
  finish_ok();
  TS_CHECK_INT(&st_prog.run, "reports in the file (exit only)", 1,
               (int64_t)st_load_json_reports(&st_prog, out_path));
  st_check_report(&st_prog, st_prog.run.reports[0], st_prog.run.pid, "exit");
}

/* A stopped process cannot run its handler: the signal stays pending and
 * dump gives up. Once continued, the process still writes the report. */
static void timeout(void **state) {
  start_sleeper(true, "LEAKSCOPE_FORMAT=json", NULL);
  kill(st_prog.run.pid, SIGSTOP);
  const char *args[] = {"--wait", "1", NULL};
  dump = st_dump(&st_prog, 0, args);
  kill(st_prog.run.pid, SIGCONT);
  check_status(7, "timed out");
  st_wait_for_file(&st_prog, out_path, "\n", 1, ST_LINE_TIMEOUT_MS);
  finish_ok();
  TS_CHECK_INT(&st_prog.run, "reports in the file (the late dump, then exit)", 2,
               (int64_t)st_load_json_reports(&st_prog, out_path));
  st_check_report(&st_prog, st_prog.run.reports[0], st_prog.run.pid, "signal");
}

/* --- Permission: needs root to run processes as other users --- */

#define TARGET_UID "65534" /* nobody */
#define DUMPER_UID "65532" /* any other unprivileged uid */

static bool find_in_path(const char *name, char *out, size_t size) {
  const char *path = getenv("PATH");
  char copy[4096];
  snprintf(copy, sizeof(copy), "%s", path ? path : "/usr/bin:/bin");
  for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    snprintf(out, size, "%s/%s", d, name);
    if (access(out, X_OK) == 0)
      return true;
  }
  return false;
}

/* The library is preloaded only after setpriv, through env: setpriv
 * itself must not run under leakscope, because a credential change in a
 * process with our dump thread aborts (see the staging report: glibc's
 * setxid broadcast fails in a thread without PR_SET_KEEPCAPS). */
static void permission(void **state) {
  char setpriv[1024], env_path[1024];
  if (geteuid() != 0)
    TS_SKIP("needs root to run the target and the dump as two other users");
  if (!find_in_path("setpriv", setpriv, sizeof(setpriv)))
    TS_SKIP("setpriv (util-linux) not found");
  if (!find_in_path("env", env_path, sizeof(env_path)))
    TS_SKIP("env not found");
  /* The target, as nobody, creates its report file here. */
  chmod(st_dir, 0777);

#define AS(uid) setpriv, "--reuid=" uid, "--regid=" uid, "--clear-groups", "--"
#define PRELOADED env_path, "LD_PRELOAD=" ST_LIB, "LEAKSCOPE_FORMAT=json", out_var
  /* Probes: can those users run our files from where they are built? */
  const char *probe[] = {AS(TARGET_UID), PRELOADED, SLEEPER, "0", NULL};
  st_cmd_t c = st_run_cmd(probe, NULL, 10000);
  bool ok = c.status == 0 && strstr(c.out, "ready");
  if (!ok)
    print_message("probe as uid " TARGET_UID " exited %d: %s\n", c.status, c.err);
  st_cmd_free(&c);
  if (!ok)
    TS_SKIP("cannot run the test program as uid " TARGET_UID " (setpriv, or build dir access)");
  const char *probe2[] = {AS(DUMPER_UID), ST_CLI, "--version", NULL};
  c = st_run_cmd(probe2, NULL, 10000);
  ok = c.status == 0;
  if (!ok)
    print_message("probe as uid " DUMPER_UID " exited %d: %s\n", c.status, c.err);
  st_cmd_free(&c);
  if (!ok)
    TS_SKIP("cannot run leakscope as uid " DUMPER_UID);

  const char *argv[] = {AS(TARGET_UID), PRELOADED, SLEEPER, "stdin", NULL};
  char line[64], pid_arg[16];
  st_spawn(&st_prog, argv, NULL); /* setpriv and env exec: the pid is the sleeper's */
  st_expand_pid(out_path, sizeof(out_path), strchr(out_var, '=') + 1, st_prog.run.pid);
  st_expect_line(&st_prog, "ready", line, sizeof(line));
  snprintf(pid_arg, sizeof(pid_arg), "%d", (int)st_prog.run.pid);

  const char *other[] = {AS(DUMPER_UID), ST_CLI, "dump", pid_arg, "--wait", "5", NULL};
  dump = st_run_cmd(other, NULL, 30000);
  check_status(5, "permission denied, dumping another user's process");
  st_cmd_free(&dump);

  /* The same process can be dumped by its own user, and by root. */
  const char *same[] = {AS(TARGET_UID), ST_CLI, "dump", pid_arg, "--wait", "5", NULL};
  dump = st_run_cmd(same, NULL, 30000);
  check_status(0, "ok, dumped by its own user");
  st_cmd_free(&dump);
  dump = st_dump(&st_prog, 0, NULL);
  check_status(0, "ok, dumped by root");
#undef AS
#undef PRELOADED

  finish_ok();
  TS_CHECK_INT(&st_prog.run, "reports in the file (two dumps, then exit)", 3,
               (int64_t)st_load_json_reports(&st_prog, out_path));
  st_check_report(&st_prog, st_prog.run.reports[0], st_prog.run.pid, "signal");
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(json, setup, teardown),
      cmocka_unit_test_setup_teardown(again, setup, teardown),
      cmocka_unit_test_setup_teardown(text, setup, teardown),
      cmocka_unit_test_setup_teardown(no_such_process, setup, teardown),
      cmocka_unit_test_setup_teardown(not_traced, setup, teardown),
      cmocka_unit_test_setup_teardown(disabled, setup, teardown),
      cmocka_unit_test_setup_teardown(timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(permission, setup, teardown),
  };
  return ts_main("staging_dump", tests, sizeof(tests) / sizeof(tests[0]),
                 argc > 1 ? argv[1] : NULL);
}
