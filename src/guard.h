/* SPDX-License-Identifier: MIT
 * guard.h: the per-thread reentrancy guard and thread-local state.
 *
 * While a thread is inside leakscope (bookkeeping, unwinding, symbolizing,
 * reporting, or a real call that may allocate such as dlsym or fopen),
 * `depth` is non-zero and every interposed function passes straight through
 * to the real one, untracked, except releases: free, realloc and close
 * still forget what they release (a block freed inside fclose was the
 * program's). The variable is initial-exec TLS: reading it
 * never calls into the dynamic loader (which may itself allocate).
 */
#ifndef LS_GUARD_H
#define LS_GUARD_H

#include "common.h"

typedef struct ls_tls {
  uint32_t depth;           /* >0: inside leakscope, pass through */
  uint32_t paused;          /* leakscope_pause() nesting on this thread */
  struct ls_thread *thread; /* registry record, NULL until first tracked op */
  uint32_t depot_recent[4]; /* depot ids this thread interned last (depot.c) */
  uint32_t depot_next;      /* where the next one goes, round robin */
  /* Frame address of the interposer that entered (NULL outside): stack
   * walks start there, not in our own frames (stack.c). */
  const uintptr_t *entry;
  /* Top of the thread record's side stack (side_stack.h), NULL until the
   * first record; side_busy while a function runs on it. */
  char *side_top;
  uint32_t side_busy;
  /* Sampled mode (sample.h): bytes of allocation left before the next
   * sample, and the thread's random generator (0 until seeded). */
  int64_t sample_left;
  uint64_t sample_rng;
} ls_tls_t;

extern __thread ls_tls_t ls_tls __attribute__((tls_model("initial-exec")));

/* Enters leakscope on this thread. Returns false when the thread is
 * already inside, in which case the caller must pass through and must not
 * call ls_guard_leave(). (A paused thread still enters: its releases must
 * be seen; ls_track_* skip recording new resources instead.) A macro, so
 * that the frame recorded is the calling interposer's, however the
 * compiler inlines: the library is built with frame pointers, so the
 * caller's return address and frame pointer sit at that frame address. */
#define ls_guard_enter() ls_guard_enter_from(__builtin_frame_address(0))

static inline bool ls_guard_enter_from(const void *frame) {
  if (ls_tls.depth)
    return false;
  ls_tls.depth = 1;
  ls_tls.entry = frame;
  return true;
}

static inline void ls_guard_leave(void) {
  ls_tls.entry = NULL;
  ls_tls.depth = 0;
}

/* What vfork() adds to a thread's depth for the child's life (the child
 * shares the parent's memory and this TLS block; interpose_vfork.c): every
 * interposer passes straight through, and the releases that record even
 * inside the guard (close) leave the parent's records alone. A plain
 * number: the vfork stub's assembly uses it. */
#define LS_VFORK_DEPTH 0x10000

/* Unconditional nesting, for report and API paths that must pass through
 * even when they were entered from an already-guarded context. */
static inline void ls_guard_push(void) { ls_tls.depth++; }
static inline void ls_guard_pop(void) { ls_tls.depth--; }

#endif
