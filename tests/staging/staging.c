/* SPDX-License-Identifier: MIT
 * staging.c: interactive runs, report files and report checks for the
 * staging tests (see staging.h).
 *
 * The child leads its own process group, so st_proc_free() can kill
 * anything it forked. Between fork and exec the child calls only
 * async-signal-safe functions; argv and the environment are built before.
 * SIGPIPE is ignored in the test process: a program that died early must
 * fail a check, not kill the test binary on our next write to its stdin.
 */
#include "staging.h"
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

extern char **environ;

/* --- The embedded run --- */

/* The embedded ts_run_t points at our buffers, so a failure dump shows
 * the output and reports as they are now. ts_run_free is never called on
 * it: st_proc_free owns the memory. */
static void sync_run(st_proc_t *p) {
  p->run.out = p->out.data ? p->out.data : (char *)"";
  p->run.out_len = p->out.len;
  p->run.err = p->err.data ? p->err.data : (char *)"";
  p->run.err_len = p->err.len;
  p->run.report_text = p->reports.data ? p->reports.data : (char *)"";
  p->run.report_len = p->reports.len;
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

void st_spawn(st_proc_t *p, const char *const *argv, const char *const *env) {
  memset(p, 0, sizeof(*p));
  p->in_fd = p->out_fd = p->err_fd = -1;
  p->run.exit_code = -1;
  snprintf(p->run.path, sizeof(p->run.path), "%s", argv[0]);
  sync_run(p);
  signal(SIGPIPE, SIG_IGN);

  const char *const *sets[] = {env};
  const char **envp = ts_env(sets, 1);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
    fail_msg("staging: pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0)
    fail_msg("staging: fork: %s", strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
        dup2(err[1], STDERR_FILENO) < 0)
      _exit(126);
    execve(argv[0], (char *const *)argv, (char *const *)envp);
    static const char msg[] = "staging: execve failed\n";
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
      _exit(127);
    _exit(127);
  }
  /* Here too, so the group exists before any kill(-pid). */
  setpgid(pid, pid);
  free(envp);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  p->in_fd = in[1];
  p->out_fd = out[0];
  p->err_fd = err[0];
  p->run.pid = pid;
}

/* Reads whatever stdout and stderr have within wait_ms (0: no wait).
 * Returns false once both are at EOF. */
static bool pump(st_proc_t *p, int wait_ms) {
  struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
  ts_buf_t *bufs[2] = {&p->out, &p->err};
  int *ends[2] = {&p->out_fd, &p->err_fd};
  if (p->out_fd < 0 && p->err_fd < 0)
    return false;
  int r = poll(fds, 2, wait_ms);
  if (r < 0 && errno != EINTR)
    fail_msg("staging: poll: %s", strerror(errno));
  for (int i = 0; r > 0 && i < 2; i++) {
    if (fds[i].fd >= 0 && fds[i].revents && !ts_buf_read(bufs[i], fds[i].fd)) {
      close(*ends[i]);
      *ends[i] = -1;
    }
  }
  sync_run(p);
  return p->out_fd >= 0 || p->err_fd >= 0;
}

void st_read_line(st_proc_t *p, char *line, size_t size, int timeout_ms) {
  int64_t deadline = ts_now_ms() + timeout_ms;
  for (;;) {
    const char *start = p->out.data ? p->out.data + p->out_seen : NULL;
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
    if (p->out_fd < 0)
      TS_FAIL(&p->run, "stdout closed while waiting for a line");
    pump(p, (int)(left < 100 ? left : 100));
  }
}

void st_expect_line(st_proc_t *p, const char *prefix, char *line, size_t size) {
  st_read_line(p, line, size, ST_LINE_TIMEOUT_MS);
  if (strncmp(line, prefix, strlen(prefix)) != 0)
    TS_FAIL(&p->run, "expected a line starting with \"%s\", got \"%s\"", prefix, line);
}

void st_write(st_proc_t *p, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = p->in_fd >= 0 ? write(p->in_fd, s, n) : -1;
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      TS_FAIL(&p->run, "cannot write \"%s\" to the program's stdin: %s", s, strerror(errno));
    s += w;
    n -= (size_t)w;
  }
}

void st_finish(st_proc_t *p, int timeout_ms) {
  if (p->reaped)
    return;
  if (p->in_fd >= 0) {
    close(p->in_fd);
    p->in_fd = -1;
  }
  int64_t deadline = ts_now_ms() + timeout_ms;
  int status = 0;
  bool done = false;
  for (;;) {
    int64_t left = deadline - ts_now_ms();
    bool open = left > 0 && pump(p, (int)(left < 50 ? left : 50));
    pid_t r = waitpid(p->run.pid, &status, WNOHANG);
    if (r == p->run.pid && !open) {
      done = true;
      break;
    }
    if (r == p->run.pid) {
      /* Reaped, but something it forked may still hold the pipes: give
       * them until the deadline, then stop reading. */
      while (ts_now_ms() < deadline && pump(p, 50))
        ;
      done = true;
      break;
    }
    if (left <= 0)
      break;
    if (!open)
      ts_sleep_ms(5); /* pipes closed, program still running: no busy loop */
  }
  if (!done) {
    p->run.timed_out = true;
    kill(-p->run.pid, SIGKILL);
    while (waitpid(p->run.pid, &status, 0) < 0 && errno == EINTR)
      ;
  }
  p->reaped = true;
  if (WIFEXITED(status))
    p->run.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    p->run.term_signal = WTERMSIG(status);
  sync_run(p);
}

void st_proc_free(st_proc_t *p) {
  if (p->run.pid <= 0) { /* never spawned: a zeroed struct's fds are not ours */
    memset(p, 0, sizeof(*p));
    p->in_fd = p->out_fd = p->err_fd = -1;
    return;
  }
  /* Once reaped, its pid (and group id) may belong to someone else. */
  if (!p->reaped) {
    kill(-p->run.pid, SIGKILL);
    while (waitpid(p->run.pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  if (p->in_fd >= 0)
    close(p->in_fd);
  if (p->out_fd >= 0)
    close(p->out_fd);
  if (p->err_fd >= 0)
    close(p->err_fd);
  for (size_t i = 0; i < p->run.nreports; i++)
    json_free(p->run.reports[i]);
  free(p->run.reports);
  ts_buf_free(&p->out);
  ts_buf_free(&p->err);
  ts_buf_free(&p->reports);
  memset(p, 0, sizeof(*p));
  p->in_fd = p->out_fd = p->err_fd = -1;
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
  c.out = strdup(p.out.data ? p.out.data : "");
  c.err = strdup(p.err.data ? p.err.data : "");
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
    pump(p, 0);
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
