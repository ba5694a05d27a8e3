/* SPDX-License-Identifier: MIT
 * unwind_cfi.h: a stack walker for x86-64 that reads .eh_frame call-frame
 * information, for programs built without frame pointers.
 *
 * The rule for each code address (where the CFA is, that the return
 * address sits at CFA-8, where the caller's rbp was saved) is decoded once
 * and kept in a lock-free cache, so a walk costs one cache probe and one
 * or two stack reads per frame. Each thread also keeps its last few stacks
 * with the stack words they were read from: a capture that starts from
 * the same place only re-checks those words, and a walk that reaches a
 * frame of the last stack re-checks the rest and splices it. The walker
 * covers only the rules that compilers emit for ordinary code. Anything
 * else (signal frames, DWARF expressions, code without unwind information
 * above a non-zero rbp, a stack that is not the thread's own) makes it
 * answer 0, and the caller falls back to libunwind for that capture. It
 * never guesses: a stack it returns is the one the unwind tables describe.
 */
#ifndef LS_UNWIND_CFI_H
#define LS_UNWIND_CFI_H

#include "common.h"

/* Stores up to `max` return addresses, innermost first, and returns how
 * many. frames[0] is the return address of this call (an address in the
 * function that called ls_cfi_backtrace), then its caller's, and so on to
 * the outermost frame (_start, the thread's start routine, or a frame
 * without unwind information whose rbp is 0). Returns 0 to ask the caller
 * to unwind some other way; never crashes on a bad stack.
 * Guard held: the first call on a thread checks its stack with mincore(2)
 * and registers a pthread key value (which may allocate); a cache miss
 * takes a try-lock (busy: returns 0), calls dl_iterate_phdr and parses the
 * module's .eh_frame. Otherwise: no locks, no malloc, no system calls.
 * Not async-signal-safe on a miss (dl_iterate_phdr). */
/* *tag: a word kept with the thread's memo of this stack, for the
 * caller's own name for it (stack.c keeps the depot id there), valid until
 * the thread's next capture; NULL when the stack is not memoized. When
 * **tag is non-zero on return, the stack is the one so named and frames
 * is left unwritten. A new walk resets the word to 0. */
/* from: NULL, or the frame address of a function built with frame
 * pointers that is still running below this call (the interposer that
 * entered leakscope): the walk then starts in its caller, frames[0] being
 * from's return address, and skips the frames in between. */
uint32_t ls_cfi_backtrace(uintptr_t *frames, uint32_t max, const uintptr_t *from, uint32_t **tag);

/* Forgets every cached rule, for when code may have been unmapped and
 * other code mapped at the same addresses (dlclose). Misses notice a
 * dlclose by themselves through dlpi_subs; this closes the window before
 * the next miss. Lock-free; captures running meanwhile may still use an
 * old rule once. */
void ls_cfi_flush(void);

#endif
