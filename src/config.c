/* SPDX-License-Identifier: MIT
 * config.c: the LEAKSCOPE_* option parser (see config.h).
 * Never allocates: string values are copied into a static pool, so a
 * program that later calls setenv() cannot pull them from under us.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "out.h"

/* Defaults from the start: interposers run before our constructor has
 * read the environment (other libraries' constructors allocate). */
ls_config_t ls_config = {
#define LS_CONFIG_INIT(f, kind, def, min, max, values, flags, doc) .f = def,
    LS_OPTIONS(LS_CONFIG_INIT)
#undef LS_CONFIG_INIT
};

typedef enum { LS_KIND_BOOL, LS_KIND_UINT, LS_KIND_ENUM, LS_KIND_SIGNAL, LS_KIND_STRING } ls_kind_t;

typedef struct ls_option {
  const char *name; /* field name; the variable is LEAKSCOPE_ + upper case */
  ls_kind_t kind;
  size_t offset;
  long def, min, max;
  const char *values;
} ls_option_t;

static const ls_option_t options[] = {
#define LS_OPTION_ROW(f, kind, def, min, max, values, flags, doc)                                  \
  {#f, LS_KIND_##kind, offsetof(ls_config_t, f), def, min, max, values},
    LS_OPTIONS(LS_OPTION_ROW)
#undef LS_OPTION_ROW
};

/* Room for every string option; a value that does not fit is invalid. */
static char string_pool[3 * 4096];
static size_t string_used;

static void set_default(ls_config_t *cfg, const ls_option_t *o) {
  char *field = (char *)cfg + o->offset;
  switch (o->kind) {
  case LS_KIND_BOOL: *(bool *)field = o->def; break;
  case LS_KIND_UINT: *(unsigned long *)field = (unsigned long)o->def; break;
  case LS_KIND_ENUM:
  case LS_KIND_SIGNAL: *(int *)field = (int)o->def; break;
  case LS_KIND_STRING: *(const char **)field = NULL; break;
  }
}

void ls_config_defaults(ls_config_t *cfg) {
  for (size_t i = 0; i < LS_ARRAY_LEN(options); i++)
    set_default(cfg, &options[i]);
}

static bool parse_ulong(const char *s, unsigned long *out) {
  if (!*s)
    return false;
  unsigned long v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (~0UL - 9) / 10)
      return false;
    v = v * 10 + (unsigned long)(*s - '0');
  }
  *out = v;
  return true;
}

static bool parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "yes", "on", "true"};
  static const char *const no[] = {"0", "no", "off", "false"};
  for (size_t i = 0; i < LS_ARRAY_LEN(yes); i++) {
    if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
      *out = !strcasecmp(s, yes[i]);
      return true;
    }
  }
  return false;
}

/* Index of s in a "a|b|c" list, or -1. */
static int enum_index(const char *values, const char *s) {
  bool yes;
  if (parse_bool(s, &yes)) /* on/off/yes/no/true/false, where "1"/"0" are values */
    s = yes ? "1" : "0";
  size_t n = strlen(s);
  int i = 0;
  for (const char *v = values; *v; i++) {
    const char *end = strchr(v, '|');
    size_t len = end ? (size_t)(end - v) : strlen(v);
    if (len == n && !strncasecmp(v, s, n))
      return i;
    if (!end)
      break;
    v = end + 1;
  }
  return -1;
}

/* The signals LEAKSCOPE_SIGNAL may name, without "SIG". The signals a
 * program cannot catch, and those the kernel sends on faults, are absent:
 * they are refused. */
static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS}};

/* SIGUSR2, USR2, 12, SIGRTMIN+3, SIGRTMAX-2, none (any case). Numbers of
 * uncatchable and fault signals are refused, as their names are. */
static bool parse_signal(const char *s, int *out) {
  if (!strcasecmp(s, "none")) {
    *out = 0;
    return true;
  }
  unsigned long v;
  if (parse_ulong(s, &v)) {
    if (v == 0) {
      *out = 0;
      return true;
    }
    if (v >= 64 || v == SIGKILL || v == SIGSTOP || v == SIGSEGV || v == SIGBUS || v == SIGFPE ||
        v == SIGILL || v == SIGTRAP || v == SIGABRT)
      return false;
    *out = (int)v;
    return true;
  }
  if (!strncasecmp(s, "SIG", 3))
    s += 3;
  if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
    bool max = !strncasecmp(s, "RTMAX", 5);
    unsigned long off = 0;
    if (s[5] && (s[5] != (max ? '-' : '+') || !parse_ulong(s + 6, &off)))
      return false;
    long sig = max ? SIGRTMAX - (long)off : SIGRTMIN + (long)off;
    if (sig < SIGRTMIN || sig > SIGRTMAX)
      return false;
    *out = (int)sig;
    return true;
  }
  for (size_t i = 0; i < LS_ARRAY_LEN(signal_names); i++) {
    if (!strcasecmp(s, signal_names[i].name)) {
      *out = signal_names[i].sig;
      return true;
    }
  }
  return false;
}

const char *ls_signal_name(int sig, char *buf, size_t n) {
  ls_buf_t b;
  ls_buf_fixed(&b, buf, n - 1);
  size_t i = 0;
  while (i < LS_ARRAY_LEN(signal_names) && signal_names[i].sig != sig)
    i++;
  if (i < LS_ARRAY_LEN(signal_names))
    ls_buf_printf(&b, "SIG%s", signal_names[i].name);
  else if (sig == 0)
    ls_buf_puts(&b, "none");
  else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    ls_buf_printf(&b, "SIGRTMIN+%d", sig - SIGRTMIN);
  else
    ls_buf_put_i64(&b, sig);
  b.data[b.len] = '\0';
  return buf;
}

static const char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  if (n > sizeof string_pool - string_used)
    return NULL;
  char *dst = string_pool + string_used;
  memcpy(dst, s, n);
  string_used += n;
  return dst;
}

static void describe_default(const ls_option_t *o, char *mem, size_t cap) {
  ls_buf_t b;
  ls_buf_fixed(&b, mem, cap - 1);
  switch (o->kind) {
  case LS_KIND_BOOL: ls_buf_puts(&b, o->def ? "1" : "0"); break;
  case LS_KIND_UINT: ls_buf_put_u64(&b, (uint64_t)o->def); break;
  case LS_KIND_SIGNAL: ls_buf_put_u64(&b, (uint64_t)o->def); break;
  case LS_KIND_STRING: ls_buf_puts(&b, "unset"); break;
  case LS_KIND_ENUM: {
    const char *end = strchr(o->values, '|');
    ls_buf_put(&b, o->values, end ? (size_t)(end - o->values) : strlen(o->values));
    break;
  }
  }
  b.data[b.len] = '\0';
}

static void upper_name(const ls_option_t *o, char *mem, size_t cap) {
  size_t i = 0;
  for (; o->name[i] && i + 1 < cap; i++)
    mem[i] = (char)(o->name[i] >= 'a' && o->name[i] <= 'z' ? o->name[i] - 32 : o->name[i]);
  mem[i] = '\0';
}

static const ls_option_t *find_option(const char *name) {
  for (size_t i = 0; i < LS_ARRAY_LEN(options); i++)
    if (!strcasecmp(name, options[i].name))
      return &options[i];
  return NULL;
}

/* Parses value into o's field of cfg, or sets the default and returns
 * -EINVAL. A string value is copied to the pool when copy is set, else
 * the field points into value. Prints nothing: the one parser behind
 * ls_config_set and ls_config_parse. */
static int parse_option(ls_config_t *cfg, const ls_option_t *o, const char *value, bool copy) {
  char *field = (char *)cfg + o->offset;
  bool ok = false;
  switch (o->kind) {
  case LS_KIND_BOOL: ok = parse_bool(value, (bool *)field); break;
  case LS_KIND_UINT: {
    unsigned long v;
    ok = parse_ulong(value, &v) && v >= (unsigned long)o->min && v <= (unsigned long)o->max;
    if (ok)
      *(unsigned long *)field = v;
    break;
  }
  case LS_KIND_ENUM: {
    int idx = enum_index(o->values, value);
    ok = idx >= 0;
    if (ok)
      *(int *)field = idx;
    break;
  }
  case LS_KIND_SIGNAL: ok = parse_signal(value, (int *)field); break;
  case LS_KIND_STRING: {
    /* Without copy, refuse what could never fit the pool, so a tool
     * checking a value refuses what the library would. */
    const char *s = !*value                              ? NULL
                    : copy                               ? copy_string(value)
                    : strlen(value) < sizeof string_pool ? value
                                                         : NULL;
    ok = s != NULL;
    if (ok)
      *(const char **)field = s;
    break;
  }
  }
  if (ok)
    return 0;
  set_default(cfg, o);
  return -EINVAL;
}

int ls_config_parse(ls_config_t *cfg, const char *name, const char *value) {
  const ls_option_t *o = find_option(name);
  return o ? parse_option(cfg, o, value, false) : -ENOENT;
}

int ls_config_set(ls_config_t *cfg, const char *name, const char *value) {
  const ls_option_t *o = find_option(name);
  if (!o)
    return -ENOENT;
  if (!parse_option(cfg, o, value, true))
    return 0;
  char upper[32], def[32], shown[64];
  upper_name(o, upper, sizeof upper);
  describe_default(o, def, sizeof def);
  /* Quote at most 40 characters of the bad value, control characters
   * shown as '?': a huge value must not turn into a huge warning, nor a
   * newline or an escape sequence into a second line or a terminal trick. */
  size_t n = strlen(value);
  for (size_t i = 0; i < n && i < 40; i++)
    shown[i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ? '?' : value[i];
  strcpy(shown + (n > 40 ? 40 : n), n > 40 ? "..." : "");
  ls_warn("LEAKSCOPE_%s='%s' is invalid, using the default (%s)", upper, shown, def);
  return -EINVAL;
}

const char *ls_config_expected(const char *name, char *buf, size_t n) {
  const ls_option_t *o = find_option(name);
  if (!o)
    return NULL;
  ls_buf_t b;
  ls_buf_fixed(&b, buf, n - 1);
  switch (o->kind) {
  case LS_KIND_BOOL: ls_buf_puts(&b, "1, 0, yes, no, on, off, true or false"); break;
  case LS_KIND_UINT: ls_buf_printf(&b, "a whole number from %ld to %ld", o->min, o->max); break;
  case LS_KIND_ENUM: ls_buf_printf(&b, "one of %s (any case)", o->values); break;
  case LS_KIND_SIGNAL:
    ls_buf_puts(&b, "a signal name (USR2, SIGRTMIN+3, RTMAX-1), a number below 64, or "
                    "none; KILL, STOP and fault signals are refused");
    break;
  case LS_KIND_STRING:
    ls_buf_printf(&b, "a non-empty value shorter than %zu bytes", sizeof string_pool);
    break;
  }
  b.data[b.len] = '\0';
  return buf;
}

bool ls_config_expand_output(const char *output, long pid, char *dst, size_t cap) {
  ls_buf_t b;
  ls_buf_fixed(&b, dst, cap - 1);
  for (const char *s = output; *s; s++) {
    if (s[0] == '%' && s[1] == 'p') {
      ls_buf_put_i64(&b, pid);
      s++;
    } else if (s[0] == '%' && s[1] == '%') {
      ls_buf_putc(&b, '%');
      s++;
    } else {
      ls_buf_putc(&b, *s);
    }
  }
  dst[b.len] = '\0';
  return !b.truncated;
}

/* Reads the LEAKSCOPE_ variables of envp into cfg, defaults first. quiet:
 * print nothing and copy no string (for a tool reading another process's
 * environment); else warn as ls_config_load promises. */
static void read_env(ls_config_t *cfg, char **envp, bool secure, bool quiet) {
  ls_config_defaults(cfg);
  for (char **e = envp; e && *e; e++) {
    if (strncmp(*e, "LEAKSCOPE_", 10))
      continue;
    const char *eq = strchr(*e, '=');
    if (!eq)
      continue;
    char name[48];
    size_t n = (size_t)(eq - *e) - 10;
    if (n >= sizeof name)
      n = sizeof name - 1;
    memcpy(name, *e + 10, n);
    name[n] = '\0';
    if (secure && (!strcasecmp(name, "output") || !strcasecmp(name, "suppressions") ||
                   !strcasecmp(name, "baseline"))) {
      if (!quiet)
        ls_warn("LEAKSCOPE_%s is ignored in a set-uid/set-gid program", name);
      continue;
    }
    int rc = quiet ? ls_config_parse(cfg, name, eq + 1) : ls_config_set(cfg, name, eq + 1);
    if (rc == -ENOENT && !quiet)
      ls_warn("unknown variable LEAKSCOPE_%s ignored", name);
  }
}

void ls_config_load(char **envp, bool secure) {
  string_used = 0;
  read_env(&ls_config, envp, secure, false);
}

void ls_config_read(ls_config_t *cfg, char **envp, bool secure) {
  read_env(cfg, envp, secure, true);
}

void ls_config_print(const ls_config_t *cfg) {
  for (size_t i = 0; i < LS_ARRAY_LEN(options); i++) {
    const ls_option_t *o = &options[i];
    const char *field = (const char *)cfg + o->offset;
    char upper[32], mem[256];
    ls_buf_t b;
    ls_buf_fixed(&b, mem, sizeof mem - 1);
    upper_name(o, upper, sizeof upper);
    switch (o->kind) {
    case LS_KIND_BOOL: ls_buf_puts(&b, *(const bool *)field ? "1" : "0"); break;
    case LS_KIND_UINT: ls_buf_put_u64(&b, *(const unsigned long *)field); break;
    case LS_KIND_SIGNAL: {
      char sig[32];
      ls_buf_puts(&b, ls_signal_name(*(const int *)field, sig, sizeof sig));
      break;
    }
    case LS_KIND_STRING: {
      const char *s = *(const char *const *)field;
      ls_buf_puts(&b, s ? s : "(unset)");
      break;
    }
    case LS_KIND_ENUM: {
      const char *v = o->values;
      for (int k = *(const int *)field; k > 0 && v; k--)
        v = strchr(v, '|') ? strchr(v, '|') + 1 : NULL;
      const char *end = v ? strchr(v, '|') : NULL;
      if (v)
        ls_buf_put(&b, v, end ? (size_t)(end - v) : strlen(v));
      break;
    }
    }
    b.data[b.len] = '\0';
    ls_info("option LEAKSCOPE_%s=%s", upper, mem);
  }
}
