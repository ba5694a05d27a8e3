/* SPDX-License-Identifier: MIT
 * interpose_cred.c: credential and namespace calls that act on every
 * thread of the process (setuid family, setgroups, unshare, setns).
 *
 * glibc applies setuid() and friends to every thread and aborts if one
 * fails (a thread that kept its capabilities with the per-thread
 * PR_SET_KEEPCAPS makes it fail), and unshare(CLONE_NEWUSER) requires a
 * single-threaded process. So leakscope's dump thread is stopped around
 * each call (a report in progress finishes first) and started again after
 * it, with the new credentials.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <unistd.h>

#include "dump_thread.h"
#include "interpose.h"

/* Runs a thread-wide call with the dump thread stopped. */
#define LS_WITHOUT_DUMP_THREAD(fn, ...)                                                            \
  do {                                                                                             \
    LS_REAL_OR_FAIL(fn, -1);                                                                       \
    bool was_ = ls_dump_thread_pause();                                                            \
    int rc_ = ls_real.fn(__VA_ARGS__);                                                             \
    LS_KEEP_ERRNO(); /* the real call's, across the resume */                                      \
    ls_dump_thread_resume(was_);                                                                   \
    return rc_;                                                                                    \
  } while (0)

LS_EXPORT int setuid(uid_t u) { LS_WITHOUT_DUMP_THREAD(setuid, u); }
LS_EXPORT int setgid(gid_t g) { LS_WITHOUT_DUMP_THREAD(setgid, g); }
LS_EXPORT int seteuid(uid_t u) { LS_WITHOUT_DUMP_THREAD(seteuid, u); }
LS_EXPORT int setegid(gid_t g) { LS_WITHOUT_DUMP_THREAD(setegid, g); }
LS_EXPORT int setreuid(uid_t r, uid_t e) { LS_WITHOUT_DUMP_THREAD(setreuid, r, e); }
LS_EXPORT int setregid(gid_t r, gid_t e) { LS_WITHOUT_DUMP_THREAD(setregid, r, e); }
LS_EXPORT int setresuid(uid_t r, uid_t e, uid_t s) { LS_WITHOUT_DUMP_THREAD(setresuid, r, e, s); }
LS_EXPORT int setresgid(gid_t r, gid_t e, gid_t s) { LS_WITHOUT_DUMP_THREAD(setresgid, r, e, s); }
LS_EXPORT int setgroups(size_t n, const gid_t *g) { LS_WITHOUT_DUMP_THREAD(setgroups, n, g); }
LS_EXPORT int unshare(int flags) { LS_WITHOUT_DUMP_THREAD(unshare, flags); }
LS_EXPORT int setns(int fd, int type) { LS_WITHOUT_DUMP_THREAD(setns, fd, type); }
