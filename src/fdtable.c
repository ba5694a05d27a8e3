/* SPDX-License-Identifier: MIT
 * fdtable.c: the per-fd seqlocked table (see fdtable.h).
 * Sized once from the hard RLIMIT_NOFILE (capped) and reserved with
 * MAP_NORESERVE, so a program with a million-fd limit but ten open files
 * commits one page.
 */
#include "fdtable.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>

#include "arena.h"
#include "atomic.h"

#define MAX_FDS (1u << 21)

/* The entry is kept as words, each read and written with a relaxed atomic:
 * a reader may run concurrently with a writer (that is what the seqlock
 * detects and retries), and plain accesses would make that a data race
 * (undefined, and what TSan reports in unit_fdtable). On x86-64 a relaxed
 * 8-byte load or store is a plain mov: no cost. */
#define ENTRY_WORDS (sizeof(ls_fd_entry_t) / sizeof(uint64_t))
_Static_assert(sizeof(ls_fd_entry_t) % sizeof(uint64_t) == 0, "entry is whole words");

typedef struct slot {
  _Atomic uint32_t seq; /* odd: being written */
  _Atomic uint32_t live;
  _Atomic uint64_t e[ENTRY_WORDS]; /* an ls_fd_entry_t */
} slot_t;

/* Published once by ls_fdtable_init's CAS (acq_rel) after the mapping is
 * made; readers load it with acquire. nslots is written after the CAS but
 * before any fd is set, by the constructor's single thread. */
static _Atomic(slot_t *) slots;
static uint32_t nslots;
static size_t table_bytes;
static _Atomic int high; /* one past the highest fd ever set */

static const char *const kind_names[][3] = {
#define LS_FD_KIND_ROW(id, json, one, many) {json, one, many},
    LS_FD_KINDS(LS_FD_KIND_ROW)
#undef LS_FD_KIND_ROW
};

const char *ls_fd_kind_name(ls_fd_kind_t k) { return kind_names[k][0]; }
const char *ls_fd_kind_word(ls_fd_kind_t k, bool plural) { return kind_names[k][plural ? 2 : 1]; }

void ls_fdtable_init(void) {
  /* acquire: pairs with the CAS below */
  if (ls_atomic_load_acquire(&slots))
    return;
  struct rlimit rl;
  rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_max : 65536;
  if (n == RLIM_INFINITY || n > MAX_FDS)
    n = MAX_FDS;
  if (n < 1024)
    n = 1024;
  size_t bytes = (size_t)n * sizeof(slot_t);
  slot_t *s = ls_map(bytes);
  if (!s)
    return; /* fds go untracked; memory tracking still works */
  slot_t *expected = NULL;
  /* Two threads may race here before our constructor ran: one wins. */
  /* acq_rel: publishes the mapping; pairs with the acquire loads */
  if (!ls_atomic_cas_acq_rel(&slots, &expected, s)) {
    ls_unmap(s, bytes);
    return;
  }
  nslots = (uint32_t)n;
  table_bytes = bytes;
}

static slot_t *slot_of(int fd) {
  /* acquire: pairs with ls_fdtable_init's CAS */
  slot_t *s = ls_atomic_load_acquire(&slots);
  if (!s || fd < 0 || (uint32_t)fd >= nslots)
    return NULL;
  return &s[fd];
}

/* Seqlock write: odd, fields, even. The RMWs keep seq consistent even if
 * a racy program makes two threads write one fd. */
static void write_slot(slot_t *s, const ls_fd_entry_t *e, uint32_t live) {
  /* relaxed RMW + release fence: the odd value is visible before any
   * field store (standard seqlock writer) */
  ls_atomic_add_relaxed(&s->seq, 1);
  ls_atomic_fence_release();
  if (e) {
    uint64_t w[ENTRY_WORDS];
    memcpy(w, e, sizeof w);
    for (size_t i = 0; i < ENTRY_WORDS; i++)
      ls_atomic_store_relaxed(&s->e[i], w[i]);
  }
  ls_atomic_store_relaxed(&s->live, live);
  /* release: fields before the even value; pairs with read_slot's acquire */
  ls_atomic_add_acq_rel(&s->seq, 1);
}

static bool read_slot(slot_t *s, ls_fd_entry_t *out) {
  for (;;) {
    /* acquire: pairs with the writer's final release increment */
    uint32_t before = ls_atomic_load_acquire(&s->seq);
    if (before & 1) {
      ls_cpu_pause(); /* a writer is a few stores from the even value */
      continue;
    }
    uint32_t live = ls_atomic_load_relaxed(&s->live);
    uint64_t w[ENTRY_WORDS];
    for (size_t i = 0; i < ENTRY_WORDS; i++)
      w[i] = ls_atomic_load_relaxed(&s->e[i]);
    /* acquire fence: the field reads above complete before the re-check */
    ls_atomic_fence_acquire();
    if (ls_atomic_load_relaxed(&s->seq) != before)
      continue;
    if (live && out)
      memcpy(out, w, sizeof *out);
    return live != 0;
  }
}

bool ls_fdtable_set(int fd, const ls_fd_entry_t *e) {
  slot_t *s = slot_of(fd);
  if (!s)
    return false;
  write_slot(s, e, 1);
  int h = ls_atomic_load_relaxed(&high);
  /* relaxed: a bound for scans; a stale value only shortens a scan of fds
   * that were opened concurrently with it */
  while (h <= fd && !ls_atomic_cas_weak_relaxed(&high, &h, fd + 1))
    ;
  return true;
}

bool ls_fdtable_clear(int fd, ls_fd_entry_t *out) {
  slot_t *s = slot_of(fd);
  if (!s || !read_slot(s, out))
    return false;
  write_slot(s, NULL, 0);
  return true;
}

bool ls_fdtable_get(int fd, ls_fd_entry_t *out) {
  slot_t *s = slot_of(fd);
  return s && read_slot(s, out);
}

void ls_fdtable_foreach(ls_fd_visit_fn fn, void *ctx) {
  int n = ls_fdtable_limit();
  for (int fd = 0; fd < n; fd++) {
    ls_fd_entry_t e;
    if (ls_fdtable_get(fd, &e))
      fn(fd, &e, ctx);
  }
}

int ls_fdtable_limit(void) { return ls_atomic_load_relaxed(&high); }

size_t ls_fdtable_bytes(void) {
  /* Pages are committed as fds are used: count up to the highest one. */
  size_t used = (size_t)ls_fdtable_limit() * sizeof(slot_t);
  return used < table_bytes ? (used + 4095) & ~(size_t)4095 : table_bytes;
}

void ls_fdtable_after_fork_child(void) {
  /* acquire: pairs with ls_fdtable_init's CAS */
  slot_t *s = ls_atomic_load_acquire(&slots);
  int n = ls_fdtable_limit();
  for (int fd = 0; s && fd < n; fd++) {
    /* relaxed: the child is single-threaded here */
    uint32_t seq = ls_atomic_load_relaxed(&s[fd].seq);
    if (seq & 1)
      ls_atomic_store_relaxed(&s[fd].seq, seq + 1);
  }
}

ls_fd_kind_t ls_fd_kind_of_link(const char *link) {
  static const struct {
    const char *prefix;
    ls_fd_kind_t kind;
  } kinds[] = {{"socket:", LS_FD_SOCKET},
               {"pipe:", LS_FD_PIPE},
               {"anon_inode:[eventfd]", LS_FD_EVENTFD},
               {"anon_inode:[eventpoll]", LS_FD_EPOLL},
               {"anon_inode:[timerfd]", LS_FD_TIMERFD},
               {"anon_inode:[signalfd]", LS_FD_SIGNALFD},
               {"anon_inode:inotify", LS_FD_INOTIFY},
               {"/memfd:", LS_FD_MEMFD},
               {"/", LS_FD_FILE}};
  for (size_t i = 0; i < LS_ARRAY_LEN(kinds); i++)
    if (!strncmp(link, kinds[i].prefix, strlen(kinds[i].prefix)))
      return kinds[i].kind;
  return LS_FD_OTHER;
}

/* Whether a call that records `recorded` can have made an fd the kernel
 * now names `link`. Only certain mismatches count: sockets and anonymous
 * inodes cannot be opened by path (open of their /proc link fails with
 * ENXIO), while a path can name a pipe or memfd through /proc/self/fd or
 * /dev/stdin. Streams may wrap any fd (fdopen); received and duplicated
 * fds of unknown origin (OTHER) are not judged. */
static bool kind_possible(ls_fd_kind_t recorded, const char *link) {
  ls_fd_kind_t now = ls_fd_kind_of_link(link);
  switch (recorded) {
  case LS_FD_FILE:
    return now == LS_FD_FILE || now == LS_FD_PIPE || now == LS_FD_MEMFD ||
           (now == LS_FD_OTHER && strncmp(link, "anon_inode:", 11) != 0);
  case LS_FD_DIR: return now == LS_FD_FILE;
  case LS_FD_STREAM:
  case LS_FD_OTHER: return true;
  default: return now == recorded;
  }
}

ls_fd_state_t ls_fdtable_check(int fd, const ls_fd_entry_t *e, const char *link) {
  LS_KEEP_ERRNO();
  ls_fd_state_t state = LS_FD_CURRENT;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0)
    state = errno == EBADF ? LS_FD_STALE : LS_FD_CURRENT;
  else if ((e->flags & LS_FD_ACCMODE_KNOWN) && (fl & O_ACCMODE) != (e->flags & O_ACCMODE))
    state = LS_FD_STALE;
  else if (link && *link && !kind_possible(e->kind, link))
    state = LS_FD_STALE;
  /* The verdict is about e: if the program replaced the entry meanwhile
   * (closed the fd, opened another), it judged the wrong fd. */
  ls_fd_entry_t now;
  if (!ls_fdtable_get(fd, &now) || now.stack != e->stack || now.stamp != e->stamp ||
      now.kind != e->kind || now.obj != e->obj)
    state = LS_FD_RACED;
  return state;
}
