/* SPDX-License-Identifier: MIT
 * reach.c: the reachability classifier (see reach.h): gather, stop the
 * world, scan, classify, resume.
 *
 * Never calls malloc, stdio or dl_* while other threads are stopped: all
 * that runs between the stop and the release is raw syscalls, reads of
 * memory that /proc/self/maps (re-read after the stop) says is mapped and
 * readable, and our own mappings. A fault while scanning (a file-backed
 * page past a truncated file's end, memory unmapped by a thread we could
 * not stop) is caught by a temporary SIGSEGV/SIGBUS handler and skips the
 * page. x86-64 Linux only; elsewhere ls_reach_classify returns -ENOSYS.
 *
 * Classes follow Valgrind's memcheck (mc_leakcheck.c):
 *  1. REACHABLE: reached from a root by a chain of start pointers.
 *  2. POSSIBLE: reached at all (interior pointers count) from a root, a
 *     reachable block or a possible block, but not REACHABLE.
 *  3. The rest is lost. Valgrind's cliques, not LeakSanitizer's rule,
 *     split it: in address order, each lost block not yet claimed leads a
 *     clique of everything it reaches (earlier leaders included), which
 *     become INDIRECT; the leader stays DEFINITE. So a leaked list is one
 *     definite head plus indirect nodes, and a leaked cycle has exactly
 *     one definite member (LeakSanitizer marks every member of a cycle
 *     indirect and reports no direct leak for it). Pointers from a block
 *     to itself never count.
 * Under glibc malloc, the allocator's own state (main_arena's top and bin
 * pointers, in libc's data) points at chunk headers, which lie inside the
 * previous block's last 16 bytes: such a pointer (the exact address of the
 * next chunk's header) is not counted as an interior pointer.
 *
 * Stopping, without ptrace: every other thread of /proc/self/task gets
 * SIGRTMAX-3 (or the next lower real-time signal the program leaves at its
 * default) from rt_tgsigqueueinfo, tagged with this stop's generation; its
 * handler publishes the interrupted registers and waits on a futex.
 *  - A thread that blocks the signal is not sent one: it would stay
 *    pending and, once the default action is back, kill the process. Its
 *    stack pointer comes from /proc/self/task/TID/syscall while it is in
 *    the kernel (an idle thread); its registers stay unknown. glibc starts
 *    new threads with every signal blocked, so its mask is read again.
 *  - A thread that neither parks nor sits in the kernel in time (200 ms;
 *    1 s for one signalled but waiting for a CPU; 50 ms for one blocking
 *    the signal) is lost: the result is LS_REACH_INCOMPLETE, and every
 *    block not proven reachable is POSSIBLE, so nothing is hidden.
 *  - Threads created meanwhile: the task list is read again until stable.
 *  - The signal's previous action is put back, unless a signal we sent may
 *    still be pending; then our handler, which ignores anything but its
 *    own stop's signal, stays installed.
 * The interrupted system calls of parked threads return EINTR where
 * SA_RESTART does not apply (epoll_wait, poll, nanosleep...), as under
 * any signal.
 */
#include "reach.h"

#if defined(__x86_64__) && defined(__linux__)

#include <asm/prctl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"
#include "config.h"
#include "out.h"
#include "real.h"

#define STOP_TIMEOUT_MS 200 /* for every thread to park */
#define PROC_RETRY_MS 50    /* for a thread we cannot signal to leave user space */
#define LATE_PARK_MS 1000   /* for a signalled thread still waiting for a CPU */
#define MAX_ROUNDS 16       /* /proc/self/task re-reads while threads appear */
#define RED_ZONE 128        /* x86-64 ABI: live data below %rsp */
#define TCB_SCAN 4096       /* bytes above the thread pointer: glibc's
                               struct pthread is ~2.3 KiB */
#define PAGE 4096u

/* Conservative scanning reads what sanitizers call off limits (redzones
 * around globals, other threads' stacks): the code that reads foreign
 * memory is not instrumented. Nor are the signal handlers: installed with
 * the raw system call, they run where a sanitizer's runtime does not
 * expect them (ThreadSanitizer's is not reentrant). */
#define RAW_READ __attribute__((no_sanitize("address", "thread", "undefined")))

static RAW_READ uintptr_t peek(uintptr_t a) { return *(const uintptr_t *)a; }

/* --- Raw system calls: no errno, no cancellation point, no interposer --- */

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static void futex_wait(_Atomic uint32_t *w, uint32_t val, long timeout_ns) {
  struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
  sys4(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, timeout_ns >= 0 ? &ts : NULL);
}

static void futex_wake(_Atomic uint32_t *w, int n) { sys3(SYS_futex, w, FUTEX_WAKE_PRIVATE, n); }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no lock, no allocation */
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The kernel's struct sigaction (x86-64). Installing handlers with the
 * raw call keeps us out of the interposed sigaction (reporter.c) and lets
 * us restore a previous action exactly, restorer included. */
typedef struct ksigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
} ksigaction_t;
#define KSA_RESTORER 0x04000000UL

/* Returns from a handler: rt_sigreturn, in the byte sequence unwinders
 * recognise as a signal frame (the same as glibc's __restore_rt). */
extern void ls_reach_restore_rt(void) __attribute__((visibility("hidden")));
__asm__(".pushsection .text\n"
        ".globl ls_reach_restore_rt\n"
        ".hidden ls_reach_restore_rt\n"
        ".type ls_reach_restore_rt,@function\n"
        ".align 16\n"
        "ls_reach_restore_rt:\n"
        "  movq $15, %rax\n"
        "  syscall\n"
        ".size ls_reach_restore_rt,.-ls_reach_restore_rt\n"
        ".popsection\n");

static long ksig(int sig, const ksigaction_t *act, ksigaction_t *old) {
  return sys4(SYS_rt_sigaction, sig, act, old, 8);
}

static long install(int sig, void (*fn)(int, siginfo_t *, void *), unsigned long flags,
                    uint64_t mask, ksigaction_t *old) {
  ksigaction_t sa = {.handler = (void *)fn, .flags = flags | SA_SIGINFO | KSA_RESTORER,
                     .restorer = ls_reach_restore_rt, .mask = mask};
  return ksig(sig, &sa, old);
}

/* --- /proc files, read raw --- */

/* Reads the whole of a small file into buf (NUL-terminated). Returns the
 * length or -errno. */
static long read_small(const char *path, char *buf, size_t cap) {
  long fd = sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return fd;
  size_t len = 0;
  while (len + 1 < cap) {
    long r = sys3(SYS_read, fd, buf + len, cap - 1 - len);
    if (r == -EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  sys1(SYS_close, fd);
  buf[len] = '\0';
  return (long)len;
}

static void task_path(char *out, size_t cap, int tid, const char *file) {
  ls_buf_t b;
  ls_buf_fixed(&b, out, cap - 1);
  ls_buf_printf(&b, "/proc/self/task/%d/%s", tid, file);
  out[b.len] = '\0';
}

static uint64_t parse_hex(const char **s) {
  uint64_t v = 0;
  const char *p = *s;
  if (p[0] == '0' && p[1] == 'x')
    p += 2;
  for (;; p++) {
    int d = *p >= '0' && *p <= '9' ? *p - '0'
            : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
            : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
    if (d < 0)
      break;
    v = v << 4 | (uint64_t)d;
  }
  *s = p;
  return v;
}

/* A growable mapping holding a whole /proc file. */
typedef struct mbuf {
  char *p;
  size_t len, cap;
} mbuf_t;

/* Reads path whole; grows with mmap (allowed while the world is stopped).
 * Returns 0 or -errno. */
static int read_big(const char *path, mbuf_t *m) {
  for (;;) {
    if (!m->p) {
      m->cap = m->cap ? m->cap : 64 * 1024;
      if (!(m->p = ls_map(m->cap)))
        return -ENOMEM;
    }
    long fd = sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
      return (int)fd;
    m->len = 0;
    long r = 0;
    while (m->len < m->cap) {
      r = sys3(SYS_read, fd, m->p + m->len, m->cap - m->len);
      if (r == -EINTR)
        continue;
      if (r <= 0)
        break;
      m->len += (size_t)r;
    }
    sys1(SYS_close, fd);
    if (r < 0)
      return (int)r;
    if (m->len < m->cap)
      return 0;
    ls_unmap(m->p, m->cap); /* full: it may have been cut; read again */
    m->p = NULL;
    m->cap *= 2;
  }
}

/* --- The address space: /proc/self/maps --- */

enum { RG_READ = 1, RG_WRITE = 2 };

typedef struct region {
  uintptr_t lo, hi;
  unsigned flags;
} region_t;

typedef struct regions {
  region_t *r;
  size_t n, cap;
  mbuf_t text;
} regions_t;

/* Parses the maps text into r (sorted, as the kernel lists them).
 * [vvar] and [vsyscall] count as unreadable: reading some of their pages
 * faults. Returns 0 or -ENOMEM. */
static int parse_maps(regions_t *rg) {
  size_t lines = 0;
  for (size_t i = 0; i < rg->text.len; i++)
    lines += rg->text.p[i] == '\n';
  if (lines > rg->cap) {
    if (rg->r)
      ls_unmap(rg->r, rg->cap * sizeof *rg->r);
    rg->cap = lines * 2 + 256;
    if (!(rg->r = ls_map(rg->cap * sizeof *rg->r))) {
      rg->cap = 0;
      return -ENOMEM;
    }
  }
  rg->n = 0;
  const char *p = rg->text.p, *end = rg->text.p + rg->text.len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
      eol = end;
    region_t reg;
    reg.lo = parse_hex(&p);
    if (*p == '-')
      p++;
    reg.hi = parse_hex(&p);
    while (p < eol && *p == ' ')
      p++;
    reg.flags = (p + 1 < eol && p[0] == 'r' ? RG_READ : 0) | (p + 1 < eol && p[1] == 'w' ? RG_WRITE : 0);
    const char *name = memchr(p, '[', (size_t)(eol - p));
    if (name && (!strncmp(name, "[vvar", 5) || !strncmp(name, "[vsyscall]", 10)))
      reg.flags = 0;
    if (reg.hi > reg.lo)
      rg->r[rg->n++] = reg;
    p = eol + 1;
  }
  return 0;
}

static int load_maps(regions_t *rg) {
  int rc = read_big("/proc/self/maps", &rg->text);
  return rc ? rc : parse_maps(rg);
}

/* Index of the first region ending above a (rg->n if none). */
static size_t region_after(const regions_t *rg, uintptr_t a) {
  size_t lo = 0, hi = rg->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (rg->r[mid].hi <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static const region_t *region_of(const regions_t *rg, uintptr_t a) {
  size_t i = region_after(rg, a);
  return i < rg->n && rg->r[i].lo <= a ? &rg->r[i] : NULL;
}

/* Whether all of [lo, hi) is mapped readable. */
static bool readable(const regions_t *rg, uintptr_t lo, uintptr_t hi) {
  for (size_t i = region_after(rg, lo); lo < hi; i++) {
    if (i >= rg->n || rg->r[i].lo > lo || !(rg->r[i].flags & RG_READ))
      return false;
    lo = rg->r[i].hi;
  }
  return true;
}

/* --- Roots in loaded modules --- */

typedef struct range {
  uintptr_t lo, hi;
} range_t;

typedef struct modules {
  range_t *r;
  size_t n, cap;
  int index;      /* of the module being visited; 0 is the main program */
  bool overflow;
} modules_t;

static int collect_module(struct dl_phdr_info *info, size_t size, void *ctx) {
  modules_t *m = ctx;
  int index = m->index++;
  uintptr_t self = (uintptr_t)&ls_reach_classify;
  /* libleakscope's own data is not the program's (its bootstrap arena,
   * report buffers). When this code is linked into the program itself
   * (unit tests), the program's data stays a root. */
  if (index > 0) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
      const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
      uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
      if (ph->p_type == PT_LOAD && self >= lo && self < lo + ph->p_memsz)
        return 0;
    }
  }
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz)
      continue;
    if (m->n == m->cap) {
      m->overflow = true;
      return 1;
    }
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    m->r[m->n++] = (range_t){lo, lo + ph->p_memsz};
  }
  return 0;
}

static int collect_modules(modules_t *m) {
  for (m->cap = 1024;; m->cap *= 4) {
    if (!(m->r = ls_map(m->cap * sizeof *m->r)))
      return -ENOMEM;
    m->n = 0;
    m->index = 0;
    m->overflow = false;
    dl_iterate_phdr(collect_module, m);
    if (!m->overflow)
      return 0;
    ls_unmap(m->r, m->cap * sizeof *m->r);
  }
}

/* Size of the static TLS area below the thread pointer (glibc's private
 * _dl_get_tls_static_info, as LeakSanitizer uses; a generous guess
 * without it: the range is clipped to mapped memory anyway). */
static size_t static_tls_size(void) {
  static size_t cached;
  if (!cached) {
    void (*get)(size_t *, size_t *) =
        (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    size_t size = 0, align = 0;
    if (get)
      get(&size, &align);
    cached = size && size < (64u << 20) ? size : 64 * 1024;
  }
  return cached;
}

/* Whether the real allocator is glibc's (its chunk headers are filtered). */
static bool allocator_is_glibc(void) {
  void *fn = ls_real.malloc ? (void *)ls_real.malloc : dlsym(RTLD_NEXT, "malloc");
  Dl_info info;
  return fn && dladdr(fn, &info) && info.dli_fname && strstr(info.dli_fname, "/libc.so");
}

/* --- Stopping the world --- */

/* A slot's word: generation << 3 | state. Only the handler of that
 * generation can move a slot on, so a signal left pending from an earlier
 * stop (a thread that blocked it for a while) can never park a thread in
 * a later one. */
enum { SLOT_IDLE, SLOT_SIGNALED, SLOT_CLAIMED, SLOT_PARKED, SLOT_LEFT };
#define SLOT_WORD(gen, st) ((uint64_t)(gen) << 3 | (st))

/* How a thread's roots are found. */
enum {
  HOW_PARKED,  /* its handler published its registers */
  HOW_PROC,    /* not parked (blocks the signal, or did not answer): its
                  stack pointer from /proc/self/task/TID/syscall */
  HOW_LOST,    /* neither: running in user space with the signal blocked */
  HOW_GONE,    /* exited, or exiting */
};

typedef struct slot {
  _Atomic uint64_t word;
  _Atomic int32_t tid;
  uint8_t how;
  bool signaled;
  uintptr_t sp, fs, dtv;
  uintptr_t regs[NGREG];
} slot_t;

/* Shared with the handler. Slot arrays are never unmapped: a handler that
 * runs late (its thread unblocked the signal after we gave up on it) may
 * still look through one. */
static struct {
  _Atomic(slot_t *) slots;
  _Atomic uint32_t nslots; /* slots in use this stop; release-published */
  uint32_t cap;
  _Atomic uint32_t gen;      /* generation of the current stop */
  _Atomic uint32_t released; /* futex: last generation released */
  _Atomic uint32_t parked;   /* futex: bumped by every parking handler */
  int sig;                   /* signal used, 0 before the first stop */
  bool sticky;               /* our handler stays installed (see resume) */
  ksigaction_t old;          /* the action it replaced */
} stw;

static RAW_READ void on_stop_signal(int sig, siginfo_t *si, void *ucv) {
  /* Only our own queued signal: another process's, or an earlier stop's,
   * finds nothing to do. Raw syscalls keep errno untouched. */
  if (si->si_code != SI_QUEUE || si->si_pid != (pid_t)sys0(SYS_getpid))
    return;
  uint32_t gen = (uint32_t)(uintptr_t)si->si_value.sival_ptr;
  int32_t tid = (int32_t)sys0(SYS_gettid);
  /* acquire: pairs with the release that published the slots */
  uint32_t n = ls_atomic_load_acquire(&stw.nslots);
  slot_t *slots = ls_atomic_load_acquire(&stw.slots), *s = NULL;
  for (uint32_t i = 0; i < n && slots; i++)
    /* relaxed: only compared; the CAS below decides */
    if (ls_atomic_load_relaxed(&slots[i].tid) == tid) {
      s = &slots[i];
      break;
    }
  uint64_t expected = SLOT_WORD(gen, SLOT_SIGNALED);
  /* acq_rel: claims the slot for this generation only */
  if (!s || !ls_atomic_cas_acq_rel(&s->word, &expected, SLOT_WORD(gen, SLOT_CLAIMED)))
    return;
  const ucontext_t *uc = ucv;
  for (int i = 0; i < NGREG; i++)
    s->regs[i] = (uintptr_t)uc->uc_mcontext.gregs[i];
  s->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
  uintptr_t fs = 0;
  if (sys2(SYS_arch_prctl, ARCH_GET_FS, &fs) != 0)
    fs = 0;
  s->fs = fs;
  s->dtv = fs ? peek(fs + 8) : 0; /* glibc tcbhead_t.dtv */
  /* release: registers before PARKED; pairs with the controller's acquire */
  ls_atomic_store_release(&s->word, SLOT_WORD(gen, SLOT_PARKED));
  /* acq_rel: a futex word; the controller re-checks slot words anyway */
  ls_atomic_add_acq_rel(&stw.parked, 1);
  futex_wake(&stw.parked, 1);
  for (;;) {
    /* acquire: pairs with the release in resume(); the controller is done
     * reading our memory */
    uint32_t rel = ls_atomic_load_acquire(&stw.released);
    if ((int32_t)(rel - gen) >= 0)
      break;
    futex_wait(&stw.released, rel, -1);
  }
  expected = SLOT_WORD(gen, SLOT_PARKED);
  /* acq_rel: fails harmlessly if a later stop already reused the slot */
  ls_atomic_cas_acq_rel(&s->word, &expected, SLOT_WORD(gen, SLOT_LEFT));
}

static bool ours(const ksigaction_t *a) { return a->handler == (void *)on_stop_signal; }

/* Picks the stop signal: SIGRTMAX-3 or the next lower real-time signal
 * with the default or ignore disposition (or ours, left installed), never
 * the dump signal. Installs the handler. Returns 0 or -EBUSY. */
static int take_signal(void) {
  ksigaction_t cur;
  if (stw.sticky && ksig(stw.sig, NULL, &cur) == 0 && ours(&cur))
    return 0;
  stw.sticky = false;
  for (int sig = SIGRTMAX - 3; sig >= SIGRTMIN + 2; sig--) {
    if (sig == ls_config.signal || ksig(sig, NULL, &cur) != 0)
      continue;
    if (cur.handler != (void *)SIG_DFL && cur.handler != (void *)SIG_IGN && !ours(&cur))
      continue; /* the program's */
    /* Every signal blocked in the handler: the program's own handlers
     * must not run on a parked thread. */
    if (install(sig, on_stop_signal, SA_RESTART, ~(uint64_t)0, &stw.old) != 0)
      continue;
    if (ours(&stw.old)) /* left behind by a stop that could not restore */
      stw.old = (ksigaction_t){.handler = (void *)SIG_DFL};
    stw.sig = sig;
    return 0;
  }
  return -EBUSY;
}

typedef struct world {
  int pid, self;
  uint32_t gen;
  slot_t *slots;
  uint32_t n;
  bool overflow; /* more threads than slots, or they kept appearing */
  int lost;      /* threads whose roots are unknown */
} world_t;

/* Grows the slot array so that it holds at least need slots. Only
 * between stops: the old array is abandoned, not unmapped. */
static int reserve_slots(uint32_t need) {
  if (need <= stw.cap)
    return 0;
  uint32_t cap = need * 2 + 64;
  slot_t *s = ls_map((size_t)cap * sizeof *s);
  if (!s)
    return -ENOMEM;
  /* release: pairs with the handler's acquire. A late handler may pair
   * the last stop's nslots with this array: it is larger, and zeroed (tid
   * 0 matches no thread). */
  ls_atomic_store_release(&stw.slots, s);
  stw.cap = cap;
  return 0;
}

typedef bool (*tid_fn)(int tid, void *ctx);

/* Calls fn for each thread of the process (getdents64, no allocation).
 * Returns 0 or -errno. */
static int each_task(tid_fn fn, void *ctx) {
  long fd = sys4(SYS_openat, AT_FDCWD, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    return (int)fd;
  char buf[4096] __attribute__((aligned(8)));
  long n;
  bool go = true;
  while (go && (n = sys3(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n && go;) {
      const struct {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
      } *d = (const void *)(buf + off);
      int tid = 0;
      const char *c = d->name;
      for (; *c >= '0' && *c <= '9'; c++)
        tid = tid * 10 + (*c - '0');
      if (!*c && tid > 0)
        go = fn(tid, ctx);
      off += d->reclen;
    }
  }
  sys1(SYS_close, fd);
  return 0;
}

static bool count_task(int tid, void *ctx) {
  (*(uint32_t *)ctx)++;
  return true;
}

/* Whether tid blocks sig, from its SigBlk line. */
static bool blocks_signal(int tid, int sig) {
  char path[64], buf[2048];
  task_path(path, sizeof path, tid, "status");
  if (read_small(path, buf, sizeof buf) <= 0)
    return false;
  const char *p = strstr(buf, "\nSigBlk:");
  if (!p)
    return false;
  p += 8;
  while (*p == ' ' || *p == '\t')
    p++;
  return parse_hex(&p) >> (sig - 1) & 1;
}

static void send_stop(world_t *w, slot_t *s);

static bool add_task(int tid, void *ctx) {
  world_t *w = ctx;
  if (tid == w->self)
    return true;
  for (uint32_t i = 0; i < w->n; i++)
    if (ls_atomic_load_relaxed(&w->slots[i].tid) == tid) /* relaxed: we wrote it */
      return true;
  if (w->n == stw.cap) {
    w->overflow = true;
    return false;
  }
  slot_t *s = &w->slots[w->n];
  /* relaxed: published by the release store of nslots below */
  ls_atomic_store_relaxed(&s->tid, tid);
  s->how = HOW_PROC;
  s->signaled = false;
  s->sp = s->fs = s->dtv = 0;
  ls_atomic_store_relaxed(&s->word, SLOT_WORD(w->gen, SLOT_IDLE));
  w->n++;
  /* release: the slot's tid and word before a handler can find it;
   * pairs with the handler's acquire of nslots */
  ls_atomic_store_release(&stw.nslots, w->n);
  send_stop(w, s);
  return true;
}

/* Sends the stop signal to s's thread unless it blocks it (the signal
 * would stay pending, to be delivered after we are gone). */
static void send_stop(world_t *w, slot_t *s) {
  int tid = ls_atomic_load_relaxed(&s->tid); /* relaxed: we wrote it */
  if (blocks_signal(tid, stw.sig))
    return;
  /* release: the slot is SIGNALED before the handler can look */
  ls_atomic_store_release(&s->word, SLOT_WORD(w->gen, SLOT_SIGNALED));
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = stw.sig;
  si.si_code = SI_QUEUE;
  si.si_pid = w->pid;
  si.si_uid = (uid_t)sys0(SYS_getuid);
  si.si_value.sival_ptr = (void *)(uintptr_t)w->gen;
  long rc = sys4(SYS_rt_tgsigqueueinfo, w->pid, tid, stw.sig, &si);
  if (rc == -ESRCH)
    s->how = HOW_GONE;
  else if (rc == 0)
    s->signaled = true;
}

static bool all_parked(const world_t *w) {
  for (uint32_t i = 0; i < w->n; i++) {
    const slot_t *s = &w->slots[i];
    /* acquire: pairs with the handler's release of PARKED */
    if (s->signaled && ls_atomic_load_acquire(&s->word) != SLOT_WORD(w->gen, SLOT_PARKED))
      return false;
  }
  return true;
}

/* Fills a slot the handler could not: the thread's state and, if it is in
 * the kernel, its user stack pointer. A signalled thread that is runnable
 * but was not scheduled yet (a loaded machine) may still park: it gets
 * until late_deadline. */
static void inspect(world_t *w, slot_t *s, uint64_t deadline, uint64_t late_deadline) {
  char path[64], buf[512];
  int tid = ls_atomic_load_relaxed(&s->tid); /* relaxed: we wrote it */
  for (;;) {
    /* acquire: pairs with the handler's release of PARKED */
    if (s->signaled && ls_atomic_load_acquire(&s->word) == SLOT_WORD(w->gen, SLOT_PARKED)) {
      s->how = HOW_PARKED;
      return;
    }
    task_path(path, sizeof path, tid, "stat");
    if (read_small(path, buf, sizeof buf) <= 0) {
      s->how = HOW_GONE;
      return;
    }
    const char *st = strrchr(buf, ')');
    if (st && (st[2] == 'Z' || st[2] == 'X')) {
      s->how = HOW_GONE;
      return;
    }
    /* "nr args... sp pc" in a system call, "-1 sp pc" blocked outside
     * one, "running" when on a CPU. */
    task_path(path, sizeof path, tid, "syscall");
    if (read_small(path, buf, sizeof buf) > 0 && strncmp(buf, "running", 7) != 0) {
      const char *tok[9];
      int ntok = 0;
      for (char *p = buf; *p && ntok < 9;) {
        while (*p == ' ' || *p == '\n')
          p++;
        if (!*p)
          break;
        tok[ntok++] = p;
        while (*p && *p != ' ' && *p != '\n')
          p++;
      }
      if (ntok >= 3) {
        const char *p = tok[ntok - 2];
        s->sp = (uintptr_t)parse_hex(&p);
        s->how = HOW_PROC;
        return;
      }
    }
    /* Running with the signal blocked: a thread being created (glibc
     * starts it with every signal blocked) unblocks it in a moment. */
    if (!s->signaled) {
      send_stop(w, s);
      if (s->how == HOW_GONE)
        return;
    }
    if (now_ns() >= (s->signaled ? late_deadline : deadline)) {
      s->how = HOW_LOST;
      w->lost++;
      return;
    }
    struct timespec ts = {0, 1000000};
    sys2(SYS_nanosleep, &ts, NULL);
  }
}

/* Stops every thread but the caller. Returns 0 or -errno (nothing is
 * stopped then). */
static int stop_world(world_t *w) {
  int rc = take_signal();
  if (rc)
    return rc;
  uint64_t deadline = now_ns() + STOP_TIMEOUT_MS * 1000000ull;
  w->pid = (int)sys0(SYS_getpid);
  w->self = (int)sys0(SYS_gettid);
  /* relaxed: only this thread writes these (one stop at a time); the
   * handler learns gen from its siginfo and finds slots via nslots */
  w->gen = ls_atomic_add_relaxed(&stw.gen, 1) + 1;
  w->slots = ls_atomic_load_relaxed(&stw.slots);
  w->n = 0;
  /* release: pairs with the handler's acquire; no slot is visible until
   * it is filled for this generation */
  ls_atomic_store_release(&stw.nslots, 0);
  for (int round = 0;; round++) {
    uint32_t before = w->n;
    if ((rc = each_task(add_task, w)) != 0 && round == 0) {
      ksig(stw.sig, &stw.old, NULL); /* nothing signalled yet */
      return rc;
    }
    if (w->n == before || w->overflow)
      break;
    if (round == MAX_ROUNDS) {
      w->overflow = true; /* threads keep appearing */
      break;
    }
    /* Wait for this round's threads: a thread that runs may create more,
     * so the next round looks again once they are all parked. */
    while (!all_parked(w)) {
      uint64_t t = now_ns();
      if (t >= deadline)
        break;
      /* acquire: read before the re-check, so a wake in between is seen */
      uint32_t seen = ls_atomic_load_acquire(&stw.parked);
      if (all_parked(w))
        break;
      uint64_t left = deadline - t;
      futex_wait(&stw.parked, seen, (long)(left < 5000000 ? left : 5000000));
    }
  }
  uint64_t t = now_ns(), proc_deadline = t + PROC_RETRY_MS * 1000000ull,
           late_deadline = t + LATE_PARK_MS * 1000000ull;
  for (uint32_t i = 0; i < w->n; i++) {
    slot_t *s = &w->slots[i];
    if (s->how == HOW_GONE)
      continue;
    if (s->signaled && ls_atomic_load_acquire(&s->word) == SLOT_WORD(w->gen, SLOT_PARKED))
      s->how = HOW_PARKED;
    else
      inspect(w, s, proc_deadline, late_deadline);
  }
  return 0;
}

/* Releases the parked threads and puts the signal's previous action back,
 * unless a signal we sent may still be pending (its thread neither parked
 * nor exited): then our handler stays, and a late delivery finds nothing
 * to do instead of the default action killing the process. */
static void resume_world(world_t *w) {
  /* release: our reads of their memory are done; pairs with the
   * handler's acquire */
  ls_atomic_store_release(&stw.released, w->gen);
  futex_wake(&stw.released, INT32_MAX);
  bool pending = false;
  for (uint32_t i = 0; i < w->n; i++) {
    slot_t *s = &w->slots[i];
    if (!s->signaled)
      continue;
    uint64_t word = ls_atomic_load_acquire(&s->word);
    if (word == SLOT_WORD(w->gen, SLOT_SIGNALED) &&
        sys3(SYS_tgkill, w->pid, ls_atomic_load_relaxed(&s->tid), 0) == 0) /* still exists */
      pending = true;
  }
  if (pending)
    stw.sticky = true;
  else
    ksig(stw.sig, &stw.old, NULL);
}

/* --- Faults while scanning --- */

/* The jump buffer lives in the scanning frame, not here: it holds
 * register values, and this module's data is a root when it is linked into
 * the program itself (unit tests). */
static struct {
  _Atomic int armed;
  int tid;
  sigjmp_buf *jb;
  ksigaction_t old_segv, old_bus;
} fault;

static RAW_READ void on_fault(int sig, siginfo_t *si, void *uc) {
  /* relaxed: armed is only written by the thread that reads it here */
  if (ls_atomic_load_relaxed(&fault.armed) && (int)sys0(SYS_gettid) == fault.tid) {
    ls_atomic_store_relaxed(&fault.armed, 0);
    siglongjmp(*fault.jb, 1);
  }
  /* Another thread's fault (one we could not stop): give the program its
   * own handler back; returning re-executes the access, which faults
   * again into it. Our scan is unprotected from then on. */
  ksig(sig, sig == SIGSEGV ? &fault.old_segv : &fault.old_bus, NULL);
}

static void guard_faults(int tid) {
  fault.tid = tid;
  /* SA_NODEFER and an empty mask: after the siglongjmp the signal mask is
   * what it was, so a second fault is caught too. */
  install(SIGSEGV, on_fault, SA_NODEFER, 0, &fault.old_segv);
  install(SIGBUS, on_fault, SA_NODEFER, 0, &fault.old_bus);
}

static void unguard_faults(void) {
  ksigaction_t cur;
  if (ksig(SIGSEGV, NULL, &cur) == 0 && cur.handler == (void *)on_fault)
    ksig(SIGSEGV, &fault.old_segv, NULL);
  if (ksig(SIGBUS, NULL, &cur) == 0 && cur.handler == (void *)on_fault)
    ksig(SIGBUS, &fault.old_bus, NULL);
}

/* --- Scanning --- */

/* States live in blocks[i].cls: the class values, UNREACHED == DEFINITE,
 * and one flag while marking. */
#define ST_UNREACHED LS_REACH_DEFINITE
#define ST_MASK 0x7
#define F_INTERIOR 0x80 /* an interior pointer from a root or reachable block */

enum { MODE_REACH, MODE_POSSIBLE, MODE_CLIQUE };

typedef struct scan {
  ls_reach_block_t *b;
  size_t n;
  uintptr_t lo, span; /* [b[0].addr, end of the last block) */
  const regions_t *rg;
  uint32_t *stack;
  volatile size_t top; /* in memory at every push: the fault guard's
                          siglongjmp must not lose one */
  int mode;
  size_t leader;
  bool glibc;
  volatile uintptr_t pos; /* page being read, for the fault guard */
  size_t faults;
} scan_t;

/* The block containing v, or -1. v must be within [s->lo, s->lo+span). */
static inline RAW_READ ptrdiff_t find_block(const scan_t *s, uintptr_t v) {
  size_t lo = 0, hi = s->n;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->b[mid].addr <= v)
      lo = mid;
    else
      hi = mid;
  }
  const ls_reach_block_t *b = &s->b[lo];
  return v - b->addr < b->size || v == b->addr ? (ptrdiff_t)lo : -1;
}

/* glibc: v is the address of the chunk header that follows block b (its
 * prev_size field overlaps b's last bytes). */
static RAW_READ bool is_next_chunk_header(const scan_t *s, const ls_reach_block_t *b, uintptr_t v) {
  if ((b->addr & 15) || !readable(s->rg, b->addr - 8, b->addr))
    return false;
  uint64_t field = peek(b->addr - 8);
  if (field & 2) /* IS_MMAPPED: a chunk alone in its mapping */
    return false;
  uint64_t csize = field & ~(uint64_t)7;
  if (csize < b->size + 8 || csize > b->size + 16 + 2 * PAGE)
    return false; /* not a glibc header after all */
  return v == b->addr - 16 + csize;
}

static inline RAW_READ void hit(scan_t *s, uintptr_t v) {
  ptrdiff_t i = find_block(s, v);
  if (i < 0)
    return;
  ls_reach_block_t *b = &s->b[i];
  unsigned st = b->cls & ST_MASK;
  if (st == LS_REACH_GONE || st == LS_REACH_REACHABLE)
    return;
  bool start = v == b->addr;
  if (!start && s->glibc && is_next_chunk_header(s, b, v))
    return;
  switch (s->mode) {
  case MODE_REACH:
    if (start) {
      b->cls = LS_REACH_REACHABLE;
      s->stack[s->top++] = (uint32_t)i;
    } else {
      b->cls |= F_INTERIOR;
    }
    break;
  case MODE_POSSIBLE:
    if (st == ST_UNREACHED) {
      b->cls = LS_REACH_POSSIBLE;
      s->stack[s->top++] = (uint32_t)i;
    }
    break;
  default: /* MODE_CLIQUE */
    if (st == ST_UNREACHED && (size_t)i != s->leader) {
      b->cls = LS_REACH_INDIRECT;
      s->stack[s->top++] = (uint32_t)i;
    }
    break;
  }
}

/* Every aligned word of [lo, hi), both 8-aligned, page by page. */
static RAW_READ void scan_words(scan_t *s, uintptr_t lo, uintptr_t hi) {
  const uintptr_t base = s->lo, span = s->span;
  for (uintptr_t p = lo; p < hi;) {
    uintptr_t pe = (p | (PAGE - 1)) + 1;
    if (pe > hi)
      pe = hi;
    s->pos = p;
    for (; p < pe; p += 8) {
      uintptr_t v = *(const uintptr_t *)p;
      if (v - base < span)
        hit(s, v);
    }
  }
}

/* scan_words under the fault guard: a page that faults is skipped. */
static void scan_guarded(scan_t *s, uintptr_t lo, uintptr_t hi) {
  volatile uintptr_t from = lo;
  sigjmp_buf jb;
  fault.jb = &jb;
  while (from < hi) {
    if (sigsetjmp(jb, 0) == 0) {
      /* relaxed + compiler fences: a signal on this same thread is all
       * that reads it */
      ls_atomic_store_relaxed(&fault.armed, 1);
      ls_compiler_fence();
      scan_words(s, from, hi);
      ls_compiler_fence();
      ls_atomic_store_relaxed(&fault.armed, 0);
      return;
    }
    s->faults++;
    from = (s->pos | (PAGE - 1)) + 1;
  }
}

/* Scans the readable parts of [lo, hi). */
static void scan_range(scan_t *s, uintptr_t lo, uintptr_t hi) {
  lo = (lo + 7) & ~(uintptr_t)7;
  hi &= ~(uintptr_t)7;
  for (size_t i = region_after(s->rg, lo); lo < hi && i < s->rg->n; i++) {
    const region_t *r = &s->rg->r[i];
    if (r->lo >= hi)
      break;
    uintptr_t a = lo > r->lo ? lo : r->lo, e = hi < r->hi ? hi : r->hi;
    if ((r->flags & RG_READ) && a < e)
      scan_guarded(s, a, e);
    lo = e;
  }
}

static void scan_block(scan_t *s, size_t i) {
  const ls_reach_block_t *b = &s->b[i];
  scan_range(s, b->addr, b->addr + b->size);
}

static void drain(scan_t *s) {
  while (s->top)
    scan_block(s, s->stack[--s->top]);
}

/* Lowest block address in [lo, hi), or hi: a thread's stack never holds
 * heap blocks, so the first one above its stack pointer bounds a stack
 * mapping the kernel merged with a neighbouring anonymous mapping. */
static uintptr_t first_block_in(const scan_t *s, uintptr_t lo, uintptr_t hi) {
  size_t a = 0, z = s->n;
  while (a < z) {
    size_t mid = a + (z - a) / 2;
    if (s->b[mid].addr < lo)
      a = mid + 1;
    else
      z = mid;
  }
  return a < s->n && s->b[a].addr < hi ? s->b[a].addr : hi;
}

/* Scans [lo, hi) but the heap blocks inside it: root memory the kernel
 * merged into one mapping with neighbouring anonymous memory. */
static void scan_between_blocks(scan_t *s, uintptr_t lo, uintptr_t hi) {
  while (lo < hi) {
    uintptr_t e = first_block_in(s, lo, hi);
    scan_range(s, lo, e);
    if (e >= hi)
      break;
    ptrdiff_t i = find_block(s, e);
    lo = e + (i >= 0 && s->b[i].size ? s->b[i].size : 1);
  }
}

/* One thread's stack from sp (less the red zone when sp was interrupted
 * user code), its static TLS and TCB around fs, and its DTV. */
static void scan_thread(scan_t *s, uintptr_t sp, uintptr_t red_zone, uintptr_t fs, uintptr_t dtv) {
  uintptr_t lo = 0, hi = 0;
  const region_t *r = sp ? region_of(s->rg, sp) : NULL;
  if (r) {
    lo = sp - r->lo > red_zone ? sp - red_zone : r->lo;
    hi = r->hi;
    /* A pthread's TCB sits at the top of its stack mapping; above it may
     * be a neighbour the kernel merged into the same mapping. */
    if (fs > sp && fs < hi && fs + TCB_SCAN < hi)
      hi = (fs + TCB_SCAN + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    /* A stack holds no heap block: the first one above sp is a merged
     * neighbour too. */
    hi = first_block_in(s, lo, hi);
    scan_range(s, lo, hi);
  }
  /* A pthread's static TLS and TCB lie in its stack mapping above sp,
   * scanned just now; never look below sp there: that is dead stack, full
   * of stale addresses. The main thread's come from ld.so's startup
   * allocator instead, elsewhere. The size glibc gives includes the TCB,
   * so the range starts a little low: harmless outside a stack. */
  const region_t *fr = fs ? region_of(s->rg, fs) : NULL;
  if (fr && !(r == fr && fs > sp)) {
    size_t tls = static_tls_size();
    uintptr_t tlo = fs - fr->lo > tls ? fs - tls : fr->lo;
    uintptr_t thi = fr->hi - fs > TCB_SCAN ? fs + TCB_SCAN : fr->hi;
    scan_between_blocks(s, tlo, thi);
  }
  /* The DTV, which points to the dynamic TLS blocks. The TCB holds
   * &dtv[1] (glibc keeps the entry count in dtv[-1]): an interior pointer
   * to a heap DTV, which would make the DTV and every dynamic TLS block
   * only "possible". A live thread's DTV is held, so it counts as a start
   * pointer. The main thread's first DTV is not a heap block at all (ld.so's
   * startup allocator): its entries are scanned as roots. */
  if (!dtv)
    return;
  ptrdiff_t i = dtv - s->lo < s->span ? find_block(s, dtv) : -1;
  if (i >= 0) {
    hit(s, s->b[i].addr);
  } else if (readable(s->rg, dtv - 16, dtv)) {
    uint64_t entries = peek(dtv - 16); /* dtv[-1].counter */
    if (entries < (1u << 16))
      scan_between_blocks(s, dtv - 16, dtv + 16 * (entries + 1));
  }
}

/* --- Classification --- */

static void classify_stopped(scan_t *s, const modules_t *mods, const world_t *w, uintptr_t my_sp,
                             ls_reach_live_fn still_live, void *ctx) {
  /* 0: blocks freed since the snapshot are out of the graph. */
  for (size_t i = 0; i < s->n; i++) {
    ls_reach_block_t *b = &s->b[i];
    bool live = readable(s->rg, b->addr, b->addr + (b->size ? b->size : 1)) &&
                (!still_live || still_live(b->addr, ctx));
    b->cls = live ? ST_UNREACHED : LS_REACH_GONE;
  }
  /* 1: reachable from the roots by start pointers; interior hits noted. */
  s->mode = MODE_REACH;
  for (size_t i = 0; i < mods->n; i++)
    scan_range(s, mods->r[i].lo, mods->r[i].hi);
  uintptr_t fs = 0;
  if (sys2(SYS_arch_prctl, ARCH_GET_FS, &fs) != 0)
    fs = 0;
  /* Ours: from the trampoline's register save area up, no red zone. */
  scan_thread(s, my_sp, 0, fs, fs ? peek(fs + 8) : 0);
  for (uint32_t i = 0; i < w->n; i++) {
    slot_t *t = &w->slots[i];
    if (t->how == HOW_PARKED)
      scan_words(s, (uintptr_t)t->regs, (uintptr_t)(t->regs + NGREG));
    if (t->how == HOW_PARKED || t->how == HOW_PROC)
      scan_thread(s, t->sp, RED_ZONE, t->fs, t->dtv);
    drain(s);
  }
  drain(s);
  /* 2: possibly lost: reached through an interior pointer somewhere. */
  s->mode = MODE_POSSIBLE;
  for (size_t i = 0; i < s->n; i++) {
    if (s->b[i].cls & F_INTERIOR) {
      s->b[i].cls = LS_REACH_POSSIBLE;
      s->stack[s->top++] = (uint32_t)i;
    }
  }
  drain(s);
  /* 3: lost: cliques in address order, each leader definite. */
  s->mode = MODE_CLIQUE;
  for (size_t i = 0; i < s->n; i++) {
    if (s->b[i].cls != ST_UNREACHED)
      continue;
    s->leader = i;
    scan_block(s, i);
    drain(s);
  }
}

/* Everything the stopped phase needs, gathered while locks may be taken. */
typedef struct prep {
  modules_t mods;
  regions_t rg;
  uint32_t *stack;
  size_t stack_bytes;
} prep_t;

static void prep_release(prep_t *p) {
  if (p->mods.r)
    ls_unmap(p->mods.r, p->mods.cap * sizeof *p->mods.r);
  if (p->rg.r)
    ls_unmap(p->rg.r, p->rg.cap * sizeof *p->rg.r);
  if (p->rg.text.p)
    ls_unmap(p->rg.text.p, p->rg.text.cap);
  if (p->stack)
    ls_unmap(p->stack, p->stack_bytes);
}

static int prepare(prep_t *p, size_t n) {
  int rc;
  if ((rc = collect_modules(&p->mods)) != 0)
    return rc;
  /* Sized now so the re-read after the stop rarely has to grow. */
  if ((rc = load_maps(&p->rg)) != 0)
    return rc;
  if (p->rg.text.len * 2 > p->rg.text.cap) {
    ls_unmap(p->rg.text.p, p->rg.text.cap);
    p->rg.text.p = NULL;
    p->rg.text.cap *= 2;
  }
  p->stack_bytes = (n ? n : 1) * sizeof *p->stack;
  if (!(p->stack = ls_map(p->stack_bytes)))
    return -ENOMEM;
  uint32_t threads = 0;
  if ((rc = each_task(count_task, &threads)) != 0)
    return rc;
  if ((rc = reserve_slots(threads + 16)) != 0)
    return rc;
  static_tls_size();
  return 0;
}

static void all_definite(ls_reach_block_t *blocks, size_t n) {
  for (size_t i = 0; i < n; i++)
    blocks[i].cls = LS_REACH_DEFINITE;
}

/* ls_reach_classify is a trampoline: it pushes the callee-saved
 * registers (which may hold the program's pointers: the caller's caller's
 * values) next to its return address and hands the C code the address of
 * that save area. The calling thread's stack is scanned from there up, so
 * none of our own frames, which hold block addresses, is a root. */
int ls_reach_classify_impl(ls_reach_block_t *blocks, size_t n, ls_reach_live_fn still_live,
                           void *ctx, uintptr_t scan_from)
    __attribute__((visibility("hidden"), used, noinline));
__asm__(".pushsection .text\n"
        ".globl ls_reach_classify\n"
        ".hidden ls_reach_classify\n"
        ".type ls_reach_classify,@function\n"
        ".align 16\n"
        "ls_reach_classify:\n"
        "  .cfi_startproc\n"
        "  endbr64\n"
        "  pushq %rbx\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %rbx, 0\n"
        "  pushq %rbp\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %rbp, 0\n"
        "  pushq %r12\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r12, 0\n"
        "  pushq %r13\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r13, 0\n"
        "  pushq %r14\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r14, 0\n"
        "  pushq %r15\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r15, 0\n"
        "  movq %rsp, %r8\n"
        "  subq $8, %rsp\n  .cfi_adjust_cfa_offset 8\n"
        "  call ls_reach_classify_impl\n"
        "  addq $8, %rsp\n  .cfi_adjust_cfa_offset -8\n"
        "  popq %r15\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r15\n"
        "  popq %r14\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r14\n"
        "  popq %r13\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r13\n"
        "  popq %r12\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r12\n"
        "  popq %rbp\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %rbp\n"
        "  popq %rbx\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %rbx\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size ls_reach_classify,.-ls_reach_classify\n"
        ".popsection\n");

int ls_reach_classify_impl(ls_reach_block_t *blocks, size_t n, ls_reach_live_fn still_live,
                           void *ctx, uintptr_t scan_from) {
  int saved_errno = errno;
  all_definite(blocks, n);
  if (n == 0)
    return 0;
  if (n > UINT32_MAX)
    return -E2BIG;
  static bool glibc_known, glibc;
  if (!glibc_known) {
    glibc = allocator_is_glibc();
    glibc_known = true;
  }
  prep_t p = {0};
  world_t w = {0};
  int rc = prepare(&p, n);
  if (rc == 0)
    rc = stop_world(&w);
  if (rc != 0) {
    prep_release(&p);
    ls_warn("reachability not computed (%s); leaks are reported without it", strerror(-rc));
    errno = saved_errno;
    return rc;
  }
  /* --- the world is stopped: no malloc, no locks, no dl_*, no stdio --- */
  rc = load_maps(&p.rg);
  if (rc == 0) {
    const ls_reach_block_t *last = &blocks[n - 1];
    scan_t s = {.b = blocks, .n = n, .lo = blocks[0].addr,
                .span = last->addr + (last->size ? last->size : 1) - blocks[0].addr,
                .rg = &p.rg, .stack = p.stack, .glibc = glibc};
    guard_faults(w.self);
    classify_stopped(&s, &p.mods, &w, scan_from, still_live, ctx);
    unguard_faults();
    for (size_t i = 0; i < n; i++) {
      unsigned st = blocks[i].cls & ST_MASK;
      /* A thread we could not see may point to any block not proven
       * reachable: "possibly lost" is all we can say. */
      if ((w.lost || w.overflow) && st != LS_REACH_REACHABLE && st != LS_REACH_GONE)
        st = LS_REACH_POSSIBLE;
      blocks[i].cls = (uint8_t)st;
    }
  }
  resume_world(&w);
  /* --- the world runs again --- */
  prep_release(&p);
  if (rc != 0) {
    all_definite(blocks, n);
    ls_warn("reachability not computed (%s); leaks are reported without it", strerror(-rc));
  } else if (w.lost || w.overflow) {
    ls_warn("reachability: %d thread(s) could not be stopped or inspected (they block signal %d "
            "while running); blocks not found reachable are reported as possibly lost",
            w.lost ? w.lost : 1, stw.sig);
    rc = LS_REACH_INCOMPLETE;
  }
  errno = saved_errno;
  return rc;
}

#else /* not x86-64 Linux */

int ls_reach_classify(ls_reach_block_t *blocks, size_t n, ls_reach_live_fn still_live, void *ctx) {
  for (size_t i = 0; i < n; i++)
    blocks[i].cls = LS_REACH_DEFINITE;
  return -38; /* ENOSYS */
}

#endif

const char *ls_reach_class_name(int cls) {
#define LS_REACH_CLASS_NAME(id, name, words) name,
  static const char *const names[] = {LS_REACH_CLASSES(LS_REACH_CLASS_NAME)};
#undef LS_REACH_CLASS_NAME
  return cls >= 0 && (size_t)cls < LS_ARRAY_LEN(names) ? names[cls] : "?";
}

const char *ls_reach_class_words(int cls) {
#define LS_REACH_CLASS_WORDS(id, name, words) words,
  static const char *const words[] = {LS_REACH_CLASSES(LS_REACH_CLASS_WORDS)};
#undef LS_REACH_CLASS_WORDS
  return cls >= 0 && (size_t)cls < LS_ARRAY_LEN(words) ? words[cls] : "?";
}
