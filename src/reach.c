/* SPDX-License-Identifier: MIT
 * reach.c: the reachability classifier (see reach.h): gather, stop the
 * world, scan, resume. The pieces:
 *  - reach_proc.c: raw system calls, signal actions, /proc readers;
 *  - reach_stop.c: stopping and releasing the other threads;
 *  - reach_scan.c: the pointer scan and the marking (Valgrind's classes);
 *  - here: what must be gathered before the stop (module segments, the
 *    static TLS size, the allocator, buffers), the entry trampoline that
 *    keeps leakscope's own frames out of the roots, and the order of it
 *    all.
 *
 * Never calls malloc, stdio or dl_* while other threads are stopped: all
 * that runs between the stop and the release is raw syscalls, reads of
 * memory that /proc/self/maps (re-read after the stop) says is mapped and
 * readable, and our own mappings. x86-64 Linux only; elsewhere
 * ls_reach_classify returns -ENOSYS.
 */
#include "reach.h"

#if defined(__x86_64__) && defined(__linux__)

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "out.h"
#include "reach_proc.h"
#include "reach_scan.h"
#include "reach_stop.h"
#include "real.h"

/* --- Gathering, while locks may still be taken --- */

typedef struct modules {
  range_t *r;
  size_t n, cap;
  int index; /* of the module being visited; 0 is the main program */
  bool overflow;
  range_t own[8]; /* libleakscope's writable segments */
  size_t nown;
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
      if (ph->p_type == PT_LOAD && self >= lo && self < lo + ph->p_memsz) {
        /* and the scan of every mapping must leave it out too */
        m->nown = 0;
        for (int j = 0; j < info->dlpi_phnum && m->nown < LS_ARRAY_LEN(m->own); j++) {
          const ElfW(Phdr) *w = &info->dlpi_phdr[j];
          uintptr_t wlo = info->dlpi_addr + w->p_vaddr;
          if (w->p_type == PT_LOAD && (w->p_flags & PF_W) && w->p_memsz)
            m->own[m->nown++] = (range_t){wlo, wlo + w->p_memsz};
        }
        return 0;
      }
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
typedef struct prep {
  modules_t mods;
  regions_t rg;
  uint32_t *stack;
  size_t stack_bytes;
  range_t *skip; /* the mapping pass's skip list */
  size_t skip_cap;
} prep_t;

static void prep_release(prep_t *p) {
  if (p->mods.r)
    ls_unmap(p->mods.r, p->mods.cap * sizeof *p->mods.r);
  ls_reach_maps_release(&p->rg);
  if (p->stack)
    ls_unmap(p->stack, p->stack_bytes);
  if (p->skip)
    ls_unmap(p->skip, p->skip_cap * sizeof *p->skip);
}

static bool count_task(int tid, void *ctx) {
  (void)tid;
  (*(uint32_t *)ctx)++;
  return true;
}

static int prepare(prep_t *p, size_t n) {
  int rc;
  if ((rc = collect_modules(&p->mods)) != 0)
    return rc;
  /* Sized now so the re-read after the stop rarely has to grow. */
  if ((rc = ls_reach_maps_load(&p->rg)) != 0)
    return rc;
  if (p->rg.text.len * 2 > p->rg.text.cap)
    ls_mbuf_reserve(&p->rg.text, p->rg.text.cap + 1, 0); /* twice; if not, it grows later */
  p->stack_bytes = (n ? n : 1) * sizeof *p->stack;
  if (!(p->stack = ls_map(p->stack_bytes)))
    return -ENOMEM;
  uint32_t threads = 0;
  if ((rc = ls_reach_each_task(count_task, &threads)) != 0)
    return rc;
  if ((rc = ls_reach_reserve_slots(threads + 16)) != 0)
    return rc;
  /* ls_map's list, the segments, and each thread's dead stack (the slot
   * array holds at most 2 * threads + 96 threads). */
  p->skip_cap = LS_MAP_LIST_MAX + p->mods.n + p->mods.nown + 4 * (size_t)threads + 256;
  if (!(p->skip = ls_map(p->skip_cap * sizeof *p->skip)))
    return -ENOMEM;
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
  LS_KEEP_ERRNO();
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
    rc = ls_reach_stop_world(&w);
  if (rc != 0) {
    prep_release(&p);
    ls_warn("reachability not computed (%s); leaks are reported without it", strerror(-rc));
    return rc;
  }
  /* --- the world is stopped: no malloc, no locks, no dl_*, no stdio --- */
  rc = ls_reach_maps_load(&p.rg);
  if (rc == 0) {
    ls_reach_roots_t roots = {.rg = &p.rg,
                              .modules = p.mods.r,
                              .nmodules = p.mods.n,
                              .own = p.mods.own,
                              .nown = p.mods.nown,
                              .skip = p.skip,
                              .skip_cap = p.skip_cap,
                              .world = &w,
                              .my_sp = scan_from,
                              .static_tls = static_tls_size(),
                              .glibc = glibc,
                              /* sampled mode: blocks not recorded live in the
                               * heaps, and may hold the only pointer to a
                               * recorded one (reach_scan.h) */
                              .heap_roots = ls_config.sample != 0};
    ls_reach_scan(blocks, n, &roots, p.stack, still_live, ctx);
    /* A thread we could not see may point to any block not proven
     * reachable: it stays unclassified, rather than get a lost class
     * that may be wrong. */
    for (size_t i = 0; i < n && (w.lost || w.overflow); i++)
      if (blocks[i].cls != LS_REACH_REACHABLE && blocks[i].cls != LS_REACH_GONE)
        blocks[i].cls = LS_REACH_UNCLASSIFIED;
  }
  ls_reach_resume_world(&w);
  /* --- the world runs again --- */
  prep_release(&p);
  if (rc != 0) {
    all_definite(blocks, n);
    ls_warn("reachability not computed (%s); leaks are reported without it", strerror(-rc));
  } else if (w.lost || w.overflow) {
    ls_warn("reachability: %d thread(s) could not be stopped or inspected (they block signal %d "
            "while running); blocks not found reachable are reported as unclassified",
            w.lost ? w.lost : 1, ls_reach_stop_signal());
    rc = LS_REACH_INCOMPLETE;
  }
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
