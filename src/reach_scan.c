/* SPDX-License-Identifier: MIT
 * reach_scan.c: the conservative scan and the marking (see reach_scan.h).
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
 * Only memory /proc/self/maps (read after the stop) says is readable is
 * read. A fault anyway (a file-backed page past a truncated file's end,
 * memory unmapped by a thread we could not stop) is caught by a temporary
 * SIGSEGV/SIGBUS handler and skips the page.
 */
#include "reach_scan.h"

#if defined(__x86_64__) && defined(__linux__)

#include <asm/prctl.h>
#include <setjmp.h>

#include "atomic.h"

#define RED_ZONE 128 /* x86-64 ABI: live data below %rsp */
#define TCB_SCAN                                                                                   \
  4096 /* bytes above the thread pointer: glibc's
                         struct pthread is ~2.3 KiB */

/* --- Faults while scanning --- */

/* The jump buffer lives in the scanning frame, not here: it holds
 * register values, and this module's data is a root when it is linked into
 * the program itself (unit tests). */
static struct {
  _Atomic int armed;
  int tid;
  sigjmp_buf *jb;
  ksigaction_t old_segv, old_bus;
  uint64_t old_mask; /* the scanning thread's signal mask */
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
  ls_reach_ksig(sig, sig == SIGSEGV ? &fault.old_segv : &fault.old_bus, NULL);
}

static void guard_faults(int tid) {
  fault.tid = tid;
  /* SA_NODEFER and an empty mask: after the siglongjmp the signal mask is
   * what it was, so a second fault is caught too. */
  ls_reach_install(SIGSEGV, on_fault, SA_NODEFER, 0, &fault.old_segv);
  ls_reach_install(SIGBUS, on_fault, SA_NODEFER, 0, &fault.old_bus);
  /* A thread that blocks SIGSEGV (a program that blocks every signal in
   * every thread) would be killed by the first fault instead of reaching
   * the handler: unblock both in this thread for the scan. */
  uint64_t faults = 1ull << (SIGSEGV - 1) | 1ull << (SIGBUS - 1);
  if (sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, &faults, &fault.old_mask, 8) != 0)
    fault.old_mask = 0;
}

static void unguard_faults(void) {
  ksigaction_t cur;
  if (ls_reach_ksig(SIGSEGV, NULL, &cur) == 0 && cur.handler == (void *)on_fault)
    ls_reach_ksig(SIGSEGV, &fault.old_segv, NULL);
  if (ls_reach_ksig(SIGBUS, NULL, &cur) == 0 && cur.handler == (void *)on_fault)
    ls_reach_ksig(SIGBUS, &fault.old_bus, NULL);
  sys4(SYS_rt_sigprocmask, SIG_SETMASK, &fault.old_mask, NULL, 8);
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
  bool heap_roots;        /* the allocator's heaps are roots (reach_scan.h) */
  volatile uintptr_t pos; /* page being read, for the fault guard */
  size_t faults;
  size_t static_tls; /* bytes of static TLS below a thread pointer */
  bool all_seen;     /* every live thread's stack pointer is known */
  size_t last;       /* the block find_block ended at last time: its guess */
  range_t *skip;     /* ranges the mapping pass leaves alone (see roots) */
  size_t nskip, skip_cap;
} scan_t;

static void add_skip(scan_t *s, uintptr_t lo, uintptr_t hi) {
  if (lo < hi && s->nskip < s->skip_cap)
    s->skip[s->nskip++] = (range_t){lo, hi};
}

/* The block containing v, or -1. v must be within [s->lo, s->lo+span).
 * Pointers side by side in memory tend to point to blocks side by side (an
 * array of pointers to what was allocated in a row, a list built in
 * order): the block after the last one found is tried before a bisection
 * of millions of entries, whose every step is a cache miss. */
static inline RAW_READ ptrdiff_t find_block(scan_t *s, uintptr_t v) {
  size_t lo = 0, hi = s->n, next = s->last + 1;
  if (next < s->n && s->b[next].addr <= v) {
    lo = next; /* at or after the guess: the bisection starts there */
    if (next + 1 == s->n || v < s->b[next + 1].addr)
      hi = next + 1;
  } else if (next < s->n) {
    hi = next;
  }
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->b[mid].addr <= v)
      lo = mid;
    else
      hi = mid;
  }
  const ls_reach_block_t *b = &s->b[lo];
  s->last = lo;
  return v - b->addr < b->size || v == b->addr ? (ptrdiff_t)lo : -1;
}

/* glibc: v is the address of the chunk header that follows block b (its
 * prev_size field overlaps b's last bytes). */
static RAW_READ bool is_next_chunk_header(const scan_t *s, const ls_reach_block_t *b, uintptr_t v) {
  if ((b->addr & 15) || !ls_reach_readable(s->rg, b->addr - 8, b->addr))
    return false;
  uint64_t field = peek(b->addr - 8);
  if (field & 2) /* IS_MMAPPED: a chunk alone in its mapping */
    return false;
  uint64_t csize = field & ~(uint64_t)7;
  if (csize < (uint64_t)b->size + 8 || csize > (uint64_t)b->size + 16 + 2 * PAGE)
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
  for (size_t i = ls_reach_region_after(s->rg, lo); lo < hi && i < s->rg->n; i++) {
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
    uintptr_t end = e + (i >= 0 && s->b[i].size ? s->b[i].size : 1);
    if (i >= 0 && s->b[i].root) /* a node that is also a root */
      scan_range(s, e, end < hi ? end : hi);
    lo = end;
  }
}

/* One thread's stack from sp (less the red zone when sp was interrupted
 * user code), its static TLS and TCB around fs, and its DTV. */
static void scan_thread(scan_t *s, uintptr_t sp, uintptr_t red_zone, uintptr_t fs, uintptr_t dtv) {
  uintptr_t lo = 0, hi = 0;
  const region_t *r = sp ? ls_reach_region_of(s->rg, sp) : NULL;
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
    /* The mapping pass leaves the rest of the stack alone: below sp is
     * dead stack, full of stale addresses (Valgrind's memcheck makes it
     * inaccessible as the stack pointer rises). */
    add_skip(s, r->lo, hi);
  }
  /* A pthread's static TLS and TCB lie in its stack mapping above sp,
   * scanned just now; never look below sp there: that is dead stack, full
   * of stale addresses. The main thread's come from ld.so's startup
   * allocator instead, elsewhere. The size glibc gives includes the TCB,
   * so the range starts a little low: harmless outside a stack. */
  const region_t *fr = fs ? ls_reach_region_of(s->rg, fs) : NULL;
  if (fr && !(r == fr && fs > sp)) {
    size_t tls = s->static_tls;
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
  } else if (ls_reach_readable(s->rg, dtv - 16, dtv)) {
    uint64_t entries = peek(dtv - 16); /* dtv[-1].counter */
    if (entries < (1u << 16))
      scan_between_blocks(s, dtv - 16, dtv + 16 * (entries + 1));
  }
}

/* --- Classification --- */

/* --- Every other mapping of the program --- */

#define GLIBC_HEAP_MAX                                                                             \
  (64ul << 20)                         /* glibc's HEAP_MAX_SIZE (64-bit): a non-main
                                      arena's heaps are aligned to it */
#define HUGE_RESERVATION (64ull << 30) /* anonymous mappings above this are not scanned */
#define TCB_SEARCH                                                                                 \
  16384 /* top of a stack mapping searched for the
                                      thread descriptor */

/* Reads n words at a into out under the fault guard; false if it faults. */
static RAW_READ bool read_words(scan_t *s, uintptr_t a, uintptr_t *out, size_t n) {
  sigjmp_buf jb;
  fault.jb = &jb;
  if (sigsetjmp(jb, 0) != 0) {
    s->faults++;
    return false;
  }
  /* relaxed + compiler fences: a signal on this same thread is all that
   * reads it */
  ls_atomic_store_relaxed(&fault.armed, 1);
  ls_compiler_fence();
  for (size_t i = 0; i < n; i++)
    out[i] = peek(a + 8 * i);
  ls_compiler_fence();
  ls_atomic_store_relaxed(&fault.armed, 0);
  return true;
}

/* glibc: the bytes made read-write of the non-main arena heap whose
 * heap_info starts at a (aligned to GLIBC_HEAP_MAX), or 0 if a holds no
 * such header. heap_info is {ar_ptr, prev, size, mprotect_size, ...};
 * the arena (malloc_state) of an arena's first heap follows its
 * heap_info, 32 or 48 bytes in (by glibc version); later heaps point to
 * their arena in the first one. */
static size_t glibc_heap_at(scan_t *s, uintptr_t a) {
  uintptr_t w[4];
  if (!read_words(s, a, w, 4))
    return 0;
  uintptr_t arena = w[0], prev = w[1], size = w[2], prot = w[3];
  uintptr_t arena_off = arena & (GLIBC_HEAP_MAX - 1);
  if (!size || size % PAGE || prot % PAGE || size > GLIBC_HEAP_MAX || prot > GLIBC_HEAP_MAX)
    return 0;
  if (arena_off < 16 || arena_off > 64 || arena_off % 16)
    return 0;
  if (prev ? prev % GLIBC_HEAP_MAX != 0 : arena - arena_off != a)
    return 0;
  return size > prot ? size : prot;
}

/* glibc keeps a thread's descriptor (struct pthread) at the top of its
 * stack mapping; it begins with tcbhead_t, whose tcb and self fields both
 * point to it. Its address, in the top TCB_SEARCH bytes of [lo, hi), or
 * 0. */
static uintptr_t glibc_tcb_in(scan_t *s, uintptr_t lo, uintptr_t hi) {
  uintptr_t from = hi - lo > TCB_SEARCH ? hi - TCB_SEARCH : lo;
  for (uintptr_t a = (hi - 24) & ~(uintptr_t)63; a >= from && a > 64; a -= 64) {
    uintptr_t w[3];
    if (!read_words(s, a, w, 3))
      return 0;
    if (w[0] == a && w[2] == a)
      return a;
  }
  return 0;
}

static void sort_ranges(range_t *r, size_t n) {
  /* Shell sort: no qsort (it may allocate) while the world is stopped. */
  static const size_t gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
  for (size_t g = 0; g < LS_ARRAY_LEN(gaps); g++) {
    size_t gap = gaps[g];
    for (size_t i = gap; i < n; i++) {
      range_t v = r[i];
      size_t j = i;
      for (; j >= gap && r[j - gap].lo > v.lo; j -= gap)
        r[j] = r[j - gap];
      r[j] = v;
    }
  }
}

/* Sorts the skip list and merges what overlaps. */
static void merge_skips(scan_t *s) {
  sort_ranges(s->skip, s->nskip);
  size_t out = 0;
  for (size_t i = 0; i < s->nskip; i++) {
    if (out && s->skip[i].lo <= s->skip[out - 1].hi) {
      if (s->skip[i].hi > s->skip[out - 1].hi)
        s->skip[out - 1].hi = s->skip[i].hi;
    } else {
      s->skip[out++] = s->skip[i];
    }
  }
  s->nskip = out;
}

/* Index of the first skip range ending above a. */
static size_t skip_after(const scan_t *s, uintptr_t a) {
  size_t lo = 0, hi = s->nskip;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->skip[mid].hi <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool skipped(const scan_t *s, uintptr_t a) {
  size_t i = skip_after(s, a);
  return i < s->nskip && s->skip[i].lo <= a;
}

/* Scans [lo, hi) but the skip ranges and the blocks. */
static void scan_unskipped(scan_t *s, uintptr_t lo, uintptr_t hi) {
  for (size_t i = skip_after(s, lo); lo < hi; i++) {
    uintptr_t e = i < s->nskip && s->skip[i].lo < hi ? s->skip[i].lo : hi;
    if (lo < e)
      scan_between_blocks(s, lo, e);
    if (i >= s->nskip || s->skip[i].lo >= hi)
      break;
    lo = s->skip[i].hi;
  }
}

/* One readable, writable mapping of the program. */
static void scan_mapping(scan_t *s, size_t idx) {
  const region_t *r = &s->rg->r[idx];
  uintptr_t lo = r->lo, hi = r->hi;
  if (r->flags & RG_ANON) {
    /* An exited thread's stack, kept by glibc for the next thread (or
     * not joined yet): the guard page below it, the descriptor at its top,
     * no live thread in it. Not a root: no thread can reach it any more,
     * and what it holds is stale (the thread's last locals, its start
     * argument, its TLS). Valgrind still scans what lies above the
     * thread's last stack pointer while glibc caches the stack, so it may
     * call "still reachable" what leakscope calls lost; a value returned
     * by a thread nobody joined yet is the one real loss of this rule. A
     * neighbour the kernel merged above the descriptor is scanned. Not
     * applied when a live thread could not be seen: its stack would look
     * the same. */
    const region_t *below = idx ? &s->rg->r[idx - 1] : NULL;
    if (s->all_seen && below && below->hi == lo && !(below->flags & RG_READ)) {
      uintptr_t tcb = glibc_tcb_in(s, lo, hi);
      if (tcb && !skipped(s, tcb)) {
        uintptr_t end = (tcb + TCB_SCAN + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
        lo = end < hi ? end : hi;
      }
    }
    /* glibc's non-main arena heaps, at GLIBC_HEAP_MAX boundaries
     * (roots themselves with heap_roots). */
    if (s->glibc && !s->heap_roots) {
      for (uintptr_t a = (lo + GLIBC_HEAP_MAX - 1) & ~(GLIBC_HEAP_MAX - 1); a >= lo && a < hi;
           a += GLIBC_HEAP_MAX) {
        size_t len = glibc_heap_at(s, a);
        if (!len)
          continue;
        scan_unskipped(s, lo, a);
        lo = a + len < hi ? a + len : hi;
      }
    }
  }
  scan_unskipped(s, lo, hi);
}

/* Every readable, writable mapping but what reach_scan.h lists. */
static void scan_mappings(scan_t *s, const ls_reach_roots_t *roots) {
  size_t missed = 0;
  s->nskip += ls_map_list(s->skip + s->nskip, s->skip_cap - s->nskip, &missed);
  for (size_t i = 0; i < roots->nown; i++) /* whole pages: the rest of a page is ours too */
    add_skip(s, roots->own[i].lo & ~(uintptr_t)(PAGE - 1),
             (roots->own[i].hi + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
  for (size_t i = 0; i < roots->nmodules; i++) /* scanned already */
    add_skip(s, roots->modules[i].lo, roots->modules[i].hi);
  merge_skips(s);
  for (size_t i = 0; i < s->rg->n; i++) {
    const region_t *r = &s->rg->r[i];
    if ((r->flags & (RG_READ | RG_WRITE)) != (RG_READ | RG_WRITE) ||
        ((r->flags & RG_BRK_HEAP) && !roots->heap_roots))
      continue;
    /* A reservation this large is no program's data but a sanitizer's
     * shadow or an allocator's address-space reserve (mostly never
     * touched): reading it would fault in terabytes of zero pages. */
    if ((r->flags & RG_ANON) && r->hi - r->lo > HUGE_RESERVATION)
      continue;
    scan_mapping(s, i);
    drain(s);
  }
}

void ls_reach_scan(ls_reach_block_t *blocks, size_t n, const ls_reach_roots_t *roots,
                   uint32_t *stack, ls_reach_live_fn still_live, void *ctx) {
  const ls_reach_block_t *last = &blocks[n - 1];
  scan_t scan = {.b = blocks,
                 .n = n,
                 .lo = blocks[0].addr,
                 .span = last->addr + (last->size ? last->size : 1) - blocks[0].addr,
                 .rg = roots->rg,
                 .stack = stack,
                 .glibc = roots->glibc,
                 .static_tls = roots->static_tls,
                 .heap_roots = roots->heap_roots,
                 .skip = roots->skip,
                 .skip_cap = roots->skip_cap,
                 .all_seen = !roots->world->lost && !roots->world->overflow};
  scan_t *s = &scan;
  const world_t *w = roots->world;
  guard_faults(w->self);
  /* 0: blocks freed since the snapshot are out of the graph. */
  for (size_t i = 0; i < s->n; i++) {
    ls_reach_block_t *b = &s->b[i];
    bool live = ls_reach_readable(s->rg, b->addr, b->addr + (b->size ? b->size : 1)) &&
                (!still_live || still_live(b->addr, ctx));
    b->cls = live ? ST_UNREACHED : LS_REACH_GONE;
  }
  /* 1: reachable from the roots by start pointers; interior hits noted. */
  s->mode = MODE_REACH;
  for (size_t i = 0; i < roots->nmodules; i++)
    scan_range(s, roots->modules[i].lo, roots->modules[i].hi);
  uintptr_t fs = 0;
  if (sys2(SYS_arch_prctl, ARCH_GET_FS, &fs) != 0)
    fs = 0;
  /* Ours: from the trampoline's register save area up, no red zone. */
  scan_thread(s, roots->my_sp, 0, fs, fs ? peek(fs + 8) : 0);
  for (uint32_t i = 0; i < w->n; i++) {
    const slot_t *t = &w->slots[i];
    if (t->how == HOW_PARKED)
      scan_words(s, (uintptr_t)t->regs, (uintptr_t)(t->regs + NGREG));
    if (t->how == HOW_PARKED || t->how == HOW_PROC)
      scan_thread(s, t->sp, RED_ZONE, t->fs, t->dtv);
    drain(s);
  }
  drain(s);
  scan_mappings(s, roots);
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
  unguard_faults();
  for (size_t i = 0; i < n; i++)
    blocks[i].cls &= ST_MASK;
}

#endif /* x86-64 Linux */
