/* SPDX-License-Identifier: MIT
 * relsupport.c: environments, files and report files for the reliability
 * tests (see relsupport.h); processes run through proc.c.
 */
#include "relsupport.h"
#include "archive.h"

#include "report.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  if (!d)
    fail_msg("out of memory");
  return d;
}

/* --- Environment --- */

void rel_env_set(rel_env_t *e, const char *name, const char *value) {
  size_t n = strlen(name);
  char *var = malloc(n + strlen(value) + 2);
  if (!var)
    fail_msg("out of memory");
  sprintf(var, "%s=%s", name, value);
  for (size_t i = 0; i < e->len; i++) {
    if (strncmp(e->vars[i], var, n + 1) == 0) {
      free(e->vars[i]);
      e->vars[i] = var;
      return;
    }
  }
  if (e->len + 1 >= sizeof e->vars / sizeof e->vars[0])
    fail_msg("rel_env: too many variables");
  e->vars[e->len++] = var;
  e->vars[e->len] = NULL;
}

void rel_env_setf(rel_env_t *e, const char *name, const char *fmt, ...) {
  char value[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(value, sizeof value, fmt, ap);
  va_end(ap);
  rel_env_set(e, name, value);
}

void rel_env_base(rel_env_t *e, const char *home) {
  memset(e, 0, sizeof *e);
  rel_env_set(e, "PATH", "/usr/local/bin:/usr/bin:/bin");
  rel_env_set(e, "LC_ALL", "C");
  rel_env_set(e, "TZ", "UTC");
  if (home)
    rel_env_set(e, "HOME", home);
}

void rel_env_preload(rel_env_t *e, const char *lib, const char *report_dir) {
  rel_env_set(e, "LD_PRELOAD", lib);
  rel_env_set(e, "LEAKSCOPE_FORMAT", "json");
  rel_env_setf(e, "LEAKSCOPE_OUTPUT", "%s/r.%%p", report_dir);
}

void rel_env_copy(rel_env_t *dst, const rel_env_t *src) {
  memset(dst, 0, sizeof *dst);
  for (size_t i = 0; i < src->len; i++)
    dst->vars[dst->len++] = xstrdup(src->vars[i]);
}

void rel_env_free(rel_env_t *e) {
  for (size_t i = 0; i < e->len; i++)
    free(e->vars[i]);
  memset(e, 0, sizeof *e);
}

/* --- Processes --- */

void rel_start(rel_proc_t *p, const rel_opts_t *o) {
  ts_proc_start(p, &(ts_proc_opts_t){.argv = o->argv,
                                     .envp = o->env ? (char *const *)o->env->vars : NULL,
                                     .cwd = o->cwd,
                                     .timeout_ms = o->timeout_ms,
                                     .as_user = o->as_user,
                                     .uid = o->uid,
                                     .gid = o->gid,
                                     .umask = o->umask,
                                     .hold = o->hold,
                                     .stdout_path = o->stdout_path});
}

void rel_run(rel_proc_t *p, const rel_opts_t *o) {
  rel_start(p, o);
  rel_finish(p);
}

void rel_show(const rel_proc_t *p, const char *title) {
  print_error("%s: %s\n----- stdout -----\n%.4000s\n----- stderr -----\n%.4000s\n", title,
              rel_describe(p), p->out, p->err);
}

/* --- Files --- */

void rel_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0)
    fail_msg("write %s: %s", path, strerror(errno));
}

void rel_copy_file(const char *from, const char *to, int mode) {
  size_t len;
  char *data = ts_read_file(from, &len);
  if (!data)
    fail_msg("read %s: %s", from, strerror(errno));
  unlink(to);
  int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, (mode_t)mode) != 0)
    fail_msg("write %s: %s", to, strerror(errno));
  close(fd);
  free(data);
}

char *rel_stage(const char *tag, const char *const *files) {
  char *dir = ts_tempdir(tag);
  for (size_t i = 0; files[i]; i++) {
    const char *base = strrchr(files[i], '/');
    char to[1024];
    snprintf(to, sizeof to, "%s/%s", dir, base ? base + 1 : files[i]);
    rel_copy_file(files[i], to, 0755);
  }
  return dir;
}

const char *rel_find_prog(const char *name) {
  static char path[512];
  static const char *const dirs[] = {"/usr/local/bin", "/usr/bin", "/bin"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dirs[i], name);
    if (access(path, X_OK) == 0)
      return path;
  }
  return NULL;
}

static char *strip_lines(const char *text, const char *prefix) {
  size_t n = strlen(text), plen = strlen(prefix);
  char *out = malloc(n + 1), *o = out;
  if (!out)
    fail_msg("out of memory");
  for (const char *s = text; *s;) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
    if (strncmp(s, prefix, plen) != 0) {
      memcpy(o, s, len);
      o += len;
    }
    s += len;
  }
  *o = '\0';
  return out;
}

char *rel_strip_leakscope(const char *text) { return strip_lines(text, "leakscope:"); }
char *rel_strip_json(const char *text) { return strip_lines(text, "{"); }

size_t rel_count_lines(const char *text, const char *prefix) {
  size_t n = 0, plen = strlen(prefix);
  for (const char *s = text; s && *s;) {
    if (strncmp(s, prefix, plen) == 0)
      n++;
    const char *nl = strchr(s, '\n');
    s = nl ? nl + 1 : s + strlen(s);
  }
  return n;
}

/* --- Reports --- */

void rel_reports_parse(rel_reports_t *r, const char *text, size_t len) {
  memset(r, 0, sizeof *r);
  r->complete = len == 0 || text[len - 1] == '\n';
  if (!r->complete)
    snprintf(r->error, sizeof r->error, "the text does not end with a newline (%zu bytes)", len);
  size_t lineno = 0;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    lineno++;
    if (stop > p) {
      r->lines++;
      char err[160];
      json_value_t *v = json_parse(p, (size_t)(stop - p), err, sizeof err);
      const char *format = json_as_str(json_get(v, "format"));
      if (!v || !format || strcmp(format, "leakscope-report") != 0) {
        if (r->complete || !r->error[0])
          snprintf(r->error, sizeof r->error, "line %zu (%zu bytes): %s", lineno,
                   (size_t)(stop - p), v ? "not a leakscope report" : err);
        r->complete = false;
        json_free(v);
      } else {
        ts_archive_report(p, (size_t)(stop - p));
        json_value_t **items = realloc(r->items, (r->n + 1) * sizeof *items);
        if (!items)
          fail_msg("out of memory");
        r->items = items;
        r->items[r->n++] = v;
        const char *t = json_as_str(json_get(v, "trigger"));
        if (t && !strcmp(t, "signal"))
          r->signal++;
        else if (t && !strcmp(t, "exit"))
          r->exit++;
        else if (t && !strcmp(t, "periodic"))
          r->periodic++;
        else if (t && !strcmp(t, "api"))
          r->api++;
      }
    }
    p = stop + 1;
  }
}

bool rel_reports_load(rel_reports_t *r, const char *path) {
  size_t len;
  char *text = ts_read_file(path, &len);
  if (!text) {
    memset(r, 0, sizeof *r);
    snprintf(r->error, sizeof r->error, "cannot read %s: %s", path, strerror(errno));
    return false;
  }
  rel_reports_parse(r, text, len);
  free(text);
  return true;
}

void rel_reports_free(rel_reports_t *r) {
  for (size_t i = 0; i < r->n; i++)
    json_free(r->items[i]);
  free(r->items);
  memset(r, 0, sizeof *r);
}

const json_value_t *rel_exit_report(const rel_reports_t *r, pid_t pid) {
  for (size_t i = r->n; i-- > 0;) {
    int64_t p;
    const char *t = json_as_str(json_get(r->items[i], "trigger"));
    if (t && !strcmp(t, "exit") && json_as_int(json_get(r->items[i], "pid"), &p) && p == pid)
      return r->items[i];
  }
  return NULL;
}

int64_t rel_summary(const json_value_t *report, const char *field) {
  int64_t v;
  return json_as_int(json_get(json_get(report, "summary"), field), &v) ? v : -1;
}

void rel_expect_sum(const json_value_t *report, const char *kind, const char *fn, int64_t bytes,
                    int64_t count) {
  ts_leaks_t s = ts_groups_in_function(report, kind, fn);
  if (s.count != count || (bytes >= 0 && s.bytes != bytes))
    fail_msg("%s leaks in %s(): expected %lld bytes in %lld, got %lld bytes in %lld (%lld groups)",
             kind, fn, (long long)bytes, (long long)count, (long long)s.bytes, (long long)s.count,
             (long long)s.groups);
}

const json_value_t *rel_expect_report(rel_reports_t *r, const char *dir, const rel_proc_t *p) {
  char path[1024];
  snprintf(path, sizeof path, "%s/r.%d", dir, (int)p->pid);
  rel_reports_load(r, path);
  const json_value_t *e = rel_exit_report(r, p->pid);
  if (!r->complete || !e) {
    rel_show(p, "run under leakscope");
    fail_msg("%s: complete=%d, %zu reports, exit report %s: %s", path, r->complete, r->n,
             e ? "present" : "missing", r->error);
  }
  return e;
}

long rel_check_report_dir(const char *dir, bool need_exit, char *err, size_t errlen) {
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(err, errlen, "opendir %s: %s", dir, strerror(errno));
    return -1;
  }
  long files = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    char *endp;
    if (strncmp(de->d_name, "r.", 2) != 0)
      continue;
    long pid = strtol(de->d_name + 2, &endp, 10);
    if (*endp != '\0') /* a stray "r.<pid>.tmp.<pid>" is checked by the caller */
      continue;
    files++;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    rel_reports_t r;
    rel_reports_load(&r, path);
    bool ok = r.complete && r.n > 0;
    if (!ok)
      snprintf(err, errlen, "%s: %s", path, r.error[0] ? r.error : "no report");
    for (size_t i = 0; ok && i < r.n; i++) {
      int64_t p;
      if (!json_as_int(json_get(r.items[i], "pid"), &p) || p != pid) {
        snprintf(err, errlen, "%s: report %zu names pid %lld", path, i + 1, (long long)p);
        ok = false;
      }
    }
    if (ok && need_exit && !rel_exit_report(&r, (pid_t)pid)) {
      snprintf(err, errlen, "%s: no exit report (%zu reports)", path, r.n);
      ok = false;
    }
    rel_reports_free(&r);
    if (!ok) {
      closedir(d);
      return -1;
    }
  }
  closedir(d);
  return files;
}

/* --- Fixture --- */

int rel_setup(void **state) {
  rel_fixture_t *f = calloc(1, sizeof *f);
  if (!f)
    return -1;
  f->dir = ts_tempdir(program_invocation_short_name);
  *state = f;
  return 0;
}

int rel_teardown(void **state) {
  rel_fixture_t *f = *state;
  if (f->mounted) {
    umount2(f->mounted, MNT_DETACH);
    free(f->mounted);
  }
  ts_rm_rf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}
