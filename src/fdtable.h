/* SPDX-License-Identifier: MIT
 * fdtable.h: open file descriptors we saw created, indexed by fd number.
 *
 * The kernel hands out fd numbers uniquely, and the interposers clear an
 * entry before the real close, so two threads never write one entry at the
 * same time in a correct program. Each entry is a seqlock: writers make
 * `seq` odd, write, make it even; readers retry until they see the same
 * even value before and after. No locks, no allocation after start-up.
 */
#ifndef LS_FDTABLE_H
#define LS_FDTABLE_H

#include "common.h"

/* X-macro: resource kinds of fd leaks, in report order. */
/* clang-format off */
#define LS_FD_KINDS(X)                                                                    \
  X(FILE, "file", "file", "files") X(SOCKET, "socket", "socket", "sockets")               \
  X(PIPE, "pipe", "pipe", "pipes") X(EVENTFD, "eventfd", "eventfd", "eventfds")           \
  X(EPOLL, "epoll", "epoll fd", "epoll fds") X(TIMERFD, "timerfd", "timerfd", "timerfds") \
  X(SIGNALFD, "signalfd", "signalfd", "signalfds")                                        \
  X(INOTIFY, "inotify", "inotify fd", "inotify fds") X(MEMFD, "memfd", "memfd", "memfds") \
  X(STREAM, "stream", "FILE* stream", "FILE* streams")                                    \
  X(DIR, "dir", "DIR* stream", "DIR* streams") X(OTHER, "other", "fd", "fds")
/* clang-format on */

/* clang-format off */
typedef enum {
#define LS_FD_KIND_ENUM(id, json, one, many) LS_FD_##id,
  LS_FD_KINDS(LS_FD_KIND_ENUM)
#undef LS_FD_KIND_ENUM
  LS_FD_KIND_COUNT
} ls_fd_kind_t;
/* clang-format on */

/* JSON name, and singular/plural words for the text report. */
const char *ls_fd_kind_name(ls_fd_kind_t k);
const char *ls_fd_kind_word(ls_fd_kind_t k, bool plural);

typedef struct ls_fd_entry {
  ls_fd_kind_t kind;
  uint32_t stack;  /* depot id of the creating call */
  uint32_t stamp;  /* creation time, ls_now_ms() */
  uint16_t thread; /* creating thread's id */
  int flags;       /* open flags (O_CLOEXEC etc.) as far as known; with
                      LS_FD_ACCMODE_KNOWN, flags & O_ACCMODE is the access
                      mode the kernel gave the fd (it never changes) */
  void *obj;       /* the FILE* or DIR* for streams, else NULL */
} ls_fd_entry_t;

/* In ls_fd_entry_t.flags: the access mode bits are the fd's. Above every
 * O_ flag Linux defines (the highest, __O_TMPFILE, is bit 22). */
#define LS_FD_ACCMODE_KNOWN 0x40000000

/* Sizes the table from RLIMIT_NOFILE. Idempotent. */
void ls_fdtable_init(void);

/* Records fd as open. Returns false if fd is beyond the table. */
bool ls_fdtable_set(int fd, const ls_fd_entry_t *e);

/* Forgets fd; if it was tracked and out != NULL, copies its entry there.
 * Returns whether it was tracked. */
bool ls_fdtable_clear(int fd, ls_fd_entry_t *out);

/* Reads fd's entry; false if not tracked. */
bool ls_fdtable_get(int fd, ls_fd_entry_t *out);

/* Calls fn for every tracked fd, in increasing order. */
typedef void (*ls_fd_visit_fn)(int fd, const ls_fd_entry_t *e, void *ctx);
void ls_fdtable_foreach(ls_fd_visit_fn fn, void *ctx);

/* One past the highest fd ever tracked (bounds close_range/closefrom). */
int ls_fdtable_limit(void);

size_t ls_fdtable_bytes(void);

/* The kind of fd the kernel's name for it says (a /proc/self/fd link:
 * "socket:[..]", "pipe:[..]", "anon_inode:[eventfd]", "/memfd:..", a path);
 * LS_FD_OTHER for anything else. */
ls_fd_kind_t ls_fd_kind_of_link(const char *link);

/* Report time: whether the record e of fd still describes the fd. A
 * record goes stale when its fd was closed, or closed and its number
 * reused, where no interposer could see it: glibc closing fd 1 inside
 * fclose(stdout) after the program's dup2(file, 1), a raw syscall
 * instruction, io_uring. Checked against the kernel, with no new fd and
 * no /proc needed: the fd is open (F_GETFL), its access mode is the one
 * recorded (when known), and its kind, read from link (its /proc/self/fd
 * link, NULL when unreadable), is one the recording call can make (a file
 * opened by path can be a pipe or memfd reopened through /proc, never a
 * socket or an anonymous inode). Two files opened with the same access
 * mode cannot be told apart without an fstat at creation, which would
 * cost more than the open itself on a machine with slow syscalls.
 * Returns LS_FD_CURRENT, LS_FD_STALE, or LS_FD_RACED when the entry
 * changed while it was checked (the program closed or reopened the fd
 * meanwhile: neither reported nor counted). Keeps errno. */
typedef enum { LS_FD_CURRENT, LS_FD_STALE, LS_FD_RACED } ls_fd_state_t;
ls_fd_state_t ls_fdtable_check(int fd, const ls_fd_entry_t *e, const char *link);

/* Fork child: an entry another thread was writing at the fork stays half
 * written; its sequence number is made even again so readers do not spin
 * forever (the entry's contents are whatever was written). */
void ls_fdtable_after_fork_child(void);

#endif
