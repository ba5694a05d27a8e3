/* SPDX-License-Identifier: MIT
 * atomic.h: C11 atomics with the memory order in the name. The only file
 * that names a C11 atomic operation, a GCC __atomic/__sync builtin or a
 * memory_order: tests/check_atomics.sh (CTest `atomics_only_in_atomic_h`)
 * fails the build's tests on any other use under src/, cli/ and include/.
 *
 * Interface:
 *   ls_atomic_init(p, v)                        before the object is shared
 *   ls_atomic_load_{relaxed,acquire,seq_cst}(p)
 *   ls_atomic_store_{relaxed,release}(p, v)
 *   ls_atomic_cas_acq_rel(p, exp, des)          strong; on failure *exp is
 *                                               updated (acquire)
 *   ls_atomic_cas_weak_{relaxed,acquire,release}(p, exp, des)
 *                                               weak, for retry loops; the
 *                                               failure order is relaxed
 *                                               (acquire for _acquire)
 *   ls_atomic_add_{relaxed,acq_rel,seq_cst}(p, v)   return the old value
 *   ls_atomic_sub_{relaxed,release}(p, v)           return the old value
 *   ls_atomic_or_relaxed(p, v)                      returns the old value
 *   ls_atomic_exchange_acq_rel(p, v)
 *   ls_atomic_fence_{acquire,release,seq_cst}()
 *   ls_compiler_fence()                         orders against a signal
 *                                               handler on this thread only
 *   ls_cpu_pause()                              in the body of every spin
 * Rule: every use says in a comment what it pairs with, or why relaxed is
 * enough. Plain reads/writes of _Atomic objects are not used; a pointer
 * that threads publish to each other is itself _Atomic(T *).
 */
#ifndef LS_ATOMIC_H
#define LS_ATOMIC_H

#include <stdatomic.h>

#define ls_atomic_init(p, v) atomic_init((p), (v))

#define ls_atomic_load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define ls_atomic_load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define ls_atomic_load_seq_cst(p) atomic_load_explicit((p), memory_order_seq_cst)

#define ls_atomic_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define ls_atomic_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)

#define ls_atomic_cas_acq_rel(p, exp, des)                                                         \
  atomic_compare_exchange_strong_explicit((p), (exp), (des), memory_order_acq_rel,                 \
                                          memory_order_acquire)
#define ls_atomic_cas_weak_relaxed(p, exp, des)                                                    \
  atomic_compare_exchange_weak_explicit((p), (exp), (des), memory_order_relaxed,                   \
                                        memory_order_relaxed)
#define ls_atomic_cas_weak_acquire(p, exp, des)                                                    \
  atomic_compare_exchange_weak_explicit((p), (exp), (des), memory_order_acquire,                   \
                                        memory_order_acquire)
#define ls_atomic_cas_weak_release(p, exp, des)                                                    \
  atomic_compare_exchange_weak_explicit((p), (exp), (des), memory_order_release,                   \
                                        memory_order_relaxed)

#define ls_atomic_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define ls_atomic_add_acq_rel(p, v) atomic_fetch_add_explicit((p), (v), memory_order_acq_rel)
#define ls_atomic_add_seq_cst(p, v) atomic_fetch_add_explicit((p), (v), memory_order_seq_cst)
#define ls_atomic_sub_relaxed(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_relaxed)
#define ls_atomic_sub_release(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_release)
#define ls_atomic_or_relaxed(p, v) atomic_fetch_or_explicit((p), (v), memory_order_relaxed)

#define ls_atomic_exchange_acq_rel(p, v) atomic_exchange_explicit((p), (v), memory_order_acq_rel)

#define ls_atomic_fence_acquire() atomic_thread_fence(memory_order_acquire)
#define ls_atomic_fence_release() atomic_thread_fence(memory_order_release)
#define ls_atomic_fence_seq_cst() atomic_thread_fence(memory_order_seq_cst)

/* Compiler-only barrier: orders our accesses against a signal handler or
 * against membarrier(2) run by another thread (see thread.c). */
#define ls_compiler_fence() atomic_signal_fence(memory_order_seq_cst)

/* A spin-wait hint: lets the sibling hyperthread run and saves power while
 * another thread finishes the few stores we wait for. Every loop that
 * waits for another thread calls it (or yields/sleeps instead). */
static inline void ls_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  ls_compiler_fence();
#endif
}

#endif
