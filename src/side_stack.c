/* SPDX-License-Identifier: MIT
 * side_stack.c: the per-thread side stack and the switch to it (see
 * side_stack.h).
 */
#include "side_stack.h"

#include <errno.h>
#include <sys/mman.h>

#include "arena.h"
#include "thread.h"

#define GUARD_BYTES 4096

/* ls_side_call(fn = rdi, arg = rsi, top = rdx). The frame is an ordinary
 * rbp frame whose CFA is rbp+16, so after the switch an unwinder finds
 * the return address and the caller's rbp on the caller's stack. */
__asm__(".text\n"
        ".globl ls_side_call\n"
        ".hidden ls_side_call\n"
        ".type ls_side_call, @function\n"
        ".p2align 4\n"
        "ls_side_call:\n"
        "  .cfi_startproc\n"
        "  pushq %rbp\n"
        "  .cfi_def_cfa_offset 16\n"
        "  .cfi_offset %rbp, -16\n"
        "  movq %rsp, %rbp\n"
        "  .cfi_def_cfa_register %rbp\n"
        "  movq %rdx, %rsp\n"
        "  movq %rdi, %rax\n"
        "  movq %rsi, %rdi\n"
        "  callq *%rax\n"
        "  movq %rbp, %rsp\n"
        "  popq %rbp\n"
        "  .cfi_def_cfa %rsp, 8\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size ls_side_call, .-ls_side_call\n");

/* Address space for one side stack: reserved, committed page by page as
 * touched, a PROT_NONE guard page below. From ls_map, so the reachability
 * scan knows it for ours: it holds stale copies of block and mapping
 * addresses from the calls it recorded, which as a root would make leaks
 * look reachable. NULL without memory. */
static char *map_side_stack(void) {
  char *base = ls_map(LS_SIDE_STACK_SIZE + GUARD_BYTES);
  if (!base)
    return NULL;
  mprotect(base, GUARD_BYTES, PROT_NONE); /* best effort */
  return base + GUARD_BYTES;
}

void ls_side_run_slow(ls_side_fn_t fn, void *arg) {
  if (!ls_tls.side_busy) {
    ls_thread_t *t;
    {
      LS_KEEP_ERRNO(); /* the program reads it after our wrapper returns */
      /* Registering the thread (a record from the arena, a pthread key
       * value) runs here, on the caller's stack: a few hundred bytes, once
       * per thread. */
      t = ls_thread_self();
      if (t != &ls_thread_fallback && !t->side_stack)
        t->side_stack = map_side_stack();
    }
    if (t != &ls_thread_fallback && t->side_stack) {
      ls_tls.side_top = t->side_stack + LS_SIDE_STACK_SIZE;
      const uintptr_t *entry = ls_tls.entry;
      if (!entry)
        ls_tls.entry = __builtin_frame_address(0);
      ls_side_run(fn, arg);
      ls_tls.entry = entry;
      return;
    }
  }
  fn(arg);
}
