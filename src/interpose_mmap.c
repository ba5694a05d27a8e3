/* SPDX-License-Identifier: MIT
 * interpose_mmap.c: mmap, mmap64, munmap, mremap, shmat and shmdt (the
 * "mapping" kind; records in kind_mapping.c).
 *
 * Which calls arrive: the program's and its libraries' calls through the
 * PLT. The C library's own mappings do not: malloc's arenas and large
 * chunks, thread stacks and the loader's dlopen mappings are made by
 * internal calls that never reach an exported symbol. leakscope's own
 * (arena.c, tables, report buffers, libunwind and libdw under the guard)
 * pass through: under the guard, or called from our own code.
 *
 * Order: what a call unmaps is forgotten before the real call (after
 * it, another thread may map the same addresses and record them);
 * mremap puts the old range back if the call failed, munmap and
 * MAP_FIXED do not (their failures leave the kernel's mappings changed
 * or are argument errors, which are checked first).
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "interpose.h"
#include "kind_mapping.h"
#include "track.h"

#define PAGE 4096u

/* Called from leakscope's own code (arena.c's mmap, report buffers)? */
static bool from_us(const void *ret) {
  extern const char __ehdr_start[] __attribute__((visibility("hidden")));
  extern const char __etext[] __attribute__((visibility("hidden")));
  return (uintptr_t)ret >= (uintptr_t)__ehdr_start && (uintptr_t)ret < (uintptr_t)__etext;
}

static void record(uintptr_t start, uint64_t len, int prot, int kind) {
  ls_origin_t o;
  if (ls_track_origin(&o))
    ls_kmap_add(&o, start, len, prot, kind);
}

/* The common body of mmap and mmap64 (the same function on 64-bit). */
#define LS_MMAP(fn, addr, len, prot, flags, fd, off)                                               \
  do {                                                                                             \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn)) {                                           \
      errno = ENOSYS;                                                                              \
      return MAP_FAILED;                                                                           \
    }                                                                                              \
    if (from_us(__builtin_return_address(0)) || !ls_guard_enter())                                 \
      return ls_real.fn(addr, len, prot, flags, fd, off);                                          \
    if ((flags)&MAP_FIXED)                                                                         \
      ls_kmap_remove((uintptr_t)(addr), len, NULL);                                                \
    void *p_ = ls_real.fn(addr, len, prot, flags, fd, off);                                        \
    if (p_ != MAP_FAILED)                                                                          \
      record((uintptr_t)p_, len, prot, (flags)&MAP_ANONYMOUS ? LS_KMAP_ANONYMOUS : LS_KMAP_FILE);  \
    ls_guard_leave();                                                                              \
    return p_;                                                                                     \
  } while (0)

LS_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  LS_MMAP(mmap, addr, len, prot, flags, fd, off);
}

LS_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off) {
  LS_MMAP(mmap64, addr, len, prot, flags, fd, off);
}

LS_EXPORT int munmap(void *addr, size_t len) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.munmap)) {
    errno = ENOSYS;
    return -1;
  }
  /* An argument the kernel refuses (EINVAL) unmaps nothing. */
  if (len && !((uintptr_t)addr & (PAGE - 1)) && !from_us(__builtin_return_address(0)))
    ls_kmap_remove((uintptr_t)addr, len, NULL);
  return ls_real.munmap(addr, len);
}

LS_EXPORT void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...) {
  void *want = NULL;
  if (flags & MREMAP_FIXED) {
    va_list ap;
    va_start(ap, flags);
    want = va_arg(ap, void *);
    va_end(ap);
  }
  if (ls_unlikely(!ls_real_ensure() || !ls_real.mremap)) {
    errno = ENOSYS;
    return MAP_FAILED;
  }
  if (from_us(__builtin_return_address(0)) || !ls_guard_enter())
    return ls_real.mremap(old, old_size, new_size, flags, want);
  /* old_size 0 duplicates a shared mapping: the old one stays. */
  ls_kmap_info_t was;
  bool tracked =
      old_size && !((uintptr_t)old & (PAGE - 1)) && ls_kmap_remove((uintptr_t)old, old_size, &was);
  if (tracked && (flags & MREMAP_FIXED))
    ls_kmap_remove((uintptr_t)want, new_size, NULL);
  void *p = ls_real.mremap(old, old_size, new_size, flags, want);
  if (tracked) {
    ls_origin_t o = {.stack = was.stack, .stamp = was.stamp, .thread = was.thread};
    if (p == MAP_FAILED) {
      ls_kmap_add(&o, (uintptr_t)old, old_size, was.prot, was.kind); /* nothing moved */
    } else {
      /* The mapping is now mremap's: its stack, like realloc's block. */
      ls_origin_t now;
      ls_kmap_add(ls_track_origin(&now) ? &now : &o, (uintptr_t)p, new_size, was.prot, was.kind);
#ifdef MREMAP_DONTUNMAP
      if (flags & MREMAP_DONTUNMAP)
        ls_kmap_add(&o, (uintptr_t)old, old_size, was.prot, was.kind);
#endif
    }
  }
  ls_guard_leave();
  return p;
}

LS_EXPORT void *shmat(int id, const void *addr, int flags) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.shmat)) {
    errno = ENOSYS;
    return (void *)-1;
  }
  if (from_us(__builtin_return_address(0)) || !ls_guard_enter())
    return ls_real.shmat(id, addr, flags);
  void *p = ls_real.shmat(id, addr, flags);
  {
    LS_KEEP_ERRNO(); /* shmat's own */
    struct shmid_ds ds;
    if (p != (void *)-1 && shmctl(id, IPC_STAT, &ds) == 0)
      record((uintptr_t)p, ds.shm_segsz,
             PROT_READ | (flags & SHM_RDONLY ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0),
             LS_KMAP_SHM);
  }
  ls_guard_leave();
  return p;
}

LS_EXPORT int shmdt(const void *addr) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.shmdt)) {
    errno = ENOSYS;
    return -1;
  }
  uint64_t len;
  if (!from_us(__builtin_return_address(0)))
    ls_kmap_remove_at((uintptr_t)addr, &len);
  return ls_real.shmdt(addr);
}
