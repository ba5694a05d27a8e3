/* SPDX-License-Identifier: MIT
 * test_security.c: leakscope must not give anyone a way to write files or
 * signal processes they could not otherwise.
 *
 *   setuid       a set-uid program (linked with -lleakscope) run by another
 *                user ignores LEAKSCOPE_OUTPUT and LEAKSCOPE_SUPPRESSIONS,
 *                says so, and reports on stderr (root only)
 *   mode         a new report file is created 0600, whatever the umask
 *   symlink      a symlink planted at the report path is not followed
 *   tmp_symlink  nor one planted at the temporary "<path>.tmp.<pid>"
 *   dump_eperm   `leakscope dump PID` run by a user who may not signal PID
 *                exits 5 and sends nothing (root only)
 *
 * Usage: test_security CASE
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "relsupport.h"

#if !defined(LS_TEST_LIB) || !defined(LS_TEST_LIB_SONAME) || !defined(LS_FAULT_PROG) ||            \
    !defined(LS_SUID_PROG) || !defined(LS_SUID_DIR) || !defined(LS_CLI)
#error                                                                                             \
    "test_security needs LS_TEST_LIB, LS_TEST_LIB_SONAME, LS_FAULT_PROG, LS_SUID_PROG, LS_SUID_DIR, LS_CLI"
#endif

/* Unprivileged ids with no account: nothing of theirs exists. */
#define OTHER_UID 23456
#define NOBODY 65534

static void traced_env(rel_env_t *e, const rel_fixture_t *f, const char *output) {
  rel_env_base(e, f->dir);
  rel_env_set(e, "LD_PRELOAD", LS_TEST_LIB);
  rel_env_set(e, "LEAKSCOPE_FORMAT", "json");
  rel_env_set(e, "LEAKSCOPE_OUTPUT", output);
}

/* The exit report is on stderr, after a warning containing `what`. */
static void expect_on_stderr(const rel_proc_t *p, const char *what) {
  const char *w = strstr(p->err, what);
  const char *r = strstr(p->err, "{\"format\":\"leakscope-report\"");
  if (!w || !r || !strstr(r, "\"trigger\":\"exit\"")) {
    rel_show(p, "run under leakscope");
    fail_msg("expected a warning containing \"%s\" and the report on stderr", what);
  }
}

/* --- set-uid --- */

static void test_setuid(void **state) {
  (void)state;
  if (geteuid() != 0)
    TS_SKIP("the set-uid test needs root (chown, chmod u+s, setuid)");
  const char *dir = LS_SUID_DIR;
  char prog[1024], lib[1024], out_dir[1024], output[1100], supp[1024];
  snprintf(prog, sizeof prog, "%s/suid_prog", dir);
  snprintf(lib, sizeof lib, "%s/%s", dir, strrchr(LS_TEST_LIB_SONAME, '/') + 1);
  snprintf(out_dir, sizeof out_dir, "%s/out", dir);
  snprintf(output, sizeof output, "%s/must-not-exist.json", out_dir);
  snprintf(supp, sizeof supp, "%s/secret", dir);
  ts_rm_rf(dir);
  if (mkdir(dir, 0755) != 0)
    fail_msg("mkdir %s: %s", dir, strerror(errno));
  struct statvfs vfs;
  if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) {
    ts_rm_rf(dir);
    TS_SKIP("%s is on a nosuid file system", dir);
  }
  rel_copy_file(LS_SUID_PROG, prog, 0755);
  rel_copy_file(LS_TEST_LIB_SONAME, lib, 0755);
  /* Only the set-uid identity could create files here: without the
   * library's check, the report would be written with its rights. */
  if (mkdir(out_dir, 0700) != 0 || chown(out_dir, NOBODY, NOBODY) != 0 ||
      chown(prog, NOBODY, NOBODY) != 0 || chmod(prog, 04755) != 0)
    fail_msg("preparing %s: %s", dir, strerror(errno));
  rel_write_file(supp, "leak:main\n");
  chmod(supp, 0600);

  rel_env_t env;
  rel_env_base(&env, "/");
  rel_env_set(&env, "LEAKSCOPE_FORMAT", "json");
  rel_env_set(&env, "LEAKSCOPE_SHOW_REACHABLE", "1");
  rel_env_set(&env, "LEAKSCOPE_OUTPUT", output);
  rel_env_set(&env, "LEAKSCOPE_SUPPRESSIONS", supp);
  const char *argv[] = {prog, NULL};
  rel_proc_t p;
  rel_run(&p, &(rel_opts_t){.argv = argv,
                            .env = &env,
                            .cwd = "/",
                            .timeout_ms = 20000,
                            .umask = 022,
                            .as_user = true,
                            .uid = OTHER_UID,
                            .gid = OTHER_UID});
  rel_env_free(&env);
  char expect_ids[64];
  snprintf(expect_ids, sizeof expect_ids, "ruid %d euid %d leakscope active", OTHER_UID, NOBODY);
  if (p.exit_code != 0 || !strstr(p.out, expect_ids)) {
    rel_show(&p, "set-uid program");
    fail_msg("expected \"%s\": the program did not run set-uid with leakscope loaded", expect_ids);
  }
  if (access(output, F_OK) == 0)
    fail_msg("%s was created by a set-uid program from its caller's environment", output);
  if (!strstr(p.err, "LEAKSCOPE_OUTPUT is ignored") ||
      !strstr(p.err, "LEAKSCOPE_SUPPRESSIONS is ignored"))
    fail_msg("expected warnings that LEAKSCOPE_OUTPUT and LEAKSCOPE_SUPPRESSIONS are ignored:\n%s",
             p.err);
  expect_on_stderr(&p, "is ignored in a set-uid");
  /* The suppression file was not read: main's leak is listed. (Frames
   * are not symbolized in a set-uid process, so the summary says it.) */
  if (!strstr(p.err, "\"memory_bytes\":42,\"memory_blocks\":1,") ||
      !strstr(p.err, "\"suppressed\":[]")) {
    rel_show(&p, "set-uid program");
    fail_msg("the report on stderr does not list main's 42-byte leak (suppressions applied?)");
  }
  print_message(
      "setuid: %s; LEAKSCOPE_OUTPUT and LEAKSCOPE_SUPPRESSIONS ignored, report on stderr\n",
      expect_ids);
  rel_proc_free(&p);
  ts_rm_rf(dir);
}

/* --- Report files --- */

/* Runs `fault_prog simple` under leakscope with the report to output. */
static void run_simple(rel_proc_t *p, const rel_fixture_t *f, const char *output, int umask) {
  rel_env_t env;
  traced_env(&env, f, output);
  const char *argv[] = {LS_FAULT_PROG, "simple", NULL};
  rel_run(p, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 20000, .umask = umask});
  rel_env_free(&env);
}

static void test_mode(void **state) {
  rel_fixture_t *f = *state;
  char output[1024];
  snprintf(output, sizeof output, "%s/report.json", f->dir);
  rel_proc_t p;
  run_simple(&p, f, output, 0);
  struct stat st;
  if (stat(output, &st) != 0)
    fail_msg("%s was not written: %s", output, p.err);
  if ((st.st_mode & 07777) != 0600)
    fail_msg("%s has mode %04o with umask 0, expected 0600", output,
             (unsigned)(st.st_mode & 07777));
  rel_proc_free(&p);
}

static void test_symlink(void **state) {
  rel_fixture_t *f = *state;
  char output[1024], absent[1024], precious[1024];
  snprintf(output, sizeof output, "%s/report.json", f->dir);
  snprintf(absent, sizeof absent, "%s/created-through-link", f->dir);
  snprintf(precious, sizeof precious, "%s/precious", f->dir);
  rel_write_file(precious, "precious\n");
  const char *targets[] = {absent, precious};
  for (int i = 0; i < 2; i++) {
    unlink(output);
    if (symlink(targets[i], output) != 0)
      fail_msg("symlink: %s", strerror(errno));
    rel_proc_t p;
    run_simple(&p, f, output, 077);
    struct stat st;
    char *content = ts_read_file(precious, NULL);
    if (p.exit_code != 7 || access(absent, F_OK) == 0 || !content ||
        strcmp(content, "precious\n") != 0 || lstat(output, &st) != 0 || !S_ISLNK(st.st_mode)) {
      rel_show(&p, "run under leakscope");
      fail_msg("the report followed the symlink %s -> %s", output, targets[i]);
    }
    expect_on_stderr(&p, "cannot write report file");
    free(content);
    rel_proc_free(&p);
  }
}

/* The temporary file's name is predictable from the pid: a symlink
 * planted there before the program starts must not be followed either. */
static void test_tmp_symlink(void **state) {
  rel_fixture_t *f = *state;
  char output[1024], victim[1024], tmp[1100];
  snprintf(output, sizeof output, "%s/report.json", f->dir);
  snprintf(victim, sizeof victim, "%s/victim", f->dir);
  rel_write_file(victim, "victim\n");
  rel_env_t env;
  traced_env(&env, f, output);
  const char *argv[] = {LS_FAULT_PROG, "simple", NULL};
  rel_proc_t p;
  rel_start(&p, &(rel_opts_t){
                    .argv = argv, .env = &env, .timeout_ms = 20000, .umask = 077, .hold = true});
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", output, (int)p.pid);
  if (symlink(victim, tmp) != 0)
    fail_msg("symlink: %s", strerror(errno));
  rel_release(&p);
  rel_finish(&p);
  rel_env_free(&env);
  char *content = ts_read_file(victim, NULL);
  if (!content || strcmp(content, "victim\n") != 0) {
    rel_show(&p, "run under leakscope");
    fail_msg("the report was written through the planted %s", tmp);
  }
  char *report = ts_read_file(output, NULL);
  if (!(report && strstr(report, "\"trigger\":\"exit\"")) && !strstr(p.err, "\"trigger\":\"exit\""))
    fail_msg("the report was lost: neither in %s nor on stderr", output);
  free(report);
  free(content);
  rel_proc_free(&p);
}

/* --- leakscope dump --- */

static void test_dump_eperm(void **state) {
  rel_fixture_t *f = *state;
  if (geteuid() != 0)
    TS_SKIP("the dump permission test needs root (a second user)");
  const char *files[] = {LS_CLI, NULL};
  char *stage = rel_stage("security-cli", files);
  char cli[1024], output[1024];
  snprintf(cli, sizeof cli, "%s/%s", stage, strrchr(LS_CLI, '/') + 1);
  snprintf(output, sizeof output, "%s/t.%%p", f->dir);
  rel_env_t env;
  traced_env(&env, f, output);
  const char *argv[] = {LS_FAULT_PROG, "sleep", "15000", NULL};
  rel_proc_t target;
  rel_start(&target, &(rel_opts_t){.argv = argv, .env = &env, .timeout_ms = 30000, .umask = 077});
  rel_env_free(&env);
  if (!rel_wait_output(&target, "ready\n", 10000))
    fail_msg("the target did not start: %s", target.err);
  char pid[16];
  snprintf(pid, sizeof pid, "%d", (int)target.pid);
  rel_env_base(&env, "/");
  const char *dump[] = {cli, "dump", pid, "--wait", "3", NULL};
  rel_proc_t other, owner;
  rel_run(&other, &(rel_opts_t){.argv = dump,
                                .env = &env,
                                .cwd = "/",
                                .timeout_ms = 15000,
                                .umask = 077,
                                .as_user = true,
                                .uid = OTHER_UID,
                                .gid = OTHER_UID});
  char path[1100];
  snprintf(path, sizeof path, "%s/t.%d", f->dir, (int)target.pid);
  char *text = ts_read_file(path, NULL);
  bool signalled = text && strstr(text, "\"trigger\":\"signal\"");
  free(text);
  if (other.exit_code != 5 || signalled) {
    rel_show(&other, "leakscope dump as another user");
    fail_msg("expected exit 5 and no report; got %s, %s", rel_describe(&other),
             signalled ? "the target dumped" : "no dump");
  }
  /* The owner may. */
  rel_run(&owner,
          &(rel_opts_t){.argv = dump, .env = &env, .cwd = "/", .timeout_ms = 15000, .umask = 077});
  rel_env_free(&env);
  if (owner.exit_code != 0 || !strstr(owner.out, "\"trigger\":\"signal\"")) {
    rel_show(&owner, "leakscope dump as the owner");
    fail_msg("the owner's dump failed");
  }
  print_message("dump: another user gets exit 5 and the target is not signalled; the owner gets"
                " the report\n");
  kill(-target.pid, SIGKILL);
  rel_finish(&target);
  rel_proc_free(&target);
  rel_proc_free(&other);
  rel_proc_free(&owner);
  ts_rm_rf(stage);
  free(stage);
}

int main(int argc, char **argv) {
  static const struct CMUnitTest all[] = {
      REL_TEST(test_setuid),      REL_TEST(test_mode),       REL_TEST(test_symlink),
      REL_TEST(test_tmp_symlink), REL_TEST(test_dump_eperm),
  };
  return ts_main("security", all, sizeof all / sizeof all[0], argc > 1 ? argv[1] : NULL);
}
