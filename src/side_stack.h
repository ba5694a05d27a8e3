/* SPDX-License-Identifier: MIT
 * side_stack.h: leakscope's deep work runs on a stack of its own.
 *
 * Programs call malloc and open on small stacks: coroutines on 8 KiB
 * makecontext stacks, crash handlers on a SIGSTKSZ sigaltstack. Bare, a
 * malloc needs about 100 bytes of the caller's stack; recording one needs
 * kilobytes (the frame buffer, libunwind's cursor and context, a rule-cache
 * miss that parses .eh_frame, table growth). So the recording half of an
 * interposed call (ls_track_alloc, an fd's record) switches to a per-thread
 * side stack and back: the caller's stack only holds the interposer's frame
 * and the real call (the budget in docs/architecture.md#stack-budget).
 *
 * The side stack belongs to the thread's registry record (thread.h) and is
 * reused with it by the next thread: 1 MiB of address space, reserved
 * without commit, with a guard page below. Only pages a walk touches are
 * ever committed (a few KiB). A signal handler that interrupts a thread on
 * its side stack runs there (without SA_ONSTACK), hence the size.
 *
 * Invariant: a thread runs at most one function on its side stack at a
 * time. ls_tls.side_busy is set while it does; a nested user (a signal
 * handler's free or realloc reaching a record, a report path) runs on the
 * stack it is on.
 */
#ifndef LS_SIDE_STACK_H
#define LS_SIDE_STACK_H

#include "common.h"
#include "guard.h"

#define LS_SIDE_STACK_SIZE (1u << 20)

typedef void (*ls_side_fn_t)(void *arg);

/* Calls fn(arg) with the stack pointer at top (16-aligned), and returns
 * on the caller's stack. Assembly (side_stack.c): its frame keeps the
 * caller's rbp and CFI, so unwinders (ours and libunwind) walk from the
 * side stack back onto the caller's. */
void ls_side_call(ls_side_fn_t fn, void *arg, char *top);

/* First use on this thread (maps the stack), a busy side stack or none
 * available (no memory, the shared fallback record): fn runs in place. */
void ls_side_run_slow(ls_side_fn_t fn, void *arg);

/* Runs fn(arg) on the calling thread's side stack. Guard held. */
static inline void ls_side_run(ls_side_fn_t fn, void *arg) {
  char *top = ls_tls.side_top;
  if (ls_likely(top != NULL && !ls_tls.side_busy)) {
    /* Plain TLS stores: only this thread and its signal handlers read
     * them, and the call below is opaque to the compiler. A walk must
     * start on the thread's own stack (unwind_cfi.c checks it against the
     * stack pointer it starts from): without an interposer's entry frame,
     * the frame of the function running this (built with frame pointers)
     * is the start. */
    const uintptr_t *entry = ls_tls.entry;
    if (!entry)
      ls_tls.entry = __builtin_frame_address(0);
    ls_tls.side_busy = 1;
    ls_side_call(fn, arg, top);
    ls_tls.side_busy = 0;
    ls_tls.entry = entry;
    return;
  }
  ls_side_run_slow(fn, arg);
}

#endif
