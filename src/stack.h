/* SPDX-License-Identifier: MIT
 * stack.h: capturing the current call stack.
 *
 * Frames are return addresses, innermost first, starting at the first
 * frame outside leakscope: frame 0 is the caller of the interposed
 * function (malloc, open, ...). Hot path: no locks of ours, no malloc of
 * ours (libunwind may allocate on its first use per thread; the guard
 * passes that through).
 */
#ifndef LS_STACK_H
#define LS_STACK_H

#include "common.h"

#define LS_MAX_DEPTH 256

/* Warms the unwinder up (its per-thread cache and the loader's module
 * list) so the first tracked allocation does not pay for it. */
void ls_stack_init(void);

/* Captures the current stack, up to `max` frames (<= LS_MAX_DEPTH), and
 * returns its depot id (0: the depot is full). Guard held. */
uint32_t ls_stack_intern(uint32_t max);

#endif
