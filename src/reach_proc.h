/* SPDX-License-Identifier: MIT
 * reach_proc.h: what the reachability classifier (reach.c) knows of the
 * process without asking libc: raw system calls, signal actions in the
 * kernel's own structure, and readers of /proc (the address space, the
 * task list, one task's state).
 *
 * Nothing here takes a lock, touches errno, is a cancellation point or
 * goes through an interposer, and the only memory it takes is from mmap:
 * all of it may run while the other threads are stopped (reach_stop.c).
 * x86-64 Linux only.
 */
#ifndef LS_REACH_PROC_H
#define LS_REACH_PROC_H

#include "common.h"

#if defined(__x86_64__) && defined(__linux__)

#include <linux/futex.h>
#include <signal.h>
#include <time.h>

#include "mbuf.h"
#include "raw_syscall.h"

#define PAGE 4096u

/* Conservative scanning reads what sanitizers call off limits (redzones
 * around globals, other threads' stacks): the code that reads foreign
 * memory is not instrumented. Nor are the signal handlers: installed with
 * the raw system call, they run where a sanitizer's runtime does not
 * expect them (ThreadSanitizer's is not reentrant). */
#define RAW_READ __attribute__((no_sanitize("address", "thread", "undefined")))

static inline RAW_READ uintptr_t peek(uintptr_t a) { return *(const uintptr_t *)a; }

static inline void futex_wait(_Atomic uint32_t *w, uint32_t val, long timeout_ns) {
  struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
  sys4(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, timeout_ns >= 0 ? &ts : NULL);
}

static inline void futex_wake(_Atomic uint32_t *w, int n) {
  sys3(SYS_futex, w, FUTEX_WAKE_PRIVATE, n);
}

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no lock, no allocation */
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- Signal actions, set with the raw call --- */

/* The kernel's struct sigaction (x86-64). Installing handlers with the
 * raw call keeps us out of the interposed sigaction and lets us restore a
 * previous action exactly, restorer included. */
typedef struct ksigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
} ksigaction_t;

/* rt_sigaction: act and old may be NULL. Returns 0 or -errno. */
long ls_reach_ksig(int sig, const ksigaction_t *act, ksigaction_t *old);

/* Installs fn as sig's SA_SIGINFO handler with our own restorer; the
 * previous action goes to old. Returns 0 or -errno. */
long ls_reach_install(int sig, void (*fn)(int, siginfo_t *, void *), unsigned long flags,
                      uint64_t mask, ksigaction_t *old);

/* --- /proc files, read raw --- */

/* "/proc/self/task/TID/FILE" into out. */
void ls_reach_task_path(char *out, size_t cap, int tid, const char *file);

/* Parses hex digits (an optional 0x first) at *s and moves *s past them. */
uint64_t ls_reach_parse_hex(const char **s);

/* --- The address space: /proc/self/maps --- */

enum {
  RG_READ = 1,
  RG_WRITE = 2,
  RG_ANON = 4,     /* no file behind it (inode 0, no path or a [name]) */
  RG_BRK_HEAP = 8, /* [heap]: the program break's area, the allocator's */
};

typedef struct region {
  uintptr_t lo, hi;
  unsigned flags;
} region_t;

typedef struct regions {
  region_t *r; /* sorted by address, as the kernel lists them */
  size_t n, cap;
  ls_mbuf_t text; /* the file's text (read_file.h) */
} regions_t;

/* Reads /proc/self/maps into rg. [vvar] and [vsyscall] count as
 * unreadable (reading some of their pages faults), and so do device
 * mappings under /dev but /dev/zero and /dev/shm. Returns 0 or -errno. */
int ls_reach_maps_load(regions_t *rg);
void ls_reach_maps_release(regions_t *rg);

/* Index of the first region ending above a (rg->n if none). */
size_t ls_reach_region_after(const regions_t *rg, uintptr_t a);

/* The region holding a, or NULL. */
const region_t *ls_reach_region_of(const regions_t *rg, uintptr_t a);

/* Whether all of [lo, hi) is mapped readable. */
bool ls_reach_readable(const regions_t *rg, uintptr_t lo, uintptr_t hi);

/* --- Threads: /proc/self/task --- */

typedef bool (*ls_reach_tid_fn)(int tid, void *ctx);

/* Calls fn for each thread of the process until it returns false
 * (getdents64, no allocation). Returns 0 or -errno. */
int ls_reach_each_task(ls_reach_tid_fn fn, void *ctx);

/* Whether tid blocks sig, from its SigBlk line. */
bool ls_reach_blocks_signal(int tid, int sig);

typedef enum {
  TASK_GONE,      /* exited, or a zombie */
  TASK_IN_KERNEL, /* in a system call or blocked: *sp is its user stack pointer */
  TASK_RUNNING,   /* on a CPU (or runnable) in user space */
} ls_reach_task_state_t;

/* Where tid is now, from /proc/self/task/TID/{stat,syscall}. */
ls_reach_task_state_t ls_reach_task_state(int tid, uintptr_t *sp);

#endif /* x86-64 Linux */
#endif
