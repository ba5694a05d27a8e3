/* SPDX-License-Identifier: MIT
 * leakscope.c: the command-line tool, `leakscope run` and `leakscope dump`.
 *
 * `run` turns flags into LEAKSCOPE_* variables, preloads libleakscope and
 * execs the program in place, so its exit status and signals reach the caller
 * unchanged. `dump` signals a running process and prints the report it
 * appends to its output file (protocol in docs/cli.md). The tool never links
 * the library, but compiles in its option parser (src/config.c): `run`
 * refuses exactly the values the library would refuse, and `dump` reads the
 * target's options exactly as the library read them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dump_signal.h"
#include "program_check.h"
#include "subcommands.h"

/* --- Exit codes (listed in --help and docs/cli.md) --- */

enum {
  EXIT_ERROR = 1, /* unexpected system error */
  EXIT_USAGE = 2,
  EXIT_NO_PROCESS = 3,
  EXIT_NOT_TRACED = 4,
  EXIT_PERMISSION = 5,
  EXIT_DISABLED = 6,
  EXIT_TIMEOUT = 7,
  EXIT_UNTRACEABLE = 8,   /* run: static or set-uid program */
  EXIT_CANNOT_EXEC = 126, /* found but not runnable, as in sh */
  EXIT_NOT_FOUND = 127,
};

__attribute__((noreturn, format(printf, 2, 3))) static void die(int status, const char *fmt, ...) {
  va_list ap;

  fputs("leakscope: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(status);
}

static void usage(FILE *out);

/* --- Values only the tool takes (option values go to src/config.c) --- */

/* A process id: a decimal number from 1 to INT_MAX, the whole string. */
static bool parse_pid(const char *s, pid_t *pid) {
  char *end;
  long v;

  if (!isdigit((unsigned char)*s)) /* strtol takes "-1" and " 1" */
    return false;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || *end || v < 1 || v > INT_MAX)
    return false;
  *pid = (pid_t)v;
  return true;
}

/* dump --wait: a non-negative number of seconds, fractions allowed. */
static bool parse_seconds(const char *s, double *out) {
  char *end;

  if (!isdigit((unsigned char)*s) && *s != '.') /* strtod takes "-1", "inf" */
    return false;
  errno = 0;
  *out = strtod(s, &end);
  return !errno && !*end;
}

/* "a:b" in new memory; the separator of LD_PRELOAD and of suppression lists. */
static char *join_path_list(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *s = malloc(la + lb + 2);

  if (!s)
    die(EXIT_ERROR, "out of memory");
  memcpy(s, a, la);
  s[la] = ':';
  memcpy(s + la + 1, b, lb + 1);
  return s;
}

/* Matches argv[*i] against "--name", "--name=value" or, for an option that
 * takes a value, "--name value". On a match advances *i past what it used and
 * returns true; a missing or empty value is a usage error. */
static bool match_option(int argc, char **argv, int *i, const char *name, bool takes_value,
                         const char **value) {
  const char *arg = argv[*i];
  size_t len = strlen(name);
  const char *rest = arg + 2 + len;

  if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, len) || (*rest && *rest != '='))
    return false;
  if (!takes_value) {
    if (*rest)
      die(EXIT_USAGE, "option --%s takes no value", name);
    *i += 1;
    return true;
  }
  if (*rest) {
    *value = rest + 1;
    *i += 1;
  } else if (*i + 1 < argc) {
    *value = argv[*i + 1];
    *i += 2;
  } else {
    *value = "";
  }
  if (!**value)
    die(EXIT_USAGE, "option --%s needs a value", name);
  return true;
}

/* --- run --- */

/* A `leakscope run` flag, read from the flags column of LS_OPTIONS
 * (config.h documents the spec syntax). What a value may be is the
 * library's business: set_flag asks its parser. */
struct run_flag {
  char name[32];   /* without the leading "--" */
  const char *arg; /* placeholder shown in --help; NULL: takes no value */
  char fixed[16];  /* the value a flag without an argument sets */
  bool list;       /* repeatable; occurrences are joined with ':' */
  char env[48];    /* LEAKSCOPE_ + the option's name in upper case */
  const char *doc; /* the option's help text */
};

#define MAX_RUN_FLAGS 64

static struct run_flag run_flags[MAX_RUN_FLAGS];
static size_t n_run_flags;

/* Placeholders are copied here, as "FILE..." loses its dots. */
static char arg_pool[MAX_RUN_FLAGS][32];

/* Parses one spec ("--name ARG", "--name ARG...", "--name" or "--name=V")
 * of option `opt` into the next free flag. A malformed spec is a bug in
 * config.h: every command dies on it, so any test of the tool finds it. */
static void add_flag(const char *opt, const char *values, const char *doc, const char *spec,
                     size_t len) {
  if (n_run_flags == MAX_RUN_FLAGS || len < 3 || strncmp(spec, "--", 2))
    die(EXIT_ERROR, "bad flag spec '%.*s' for option %s in LS_OPTIONS", (int)len, spec, opt);
  struct run_flag *f = &run_flags[n_run_flags];
  size_t name_len = strcspn(spec + 2, " =");
  if (name_len == 0 || name_len + 2 > len || name_len >= sizeof f->name)
    die(EXIT_ERROR, "bad flag spec '%.*s' for option %s in LS_OPTIONS", (int)len, spec, opt);
  memcpy(f->name, spec + 2, name_len);
  const char *rest = spec + 2 + name_len, *end = spec + len;
  if (rest == end) {
    f->arg = values; /* an enum's values */
  } else if (*rest == '=' && (size_t)(end - rest) < sizeof f->fixed) {
    memcpy(f->fixed, rest + 1, (size_t)(end - rest - 1));
  } else if (*rest == ' ' && (size_t)(end - rest) < sizeof arg_pool[0]) {
    char *arg = arg_pool[n_run_flags];
    size_t arg_len = (size_t)(end - rest - 1);
    memcpy(arg, rest + 1, arg_len);
    if (arg_len > 3 && !strcmp(arg + arg_len - 3, "...")) {
      f->list = true;
      arg[arg_len - 3] = '\0';
    }
    f->arg = arg;
  } else {
    die(EXIT_ERROR, "bad flag spec '%.*s' for option %s in LS_OPTIONS", (int)len, spec, opt);
  }
  if (f->arg && !*f->arg)
    die(EXIT_ERROR, "flag --%s of option %s has no placeholder", f->name, opt);
  snprintf(f->env, sizeof f->env, "LEAKSCOPE_%s", opt);
  for (char *p = f->env; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  f->doc = doc;
  n_run_flags++;
}

/* Fills run_flags from LS_OPTIONS, in its order. */
static void load_run_flags(void) {
  static const struct {
    const char *name, *values, *flags, *doc;
  } options[] = {
#define LS_CLI_ROW(f, kind, def, min, max, values, flags, doc) {#f, values, flags, doc},
      LS_OPTIONS(LS_CLI_ROW)
#undef LS_CLI_ROW
  };
  for (size_t i = 0; i < LS_ARRAY_LEN(options); i++) {
    for (const char *spec = options[i].flags; *spec;) {
      const char *comma = strstr(spec, ", ");
      size_t len = comma ? (size_t)(comma - spec) : strlen(spec);
      add_flag(options[i].name, options[i].values, options[i].doc, spec, len);
      spec += comma ? len + 2 : len;
    }
  }
}

/* Sets f's variable from value, after the library's parser has accepted
 * what the variable will hold. A list flag replaces an inherited value on
 * its first use and appends on later ones, so flags always win over the
 * environment. */
static void set_flag(const struct run_flag *f, const char *value, bool *seen) {
  static const char prefix[] = "LEAKSCOPE_";
  const char *name = f->env + sizeof prefix - 1;
  char *joined = NULL, expected[160];
  ls_config_t scratch;

  if (!f->arg)
    value = f->fixed;
  if (f->list && *seen)
    joined = join_path_list(getenv(f->env), value);
  int rc = ls_config_parse(&scratch, name, joined ? joined : value);
  if (rc == -ENOENT)
    die(EXIT_ERROR, "--%s sets %s, which the library does not know", f->name, f->env);
  if (rc)
    die(EXIT_USAGE, "invalid value '%s' for --%s: expected %s", value, f->name,
        ls_config_expected(name, expected, sizeof expected));
  *seen = true;
  if (setenv(f->env, joined ? joined : value, 1))
    die(EXIT_ERROR, "cannot set %s: %s", f->env, strerror(errno));
  free(joined);
}

/* The library sits next to this executable in the build tree and at
 * LS_BIN_TO_LIB from it once installed. Returns an absolute, resolved path so
 * the LD_PRELOAD entry holds wherever the program changes directory. */
static char *find_library(void) {
  static const char *const subdirs[] = {"", "/" LS_BIN_TO_LIB};
  char dir[PATH_MAX], path[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
  char *lib;

  if (n < 0)
    die(EXIT_ERROR, "cannot read /proc/self/exe: %s", strerror(errno));
  dir[n] = '\0';
  *strrchr(dir, '/') = '\0';
  for (size_t i = 0; i < LS_ARRAY_LEN(subdirs); i++) {
    snprintf(path, sizeof path, "%s%s/libleakscope.so", dir, subdirs[i]);
    lib = realpath(path, NULL);
    if (lib)
      return lib;
  }
  die(EXIT_USAGE, "cannot find libleakscope.so in %s or %s/%s", dir, dir, LS_BIN_TO_LIB);
}

/* Puts the library first in LD_PRELOAD, keeping what the caller preloads. */
static void preload(const char *lib) {
  const char *old = getenv("LD_PRELOAD");
  char *list = NULL;

  /* ld.so splits LD_PRELOAD at both ':' and ' ', and no quoting exists. */
  if (strpbrk(lib, ": "))
    die(EXIT_USAGE, "cannot preload '%s': LD_PRELOAD cannot hold a path with ':' or ' '", lib);
  if (old && *old)
    lib = list = join_path_list(lib, old);
  if (setenv("LD_PRELOAD", lib, 1))
    die(EXIT_ERROR, "cannot set LD_PRELOAD: %s", strerror(errno));
  free(list);
}

/* Exits when the program would run without the library (static or
 * set-uid): with the exit status --error-exitcode asked for, so CI fails
 * rather than pass on a report that never comes, else EXIT_UNTRACEABLE. */
static void refuse_untraceable(const char *program) {
  const char *code = getenv("LEAKSCOPE_EXITCODE");
  ls_config_t scratch;
  char why[4200];

  if (ls_program_traceable(program, why, sizeof why))
    return;
  fprintf(stderr, "leakscope: %s\n", why);
  if (code && ls_config_parse(&scratch, "EXITCODE", code) == 0 && scratch.exitcode)
    exit((int)scratch.exitcode);
  exit(EXIT_UNTRACEABLE);
}

/* argv[0] is "run". Returns only when the program cannot be executed. */
static int cmd_run(int argc, char **argv) {
  bool seen[MAX_RUN_FLAGS] = {false};
  int i = 1;

  while (i < argc && argv[i][0] == '-') {
    const char *value = NULL;
    size_t k = 0;

    if (!strcmp(argv[i], "--")) {
      i++;
      break;
    }
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      exit(0);
    }
    while (k < n_run_flags &&
           !match_option(argc, argv, &i, run_flags[k].name, run_flags[k].arg != NULL, &value))
      k++;
    if (k == n_run_flags)
      die(EXIT_USAGE, "run: unknown option '%s'", argv[i]);
    set_flag(&run_flags[k], value, &seen[k]);
  }
  if (i >= argc)
    die(EXIT_USAGE, "run: no program given");
  refuse_untraceable(argv[i]);
  preload(find_library());
  execvp(argv[i], argv + i);
  int err = errno;
  fprintf(stderr, "leakscope: cannot run '%s': %s\n", argv[i], strerror(err));
  return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/* --- dump: reading the target from /proc --- */

/* Reads /proc/PID/name whole, NUL-terminated (environ also holds NULs inside);
 * the length goes to *len. Exits on failure, mapping errno to an exit code. */
static char *read_proc(pid_t pid, const char *name, size_t *len) {
  char path[64];
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  ssize_t got = 0;
  int fd;

  if (!buf)
    die(EXIT_ERROR, "out of memory");
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd >= 0 && (got = read(fd, buf + n, cap - n - 1)) > 0) {
    n += (size_t)got;
    if (n + 1 == cap) {
      cap *= 2;
      if (!(buf = realloc(buf, cap)))
        die(EXIT_ERROR, "out of memory");
    }
  }
  if (fd < 0 || got < 0) {
    if (errno == EACCES || errno == EPERM)
      die(EXIT_PERMISSION, "permission denied for process %d (%s)", (int)pid, path);
    if (errno == ENOENT || errno == ESRCH)
      die(EXIT_NO_PROCESS, "no process %d", (int)pid);
    die(EXIT_ERROR, "cannot read %s: %s", path, strerror(errno));
  }
  close(fd);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* True when a file whose name starts with "libleakscope.so" is mapped, which
 * covers the versioned names and " (deleted)" after an upgrade. */
static bool maps_leakscope(pid_t pid) {
  static const char lib[] = "libleakscope.so";
  size_t len;
  char *maps = read_proc(pid, "maps", &len);
  bool found = false;

  for (char *line = maps; !found && *line;) {
    char *nl = strchr(line, '\n'), *base;

    if (nl)
      *nl = '\0';
    base = strrchr(line, '/');
    found = base && !strncmp(base + 1, lib, sizeof lib - 1);
    line = nl ? nl + 1 : line + strlen(line);
  }
  free(maps);
  return found;
}

/* The options the process runs with, read as the library read them at
 * startup: from the environment it was exec'd with (even if the program
 * changed its variables since), ignoring LEAKSCOPE_OUTPUT and
 * LEAKSCOPE_SUPPRESSIONS in a set-uid/set-gid program, and giving an
 * invalid value its default. String options point into memory kept for
 * the life of the tool. */
static void target_config(pid_t pid, ls_config_t *cfg) {
  size_t env_len, auxv_len, n = 0;
  char *env = read_proc(pid, "environ", &env_len);
  unsigned long *auxv = (unsigned long *)read_proc(pid, "auxv", &auxv_len);
  bool secure = false;
  char **envp;

  for (size_t i = 0; i + 1 < auxv_len / sizeof *auxv && auxv[i] != AT_NULL; i += 2)
    secure |= auxv[i] == AT_SECURE && auxv[i + 1] != 0;
  free(auxv);
  for (char *e = env; e < env + env_len; e += strlen(e) + 1)
    n++;
  if (!(envp = malloc((n + 1) * sizeof *envp)))
    die(EXIT_ERROR, "out of memory");
  n = 0;
  for (char *e = env; e < env + env_len; e += strlen(e) + 1)
    envp[n++] = e;
  envp[n] = NULL;
  ls_config_read(cfg, envp, secure);
  free(envp);
}

/* The text after "field:" in /proc/PID/status, or NULL. */
static const char *status_field(const char *status, const char *field) {
  size_t n = strlen(field);

  for (const char *line = status;; line++) {
    if (!strncmp(line, field, n) && line[n] == ':')
      return line + n + 1;
    if (!(line = strchr(line, '\n')))
      return NULL;
  }
}

/* --- dump: waiting for the report --- */

/* Where the report lands and what has been read of it. */
struct report_file {
  int dir; /* directory `name` is relative to; -1 when fd is fixed */
  const char *name;
  int fd;      /* -1 until the file exists */
  off_t start; /* file size before the signal: the report starts here */
  char *buf;   /* bytes read from start on */
  size_t len, cap;
  size_t scanned; /* complete lines in buf already checked */
};

/* A report's last line, per docs/cli.md. JSON reports are one line each, and
 * only the one a signal triggered answers us (an --interval report may land
 * first). */
static bool is_report_end(const char *line, size_t len, int format) {
  static const char json_mark[] = "\"trigger\":\"signal\"";
  static const char text_end[] = "== leakscope: end of report";
  static const char folded_end[] = "# leakscope: end of report";

  switch (format) {
  case LS_FORMAT_JSON: return memmem(line, len, json_mark, sizeof json_mark - 1) != NULL;
  case LS_FORMAT_FOLDED:
    return len >= sizeof folded_end - 1 && !memcmp(line, folded_end, sizeof folded_end - 1);
  default: return len >= sizeof text_end - 1 && !memcmp(line, text_end, sizeof text_end - 1);
  }
}

/* Opens the report file if it exists yet and returns its size (0 if not).
 * The library appends by writing a new file and renaming it over the old
 * one (so a report is whole or absent): when the name points at another
 * file than the one we hold, switch to it. */
static off_t report_size(struct report_file *f, pid_t pid) {
  struct stat st, named;

  if (f->fd >= 0 && f->dir >= 0 && fstatat(f->dir, f->name, &named, 0) == 0 &&
      fstat(f->fd, &st) == 0 && (named.st_ino != st.st_ino || named.st_dev != st.st_dev)) {
    close(f->fd);
    f->fd = -1;
  }
  if (f->fd < 0) {
    f->fd = openat(f->dir, f->name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (f->fd < 0 && errno == ENOENT)
      return 0;
    if (f->fd < 0 && (errno == EACCES || errno == EPERM))
      die(EXIT_PERMISSION, "permission denied reading the report of process %d (%s)", (int)pid,
          f->name);
    if (f->fd < 0)
      die(EXIT_ERROR, "cannot open %s: %s", f->name, strerror(errno));
  }
  if (fstat(f->fd, &st))
    die(EXIT_ERROR, "cannot stat %s: %s", f->name, strerror(errno));
  return st.st_size;
}

/* Reads what the file gained since the last call. Once the report is complete
 * returns true with its bytes at buf[*begin, *end): for text and folded
 * everything written since the signal, for JSON just the report's line, as
 * the lines before it are other reports or their tails. */
static bool read_report(struct report_file *f, pid_t pid, int format, size_t *begin, size_t *end) {
  off_t size = report_size(f, pid);
  size_t want;

  /* A shrunk file was rewritten from the start, so the report begins at 0. */
  if (size < f->start + (off_t)f->len)
    f->start = f->len = f->scanned = 0;
  want = (size_t)(size - f->start);
  if (want + 1 > f->cap) {
    f->cap = want + 1;
    if (!(f->buf = realloc(f->buf, f->cap)))
      die(EXIT_ERROR, "out of memory");
  }
  while (f->len < want) {
    ssize_t got = pread(f->fd, f->buf + f->len, want - f->len, f->start + (off_t)f->len);

    if (got < 0)
      die(EXIT_ERROR, "cannot read %s: %s", f->name, strerror(errno));
    if (got == 0)
      break;
    f->len += (size_t)got;
  }
  for (char *nl; (nl = memchr(f->buf + f->scanned, '\n', f->len - f->scanned));) {
    size_t line = f->scanned;

    f->scanned = (size_t)(nl - f->buf) + 1;
    if (is_report_end(f->buf + line, f->scanned - line - 1, format)) {
      *begin = format == LS_FORMAT_JSON ? line : 0;
      *end = f->scanned;
      return true;
    }
  }
  return false;
}

/* Opens /proc/PID/<link> as a directory handle. Holding it, rather than the
 * path, keeps the file reachable after the process exits. */
static int open_proc_dir(pid_t pid, const char *link) {
  char path[64];
  int fd;

  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, link);
  fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && (errno == EACCES || errno == EPERM))
    die(EXIT_PERMISSION, "permission denied for process %d (%s)", (int)pid, path);
  if (fd < 0)
    die(EXIT_NO_PROCESS, "no process %d", (int)pid);
  return fd;
}

/* Finds where the target writes reports. Returns false when they go to a
 * stderr that is not a regular file, which cannot be watched. */
static bool locate_report(struct report_file *f, pid_t pid, long ns_pid, const char *output) {
  char fd2[64], path[LS_OUTPUT_PATH_MAX];
  struct stat st;

  f->dir = -1;
  f->fd = -1;
  /* A path too long for the library sends its reports to stderr. */
  if (output && ls_config_expand_output(output, ns_pid, path, sizeof path)) {
    /* Resolve through the target's own root and cwd: it may live in another
     * mount namespace or chroot, or have changed directory since exec. */
    f->dir = open_proc_dir(pid, path[0] == '/' ? "root" : "cwd");
    f->name = strdup(path + strspn(path, "/"));
    if (!f->name)
      die(EXIT_ERROR, "out of memory");
    return true;
  }
  snprintf(fd2, sizeof fd2, "/proc/%d/fd/2", (int)pid);
  if (stat(fd2, &st)) {
    if (errno == EACCES || errno == EPERM)
      die(EXIT_PERMISSION, "permission denied for process %d (%s)", (int)pid, fd2);
    return false;
  }
  if (!S_ISREG(st.st_mode))
    return false;
  f->name = strdup(fd2);
  if (!f->name)
    die(EXIT_ERROR, "out of memory");
  f->fd = open(fd2, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (f->fd < 0)
    die(errno == EACCES ? EXIT_PERMISSION : EXIT_ERROR, "cannot open %s: %s", fd2, strerror(errno));
  return true;
}

/* Exits unless the process catches sig. An ignored signal can never produce
 * a report, and one left at its default kills the target (USR1, USR2, RT):
 * either the library has not installed its handler or the program replaced
 * it. */
static void check_handler(pid_t pid, const char *status, int sig) {
  const char *caught = status_field(status, "SigCgt");
  const char *ignored = status_field(status, "SigIgn");
  uint64_t bit = UINT64_C(1) << (sig - 1);
  char name[32];

  if (caught && (strtoull(caught, NULL, 16) & bit))
    return;
  ls_signal_name(sig, name, sizeof name);
  if (ignored && (strtoull(ignored, NULL, 16) & bit))
    die(EXIT_DISABLED, "process %d ignores %s, its dump signal", (int)pid, name);
  die(EXIT_DISABLED, "process %d has no handler for %s, its dump signal; not sending it", (int)pid,
      name);
}

/* The pid the process sees for itself, which "%p" stands for: inside a pid
 * namespace, the last NSpid entry rather than ours. */
static long own_pid(pid_t pid, const char *status) {
  const char *s = status_field(status, "NSpid");
  long ns_pid = pid;
  char *next;

  while (s && *s != '\n') {
    long v = strtol(s, &next, 10);

    if (next == s)
      break;
    ns_pid = v;
    s = next;
  }
  return ns_pid;
}

/* The thread id of leakscope's dump thread in process pid (its name is
 * "leakscope-dump"), or 0. */
static pid_t find_dump_thread(pid_t pid) {
  char path[320], comm[32];
  pid_t tid = 0;
  DIR *d;
  struct dirent *e;

  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  d = opendir(path);
  while (d && !tid && (e = readdir(d))) {
    FILE *f;

    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    snprintf(path, sizeof path, "/proc/%d/task/%s/comm", (int)pid, e->d_name);
    f = fopen(path, "r");
    if (f && fgets(comm, sizeof comm, f) && !strcmp(comm, "leakscope-dump\n"))
      tid = (pid_t)atoi(e->d_name);
    if (f)
      fclose(f);
  }
  if (d)
    closedir(d);
  return tid;
}

/* Asks for a dump without interrupting any thread of the program: the
 * signal goes to the dump thread alone, tagged so that the library does
 * not pass it on to the program's own handler. Without that thread (an
 * older library, or one stopped around a setuid call), the same tagged
 * signal goes to the process. */
static void send_signal(pid_t pid, int sig) {
  siginfo_t si;
  pid_t tid = find_dump_thread(pid);

  memset(&si, 0, sizeof si);
  si.si_signo = sig;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = LS_DUMP_MAGIC;
  if (tid && !syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &si))
    return;
  if (!syscall(SYS_rt_sigqueueinfo, pid, sig, &si))
    return;
  if (errno == EPERM)
    die(EXIT_PERMISSION, "permission denied for process %d (signal)", (int)pid);
  die(EXIT_NO_PROCESS, "no process %d", (int)pid);
}

static double now_seconds(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls f until the report the signal asked for is complete, prints it and
 * returns 0; exits when the process dies or time runs out. */
static int wait_report(struct report_file *f, pid_t pid, int format, double wait) {
  static const struct timespec poll_interval = {0, 20 * 1000 * 1000};
  double deadline = now_seconds() + wait;

  for (;;) {
    /* Checked before reading: a process already gone has written all it will. */
    bool alive = kill(pid, 0) == 0 || errno != ESRCH;
    size_t begin, end;

    if (read_report(f, pid, format, &begin, &end)) {
      fwrite(f->buf + begin, 1, end - begin, stdout);
      return fflush(stdout) ? EXIT_ERROR : 0;
    }
    if (!alive)
      die(EXIT_NO_PROCESS, "process %d exited before writing its report", (int)pid);
    if (now_seconds() >= deadline)
      die(EXIT_TIMEOUT, "timed out after %g s waiting for a report from %d", wait, (int)pid);
    nanosleep(&poll_interval, NULL);
  }
}

/* The identity of the file the report name points to now; false when
 * there is none. */
static bool named_file(const struct report_file *f, struct stat *st) {
  return f->dir >= 0 && fstatat(f->dir, f->name, st, 0) == 0;
}

/* pprof: a profile is one protobuf message, so each report replaces the
 * file (docs/report-format.md) and has no end line. The report is there
 * when the name points to another file than before the signal; it is
 * printed whole. */
static int dump_pprof(struct report_file *f, pid_t pid, int sig, double wait) {
  static const struct timespec poll_interval = {0, 20 * 1000 * 1000};
  double deadline = now_seconds() + wait;
  struct stat before, now;
  bool existed;

  if (f->dir < 0)
    die(EXIT_DISABLED,
        "process %d writes pprof reports to its standard error; "
        "dump needs LEAKSCOPE_OUTPUT (--output) for pprof",
        (int)pid);
  existed = named_file(f, &before);
  send_signal(pid, sig);
  for (;;) {
    bool alive = kill(pid, 0) == 0 || errno != ESRCH;

    if (named_file(f, &now) && now.st_size > 0 &&
        (!existed || now.st_ino != before.st_ino || now.st_dev != before.st_dev)) {
      char buf[65536];
      ssize_t got;
      int fd = openat(f->dir, f->name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

      if (fd < 0)
        die(errno == EACCES ? EXIT_PERMISSION : EXIT_ERROR, "cannot open %s: %s", f->name,
            strerror(errno));
      while ((got = read(fd, buf, sizeof buf)) > 0)
        if (fwrite(buf, 1, (size_t)got, stdout) != (size_t)got)
          die(EXIT_ERROR, "cannot write the report: %s", strerror(errno));
      if (got < 0)
        die(EXIT_ERROR, "cannot read %s: %s", f->name, strerror(errno));
      close(fd);
      return fflush(stdout) ? EXIT_ERROR : 0;
    }
    if (!alive)
      die(EXIT_NO_PROCESS, "process %d exited before writing its report", (int)pid);
    if (now_seconds() >= deadline)
      die(EXIT_TIMEOUT, "timed out after %g s waiting for a report from %d", wait, (int)pid);
    nanosleep(&poll_interval, NULL);
  }
}

/* argv[0] is "dump". */
static int cmd_dump(int argc, char **argv) {
  struct report_file f = {0};
  double wait = 10;
  bool want_diff = false;
  pid_t pid = 0;
  size_t status_len;
  char *status, proc[32];
  const char *value;
  ls_config_t target;

  for (int i = 1; i < argc;) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
    if (match_option(argc, argv, &i, "wait", true, &value)) {
      if (!parse_seconds(value, &wait))
        die(EXIT_USAGE, "invalid value '%s' for --wait (expected SECONDS)", value);
    } else if (match_option(argc, argv, &i, "diff", false, &value)) {
      want_diff = true;
    } else if (!pid && parse_pid(argv[i], &pid)) {
      i++;
    } else {
      die(EXIT_USAGE, "dump: unexpected argument '%s'", argv[i]);
    }
  }
  if (!pid)
    die(EXIT_USAGE, "dump: no PID given");

  snprintf(proc, sizeof proc, "/proc/%d", (int)pid);
  if (access(proc, F_OK))
    die(EXIT_NO_PROCESS, "no process %d", (int)pid);
  if (!maps_leakscope(pid))
    die(EXIT_NOT_TRACED, "process %d is not running under leakscope", (int)pid);

  target_config(pid, &target);
  if (!target.signal)
    die(EXIT_DISABLED, "signal dumps are disabled in process %d (LEAKSCOPE_SIGNAL=none)", (int)pid);
  if (want_diff && !target.diff)
    fprintf(stderr,
            "leakscope: warning: process %d does not run with LEAKSCOPE_DIFF=1; "
            "its report is a full one\n",
            (int)pid);
  status = read_proc(pid, "status", &status_len);
  check_handler(pid, status, target.signal);

  if (!locate_report(&f, pid, own_pid(pid, status), target.output)) {
    send_signal(pid, target.signal);
    fprintf(stderr, "leakscope: report requested; process %d writes it to its standard error\n",
            (int)pid);
    return 0;
  }
  if (target.format == LS_FORMAT_PPROF)
    return dump_pprof(&f, pid, target.signal, wait);
  f.start = report_size(&f, pid);
  send_signal(pid, target.signal);
  return wait_report(&f, pid, target.format, wait);
}

/* --- main --- */

static void usage(FILE *out) {
  fputs("usage: leakscope run [options] [--] program [args...]\n"
        "       leakscope dump PID [--wait SECONDS] [--diff]\n"
        "       leakscope sarif|junit|suppress REPORT.json [--output FILE]\n"
        "       leakscope diff OLD.json NEW.json [--top N] [--all]\n"
        "       leakscope --help | --version\n"
        "       leakscope COMMAND --help\n"
        "\n"
        "run: start program with libleakscope preloaded. Each option sets the\n"
        "variable shown; values are checked by the library's own parser.\n",
        out);
  for (size_t k = 0; k < n_run_flags; k++) {
    const struct run_flag *f = &run_flags[k];
    char left[128];

    snprintf(left, sizeof left, "--%.31s%s%.80s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    fprintf(out, "  %-26s %s%s\n  %-26s [%s%s%s]\n", left, f->doc, f->list ? "; repeatable" : "",
            "", f->env, f->arg ? "" : "=", f->fixed);
  }
  fputs("\n"
        "dump: ask a process running under leakscope for a report now and print it.\n"
        "  --wait SECONDS             how long to wait for it (default 10)\n"
        "  --diff                     warn unless the process runs with LEAKSCOPE_DIFF=1\n"
        "\n"
        "exit status: 0 ok, 1 system error, 2 usage, 3 no such process,\n"
        "  4 not running under leakscope, 5 permission denied,\n"
        "  6 signal dumps disabled or not handled, 7 timed out,\n"
        "  8 program cannot be traced (static or set-uid).\n"
        "  run exits with the program's status, 127 if not found, 126 if not runnable.\n"
        "\n"
        "sarif, junit: convert the last report of a JSON report file to SARIF 2.1.0\n"
        "  or JUnit XML. suppress: a suppression rule for each of its groups.\n"
        "diff: what grew from OLD's last report to NEW's, biggest growth first.\n",
        out);
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";

  load_run_flags();

  if (!strcmp(cmd, "run"))
    return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "dump"))
    return cmd_dump(argc - 1, argv + 1);
  for (const struct ls_subcommand *c = ls_subcommands; c->name; c++)
    if (!strcmp(cmd, c->name))
      return c->main(argc - 1, argv + 1);
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
    puts("leakscope " LEAKSCOPE_VERSION_STRING);
    return 0;
  }
  if (*cmd)
    fprintf(stderr, "leakscope: unknown command '%s'\n", cmd);
  usage(stderr);
  return EXIT_USAGE;
}
