/* SPDX-License-Identifier: MIT
 * unwind_cfi.c: x86-64 stack walking from .eh_frame CFI with a per-PC rule
 * cache (see unwind_cfi.h): the walk, the rule cache, this thread's stack
 * bounds and its memo of recent stacks (whose layout and checks are
 * cfi_memo.h's).
 *
 * Hot path: the memo, then per frame a probe of a 2-way set-associative
 * cache of 64-bit words, each word a whole entry (tag, epoch, rule), so
 * entries are read and replaced with single relaxed atomics and never
 * tear. Miss path: under a try-lock, find the module (cfi_modules.c: a
 * table rebuilt from dl_iterate_phdr when dlpi_adds/subs move),
 * binary-search its .eh_frame_hdr, decode the CIE and FDE and run the CFA
 * program up to the PC (cfi_decode.c), and publish the row as a cache
 * word.
 * Never: malloc, blocking locks, reads outside the current thread's stack
 * (bounds checked with mincore once per thread), guesses on rules outside
 * the model (those answer "unknown", and the caller uses libunwind).
 */
#include "unwind_cfi.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"
#include "cfi_decode.h"
#include "cfi_memo.h"
#include "cfi_modules.h"

/* Exported by ld.so: the initial stack pointer of the process, above all
 * of the main thread's frames. */
extern void *__libc_stack_end;

/* --- Rules and the cache word --- */

/* Word layout: kind 0-1 | cfa_rbp 2 | cfa_off/8 3-17 | rbp_slot/8 18-24 |
 * epoch 25-31 | tag 32-63. The tag is pc >> SET_BITS and the set index
 * is the low bits xor the tag's low bits, so (set, tag) names one pc.
 * A tag fits 32 bits for pcs below 2^47 (the x86-64 user half without
 * 5-level paging); higher pcs are not cached. An all-zero word is empty. */
#define SET_BITS 15
#define NSETS (1u << SET_BITS)
#define CACHE_BYTES (NSETS * 2 * sizeof(uint64_t))
#define EPOCH_SHIFT 25
#define EPOCH_MASK 0x7fu
#define KEY_MASK (~(uint64_t)0 << EPOCH_SHIFT) /* tag + epoch */
#define PC_LIMIT ((uintptr_t)1 << 47)

static _Atomic(_Atomic uint64_t *) cache; /* NSETS pairs, from ls_map */
static _Atomic uint32_t epoch;

static inline uint32_t set_of(uintptr_t pc) {
  return (uint32_t)((pc ^ (pc >> SET_BITS)) & (NSETS - 1));
}

static inline uint64_t key_of(uintptr_t pc, uint32_t ep) {
  return ((uint64_t)(pc >> SET_BITS) << 32) | ((uint64_t)(ep & EPOCH_MASK) << EPOCH_SHIFT);
}

/* The word for rule r, or 0 if r does not fit the layout. */
static uint64_t pack(const ls_cfi_rule_t *r, uintptr_t pc, uint32_t ep) {
  if (pc >= PC_LIMIT || pc >> SET_BITS == 0)
    return 0;
  if (r->kind == LS_CFI_FRAME && (r->cfa_off == 0 || r->cfa_off % 8 || r->cfa_off / 8 > 0x7fff ||
                                  r->rbp_slot % 8 || r->rbp_slot / 8 > 0x7f))
    return 0;
  uint64_t w = r->kind | (uint64_t)r->cfa_rbp << 2;
  if (r->kind == LS_CFI_FRAME)
    w |= (uint64_t)(r->cfa_off / 8) << 3 | (uint64_t)(r->rbp_slot / 8) << 18;
  return w | key_of(pc, ep);
}

static inline ls_cfi_rule_t unpack(uint64_t w) {
  return (ls_cfi_rule_t){.kind = (uint32_t)(w & 3),
                         .cfa_rbp = (uint32_t)(w >> 2) & 1,
                         .cfa_off = ((uint32_t)(w >> 3) & 0x7fff) * 8,
                         .rbp_slot = ((uint32_t)(w >> 18) & 0x7f) * 8};
}

/* The cached word for pc in the current epoch, or 0. */
static inline uint64_t cache_probe(_Atomic uint64_t *c, uintptr_t pc, uint64_t key) {
  _Atomic uint64_t *set = c + 2 * (size_t)set_of(pc);
  /* relaxed: a word is a complete entry; nothing else is published with it */
  uint64_t w = ls_atomic_load_relaxed(&set[0]);
  if ((w & KEY_MASK) == key && (w & 3))
    return w;
  w = ls_atomic_load_relaxed(&set[1]);
  if ((w & KEY_MASK) == key && (w & 3))
    return w;
  return 0;
}

/* Puts w first in its set, moving the previous first entry to the second
 * way. Racing inserts may lose an entry; that only costs a later miss. */
static void cache_insert(_Atomic uint64_t *c, uintptr_t pc, uint64_t w) {
  _Atomic uint64_t *set = c + 2 * (size_t)set_of(pc);
  /* relaxed: see cache_probe */
  uint64_t old = ls_atomic_load_relaxed(&set[0]);
  if (old && (old & KEY_MASK) != (w & KEY_MASK))
    ls_atomic_store_relaxed(&set[1], old);
  ls_atomic_store_relaxed(&set[0], w);
}

void ls_cfi_flush(void) {
  /* acq_rel: orders the bump before the clearing stores below; a capture
   * that still reads the old epoch can use an old rule once, which is the
   * documented window */
  uint32_t ep = ls_atomic_add_acq_rel(&epoch, 1) + 1;
  _Atomic uint64_t *c = ls_atomic_load_acquire(&cache);
  if (!c)
    return;
  /* Clearing keeps an epoch that wrapped around from reviving entries
   * written 128 flushes ago. Words written concurrently with an older
   * epoch never match again. */
  for (size_t i = 0; i < 2 * (size_t)NSETS; i++) {
    /* relaxed: see cache_probe */
    uint64_t w = ls_atomic_load_relaxed(&c[i]);
    if (w && ((w >> EPOCH_SHIFT) & EPOCH_MASK) != (ep & EPOCH_MASK))
      ls_atomic_store_relaxed(&c[i], 0);
  }
}

/* --- Rules not cached yet (miss path) --- */

/* The rule for pc (already pc-1 for return addresses), from the tables.
 * Publishes it to the cache unless the answer is transient (lock busy,
 * out of memory), in which case it is LS_CFI_UNKNOWN for this capture only. */
static LS_NOINLINE ls_cfi_rule_t slow_rule(_Atomic uint64_t *c, uintptr_t pc, uint32_t ep) {
  ls_cfi_rule_t rule = {.kind = LS_CFI_UNKNOWN};
  bool transient = true;
  if (!ls_cfi_modules_lock())
    return rule;
  LS_KEEP_ERRNO();
  const uint8_t *eh_hdr;
  if (ls_cfi_module_of(pc, &eh_hdr)) {
    transient = false;
    const uint8_t *fde = eh_hdr ? ls_cfi_find_fde(eh_hdr, pc) : NULL;
    rule = fde ? ls_cfi_rule_from_fde(fde, pc) : LS_CFI_NO_INFO;
  }
  ls_cfi_modules_unlock();
  if (!transient) {
    uint64_t w = pack(&rule, pc, ep);
    if (!w && rule.kind != LS_CFI_UNKNOWN) { /* cannot be cached: let libunwind have it */
      rule = (ls_cfi_rule_t){.kind = LS_CFI_UNKNOWN};
      w = pack(&rule, pc, ep);
    }
    if (w)
      cache_insert(c, pc, w);
  }
  return rule;
}

static _Atomic uint64_t *cache_get(void) {
  /* acquire: pairs with the release CAS below (the mapping is zero-filled,
   * so there is nothing else to publish, but keep the pairing explicit) */
  _Atomic uint64_t *c = ls_atomic_load_acquire(&cache);
  if (ls_likely(c != NULL))
    return c;
  _Atomic uint64_t *fresh = ls_map(CACHE_BYTES);
  if (!fresh)
    return NULL;
  if (!ls_atomic_cas_acq_rel(&cache, &c, fresh)) {
    ls_unmap((void *)fresh, CACHE_BYTES);
    return c;
  }
  return fresh;
}

/* --- This thread's memo (cfi_memo.h) --- */

/* A thread's memo is bound to it with a pthread key, whose destructor
 * gives it back at the thread's exit (memo_release, below). */
static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static bool memo_key_ok;

static void memo_release(void *p);
static void memo_key_create(void) {
  memo_key_ok = pthread_key_create(&memo_key, memo_release) == 0;
}

static memo_t *memo_get(void) {
  pthread_once(&memo_once, memo_key_create);
  if (!memo_key_ok)
    return NULL;
  memo_t *m = ls_cfi_memo_take();
  if (m && pthread_setspecific(memo_key, m) != 0) {
    ls_cfi_memo_give(m);
    return NULL;
  }
  return m;
}

/* --- This thread's stack --- */

/* [lo, hi): memory known to be mapped and to be this thread's stack.
 * state 0: not set up yet (tries: failed attempts); 1: usable; 2:
 * unusable (fall back always). */
static __thread struct {
  uintptr_t lo, hi;
  int state, tries;
  memo_t *memo;
} stk __attribute__((tls_model("initial-exec")));

/* Thread exit (a pthread key destructor): the memo goes to the next
 * thread; captures later in this thread's exit just walk. */
static void memo_release(void *p) {
  if (stk.memo == p)
    stk.memo = NULL;
  ls_cfi_memo_give(p);
}

#define MAX_STACK ((uintptr_t)8 << 20) /* glibc's default thread stack size */
#define PAGE ((uintptr_t)4096)

/* True if every page of [lo, hi) is mapped (mincore fails with ENOMEM on
 * a hole). */
static bool all_mapped(uintptr_t lo, uintptr_t hi) {
  unsigned char vec[256];
  LS_KEEP_ERRNO(); /* mincore's ENOMEM answers a question, it is no error */
  bool ok = true;
  for (lo &= ~(PAGE - 1); ok && lo < hi; lo += sizeof vec * PAGE) {
    size_t len = hi - lo < sizeof vec * PAGE ? hi - lo : sizeof vec * PAGE;
    ok = mincore((void *)lo, len, vec) == 0;
  }
  return ok;
}

/* Finds the top of this thread's stack: glibc puts a thread's descriptor
 * (the thread pointer) and static TLS at the top of its stack block; the
 * main thread's frames all lie below __libc_stack_end. mincore confirms
 * that everything between sp and that top is mapped. A stack that is
 * neither (sigaltstack, most coroutines) is refused rather than trusted,
 * and so is a walk deeper than MAX_STACK, which also keeps a coroutine
 * stack mapped just below a default-sized thread stack out. */
static LS_NOINLINE bool stack_setup(uintptr_t sp) {
  uintptr_t tp, end = (uintptr_t)__libc_stack_end, hi = 0;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  if (sp < tp && tp - sp <= MAX_STACK)
    hi = tp;
  else if (sp < end && end - sp <= MAX_STACK)
    hi = (end + PAGE - 1) & ~(PAGE - 1);
  if (stk.state == 0) {
    if (hi && all_mapped(sp, hi)) {
      stk.lo = sp & ~(PAGE - 1);
      stk.hi = hi;
      stk.state = 1;
      LS_KEEP_ERRNO();
      stk.memo = memo_get();
      return true;
    }
    if (++stk.tries == 8)
      stk.state = 2; /* not a stack we understand: always fall back */
    return false;
  }
  /* Deeper than ever before on this thread: extend if contiguous. */
  if (stk.state == 1 && sp < stk.lo && hi == stk.hi && all_mapped(sp, stk.lo)) {
    stk.lo = sp & ~(PAGE - 1);
    return true;
  }
  return false;
}

/* --- The walk --- */

/* Publishes way w, a walk of k frames of which n are output. Frames from
 * `walked` up to k were spliced from another way and their fp-use bits are
 * already in `need` (bit k: the last frame's end test used fp); the walked
 * ones below are derived from the top down: a frame uses its incoming fp
 * if its CFA is rbp-based, or if it leaves rbp alone and the frame above
 * uses it. k is set last. */
static void memo_finish(memo_t *m, memo_way_t *w, uint32_t k, uint32_t n, bool natural,
                        uint32_t walked, uint64_t cfa_rbp, uint64_t need, uint32_t max,
                        uint32_t ep) {
  bool above = need >> walked & 1;
  for (uint32_t i = walked; i-- > 0;) {
    above = (cfa_rbp >> i & 1) || (!w->rbp_slot[i] && above);
    need |= (uint64_t)above << i;
  }
  w->needfp = need;
  uint32_t j = 0;
  for (uint32_t i = 0; i < k; i++) {
    w->chk_from[i] = (uint8_t)j;
    w->chk[j++] = (memo_check_t){w->sp[i + 1] - 8, w->ra[i]};
    /* a saved rbp matters only if a frame above uses it */
    if (w->rbp_slot[i] && (need >> (i + 1) & 1))
      w->chk[j++] = (memo_check_t){w->sp[i + 1] - w->rbp_slot[i], w->fp[i + 1]};
  }
  w->chk_from[k] = (uint8_t)j;
  w->nchk = j;
  w->hot = 0;
  w->n = n;
  w->natural = natural;
  w->max = max;
  w->epoch = ep;
  w->tag = 0;
  w->k = k;
  m->mru = (uint32_t)(w - m->way);
  m->hint[m->mru / MEMO_ASSOC] = (uint8_t)(m->mru % MEMO_ASSOC);
  m->got = w;
}

/* Copies t frames of ref from rc on (and the state after them) to w from
 * frame i on: a splice. */
static void memo_splice(memo_way_t *w, uint32_t i, const memo_way_t *ref, uint32_t rc, uint32_t t) {
  memcpy(&w->sp[i], &ref->sp[rc], (t + 1) * sizeof w->sp[0]);
  memcpy(&w->fp[i], &ref->fp[rc], (t + 1) * sizeof w->fp[0]);
  memcpy(&w->ra[i], &ref->ra[rc], t * sizeof w->ra[0]);
  memcpy(&w->rbp_slot[i], &ref->rbp_slot[rc], t * sizeof w->rbp_slot[0]);
}

/* ep: the full epoch (memo ways); the cache keeps its low bits. */
static LS_NO_ASAN uint32_t walk(uintptr_t *frames, uint32_t max, uintptr_t at, uintptr_t sp,
                                uintptr_t fp, _Atomic uint64_t *c, uint32_t ep, memo_t *m) {
  const uintptr_t hi = stk.hi;
  memo_way_t *rec = NULL, *ref = NULL;
  uint32_t rc = 1, ref_ok_from = 1; /* ref: next frame to compare; frames below ok_from differ */
  uint64_t cfa_rbp = 0;
  if (m) {
    ref = &m->way[m->mru];
    if (!ref->k || ref->epoch != ep || ref->max != max)
      ref = NULL;
    uint32_t s = memo_set(at, sp), v = m->next[s];
    if (&m->way[s * MEMO_ASSOC + v] == ref)
      v = (v + 1) % MEMO_ASSOC;
    m->next[s] = (uint8_t)((v + 1) % MEMO_ASSOC);
    rec = &m->way[s * MEMO_ASSOC + v];
    rec->k = 0; /* invalid until memo_finish */
    rec->pc0 = at;
  }
  /* Frame i's pc is `at`; for i > 0 it is a return address minus one: the
   * row that applies is the call's (the call may end its function). */
  for (uint32_t i = 0;; i++) {
    if (rec) {
      if (i >= MEMO_DEPTH)
        rec = NULL; /* too deep to keep */
      else
        rec->sp[i] = sp, rec->fp[i] = fp;
    }
    if (ref && i > 0) {
      while (rc < ref->n && ref->sp[rc] < sp)
        rc++;
      if (rc >= ref_ok_from && rc <= ref->n && ref->sp[rc] == sp && ref->ra[rc - 1] - 1 == at &&
          fp_matches(ref, rc, fp)) {
        /* ref outputs `tail` frames from rc on; the spliced stack ends
         * where ref's did, or is cut at max (and needs one more read) */
        uint32_t tail = ref->n - rc;
        bool natural = ref->natural;
        if (i + tail > max)
          tail = max - i, natural = false;
        if (!natural && i + tail < max) {
          ref_ok_from = rc + 1; /* ref was cut short of what we need */
        } else if (memo_verify(ref, rc)) {
          uint32_t n = i + tail, k = natural ? i + (ref->k - rc) : n + 1;
          copy_frames(&frames[i], &ref->ra[rc], tail);
          if (rec && k <= MEMO_DEPTH) {
            memo_splice(rec, i, ref, rc, k - i);
            uint64_t need = (ref->needfp >> rc) << i; /* rc >= 1, i <= MEMO_DEPTH */
            if (!natural)                             /* nothing above the cut uses fp */
              need &= ((uint64_t)1 << k) - 1;
            memo_finish(m, rec, k, n, natural, i, cfa_rbp, need, max, ep);
          }
          return n;
        } else {
          ref_ok_from = frame_after_check(ref, ref->hot);
        }
      }
    }
    if (ls_unlikely(at >= PC_LIMIT))
      return 0;
    uint64_t w = cache_probe(c, at, key_of(at, ep));
    ls_cfi_rule_t r = ls_likely(w != 0) ? unpack(w) : slow_rule(c, at, ep);
    /* No unwind information and a zero rbp: the ABI's other end-of-stack
     * mark (ld.so clears rbp before running constructors from
     * _dl_start_user, which has no CFI). libunwind stops there too; with
     * a non-zero rbp it would guess along the frame-pointer chain, which
     * this walker leaves to it. */
    bool end_by_fp = r.kind == LS_CFI_UNKNOWN && r.cfa_rbp && fp == 0;
    if (r.kind == LS_CFI_END || end_by_fp) {
      if (rec)
        memo_finish(m, rec, i, i, true, i, cfa_rbp, (uint64_t)end_by_fp << i, max, ep);
      return i;
    }
    if (r.kind != LS_CFI_FRAME)
      return 0;
    uintptr_t cfa = (r.cfa_rbp ? fp : sp) + r.cfa_off;
    /* rsp must grow, and everything read must lie in [sp, hi) */
    if (cfa < sp + 8 || cfa > hi || (cfa & 7))
      return 0;
    uintptr_t ra = *(const uintptr_t *)(cfa - 8);
    if (r.rbp_slot) {
      if (cfa - r.rbp_slot < sp)
        return 0;
      fp = *(const uintptr_t *)(cfa - r.rbp_slot);
    }
    sp = cfa;
    if (rec) {
      rec->ra[i] = ra;
      rec->rbp_slot[i] = (uint16_t)r.rbp_slot;
      cfa_rbp |= (uint64_t)r.cfa_rbp << i;
    }
    if (ra == 0 || i == max) { /* a zeroed return address also ends a stack */
      if (rec) {
        rec->sp[i + 1] = sp, rec->fp[i + 1] = fp;
        memo_finish(m, rec, i + 1, i, ra == 0, i + 1, cfa_rbp, 0, max, ep);
      }
      return i;
    }
    frames[i] = ra;
    at = ra - 1;
  }
}

/* A named stack's frames are not copied: the caller only needs its name. */
static inline uint32_t memo_lookup(memo_t *m, uintptr_t *frames, uint32_t max, uintptr_t pc,
                                   uintptr_t sp, uintptr_t fp, uint32_t ep) {
  uint32_t s = memo_set(pc, sp);
  for (uint32_t t = 0; t < MEMO_ASSOC; t++) {
    uint32_t i = s * MEMO_ASSOC + (m->hint[s] + t) % MEMO_ASSOC;
    memo_way_t *w = &m->way[i];
    if (w->k && w->sp[0] == sp && w->pc0 == pc && fp_matches(w, 0, fp) && w->epoch == ep &&
        w->max == max && memo_verify(w, 0)) {
      if (!w->tag)
        copy_frames(frames, w->ra, w->n);
      m->mru = i;
      m->hint[s] = (uint8_t)(i % MEMO_ASSOC);
      m->got = w;
      return w->n;
    }
  }
  return 0;
}

LS_NOINLINE LS_NO_ASAN uint32_t ls_cfi_backtrace(uintptr_t *frames, uint32_t max,
                                                 const uintptr_t *from, uint32_t **tag) {
  uintptr_t pc, sp, fp;
  /* pc is the instruction after the lea, which is where sp and fp are
   * read: the row for pc describes exactly this sp. */
  __asm__ volatile("lea 0(%%rip), %0\n\t"
                   "mov %%rsp, %1\n\t"
                   "mov %%rbp, %2"
                   : "=r"(pc), "=r"(sp), "=r"(fp));
  *tag = NULL;
  uint32_t first = 0;
  if (from && max) {
    /* from's frame is [saved rbp, return address]: the caller's state
     * after the return is pc = return address, sp just above, rbp the
     * saved one. The return address is frame 0, and as the walk's first
     * pc it is part of the memo's key. */
    pc = from[1] - 1;
    sp = (uintptr_t)(from + 2);
    fp = from[0];
    frames[0] = from[1];
    frames++;
    max--;
    first = 1;
  }
  if (ls_unlikely(sp < stk.lo || sp >= stk.hi) && !stack_setup(sp))
    return 0;
  _Atomic uint64_t *c = cache_get();
  if (ls_unlikely(!c))
    return 0;
  /* relaxed: a stale epoch only means the flush window in unwind_cfi.h */
  const uint32_t ep = ls_atomic_load_relaxed(&epoch);
  memo_t *m = stk.memo;
  if (!m || m->busy) { /* busy: re-entered from a signal handler */
    uint32_t n = walk(frames, max, pc, sp, fp, c, ep, NULL);
    return n ? first + n : 0;
  }
  m->busy = 1;
  ls_compiler_fence();
  m->got = NULL;
  uint32_t n = memo_lookup(m, frames, max, pc, sp, fp, ep);
  if (!n)
    n = walk(frames, max, pc, sp, fp, c, ep, m);
  if (n && m->got) /* walk() keeps no way for stacks too deep */
    *tag = &m->got->tag;
  ls_compiler_fence();
  m->busy = 0;
  return n ? first + n : 0;
}
