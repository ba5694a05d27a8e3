/* SPDX-License-Identifier: MIT
 * report_frames.c: stack ids -> the frames a report shows (see
 * report_frames.h): the symbolizer or the loader's answer, the below-main
 * cut, public names for libc's aliases.
 */
#include "report_frames.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/auxv.h>

#include "arena.h"
#include "config.h"
#include "depot.h"
#include "python.h"
#include "track.h"

/* See report_frames.h: an out-of-memory program gets libdw only if 32 MiB
 * of address space can be had now. */
ls_symbolizer_t *ls_report_symbolizer(void) {
  enum { LIBDW_ROOM = 32 << 20 };
  if (ls_track_out_of_memory()) {
    void *room = ls_map(LIBDW_ROOM);
    if (!room)
      return NULL;
    ls_unmap(room, LIBDW_ROOM);
  }
  return ls_sym_open();
}

/* libc's code calls its own functions through internal aliases (__GI_x
 * for hidden PLT-free calls, __libc_x, __x for the namespace-clean names),
 * and the symbol table or DWARF often names a function by one of them.
 * A name is rewritten only to a suffix that the same module exports at
 * the same address, so a genuinely internal function keeps its name. */
const char *ls_report_public_name(const char *name, uintptr_t pc) {
  if (!name || strncmp(name, "__", 2) != 0)
    return name;
  Dl_info info;
  if (!dladdr((void *)(pc - 1), &info) || !info.dli_fname || !info.dli_saddr)
    return name;
  /* RTLD_NOLOAD: a handle to the module already mapped, so dlsym looks
   * there first rather than at leakscope's interposers of the same name. */
  void *module = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (!module)
    return name;
  const char *best = name;
  for (const char *cand = name;;) {
    if (!strncmp(cand, "__GI_", 5))
      cand += 5;
    else if (!strncmp(cand, "__libc_", 7))
      cand += 7;
    else if (!strncmp(cand, "__", 2))
      cand += 2;
    else
      break;
    if (!*cand)
      break;
    if (dlsym(module, cand) == info.dli_saddr)
      best = cand;
  }
  dlclose(module);
  return best;
}

/* A frame without libdw: the loader's own answer (module, exported
 * symbol), which needs no allocation. */
static ls_frame_info_t plain_frame(uintptr_t pc) {
  Dl_info info;
  if (!dladdr((void *)(pc - 1), &info) || !info.dli_fname)
    return (ls_frame_info_t){.offset = pc};
  return (ls_frame_info_t){.module = info.dli_fname,
                           .offset = pc - 1 - (uintptr_t)info.dli_fbase,
                           .function = info.dli_sname};
}

size_t ls_report_expand_pc(ls_symbolizer_t *sym, uintptr_t pc, uint32_t id, ls_frame_info_t *out,
                           size_t max) {
  if (!max)
    return 0;
  if (ls_python_pc(pc) && ls_python_frame(pc, out))
    return 1;
  size_t n = 1;
  if (sym)
    n = (size_t)ls_sym_lookup(sym, pc, id, out, (int)max);
  else
    out[0] = plain_frame(pc);
  /* the last frame of a pc's inline chain is the physical function, the
   * one whose address the loader knows */
  if (n)
    out[n - 1].function = ls_report_public_name(out[n - 1].function, pc);
  return n;
}

/* Whether pc is in the C library, by the loader's module list (no DWARF). */
static bool in_libc(uintptr_t pc) {
  Dl_info info;
  if (!dladdr((void *)(pc - 1), &info) || !info.dli_fname)
    return false;
  const char *base = strrchr(info.dli_fname, '/');
  return strncmp(base ? base + 1 : info.dli_fname, "libc.so", 7) == 0;
}

/* Below the program's entry points every stack ends in the same frames
 * of the C runtime: _start (the executable's entry point), then
 * __libc_start_main and __libc_start_call_main (libc) below main;
 * start_thread and clone3 (libc) below a thread's start routine. Like
 * Valgrind, reports leave them out (LEAKSCOPE_SHOW_BELOW_MAIN=1 keeps
 * them): they say nothing, and naming them would make libdw load the C
 * library's separate debug file, ~50 ms per process. Found by address,
 * without symbols, so stripped programs are covered: an outermost frame
 * in _start (AT_ENTRY) goes, with at most the two libc frames above it
 * (exit and __run_exit_handlers, for a block allocated by an atexit
 * handler, stay); a thread's stack loses its two outermost frames if both
 * are in libc and the walk was complete, which only the unwind-table
 * walkers tell (shorter than the capture depth; a frame-pointer walk may
 * have stopped at any libc frame). A frame-pointer walk of the main
 * thread usually stops in libc before _start: ls_report_frames also ends
 * a stack at the frame whose function is main. */
static uint32_t shown_pcs(const uintptr_t *pcs, uint32_t depth) {
  if (ls_config.show_below_main || depth < 2)
    return depth;
  /* A thread the program created runs its start routine from our
   * trampoline (kind_thread.c): that frame and the libc ones below it
   * (start_thread, clone3) go, whatever the walk. */
  extern const char __ehdr_start[] __attribute__((visibility("hidden")));
  extern const char __etext[] __attribute__((visibility("hidden")));
  for (uint32_t k = depth; k-- > 1 && depth - k <= 3;) {
    if (pcs[k] >= (uintptr_t)__ehdr_start && pcs[k] < (uintptr_t)__etext)
      return k;
    if (!in_libc(pcs[k]))
      break;
  }
  if (depth < 3)
    return depth;
  /* _start calls __libc_start_main within its first few instructions */
  if (pcs[depth - 1] - 1 - getauxval(AT_ENTRY) < 64) {
    depth--;
    for (int n = 0; n < 2 && depth > 1 && in_libc(pcs[depth - 1]); n++)
      depth--;
  } else if (depth < ls_config.depth && ls_config.unwind != LS_UNWIND_FP &&
             in_libc(pcs[depth - 1]) && in_libc(pcs[depth - 2])) {
    depth -= 2;
  }
  return depth;
}

static bool is_python_frame(uintptr_t pc) {
  ls_frame_info_t f;
  return ls_python_pc(pc) && ls_python_frame(pc, &f);
}

size_t ls_report_frames(ls_symbolizer_t *sym, uint32_t id, ls_frame_info_t *out, uintptr_t *pcs,
                        size_t max) {
  uint32_t depth;
  const uintptr_t *stack = ls_depot_get(id, &depth);
  depth = shown_pcs(stack, depth);
  /* The Python-only view keeps a Python stack's Python frames and its
   * innermost native frame (the C function that allocated or opened). */
  bool python_only = false;
  for (uint32_t i = 0; ls_config.python_view == 1 && i < depth && !python_only; i++)
    python_only = is_python_frame(stack[i]);
  size_t n = 0;
  for (uint32_t i = 0; i < depth && n < max; i++) {
    if (python_only && i > 0 && !is_python_frame(stack[i]))
      continue;
    size_t k = ls_report_expand_pc(sym, stack[i], id, out + n, max - n);
    for (size_t j = 0; pcs && j < k; j++)
      pcs[n + j] = stack[i];
    n += k;
    /* the last frame of a pc's inline chain is its physical function */
    if (!ls_config.show_below_main && !out[n - 1].python && out[n - 1].function &&
        !strcmp(out[n - 1].function, "main"))
      break;
  }
  return n;
}
