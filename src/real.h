/* SPDX-License-Identifier: MIT
 * real.h: the real (next) definitions of every function we interpose.
 *
 * Resolved with dlsym(RTLD_NEXT) on first use by whichever interposer runs
 * first: other libraries' constructors, and programs like git that call
 * signal() before main, reach us before our own constructor does. dlsym
 * allocates; while it runs, this thread's malloc/calloc are served from a
 * small static bootstrap arena (ls_boot_*), which free() recognises.
 * Required functions (the malloc family) abort with a message if missing;
 * optional ones (close_range, closefrom, ...) may stay NULL.
 */
#ifndef LS_REAL_H
#define LS_REAL_H

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common.h"

/* X(required, return type, name, parameter list) */
/* clang-format off */
#define LS_REAL_FUNCS(X)                                                          \
  X(1, void *, malloc, (size_t))                                                  \
  X(1, void *, calloc, (size_t, size_t))                                          \
  X(1, void *, realloc, (void *, size_t))                                         \
  X(1, void, free, (void *))                                                      \
  X(1, int, posix_memalign, (void **, size_t, size_t))                            \
  X(1, void *, aligned_alloc, (size_t, size_t))                                   \
  X(1, void *, memalign, (size_t, size_t))                                        \
  X(1, void *, valloc, (size_t))                                                  \
  X(1, void *, pvalloc, (size_t))                                                 \
  X(0, int, open, (const char *, int, ...))                                       \
  X(0, int, open64, (const char *, int, ...))                                     \
  X(0, int, openat, (int, const char *, int, ...))                                \
  X(0, int, openat64, (int, const char *, int, ...))                              \
  X(0, int, __open_2, (const char *, int))                                        \
  X(0, int, __open64_2, (const char *, int))                                      \
  X(0, int, __openat_2, (int, const char *, int))                                 \
  X(0, int, __openat64_2, (int, const char *, int))                               \
  X(0, int, creat, (const char *, mode_t))                                        \
  X(0, int, creat64, (const char *, mode_t))                                      \
  X(0, int, dup, (int))                                                           \
  X(0, int, dup2, (int, int))                                                     \
  X(0, int, dup3, (int, int, int))                                                \
  X(0, int, fcntl, (int, int, ...))                                               \
  X(0, int, fcntl64, (int, int, ...))                                             \
  X(0, int, pipe, (int *))                                                        \
  X(0, int, pipe2, (int *, int))                                                  \
  X(0, int, socket, (int, int, int))                                              \
  X(0, int, socketpair, (int, int, int, int *))                                   \
  X(0, int, accept, (int, struct sockaddr *, socklen_t *))                        \
  X(0, int, accept4, (int, struct sockaddr *, socklen_t *, int))                  \
  X(0, int, epoll_create, (int))                                                  \
  X(0, int, epoll_create1, (int))                                                 \
  X(0, int, eventfd, (unsigned int, int))                                         \
  X(0, int, timerfd_create, (int, int))                                           \
  X(0, int, signalfd, (int, const sigset_t *, int))                               \
  X(0, int, inotify_init, (void))                                                 \
  X(0, int, inotify_init1, (int))                                                 \
  X(0, int, memfd_create, (const char *, unsigned int))                           \
  X(0, int, mkstemp, (char *))                                                    \
  X(0, int, mkstemp64, (char *))                                                  \
  X(0, int, mkostemp, (char *, int))                                              \
  X(0, int, mkostemp64, (char *, int))                                            \
  X(0, int, mkstemps, (char *, int))                                              \
  X(0, int, mkostemps, (char *, int, int))                                        \
  X(0, ssize_t, recvmsg, (int, struct msghdr *, int))                             \
  X(0, int, close, (int))                                                         \
  X(0, int, close_range, (unsigned int, unsigned int, int))                       \
  X(0, void, closefrom, (int))                                                    \
  X(0, long, syscall, (long, ...))                                                \
  X(0, FILE *, fopen, (const char *, const char *))                               \
  X(0, FILE *, fopen64, (const char *, const char *))                             \
  X(0, FILE *, fdopen, (int, const char *))                                       \
  X(0, FILE *, freopen, (const char *, const char *, FILE *))                     \
  X(0, FILE *, freopen64, (const char *, const char *, FILE *))                   \
  X(0, FILE *, tmpfile, (void))                                                   \
  X(0, FILE *, tmpfile64, (void))                                                 \
  X(0, FILE *, popen, (const char *, const char *))                               \
  X(0, int, fclose, (FILE *))                                                     \
  X(0, int, pclose, (FILE *))                                                     \
  X(0, DIR *, opendir, (const char *))                                            \
  X(0, DIR *, fdopendir, (int))                                                   \
  X(0, int, closedir, (DIR *))                                                    \
  X(0, int, dlclose, (void *))                                                    \
  X(0, int, sigaction, (int, const struct sigaction *, struct sigaction *))       \
  X(0, sighandler_t, signal, (int, sighandler_t))                                 \
  X(0, int, setuid, (uid_t))                                                      \
  X(0, int, setgid, (gid_t))                                                      \
  X(0, int, seteuid, (uid_t))                                                     \
  X(0, int, setegid, (gid_t))                                                     \
  X(0, int, setreuid, (uid_t, uid_t))                                             \
  X(0, int, setregid, (gid_t, gid_t))                                             \
  X(0, int, setresuid, (uid_t, uid_t, uid_t))                                     \
  X(0, int, setresgid, (gid_t, gid_t, gid_t))                                     \
  X(0, int, setgroups, (size_t, const gid_t *))                                   \
  X(0, int, unshare, (int))                                                       \
  X(0, int, setns, (int, int))                                                    \
  X(0, int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)) \
  X(0, int, pthread_join, (pthread_t, void **))                                   \
  X(0, int, pthread_tryjoin_np, (pthread_t, void **))                             \
  X(0, int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))  \
  X(0, int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *)) \
  X(0, int, pthread_detach, (pthread_t))                                          \
  X(0, int, chroot, (const char *))                                               \
  X(0, void, _exit, (int))                                                        \
  X(0, void, _Exit, (int))                                                        \
  X(0, pid_t, fork, (void))                                                       \
  X(0, int, posix_spawn, (pid_t *, const char *, const posix_spawn_file_actions_t *, \
                          const posix_spawnattr_t *, char *const[], char *const[])) \
  X(0, int, posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *, \
                           const posix_spawnattr_t *, char *const[], char *const[])) \
  X(0, pid_t, wait, (int *))                                                      \
  X(0, pid_t, waitpid, (pid_t, int *, int))                                       \
  X(0, int, waitid, (idtype_t, id_t, siginfo_t *, int))                           \
  X(0, pid_t, wait3, (int *, int, struct rusage *))                               \
  X(0, pid_t, wait4, (pid_t, int *, int, struct rusage *))                        \
  X(0, void *, mmap, (void *, size_t, int, int, int, off_t))                      \
  X(0, void *, mmap64, (void *, size_t, int, int, int, off64_t))                  \
  X(0, int, munmap, (void *, size_t))                                             \
  X(0, void *, mremap, (void *, size_t, size_t, int, ...))                        \
  X(0, void *, shmat, (int, const void *, int))                                   \
  X(0, int, shmdt, (const void *))
/* clang-format on */

typedef struct ls_real_fns {
#define LS_REAL_FIELD(req, ret, name, params) ret(*name) params;
  LS_REAL_FUNCS(LS_REAL_FIELD)
#undef LS_REAL_FIELD
} ls_real_fns_t;

extern ls_real_fns_t ls_real;

/* Non-zero once every function is resolved. Checked on every interposed
 * call; acquire pairs with the release in ls_real_resolve. */
extern _Atomic int ls_real_ready;

/* Resolves everything (idempotent, thread-safe). Must not be called while
 * the thread already resolves (the interposers check the guard first). */
void ls_real_resolve(void);

/* The bootstrap arena: 16-aligned, zeroed, never reused. */
void *ls_boot_alloc(size_t size, size_t align);
size_t ls_boot_size(const void *p);
#define LS_BOOT_POOL_BYTES 16384
extern char ls_boot_pool[LS_BOOT_POOL_BYTES];
/* Whether p is in the arena: inline, every free asks. */
static inline bool ls_boot_owns(const void *p) {
  return (uintptr_t)p - (uintptr_t)ls_boot_pool < LS_BOOT_POOL_BYTES;
}

#include "atomic.h"
#include "guard.h"

/* Ensures the real functions are resolved. Returns false when the caller
 * must use the bootstrap arena instead (this thread is inside dlsym). */
static inline bool ls_real_ensure(void) {
  if (ls_likely(ls_atomic_load_acquire(&ls_real_ready)))
    return true;
  if (ls_tls.depth)
    return false;
  ls_real_resolve();
  return true;
}

#endif
