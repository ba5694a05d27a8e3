/* SPDX-License-Identifier: MIT
 * test_output.c: a report is never lost (issues 12 and 13): real programs
 * under `leakscope run` with the default output (stderr), programs that
 * close fds 0-2, run out of fds, chroot or drop to uid 65534, end with
 * _exit or _Exit, and a FIFO at LEAKSCOPE_OUTPUT. Reports of real programs
 * list whatever libc leaks: those cases assert a complete report (header,
 * command, summary, end line), not particular leaks. output_prog's own
 * leaks are exact: 72 bytes in 3 blocks from leak_blocks() (one group per
 * call site: the loop may be unrolled).
 *
 * Usage: test_output CASE. Cases that need root skip (77) without it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "relsupport.h"

#if !defined(LS_TEST_LIB) || !defined(LS_CLI) || !defined(LS_OUTPUT_PROG)
#error "LS_TEST_LIB, LS_CLI and LS_OUTPUT_PROG must be defined"
#endif

/* Fails unless err holds one complete text exit report whose command line
 * is `command` and which has the per-class summary line (the one without
 * classes when the reachability scan cannot run: a chroot without /proc). */
static void expect_text_report(const rel_proc_t *p, const char *command) {
  const char *start = strstr(p->err, "== leakscope: report ");
  char want[512];
  snprintf(want, sizeof want, "\ncommand: %s\n", command);
  bool classes = !strstr(p->err, "leakscope: warning: reachability not computed");
  if (!start || !strstr(start, "(exit) ==\n") || !strstr(start, want) ||
      (classes && (!strstr(start, "\ndefinitely lost: ") || !strstr(start, "; indirectly lost: ") ||
                   !strstr(start, "; possibly lost: ") || !strstr(start, " not released; "))) ||
      (!classes && !strstr(start, " not released, in ")) ||
      !strstr(start, "\n== leakscope: end of report ")) {
    rel_show(p, "under leakscope run");
    fail_msg("no complete exit report with \"command: %s\" and the per-class summary on stderr",
             command);
  }
}

/* Runs `leakscope run -- argv...` in the fixture's directory, default
 * output, and checks the report and the exit status. */
static void run_real(rel_fixture_t *f, const char *const *args, const char *command, int status) {
  const char *argv[24] = {LS_CLI, "run", "--"};
  size_t n = 3;
  for (size_t i = 0; args[i] && n < 23; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  rel_env_t env;
  rel_env_base(&env, f->dir);
  rel_proc_t p;
  rel_run(&p, &(rel_opts_t){.argv = argv, .env = &env, .cwd = f->dir, .timeout_ms = 60000});
  if (p.exit_code != status) {
    rel_show(&p, "under leakscope run");
    fail_msg("%s: exit status %d, expected %d", command, p.exit_code, status);
  }
  expect_text_report(&p, command);
  rel_proc_free(&p);
  rel_env_free(&env);
}

static const char *need(const char *name) {
  const char *path = rel_find_prog(name);
  if (!path)
    TS_SKIP("%s is not installed", name);
  return path;
}

/* coreutils' close_stdout closes stderr at exit: the report must still
 * reach the stderr the program started with. */
static void test_ls(void **state) {
  rel_fixture_t *f = *state;
  need("ls");
  run_real(f, (const char *[]){"ls", "-l", "/", NULL}, "ls -l /", 0);
}

static void test_date(void **state) {
  need("date");
  run_real(*state, (const char *[]){"date", "+%s", NULL}, "date +%s", 0);
}

/* sort -o dup2s the output file over fd 1 and closes it in fclose(stdout). */
static void test_sort_o(void **state) {
  rel_fixture_t *f = *state;
  need("sort");
  char in[1100];
  snprintf(in, sizeof in, "%s/in.txt", f->dir);
  rel_write_file(in, "b\na\nc\n");
  run_real(f, (const char *[]){"sort", "-o", "out.txt", "in.txt", NULL}, "sort -o out.txt in.txt",
           0);
}

static void test_tar(void **state) {
  rel_fixture_t *f = *state;
  need("tar");
  char in[1100];
  snprintf(in, sizeof in, "%s/in.txt", f->dir);
  rel_write_file(in, "tar me\n");
  run_real(f, (const char *[]){"tar", "cf", "x.tar", "in.txt", NULL}, "tar cf x.tar in.txt", 0);
}

/* --- output_prog --- */

/* Runs output_prog MODE [arg] under the library: text to stderr, or with
 * json_dir JSON to json_dir/r.%p. */
static void run_prog(rel_proc_t *p, rel_fixture_t *f, const char *mode, const char *arg,
                     const char *json_dir) {
  rel_env_t env;
  rel_env_base(&env, f->dir);
  if (json_dir)
    rel_env_preload(&env, LS_TEST_LIB, json_dir);
  else
    rel_env_set(&env, "LD_PRELOAD", LS_TEST_LIB);
  /* what these cases check (names, symbols, which process reports) does
   * not depend on the class a conservative scan gives a block: list all */
  rel_env_set(&env, "LEAKSCOPE_SHOW_REACHABLE", "1");
  const char *argv[] = {LS_OUTPUT_PROG, mode, arg, NULL};
  rel_run(p, &(rel_opts_t){.argv = argv, .env = &env, .cwd = f->dir, .timeout_ms = 30000});
  rel_env_free(&env);
}

/* The text report on stderr has the 3 blocks from leak_blocks with their
 * source lines: the frames are symbolized. */
static void expect_symbolized_text(const rel_proc_t *p, const char *mode) {
  expect_text_report(p, mode);
  const char *g = strstr(p->err, "\ndefinitely lost: 72 bytes in 3 blocks; ");
  if (!g)
    g = strstr(p->err, "\n72 bytes in 3 blocks and 1 fd not released"); /* no reachability */
  const char *f0 = g ? strstr(g, "allocated at:\n    #0 leak_blocks (") : NULL;
  const char *f1 = f0 ? strstr(f0, "\n    #1 main (") : NULL;
  if (!f1 || !strstr(f0, "output_prog.c:") || !strstr(f1, "output_prog.c:")) {
    rel_show(p, "under leakscope");
    fail_msg("%s: no 72 bytes lost with symbolized leak_blocks/main frames (file:line)", mode);
  }
}

static void test_closefds(void **state) {
  rel_proc_t p;
  run_prog(&p, *state, "closefds", NULL, NULL);
  assert_int_equal(p.exit_code, 0);
  expect_symbolized_text(&p, LS_OUTPUT_PROG " closefds");
  rel_proc_free(&p);
}

/* Every frame of every group has a function name. */
static void expect_all_frames_named(const json_value_t *report) {
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *stack = json_get(json_at(leaks, i), "stack");
    if (!json_len(stack))
      fail_msg("group %zu has no frames", i);
    for (size_t k = 0; k < json_len(stack); k++)
      if (!json_as_str(json_get(json_at(stack, k), "function")))
        fail_msg("group %zu, frame %zu has no function", i, k);
  }
}

/* RLIMIT_NOFILE 64/64 and every fd taken: the report still goes to
 * LEAKSCOPE_OUTPUT, every frame symbolized. */
static void test_nofile(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t p;
  run_prog(&p, f, "nofile", NULL, f->dir);
  assert_int_equal(p.exit_code, 0);
  if (!strstr(p.out, "then Too many open files"))
    fail_msg("the program did not reach EMFILE: %s", p.out);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &p);
  rel_expect_sum(e, "memory", "leak_blocks", 72, 3);
  expect_all_frames_named(e);
  if (strstr(p.err, "Too many open files")) {
    rel_show(&p, "under leakscope");
    fail_msg("leakscope said it ran out of fds");
  }
  rel_reports_free(&r);
  rel_proc_free(&p);
}

static void need_root(void) {
  if (geteuid() != 0)
    TS_SKIP("needs root (chroot, setuid)");
}

static void test_chroot(void **state) {
  rel_fixture_t *f = *state;
  need_root();
  char jail[1100];
  snprintf(jail, sizeof jail, "%s/jail", f->dir);
  if (mkdir(jail, 0755) != 0)
    fail_msg("mkdir %s: %s", jail, strerror(errno));
  rel_proc_t p;
  run_prog(&p, f, "chroot", jail, NULL);
  assert_int_equal(p.exit_code, 0);
  char cmd[1300];
  snprintf(cmd, sizeof cmd, "%s chroot %s", LS_OUTPUT_PROG, jail);
  expect_symbolized_text(&p, cmd);
  rel_proc_free(&p);
}

static void test_chroot_output(void **state) {
  rel_fixture_t *f = *state;
  need_root();
  char jail[1100];
  snprintf(jail, sizeof jail, "%s/jail", f->dir);
  if (mkdir(jail, 0755) != 0)
    fail_msg("mkdir %s: %s", jail, strerror(errno));
  rel_proc_t p;
  run_prog(&p, f, "chroot", jail, f->dir);
  assert_int_equal(p.exit_code, 0);
  rel_reports_t r;
  const json_value_t *e = rel_expect_report(&r, f->dir, &p);
  rel_expect_sum(e, "memory", "leak_blocks", 72, 3);
  expect_all_frames_named(e);
  rel_reports_free(&r);
  rel_proc_free(&p);
}

static void test_setuid(void **state) {
  need_root();
  rel_proc_t p;
  run_prog(&p, *state, "setuid", NULL, NULL);
  assert_int_equal(p.exit_code, 0);
  expect_symbolized_text(&p, LS_OUTPUT_PROG " setuid");
  rel_proc_free(&p);
}

/* A forked child that ends with _exit writes its own exit report. */
static void test_fork_exit(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t p;
  run_prog(&p, f, "forkexit", NULL, f->dir);
  assert_int_equal(p.exit_code, 0);
  int child = 0, status = -1;
  if (sscanf(p.out, "child %d exited %d", &child, &status) != 2 || status != 3)
    fail_msg("the child's status changed: %s", p.out);
  rel_reports_t r;
  rel_expect_report(&r, f->dir, &p);
  rel_reports_free(&r);
  char path[1100];
  snprintf(path, sizeof path, "%s/r.%d", f->dir, child);
  if (!rel_reports_load(&r, path) || !r.complete)
    fail_msg("the child's report file %s is missing or incomplete", path);
  const json_value_t *e = rel_exit_report(&r, child);
  if (!e)
    fail_msg("the child wrote no exit report");
  rel_expect_sum(e, "memory", "child_leak", 80, 2);
  rel_reports_free(&r);
  rel_proc_free(&p);
}

static void test_underscore_exit(void **state) {
  rel_fixture_t *f = *state;
  rel_proc_t p;
  run_prog(&p, f, "Exit", NULL, f->dir);
  assert_int_equal(p.exit_code, 4);
  rel_reports_t r;
  rel_expect_sum(rel_expect_report(&r, f->dir, &p), "memory", "leak_blocks", 72, 3);
  rel_reports_free(&r);
  rel_proc_free(&p);
}

/* A FIFO with no reader at LEAKSCOPE_OUTPUT: the program must not hang;
 * the report goes to stderr. */
static void test_fifo(void **state) {
  rel_fixture_t *f = *state;
  char fifo[1100];
  snprintf(fifo, sizeof fifo, "%s/report.fifo", f->dir);
  if (mkfifo(fifo, 0600) != 0)
    fail_msg("mkfifo: %s", strerror(errno));
  rel_env_t env;
  rel_env_base(&env, f->dir);
  rel_env_set(&env, "LD_PRELOAD", LS_TEST_LIB);
  rel_env_set(&env, "LEAKSCOPE_OUTPUT", fifo);
  const char *argv[] = {LS_OUTPUT_PROG, "strdup", NULL};
  rel_proc_t p;
  rel_run(&p, &(rel_opts_t){.argv = argv, .env = &env, .cwd = f->dir, .timeout_ms = 15000});
  if (p.timed_out || p.exit_code != 0) {
    rel_show(&p, "under leakscope");
    fail_msg("with a FIFO at LEAKSCOPE_OUTPUT: %s", p.timed_out ? "hung" : "wrong exit status");
  }
  expect_text_report(&p, LS_OUTPUT_PROG " strdup");
  if (!strstr(p.err, "leakscope: warning: cannot write report file"))
    fail_msg("no warning about the FIFO");
  rel_proc_free(&p);
  rel_env_free(&env);
}

/* A FIFO as the suppression file: read without blocking (no writer: an
 * empty file), so the program starts and ends as usual. */
static void test_fifo_suppressions(void **state) {
  rel_fixture_t *f = *state;
  char fifo[1100];
  snprintf(fifo, sizeof fifo, "%s/supp.fifo", f->dir);
  if (mkfifo(fifo, 0600) != 0)
    fail_msg("mkfifo: %s", strerror(errno));
  rel_env_t env;
  rel_env_base(&env, f->dir);
  rel_env_set(&env, "LD_PRELOAD", LS_TEST_LIB);
  rel_env_set(&env, "LEAKSCOPE_SUPPRESSIONS", fifo);
  const char *argv[] = {LS_OUTPUT_PROG, "strdup", NULL};
  rel_proc_t p;
  rel_run(&p, &(rel_opts_t){.argv = argv, .env = &env, .cwd = f->dir, .timeout_ms = 15000});
  if (p.timed_out || p.exit_code != 0) {
    rel_show(&p, "under leakscope");
    fail_msg("with a FIFO as suppression file: %s", p.timed_out ? "hung" : "wrong exit status");
  }
  expect_text_report(&p, LS_OUTPUT_PROG " strdup");
  rel_proc_free(&p);
  rel_env_free(&env);
}

/* libc's internal alias (__GI___strdup, __strdup) is shown by its public
 * name. */
static void test_strdup_name(void **state) {
  rel_proc_t p;
  run_prog(&p, *state, "strdup", NULL, NULL);
  assert_int_equal(p.exit_code, 0);
  const char *g = strstr(p.err, "10 bytes in 1 block, ");
  g = g ? strstr(g, "allocated at:\n    #0 strdup (") : NULL;
  if (!g || strstr(p.err, "__GI_") || strstr(p.err, "#0 __strdup")) {
    rel_show(&p, "under leakscope");
    fail_msg("the strdup leak's frame #0 is not named strdup");
  }
  rel_proc_free(&p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest all[] = {
      REL_TEST(test_ls),
      REL_TEST(test_date),
      REL_TEST(test_sort_o),
      REL_TEST(test_tar),
      REL_TEST(test_closefds),
      REL_TEST(test_nofile),
      REL_TEST(test_chroot),
      REL_TEST(test_chroot_output),
      REL_TEST(test_setuid),
      REL_TEST(test_fork_exit),
      REL_TEST(test_underscore_exit),
      REL_TEST(test_fifo),
      REL_TEST(test_strdup_name),
      REL_TEST(test_fifo_suppressions),
  };
  return ts_main("output", all, sizeof all / sizeof all[0], argc > 1 ? argv[1] : NULL);
}
