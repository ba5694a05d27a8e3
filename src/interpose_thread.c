/* SPDX-License-Identifier: MIT
 * interpose_thread.c: pthread_create, the join family and pthread_detach
 * (the "thread" kind; records in kind_thread.c).
 *
 * pthread_create records the creating stack and starts the thread in
 * ls_kthread_trampoline, whose argument is the record itself (no
 * allocation), so the end of the start routine is seen however it comes
 * (return, pthread_exit, cancellation). The real call runs with the
 * guard held: what glibc allocates for the thread (its DTV, a copy of
 * the attribute's CPU set) is glibc's, freed by the join. Joins and
 * detach look the record up BEFORE the real call, while the pthread_t
 * still names that thread (after it, a new thread may reuse the
 * descriptor), and release it only if the call succeeded. Threads
 * created while the thread is inside leakscope (the dump thread) or
 * paused are not recorded.
 */
#include <pthread.h>

#include "interpose.h"
#include "kind_thread.h"
#include "track.h"

/* The stack size the new thread gets: the attribute's, else the
 * process default (glibc answers the default for an unset size). */
static size_t stack_size(const pthread_attr_t *attr) {
  size_t size = 0;
  if (attr) {
    pthread_attr_getstacksize(attr, &size);
  } else {
    pthread_attr_t a;
    if (pthread_attr_init(&a) == 0) {
      pthread_attr_getstacksize(&a, &size);
      pthread_attr_destroy(&a);
    }
  }
  return size;
}

/* Our own threads (the dump thread) are not the program's, whether or
 * not the call that starts them holds the guard. */
static bool is_ours(void *(*start)(void *)) {
  extern const char __ehdr_start[] __attribute__((visibility("hidden")));
  extern const char __etext[] __attribute__((visibility("hidden")));
  return (uintptr_t)start >= (uintptr_t)__ehdr_start && (uintptr_t)start < (uintptr_t)__etext;
}

LS_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                             void *arg) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.pthread_create))
    return ENOSYS;
  if (is_ours(start) || !ls_guard_enter())
    return ls_real.pthread_create(thread, attr, start, arg);
  ls_origin_t o;
  void *rec = ls_track_origin(&o) ? ls_kthread_begin(&o, start, arg, stack_size(attr)) : NULL;
  int rc = rec ? ls_real.pthread_create(thread, attr, ls_kthread_trampoline, rec)
               : ls_real.pthread_create(thread, attr, start, arg);
  if (rec)
    ls_kthread_created(rec, rc, rc == 0 ? *thread : 0);
  ls_guard_leave();
  return rc;
}

/* Runs the real join `call` of thread t; a successful one frees its
 * record. */
#define LS_JOIN(fn, t, ...)                                                                        \
  do {                                                                                             \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn))                                             \
      return ENOSYS;                                                                               \
    ls_kthread_ref_t ref_ = ls_kthread_find(t);                                                    \
    int rc_ = ls_real.fn(t, __VA_ARGS__);                                                          \
    if (rc_ == 0)                                                                                  \
      ls_kthread_joined(ref_);                                                                     \
    return rc_;                                                                                    \
  } while (0)

LS_EXPORT int pthread_join(pthread_t t, void **ret) { LS_JOIN(pthread_join, t, ret); }

LS_EXPORT int pthread_tryjoin_np(pthread_t t, void **ret) { LS_JOIN(pthread_tryjoin_np, t, ret); }

LS_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime) {
  LS_JOIN(pthread_timedjoin_np, t, ret, abstime);
}

LS_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
                                   const struct timespec *abstime) {
  LS_JOIN(pthread_clockjoin_np, t, ret, clock, abstime);
}

LS_EXPORT int pthread_detach(pthread_t t) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.pthread_detach))
    return ENOSYS;
  ls_kthread_ref_t ref = ls_kthread_find(t);
  int rc = ls_real.pthread_detach(t);
  if (rc == 0)
    ls_kthread_detached(ref);
  return rc;
}
