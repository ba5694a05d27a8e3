/* SPDX-License-Identifier: MIT
 * report_kinds.c: the report model's threads, memory mappings and child
 * processes: reads their tables (kind_*.c) into groups and items, with
 * what only report time can tell (a running thread's name, a mapping's
 * backing file, whether a child is a zombie).
 *
 * Report time only: reads /proc, never from an interposer.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "kind_mapping.h"
#include "reach.h"
#include "kind_process.h"
#include "kind_thread.h"
#include "read_file.h"
#include "report.h"

const char *ls_kind_resource_name(ls_group_kind_t kind, int resource) {
  switch (kind) {
  case LS_GROUP_THREAD: return resource == LS_THREAD_RUNNING ? "running" : "not-joined";
  case LS_GROUP_MAPPING:
    return resource == LS_MAPPING_FILE ? "file" : resource == LS_MAPPING_SHM ? "shm" : "anonymous";
  case LS_GROUP_PROCESS: return resource == LS_PROCESS_RUNNING ? "running" : "zombie";
  default: return "?";
  }
}

/* Reads a small /proc file into buf (NUL-terminated, one trailing
 * newline dropped); "" if it cannot. */
static void read_small(const char *path, char *buf, size_t cap) {
  long n = ls_read_small(path, buf, cap);
  if (n < 0)
    buf[0] = '\0';
  else if (n > 0 && buf[n - 1] == '\n')
    buf[n - 1] = '\0';
}

/* --- Threads --- */

typedef struct thread_visit {
  ls_report_builder_t *b;
  char comm[16]; /* the process's name: a thread's name only if it differs */
} thread_visit_t;

static void visit_thread(const ls_kthread_info_t *t, void *ctx) {
  thread_visit_t *v = ctx;
  if (!ls_report_passes(v->b, t->stamp, t->thread))
    return;
  char name[32];
  if (t->exited) {
    memcpy(name, t->name, sizeof t->name);
    name[sizeof t->name] = '\0';
  } else {
    char path[64];
    ls_buf_t pb;
    ls_buf_fixed(&pb, path, sizeof path - 1);
    ls_buf_printf(&pb, "/proc/self/task/%d/comm", t->tid);
    path[pb.len] = '\0';
    read_small(path, name, sizeof name);
  }
  if (!strcmp(name, v->comm))
    name[0] = '\0';
  int res = t->exited ? LS_THREAD_NOT_JOINED : LS_THREAD_RUNNING;
  bool not_leak = res == LS_THREAD_RUNNING && ls_config.threads != LS_THREADS_STRICT;
  ls_fd_item_t item = {.fd = t->tid, .size = t->stacksize};
  if (!ls_report_add_item(v->b, LS_GROUP_THREAD, res, t->stack, t->stamp, t->stacksize, not_leak,
                          item, name))
    return;
  ls_report_t *r = ls_report_of(v->b);
  *(res == LS_THREAD_RUNNING ? &r->threads_running : &r->threads) += 1;
}

/* --- Mappings --- */

typedef struct map_visit {
  ls_report_builder_t *b;
  ls_mbuf_t maps; /* /proc/self/maps, read once per report; a NUL after it */
} map_visit_t;

/* The pathname column of the /proc/self/maps line that holds addr:
 * the backing file, or "[anonymous]". */
static void backing_of(const map_visit_t *v, uintptr_t addr, char *out, size_t cap) {
  snprintf(out, cap, "[anonymous]");
  for (const char *p = v->maps.p, *end = p + v->maps.len; p && p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      nl = end;
    unsigned long lo, hi;
    int path_at = 0;
    if (sscanf(p, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &path_at) == 2 && addr >= lo &&
        addr < hi) {
      if (path_at > 0 && p + path_at < nl && p[path_at] != '\n')
        snprintf(out, cap, "%.*s", (int)(nl - p - path_at), p + path_at);
      return;
    }
    p = nl + 1;
  }
}

static void visit_mapping(const ls_kmap_info_t *m, void *ctx) {
  map_visit_t *v = ctx;
  if (!ls_report_passes(v->b, m->stamp, m->thread))
    return;
  ls_report_t *r = ls_report_of(v->b);
  /* With reachability, a mapping something still points to is the
   * program's working memory (an allocator's arena, a mapped file in
   * use), not a leak: counted, not listed, as a reachable block. */
  int cls = ls_report_mapping_class(v->b, m->start);
  if (cls == LS_REACH_GONE)
    return;
  if (cls == LS_REACH_REACHABLE) {
    r->mappings_reachable++;
    r->mapping_bytes_reachable += m->len;
    if (!ls_config.show_reachable)
      return;
  }
  char path[512];
  backing_of(v, m->start, path, sizeof path);
  int res = m->kind == LS_KMAP_FILE  ? LS_MAPPING_FILE
            : m->kind == LS_KMAP_SHM ? LS_MAPPING_SHM
                                     : LS_MAPPING_ANONYMOUS;
  ls_fd_item_t item = {.fd = -1, .addr = m->start, .size = m->len, .prot = m->prot};
  if (!ls_report_add_item(v->b, LS_GROUP_MAPPING, res, m->stack, m->stamp, m->len, false, item,
                          path))
    return;
  r->mappings++;
  r->mapping_bytes += m->len;
}

/* Reads /proc/self/maps whole into m, a NUL after it (backing_of's
 * sscanf may look one byte past the last line); empty if it cannot. */
static void read_maps(ls_mbuf_t *m) {
  int err;
  if (ls_read_file("/proc/self/maps", m, 64 * 1024, SIZE_MAX, 0, &err) != LS_READ_WHOLE ||
      !ls_mbuf_reserve(m, m->len + 1, 64 * 1024))
    m->len = 0;
  else
    m->p[m->len] = '\0';
}

/* --- Child processes --- */

/* What the kernel says of child pid, without reaping it: 1 and *status
 * (a wait status) for a zombie, 0 for a child still running, -1 for a
 * pid that is not a waitable child of ours any more (reaped by a wait
 * leakscope did not see, or by the kernel). */
static int child_state(pid_t pid, int *status) {
  siginfo_t si;
  si.si_pid = 0;
  if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
    return -1;
  if (si.si_pid != pid)
    return 0;
  *status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
  return 1;
}

static void visit_process(const ls_kproc_info_t *p, void *ctx) {
  ls_report_builder_t *b = ctx;
  if (!ls_report_passes(b, p->stamp, p->thread))
    return;
  int status = -1;
  int state = child_state(p->pid, &status);
  if (state < 0)
    return;
  char text[64];
  ls_buf_t tb;
  ls_buf_fixed(&tb, text, sizeof text - 1);
  if (state == 0)
    ls_buf_puts(&tb, "running");
  else if (WIFEXITED(status))
    ls_buf_printf(&tb, "exited with status %d", WEXITSTATUS(status));
  else
    ls_buf_printf(&tb, "killed by signal %d", WTERMSIG(status));
  text[tb.len] = '\0';
  int res = state ? LS_PROCESS_ZOMBIE : LS_PROCESS_RUNNING;
  ls_fd_item_t item = {.fd = p->pid, .status = state ? status : -1};
  if (!ls_report_add_item(b, LS_GROUP_PROCESS, res, p->stack, p->stamp, 0, !state, item, text))
    return;
  ls_report_t *r = ls_report_of(b);
  *(state ? &r->processes : &r->processes_running) += 1;
}

/* SIGCHLD ignored or SA_NOCLDWAIT: the kernel reaps every child, none
 * can be a zombie, and the program never waits. */
static bool kernel_reaps(void) {
  struct sigaction sa;
  if (sigaction(SIGCHLD, NULL, &sa) != 0)
    return false;
  return sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT);
}

void ls_report_visit_mappings(ls_report_builder_t *b, const ls_filter_t *f) {
  if (f->mappings) {
    map_visit_t v = {.b = b};
    read_maps(&v.maps);
    ls_kmap_foreach(visit_mapping, &v);
    ls_mbuf_release(&v.maps);
  }
}

void ls_report_visit_kinds(ls_report_builder_t *b, const ls_filter_t *f) {
  if (f->processes && !kernel_reaps())
    ls_kproc_foreach(visit_process, b);
  if (f->threads) {
    thread_visit_t v = {.b = b};
    read_small("/proc/self/comm", v.comm, sizeof v.comm);
    ls_kthread_foreach(visit_thread, &v);
  }
}
