/* SPDX-License-Identifier: MIT
 * staging.c: interactive runs, report files and report checks for the
 * staging tests (see staging.h).
 *
 * Processes run through proc.c: the program leads its own process
 * group, so st_proc_free() can kill anything it forked.
 */
#include "staging.h"
#include "archive.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* --- The embedded run --- */

/* The embedded ts_run_t points at our buffers, so a failure dump shows
 * the output and reports as they are now. ts_run_free is never called on
 * it: st_proc_free owns the memory. */
static void sync_run(st_proc_t *p) {
  p->run.out = p->proc.out ? p->proc.out : (char *)"";
  p->run.out_len = p->proc.out_len;
  p->run.err = p->proc.err ? p->proc.err : (char *)"";
  p->run.err_len = p->proc.err_len;
  p->run.report_text = p->reports.data ? p->reports.data : (char *)"";
  p->run.report_len = p->reports.len;
  if (p->proc.exited || p->proc.timed_out) {
    p->run.exit_code = p->proc.exit_code;
    p->run.term_signal = p->proc.term_signal;
    p->run.timed_out = p->proc.timed_out;
  }
}

/* --- Paths and files --- */

const char *st_expand_pid(char *out, size_t size, const char *tmpl, pid_t pid) {
  size_t n = 0;
  for (const char *s = tmpl; *s && n + 1 < size; s++) {
    if (s[0] == '%' && s[1] == 'p') {
      n += (size_t)snprintf(out + n, size - n, "%d", (int)pid);
      s++;
    } else {
      out[n++] = *s;
    }
  }
  out[n < size ? n : size - 1] = '\0';
  return out;
}

size_t st_count_in_file(const char *path, const char *needle) {
  char *text = ts_read_text(path, NULL);
  size_t n = 0, k = strlen(needle);
  for (const char *s = text; (s = strstr(s, needle)) != NULL; s += k)
    n++;
  free(text);
  return n;
}

/* --- Processes --- */

/* No deadline until st_finish sets one: every wait has its own bound. */
#define ST_NO_DEADLINE_MS (24 * 3600 * 1000)

void st_spawn(st_proc_t *p, const char *const *argv, const char *const *env) {
  memset(p, 0, sizeof(*p));
  p->run.exit_code = -1;
  snprintf(p->run.path, sizeof(p->run.path), "%s", argv[0]);
  const char *const *sets[] = {env};
  const char **envp = ts_env(sets, 1);
  ts_proc_start(&p->proc, &(ts_proc_opts_t){.argv = argv,
                                            .envp = (char *const *)envp,
                                            .timeout_ms = ST_NO_DEADLINE_MS,
                                            .keep_stdin = true,
                                            .umask = -1});
  free(envp);
  p->run.pid = p->proc.pid;
  sync_run(p);
}

void st_read_line(st_proc_t *p, char *line, size_t size, int timeout_ms) {
  int64_t deadline = ts_now_ms() + timeout_ms;
  for (;;) {
    const char *start = p->proc.out ? p->proc.out + p->out_seen : NULL;
    const char *nl = start ? strchr(start, '\n') : NULL;
    if (nl) {
      size_t n = (size_t)(nl - start);
      snprintf(line, size, "%.*s", (int)(n < size ? n : size - 1), start);
      p->out_seen += n + 1;
      return;
    }
    int64_t left = deadline - ts_now_ms();
    if (left <= 0)
      TS_FAIL(&p->run, "timed out after %d ms waiting for a line on stdout", timeout_ms);
    if (p->proc.out_fd < 0)
      TS_FAIL(&p->run, "stdout closed while waiting for a line");
    ts_proc_poll(&p->proc, (int)(left < 100 ? left : 100));
    sync_run(p);
  }
}

void st_expect_line(st_proc_t *p, const char *prefix, char *line, size_t size) {
  st_read_line(p, line, size, ST_LINE_TIMEOUT_MS);
  if (strncmp(line, prefix, strlen(prefix)) != 0)
    TS_FAIL(&p->run, "expected a line starting with \"%s\", got \"%s\"", prefix, line);
}

void st_write(st_proc_t *p, const char *s) {
  if (!ts_proc_write(&p->proc, s))
    TS_FAIL(&p->run, "cannot write \"%s\" to the program's stdin: %s", s, strerror(errno));
}

void st_finish(st_proc_t *p, int timeout_ms) {
  if (p->proc.exited || p->proc.pid <= 0)
    return;
  ts_proc_set_timeout(&p->proc, timeout_ms);
  ts_proc_finish(&p->proc);
  sync_run(p);
}

void st_proc_free(st_proc_t *p) {
  ts_proc_free(&p->proc);
  for (size_t i = 0; i < p->run.nreports; i++)
    json_free(p->run.reports[i]);
  free(p->run.reports);
  ts_buf_free(&p->reports);
  memset(p, 0, sizeof(*p));
  p->proc.in_fd = p->proc.out_fd = p->proc.err_fd = p->proc.go_fd = -1;
}

st_cmd_t st_run_cmd(const char *const *argv, const char *const *env, int timeout_ms) {
  st_proc_t p;
  st_spawn(&p, argv, env);
  st_finish(&p, timeout_ms);
  st_cmd_t c = {p.run.exit_code, NULL, NULL};
  if (p.run.timed_out)
    c.status = -1;
  else if (p.run.term_signal)
    c.status = 128 + p.run.term_signal;
  c.out = strdup(p.proc.out ? p.proc.out : "");
  c.err = strdup(p.proc.err ? p.proc.err : "");
  st_proc_free(&p);
  if (!c.out || !c.err)
    fail_msg("staging: out of memory");
  return c;
}

void st_cmd_free(st_cmd_t *c) {
  free(c->out);
  free(c->err);
  memset(c, 0, sizeof(*c));
}

/* --- Reports --- */

char *st_load_text(st_proc_t *p, const char *path, size_t *len) {
  char *text = ts_read_text(path, len);
  char header[600];
  snprintf(header, sizeof(header), "[file %s]\n", path);
  ts_buf_append(&p->reports, header, strlen(header));
  ts_buf_append(&p->reports, text, *len);
  sync_run(p);
  return text;
}

size_t st_load_json_reports(st_proc_t *p, const char *path) {
  size_t len;
  char *text = st_load_text(p, path, &len);
  size_t count = 0;
  for (char *line = text; line < text + len;) {
    char *nl = strchr(line, '\n');
    char *stop = nl ? nl : text + len;
    if (stop > line) {
      char err[160];
      json_value_t *v = json_parse(line, (size_t)(stop - line), err, sizeof(err));
      if (!v) {
        free(text);
        TS_FAIL(&p->run, "%s: report %zu is not JSON: %s", path, count + 1, err);
      }
      ts_archive_report(line, (size_t)(stop - line));
      json_value_t **r = realloc(p->run.reports, (p->run.nreports + 1) * sizeof(*r));
      if (!r)
        fail_msg("staging: out of memory");
      p->run.reports = r;
      r[p->run.nreports++] = v;
      count++;
    }
    line = stop + 1;
  }
  free(text);
  return count;
}

void st_wait_for_file(st_proc_t *p, const char *path, const char *needle, size_t n,
                      int timeout_ms) {
  int64_t deadline = ts_now_ms() + timeout_ms;
  size_t have;
  while ((have = st_count_in_file(path, needle)) < n) {
    if (ts_now_ms() >= deadline) {
      st_load_json_reports(p, path);
      TS_FAIL(&p->run, "timed out after %d ms waiting for report %zu in %s (it has %zu)",
              timeout_ms, n, path, have);
    }
    ts_proc_poll(&p->proc, 0);
    sync_run(p);
    ts_sleep_ms(10);
  }
}

st_cmd_t st_dump(const st_proc_t *p, pid_t pid, const char *const *args) {
  const char *argv[16] = {ST_CLI, "dump"};
  char pid_arg[16];
  snprintf(pid_arg, sizeof(pid_arg), "%d", (int)(pid ? pid : p->run.pid));
  size_t n = 2;
  argv[n++] = pid_arg;
  for (size_t i = 0; args && args[i] && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  return st_run_cmd(argv, NULL, 30000);
}

void st_check_dump_ok(st_proc_t *p, const st_cmd_t *dump) {
  if (dump->status != 0)
    TS_FAIL(&p->run, "leakscope dump %d exited %d\n--- its stdout ---\n%s\n--- its stderr ---\n%s",
            (int)p->run.pid, dump->status, dump->out, dump->err);
}

static int64_t int_of(const json_value_t *obj, const char *key) {
  int64_t v = -1;
  json_as_int(json_get(obj, key), &v);
  return v;
}

double st_num(const json_value_t *obj, const char *key) {
  const json_value_t *v = json_get(obj, key);
  if (v && v->type == JSON_INT)
    return (double)v->u.integer;
  if (v && v->type == JSON_DOUBLE)
    return v->u.number;
  return -1;
}

st_sum_t st_sum_in_function(const json_value_t *report, const char *kind, const char *fn) {
  st_sum_t s = {0};
  const json_value_t *leaks = json_get(report, "leaks");
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    const char *k = json_as_str(json_get(g, "kind"));
    if (!k || strcmp(k, kind) != 0 || ts_frame_of_function(g, fn) < 0)
      continue;
    s.groups++;
    s.bytes += int_of(g, "bytes");
    s.count += int_of(g, "count");
    s.fds_listed += (int64_t)json_len(json_get(g, "fds"));
    const json_value_t *growth = json_get(g, "growth");
    if (growth) {
      s.growth_bytes += int_of(growth, "bytes");
      s.growth_count += int_of(growth, "count");
    } else {
      s.growth_missing++;
    }
  }
  return s;
}

void st_check_report(st_proc_t *p, const json_value_t *report, pid_t pid, const char *trigger) {
  const ts_run_t *run = &p->run;
  ts_check_report_shape(run, report);
  int64_t seq = int_of(report, "seq");
  TS_CHECK_INT(run, "report pid", pid, int_of(report, "pid"));
  const char *got = json_as_str(json_get(report, "trigger"));
  if (!got || strcmp(got, trigger) != 0)
    TS_FAIL(run, "report seq %lld: trigger should be \"%s\", got \"%s\"", (long long)seq, trigger,
            got ? got : "(none)");

  const json_value_t *leaks = json_get(report, "leaks");
  int64_t bytes = 0, blocks = 0, fds = 0;
  enum { MAX_FDS = 4096 };
  static int64_t seen[MAX_FDS];
  size_t nseen = 0;
  for (size_t i = 0; i < json_len(leaks); i++) {
    const json_value_t *g = json_at(leaks, i);
    const char *kind = json_as_str(json_get(g, "kind"));
    char what[160];
    if (kind && strcmp(kind, "memory") == 0) {
      bytes += int_of(g, "bytes");
      blocks += int_of(g, "count");
      continue;
    }
    if (!kind || strcmp(kind, "fd") != 0)
      continue;
    const json_value_t *list = json_get(g, "fds");
    int64_t count = int_of(g, "count");
    fds += count;
    snprintf(what, sizeof(what), "report seq %lld, leaks[%zu] (%s): count vs length of \"fds\"",
             (long long)seq, i, json_as_str(json_get(g, "resource")));
    TS_CHECK_INT(run, what, count, (int64_t)json_len(list));
    if (json_get(g, "paths")) {
      snprintf(what, sizeof(what), "report seq %lld, leaks[%zu]: length of \"paths\" vs \"fds\"",
               (long long)seq, i);
      TS_CHECK_INT(run, what, (int64_t)json_len(list), (int64_t)json_len(json_get(g, "paths")));
    }
    for (size_t j = 0; j < json_len(list); j++) {
      int64_t fd = -1;
      if (!json_as_int(json_at(list, j), &fd) || fd < 0)
        TS_FAIL(run, "report seq %lld, leaks[%zu].fds[%zu] is not an fd number", (long long)seq, i,
                j);
      for (size_t k = 0; k < nseen; k++)
        if (seen[k] == fd)
          TS_FAIL(run, "report seq %lld: fd %lld is listed twice (again in leaks[%zu])",
                  (long long)seq, (long long)fd, i);
      if (nseen < MAX_FDS)
        seen[nseen++] = fd;
    }
  }
  const json_value_t *summary = json_get(report, "summary");
  char what[96];
  snprintf(what, sizeof(what), "report seq %lld: summary.memory_bytes vs its groups",
           (long long)seq);
  TS_CHECK_INT(run, what, bytes, int_of(summary, "memory_bytes"));
  snprintf(what, sizeof(what), "report seq %lld: summary.memory_blocks vs its groups",
           (long long)seq);
  TS_CHECK_INT(run, what, blocks, int_of(summary, "memory_blocks"));
  snprintf(what, sizeof(what), "report seq %lld: summary.fds vs its fd groups", (long long)seq);
  TS_CHECK_INT(run, what, fds, int_of(summary, "fds"));
  snprintf(what, sizeof(what), "report seq %lld: summary.groups vs length of leaks",
           (long long)seq);
  TS_CHECK_INT(run, what, (int64_t)json_len(leaks), int_of(summary, "groups"));
}

/* --- Fixture --- */

st_proc_t st_prog;
char *st_dir;

const char *st_output_var(char *var, size_t size, const char *file) {
  st_dir = ts_tempdir("staging");
  snprintf(var, size, "LEAKSCOPE_OUTPUT=%s/%s", st_dir, file);
  return strchr(var, '=') + 1;
}

int st_teardown(void **state) {
  (void)state;
  st_proc_free(&st_prog);
  if (st_dir) {
    ts_rm_rf(st_dir);
    free(st_dir);
    st_dir = NULL;
  }
  return 0;
}
