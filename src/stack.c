/* SPDX-License-Identifier: MIT
 * stack.c: stack capture. By default unwind_cfi.c walks the .eh_frame
 * rules it caches per PC, and reuses a thread's recent stacks after
 * checking the stack words they were read from (~20-40 ns a capture).
 * What it does not model (signal frames, DWARF expressions, stacks other
 * than the thread's own) goes to libunwind's unw_backtrace (its fast path
 * walks cached unwind info; ~150 ns for 13 frames on this project's
 * machine, where an unw_step loop costs microseconds).
 *
 * Walks start in the caller of the interposer that entered leakscope
 * (ls_tls.entry, its frame address), so our own frames cost nothing.
 * Whatever frames of ours remain (an interposer calling another, a walk
 * started here) are cut by address: everything between our ELF header and
 * the end of our text, whatever the compiler inlined.
 *
 * LEAKSCOPE_UNWIND=fp walks the frame-pointer chain instead (~1 ns per
 * frame; the library is built with frame pointers for it). A chain is only
 * trusted when the caller of the interposed function is in a module built
 * with frame pointers: libc and libstdc++ on Debian are not, and a libc
 * function such as strdup would hide its caller's frame (LSan's fast
 * unwinder has that bug, google/sanitizers#870). Such stacks, and chains
 * that break before a plausible end, go to libunwind.
 */
#include "stack.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <link.h>
#include <string.h>

#include "config.h"
#include "depot.h"
#include "guard.h"
#include "python.h"
#include "unwind_cfi.h"

/* Linker-defined bounds of this shared object's headers and code. Hidden,
 * so they bind to our own copies and not to the executable's. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

/* Frames of ours above the caller when a walk starts here (no entry
 * frame): the interposer, ls_track_*, the side-stack switch and the
 * function it runs, this function, the unwinder's own frame; a margin for
 * future layers. */
#define LS_OWN_FRAMES 12

static inline bool is_ours(uintptr_t pc) {
  return pc >= (uintptr_t)__ehdr_start && pc < (uintptr_t)__etext;
}

/* Code ranges of modules known to be built without frame pointers. Filled
 * once at start-up (ls_stack_init); read-only afterwards. */
#define MAX_NOFP 8
static struct { uintptr_t lo, hi; } nofp[MAX_NOFP];
static int nnofp;

static int find_nofp(struct dl_phdr_info *info, size_t size, void *unused) {
  static const char *const names[] = {"/libc.so", "/libstdc++.so", "/ld-linux", "/libm.so",
                                      "/libgcc_s.so"};
  bool match = false;
  for (size_t i = 0; i < LS_ARRAY_LEN(names) && info->dlpi_name; i++)
    match |= strstr(info->dlpi_name, names[i]) != NULL;
  for (int i = 0; match && i < info->dlpi_phnum && nnofp < MAX_NOFP; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
      nofp[nnofp].lo = info->dlpi_addr + ph->p_vaddr;
      nofp[nnofp].hi = nofp[nnofp].lo + ph->p_memsz;
      nnofp++;
    }
  }
  return 0;
}

static bool in_nofp(uintptr_t pc) {
  for (int i = 0; i < nnofp; i++)
    if (pc >= nofp[i].lo && pc < nofp[i].hi)
      return true;
  return false;
}

void ls_stack_init(void) {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  /* Whatever the mode: this may run before our constructor has read
   * LEAKSCOPE_UNWIND (another library's constructor allocated first). */
  dl_iterate_phdr(find_nofp, NULL);
  uintptr_t frames[8];
  uint32_t *tag;
  /* From the entry frame when there is one: this may run on the side
   * stack (the first tracked call initialises), which the walker refuses,
   * and libunwind's first use opens its pipe. */
  if (!ls_cfi_backtrace(frames, 8, ls_tls.entry, &tag) && !ls_tls.side_busy)
    unw_backtrace((void **)frames, 8);
}

/* Frame-pointer walk. Returns the depth, or 0 when the chain cannot be
 * trusted (the caller then uses libunwind). A frame is [saved rbp, return
 * address]; each saved rbp must lie above the previous one, within 8 MiB,
 * 8-aligned. The walk ends at a null rbp (_start clears it) or at the
 * first implausible link, which is accepted only after a few user
 * frames (the libc frames above main have no frame pointers). */
static LS_NOINLINE uint32_t capture_fp(uintptr_t *frames, uint32_t max) {
  const uintptr_t *fp = ls_tls.entry ? ls_tls.entry : __builtin_frame_address(0);
  /* Our own frames first (none when the walk starts at the interposer). */
  while (is_ours(fp[1])) {
    const uintptr_t *next = (const uintptr_t *)fp[0];
    if (next <= fp)
      return 0;
    fp = next;
  }
  if (in_nofp(fp[1]))
    return 0; /* called from libc: its caller would be skipped */
  uint32_t depth = 0;
  while (depth < max) {
    uintptr_t ra = fp[1];
    const uintptr_t *next = (const uintptr_t *)fp[0];
    if (ra < 4096)
      break;
    frames[depth++] = ra;
    /* next must be 8-aligned and 8 B to 8 MiB above fp: one unsigned
     * compare (a misaligned next sets the top bits) */
    uintptr_t step = (uintptr_t)next - (uintptr_t)fp - 8;
    if ((step | (uintptr_t)next << 61) >= (8u << 20))
      break;
    fp = next;
  }
  return depth >= 2 || depth == max ? depth : 0;
}

static uint32_t intern_native(uint32_t max) {
  uintptr_t raw[LS_MAX_DEPTH + LS_OWN_FRAMES];
  if (max > LS_MAX_DEPTH)
    max = LS_MAX_DEPTH;
  if (ls_config.unwind == LS_UNWIND_FP) {
    uint32_t depth = capture_fp(raw, max);
    if (depth)
      return ls_depot_intern(raw, depth);
  }
  /* A stack the unwinder's memo already holds under a depot id needs no
   * copy, cut or depot lookup: the id names exactly these frames. A walk
   * from the interposer's caller has at most one frame of ours to cut (an
   * interposer calling another: reallocarray); one from here has ours
   * all. */
  uint32_t *tag;
  const uintptr_t *entry = ls_tls.entry;
  int n = (int)ls_cfi_backtrace(raw, max + (entry ? 1 : LS_OWN_FRAMES), entry, &tag);
  if (tag && *tag)
    return *tag;
  if (n == 0)
    n = unw_backtrace((void **)raw, (int)(max + LS_OWN_FRAMES));
  int skip = 0;
  while (skip < n && is_ours(raw[skip]))
    skip++;
  uint32_t depth = (uint32_t)(n - skip) < max ? (uint32_t)(n - skip) : max;
  uint32_t id =
      tag ? ls_depot_intern_missed(raw + skip, depth) : ls_depot_intern(raw + skip, depth);
  if (tag)
    *tag = id;
  return id;
}

uint32_t ls_stack_intern(uint32_t max) {
  /* A Python thread's stack gets its Python frames in place of the
   * evaluation loop's (python.c); any other stack is the native one. */
  return ls_python_stack(intern_native(max));
}
