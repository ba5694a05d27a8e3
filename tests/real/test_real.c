/* SPDX-License-Identifier: MIT
 * test_real.c: real programs behave the same under leakscope.
 *
 * Each case is a sequence of steps (program runs, or files the test
 * writes) in a fresh work directory, run twice at the same path: once bare
 * and once with LD_PRELOAD. For every step, stdout, stderr (minus lines
 * starting with "leakscope:") and the exit status must be identical, and
 * under leakscope the step's top process must have written a complete
 * JSON report ending with its exit report; every child process that wrote
 * a report (LEAKSCOPE_OUTPUT=<dir>/r.%p) must have written whole ones.
 * The environment is fixed (LC_ALL=C, TZ=UTC, HOME in the temp dir, git
 * dates, hash seeds), nothing inherited, so both runs are reproducible.
 * A case whose program is not installed is skipped.
 *
 * Usage: test_real CASE (python3 perl git sqlite3 bash make gcc curl).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "relsupport.h"

#ifndef LS_TEST_LIB
#error "LS_TEST_LIB must name libleakscope.so"
#endif

#define MAX_STEPS 16
#define MAX_ARGS 16

typedef struct step {
  const char *prog;           /* a name looked up in /usr/{local/,}bin, or "./x" in the work dir */
  const char *args[MAX_ARGS]; /* after argv[0]; "@WORK@" becomes the work directory */
  const char *write, *text;   /* instead of a run: the test writes this file */
} step_t;

typedef struct file {
  const char *path, *text;
} file_t;

typedef struct rcase {
  const char *name;
  const char *needs[3]; /* programs that must be installed */
  file_t files[4];      /* written into the work directory first */
  const char *env[12];  /* NAME=value added to the base environment */
  step_t steps[MAX_STEPS];
} rcase_t;

/* --- Workloads --- */

static const char python_script[] =
    "import hashlib, json, subprocess, sys, threading\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "results = {}\n"
    "lock = threading.Lock()\n"
    "def work(i):\n"
    "    h = hashlib.sha256()\n"
    "    for k in range(3000):\n"
    "        h.update(('%d:%d' % (i, k)).encode())\n"
    "    with lock:\n"
    "        results[i] = h.hexdigest()[:16]\n"
    "threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
    "for t in threads: t.start()\n"
    "for t in threads: t.join()\n"
    "for i in sorted(results): print(i, results[i])\n"
    "with ThreadPoolExecutor(max_workers=4) as ex:\n"
    "    print(list(ex.map(lambda x: x * x, range(12))))\n"
    "c = subprocess.run([sys.executable, '-c', \"import sys; print('child', sum(range(100)));"
    " print('child-err', file=sys.stderr); sys.exit(2)\"], capture_output=True, text=True)\n"
    "print(c.returncode, c.stdout.strip(), c.stderr.strip())\n"
    "p = subprocess.run('echo piped | tr a-z A-Z', shell=True, capture_output=True, text=True)\n"
    "print(p.stdout.strip())\n"
    "data = {'k%d' % i: [i, str(i) * 3] for i in range(200)}\n"
    "print(len(json.dumps(data, sort_keys=True)), sorted(set('mississippi')))\n"
    "print('to stderr', file=sys.stderr)\n"
    "sys.exit(3)\n";

static const char perl_script[] =
    "use strict; use warnings;\n"
    "$| = 1;\n"
    "my %h; $h{\"k$_\"} = $_ * $_ for 1..2000;\n"
    "my $sum = 0; $sum += $h{$_} for sort keys %h; print \"sum $sum\\n\";\n"
    "my @w = grep { /^k1\\d*$/ } sort keys %h; print scalar(@w), \" keys match\\n\";\n"
    "print join(',', map { sprintf('%03x', $_) } 1..20), \"\\n\";\n"
    "(my $t = 'hello big world') =~ s/(\\w+)/\\u$1/g; print \"$t\\n\";\n"
    "my @sorted = sort { $a->[1] <=> $b->[1] or $a->[0] cmp $b->[0] }"
    " map { [$_, length $_] } qw(pear fig apple kiwi banana);\n"
    "print join(' ', map { $_->[0] } @sorted), \"\\n\";\n"
    "open(my $p, '-|', 'sh', '-c', 'echo from child; echo child-err >&2') or die;\n"
    "while (<$p>) { print \"got: $_\" } close $p;\n"
    "my $pid = fork(); if ($pid == 0) { print \"in fork\\n\"; exit 7 }\n"
    "waitpid($pid, 0); print 'fork status ', $? >> 8, \"\\n\";\n"
    "my $big = 'x' x 100000; $big =~ s/x/y/g; print length($big), \"\\n\";\n"
    "warn \"a warning\\n\";\n"
    "exit 4;\n";

static const char sqlite_script[] =
    ".headers on\n"
    "PRAGMA journal_mode=WAL;\n"
    "CREATE TABLE t(id INTEGER PRIMARY KEY, grp INT, name TEXT, v REAL);\n"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)\n"
    "  INSERT INTO t(grp, name, v) SELECT i % 17, printf('name-%05d', i), i * 0.5 FROM n;\n"
    "CREATE INDEX t_grp ON t(grp);\n"
    "CREATE TABLE g(grp INT PRIMARY KEY, label TEXT);\n"
    "INSERT INTO g SELECT DISTINCT grp, 'group ' || grp FROM t;\n"
    "BEGIN; UPDATE t SET v = v * 2 WHERE grp = 3; DELETE FROM t WHERE id % 100 = 0; COMMIT;\n"
    "SELECT g.label, count(*), sum(t.v), max(t.name) FROM t JOIN g USING(grp)\n"
    "  GROUP BY grp ORDER BY grp;\n"
    "SELECT name, v, rank() OVER (PARTITION BY grp ORDER BY v DESC) AS r FROM t\n"
    "  WHERE grp = 5 ORDER BY r LIMIT 5;\n"
    "SELECT group_concat(name, ';') FROM (SELECT name FROM t ORDER BY id LIMIT 5);\n"
    "SELECT count(*), total(length(name)) FROM t WHERE name GLOB '*7*';\n"
    "VACUUM;\n"
    "PRAGMA integrity_check;\n"
    "SELECT * FROM no_such_table;\n"
    "SELECT 'after the error';\n";

static const char bash_script[] =
    "set -u\n"
    "f() { local x=$1; echo \"f($x)=$(( x * x ))\"; }\n"
    "for i in 1 2 3; do f $i; done\n"
    "echo \"subshell: $( (cd / && pwd) )\"\n"
    "( echo in-subshell; exit 3 ); echo \"subshell status $?\"\n"
    "echo \"pipe: $(printf 'c\\nb\\na\\n' | sort | tr '\\n' ' ')\"\n"
    "words=$(echo one two three | wc -w); echo \"words $words\"\n"
    "while read -r a b; do echo \"read $a-$b\"; done <<EOF\n"
    "x 1\n"
    "y 2\n"
    "EOF\n"
    "diff <(printf '1\\n2\\n') <(printf '1\\n3\\n'); echo \"diff status $?\"\n"
    "{ echo grouped; echo more; } | cat -n\n"
    "sleep 0.05 & sleep 0.05 & wait; echo waited\n"
    "arr=(q w e); echo \"${#arr[@]} ${arr[*]} ${arr[1]^^}\"\n"
    "s=; n=0; while [ $n -lt 200 ]; do n=$((n + 1)); s=\"$s$n\"; done; echo ${#s}\n"
    "echo to stderr >&2\n"
    "exit 5\n";

static const char makefile[] = "SRCS := a b c d\n"
                               "OUTS := $(SRCS:%=out/%.txt)\n"
                               "all: out/all.txt\n"
                               "\t@echo done: $(words $(OUTS)) parts\n"
                               "out/%.txt: | out\n"
                               "\tprintf '%s\\n' $* $(shell echo $* | tr a-z A-Z) > $@\n"
                               "out:\n"
                               "\tmkdir -p out\n"
                               "out/all.txt: $(OUTS)\n"
                               "\tcat $^ > $@\n"
                               "\t@wc -l < $@\n"
                               "\t-false\n"
                               "\t@echo 'sub:' && $(MAKE) --no-print-directory -f Makefile sub\n"
                               "sub:\n"
                               "\t@echo in sub-make $(foreach s,$(SRCS),[$(s)])\n"
                               ".PHONY: all sub\n";

static const char hello_c[] = "#include <stdio.h>\n"
                              "#include <stdlib.h>\n"
                              "#include <string.h>\n"
                              "int main(int argc, char **argv) {\n"
                              "  int unused;\n"
                              "  char *s = malloc(64);\n"
                              "  strcpy(s, argc > 1 ? argv[1] : \"none\");\n"
                              "  printf(\"hello %s %zu\\n\", s, strlen(s));\n"
                              "  free(s);\n"
                              "  return 2;\n"
                              "}\n";

static const char curl_data[] = "line one of the file fetched over file://\n"
                                "line two\n"
                                "0123456789abcdefghijklmnopqrstuvwxyz\n";

#define GIT_ENV                                                                                    \
  "GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",                            \
      "GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",            \
      "GIT_AUTHOR_DATE=2020-01-01T00:00:00 +0000", "GIT_COMMITTER_DATE=2020-01-01T00:00:00 +0000", \
      "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"

#define RUN(p, ...)                                                                                \
  {                                                                                                \
    .prog = p, .args = { __VA_ARGS__ }                                                             \
  }
#define WRITE(path, content)                                                                       \
  { .write = path, .text = content }

static const rcase_t cases[] = {
    {"python3",
     {"python3"},
     {{"w.py", python_script}},
     {"PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1"},
     {RUN("python3", "w.py")}},
    {"perl",
     {"perl"},
     {{"w.pl", perl_script}},
     {"PERL_HASH_SEED=0", "PERL_PERTURB_KEYS=0"},
     {RUN("perl", "w.pl")}},
    {"git",
     {"git"},
     {{"a.txt", "alpha\n"}},
     {GIT_ENV},
     {RUN("git", "init", "-q", "-b", "main"), RUN("git", "add", "a.txt"),
      RUN("git", "commit", "-m", "first"), WRITE("b.txt", "beta\nbeta\n"),
      RUN("git", "add", "b.txt"), RUN("git", "commit", "-m", "second"),
      RUN("git", "tag", "-a", "v1", "-m", "version 1"), RUN("git", "log", "--stat", "--decorate"),
      RUN("git", "gc"), RUN("git", "fsck", "--full", "--no-progress"),
      RUN("git", "count-objects", "-v"), RUN("git", "log", "--oneline", "--all"),
      RUN("git", "show", "HEAD~1:a.txt"), RUN("git", "rev-parse", "no-such-rev")}},
    {"sqlite3",
     {"sqlite3"},
     {{"w.sql", sqlite_script}},
     {NULL},
     {RUN("sqlite3", "-batch", "db.sqlite", ".read w.sql"),
      RUN("sqlite3", "-batch", "db.sqlite", "SELECT count(*) FROM t;")}},
    {"bash", {"bash", "diff"}, {{"w.sh", bash_script}}, {NULL}, {RUN("bash", "w.sh")}},
    {"make",
     {"make"},
     {{"Makefile", makefile}},
     {NULL},
     {RUN("make", "-f", "Makefile"), RUN("make", "-f", "Makefile", "no-such-target")}},
    {"gcc",
     {"gcc"},
     {{"hello.c", hello_c}},
     {NULL},
     {RUN("gcc", "-O2", "-Wall", "-o", "hello", "hello.c"), RUN("./hello", "world")}},
    {"curl",
     {"curl"},
     {{"data.txt", curl_data}},
     {NULL},
     {RUN("curl", "-sS", "file://@WORK@/data.txt"),
      RUN("curl", "-sS", "-o", "copy.txt", "-w", "%{size_download} %{http_code}\\n",
          "file://@WORK@/data.txt"),
      RUN("curl", "-sS", "file://@WORK@/copy.txt"),
      RUN("curl", "-sS", "file://@WORK@/missing.txt")}},
};

/* --- Running a sequence --- */

typedef struct outcome {
  bool ran;
  pid_t pid;
  int exit_code, term_signal;
  bool timed_out;
  char *out, *err;
} outcome_t;

typedef struct state {
  const rcase_t *c;
  char *dir, work[512], home[512];
  outcome_t bare[MAX_STEPS], traced[MAX_STEPS];
  long child_reports;
} state_t;

static char *substitute(const char *arg, const char *work) {
  const char *at = strstr(arg, "@WORK@");
  char *s;
  if (!at)
    s = strdup(arg);
  else if (asprintf(&s, "%.*s%s%s", (int)(at - arg), arg, work, at + 6) < 0)
    s = NULL;
  if (!s)
    fail_msg("out of memory");
  return s;
}

static void fresh_dir(const char *path) {
  ts_rm_rf(path);
  if (mkdir(path, 0755) != 0)
    fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void run_sequence(state_t *st, bool traced) {
  const rcase_t *c = st->c;
  fresh_dir(st->work);
  fresh_dir(st->home);
  for (size_t i = 0; i < 4 && c->files[i].path; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", st->work, c->files[i].path);
    rel_write_file(path, c->files[i].text);
  }
  for (size_t s = 0; s < MAX_STEPS && (c->steps[s].prog || c->steps[s].write); s++) {
    const step_t *step = &c->steps[s];
    if (step->write) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s", st->work, step->write);
      rel_write_file(path, step->text);
      continue;
    }
    char prog[1024], reports[1024];
    if (!strncmp(step->prog, "./", 2))
      snprintf(prog, sizeof prog, "%s/%s", st->work, step->prog + 2);
    else
      snprintf(prog, sizeof prog, "%s", rel_find_prog(step->prog));
    char *argv[MAX_ARGS + 2] = {prog};
    size_t n = 1;
    for (size_t a = 0; a < MAX_ARGS && step->args[a]; a++)
      argv[n++] = substitute(step->args[a], st->work);
    argv[n] = NULL;

    rel_env_t env;
    rel_env_base(&env, st->home);
    for (size_t e = 0; e < 12 && c->env[e]; e++) {
      char name[64];
      const char *eq = strchr(c->env[e], '=');
      snprintf(name, sizeof name, "%.*s", (int)(eq - c->env[e]), c->env[e]);
      rel_env_set(&env, name, eq + 1);
    }
    snprintf(reports, sizeof reports, "%s/reports-%zu", st->dir, s);
    if (traced) {
      fresh_dir(reports);
      rel_env_preload(&env, LS_TEST_LIB, reports);
    }
    rel_proc_t p;
    rel_run(&p, &(rel_opts_t){.argv = (const char *const *)argv,
                              .env = &env,
                              .cwd = st->work,
                              .timeout_ms = 20000,
                              .umask = 022});
    outcome_t *o = &(traced ? st->traced : st->bare)[s];
    *o = (outcome_t){true,
                     p.pid,
                     p.exit_code,
                     p.term_signal,
                     p.timed_out,
                     strdup(p.out),
                     traced ? rel_strip_leakscope(p.err) : strdup(p.err)};
    rel_proc_free(&p);
    rel_env_free(&env);
    for (size_t a = 1; a < n; a++)
      free(argv[a]);
  }
}

static void print_step(const state_t *st, size_t s) {
  const step_t *step = &st->c->steps[s];
  print_error("step %zu: %s", s + 1, step->prog);
  for (size_t a = 0; a < MAX_ARGS && step->args[a]; a++)
    print_error(" %s", step->args[a]);
  print_error("\n");
}

static void print_text(const char *title, const char *text) {
  print_error("----- %s -----\n", title);
  for (size_t off = 0, len = strlen(text); off < len; off += 512)
    print_error("%.*s", (int)(len - off < 512 ? len - off : 512), text + off);
  print_error("\n");
}

/* Compares one step's two runs; fails the test with both sides shown. */
static void compare_step(const state_t *st, size_t s) {
  const outcome_t *a = &st->bare[s], *b = &st->traced[s];
  const char *what = NULL;
  if (a->timed_out || b->timed_out)
    what = "a run timed out";
  else if (a->exit_code != b->exit_code || a->term_signal != b->term_signal)
    what = "exit status differs";
  else if (strcmp(a->out, b->out) != 0)
    what = "stdout differs";
  else if (strcmp(a->err, b->err) != 0)
    what = "stderr differs (leakscope: lines removed)";
  if (!what)
    return;
  print_step(st, s);
  print_error("%s: bare exit %d signal %d%s, traced exit %d signal %d%s\n", what, a->exit_code,
              a->term_signal, a->timed_out ? " (timeout)" : "", b->exit_code, b->term_signal,
              b->timed_out ? " (timeout)" : "");
  print_text("bare stdout", a->out);
  print_text("traced stdout", b->out);
  print_text("bare stderr", a->err);
  print_text("traced stderr", b->err);
  fail();
}

/* The step's own process wrote a complete report ending in its exit
 * report; every other file in its report directory is whole too. */
static void check_reports(state_t *st, size_t s) {
  char dir[1024], path[1100], err[512];
  snprintf(dir, sizeof dir, "%s/reports-%zu", st->dir, s);
  snprintf(path, sizeof path, "%s/r.%d", dir, (int)st->traced[s].pid);
  rel_reports_t r;
  if (!rel_reports_load(&r, path)) {
    print_step(st, s);
    fail_msg("no report from the top process: %s", r.error);
  }
  const json_value_t *exit_report = rel_exit_report(&r, st->traced[s].pid);
  if (!r.complete || !exit_report || r.n != r.exit) {
    print_step(st, s);
    fail_msg("%s: complete=%d reports=%zu exit=%zu: %s", path, r.complete, r.n, r.exit, r.error);
  }
  int64_t seq = 0;
  if (!json_as_int(json_get(exit_report, "seq"), &seq) || seq < 1 ||
      rel_summary(exit_report, "groups") < 0 || rel_summary(exit_report, "untracked") != 0) {
    print_step(st, s);
    fail_msg("%s: exit report lacks seq/summary, or untracked resources", path);
  }
  rel_reports_free(&r);
  long files = rel_check_report_dir(dir, true, err, sizeof err);
  if (files < 0) {
    print_step(st, s);
    fail_msg("child report: %s", err);
  }
  st->child_reports += files - 1;
}

static void run_case(void **state) {
  state_t *st = *state;
  for (size_t i = 0; i < 3 && st->c->needs[i]; i++)
    if (!rel_find_prog(st->c->needs[i]))
      TS_SKIP("%s is not installed (Debian package: see docs/reliability.md)", st->c->needs[i]);
  st->dir = ts_tempdir("real");
  snprintf(st->work, sizeof st->work, "%s/work", st->dir);
  snprintf(st->home, sizeof st->home, "%s/home", st->dir);
  run_sequence(st, false);
  run_sequence(st, true);
  size_t steps = 0, bytes = 0;
  for (size_t s = 0; s < MAX_STEPS; s++) {
    if (!st->bare[s].ran)
      continue;
    steps++;
    bytes += strlen(st->bare[s].out) + strlen(st->bare[s].err);
    compare_step(st, s);
    check_reports(st, s);
  }
  print_message("%s: %zu runs identical with and without leakscope (%zu bytes of output);"
                " %ld child process reports, all complete\n",
                st->c->name, steps, bytes, st->child_reports);
}

static int teardown(void **state) {
  state_t *st = *state;
  if (st->dir) {
    ts_rm_rf(st->dir);
    free(st->dir);
  }
  for (size_t s = 0; s < MAX_STEPS; s++) {
    free(st->bare[s].out);
    free(st->bare[s].err);
    free(st->traced[s].out);
    free(st->traced[s].err);
  }
  memset(st, 0, sizeof *st);
  return 0;
}

int main(int argc, char **argv) {
  enum { NCASES = sizeof cases / sizeof cases[0] };
  static state_t states[NCASES];
  struct CMUnitTest tests[NCASES];
  for (size_t c = 0; c < NCASES; c++) {
    states[c].c = &cases[c];
    tests[c] = (struct CMUnitTest){cases[c].name, run_case, NULL, teardown, &states[c]};
  }
  return ts_main("real", tests, NCASES, argc > 1 ? argv[1] : NULL);
}
