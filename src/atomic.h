/* SPDX-License-Identifier: MIT
 * atomic.h: C11 atomics with the memory order in the name.
 *
 * Interface: ls_atomic_{load,store}_{relaxed,acquire,release},
 * ls_atomic_cas_acq_rel (strong; on failure *expected is updated), ls_atomic_add_{relaxed,acq_rel} (returns the old value),
 * ls_atomic_exchange_acq_rel.
 * Rule: every use says in a comment what it pairs with, or why relaxed is
 * enough. Plain reads/writes of _Atomic objects are not used.
 */
#ifndef LS_ATOMIC_H
#define LS_ATOMIC_H

#include <stdatomic.h>

#define ls_atomic_load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define ls_atomic_load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define ls_atomic_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define ls_atomic_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define ls_atomic_cas_acq_rel(p, exp, des)                                  \
  atomic_compare_exchange_strong_explicit((p), (exp), (des),                \
                                          memory_order_acq_rel, memory_order_acquire)
#define ls_atomic_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define ls_atomic_sub_relaxed(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_relaxed)
#define ls_atomic_add_acq_rel(p, v) atomic_fetch_add_explicit((p), (v), memory_order_acq_rel)
#define ls_atomic_exchange_acq_rel(p, v) atomic_exchange_explicit((p), (v), memory_order_acq_rel)
/* Compiler-only barrier: orders our accesses against a signal handler or
 * against membarrier(2) run by another thread (see thread.c). */
#define ls_compiler_fence() atomic_signal_fence(memory_order_seq_cst)

#endif
