/* SPDX-License-Identifier: MIT
 * stack.c: stack capture with libunwind's unw_backtrace (its fast path
 * walks cached unwind info; ~90 ns for 10 frames on this project's
 * machine, where an unw_step loop costs microseconds).
 *
 * Frames inside libleakscope itself are cut by address: everything between
 * our ELF header and the end of our text. That works whatever the
 * compiler inlined and whichever interposer called us, unlike a fixed
 * skip count.
 */
#include "stack.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "config.h"

/* Linker-defined bounds of this shared object's headers and code. Hidden,
 * so they bind to our own copies and not to the executable's. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

/* Frames of ours above the caller: the interposer, ls_track_*, this
 * function, unw_backtrace's own frame; a margin for future layers. */
#define LS_OWN_FRAMES 8

static inline bool is_ours(uintptr_t pc) {
  return pc >= (uintptr_t)__ehdr_start && pc < (uintptr_t)__etext;
}

void ls_stack_init(void) {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  uintptr_t frames[8];
  ls_stack_capture(frames, 8);
}

uint32_t ls_stack_capture(uintptr_t *frames, uint32_t max) {
  void *raw[LS_MAX_DEPTH + LS_OWN_FRAMES];
  if (max > LS_MAX_DEPTH)
    max = LS_MAX_DEPTH;
  int n = unw_backtrace(raw, (int)(max + LS_OWN_FRAMES));
  int skip = 0;
  while (skip < n && is_ours((uintptr_t)raw[skip]))
    skip++;
  uint32_t depth = 0;
  for (int i = skip; i < n && depth < max; i++)
    frames[depth++] = (uintptr_t)raw[i];
  return depth;
}
