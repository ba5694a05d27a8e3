/* SPDX-License-Identifier: MIT
 * interpose_process.c: fork, posix_spawn, posix_spawnp and the wait
 * family (the "process" kind; records in kind_process.c; popen and
 * pclose are in interpose_stream.c).
 *
 * A child is recorded in the parent after the real call succeeded, with
 * the stack of the call. The fork child's tables are emptied by the
 * pthread_atfork child handler (lifecycle.c). A wait forgets the child it
 * reaped: it reads the table's mark BEFORE the real call, so that a
 * child created after the reap under the same pid (pid reuse) keeps its
 * record. Only a reap forgets: a status of a stopped or continued child
 * (WUNTRACED, WCONTINUED) and waitid with WNOWAIT leave the child
 * waitable. Not wrapped: vfork (a wrapper's frame cannot survive the
 * child running on the parent's stack), system (it waits for its child
 * itself), and clone.
 */
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "interpose.h"
#include "kind_process.h"
#include "track.h"

/* Records child pid of the call being made (guard held). */
static void record_child(pid_t pid, const void *obj) {
  ls_origin_t o;
  if (ls_track_origin(&o))
    ls_kproc_add(&o, pid, obj);
}

LS_EXPORT pid_t fork(void) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.fork)) {
    errno = ENOSYS;
    return -1;
  }
  /* The real fork runs outside the guard: the program's own atfork
   * handlers are the program's. */
  pid_t pid = ls_real.fork();
  if (pid > 0 && ls_guard_enter()) {
    record_child(pid, NULL);
    ls_guard_leave();
  }
  return pid;
}

/* Runs the real spawn `fn`; records the child if it started. */
#define LS_SPAWN(fn, pid, ...)                                                                     \
  do {                                                                                             \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn))                                             \
      return ENOSYS;                                                                               \
    pid_t child_ = 0;                                                                              \
    int rc_ = ls_real.fn(&child_, __VA_ARGS__);                                                    \
    if (pid)                                                                                       \
      *(pid) = child_;                                                                             \
    if (rc_ == 0 && child_ > 0 && ls_guard_enter()) {                                              \
      record_child(child_, NULL);                                                                  \
      ls_guard_leave();                                                                            \
    }                                                                                              \
    return rc_;                                                                                    \
  } while (0)

LS_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  LS_SPAWN(posix_spawn, pid, path, actions, attr, argv, envp);
}

LS_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  LS_SPAWN(posix_spawnp, pid, file, actions, attr, argv, envp);
}

/* glibc's popen stream: the FILE, its vtable pointer, then the child's
 * pid (struct _IO_proc_file in libio/iopopen.c, unchanged since 2001).
 * The pid is checked to be a child of ours before it is recorded. */
void ls_track_popen_child(FILE *fp) {
  pid_t pid = *(const pid_t *)((const char *)fp + sizeof(FILE) + sizeof(void *));
  LS_KEEP_ERRNO(); /* popen's caller reads its own */
  siginfo_t si;
  bool child = pid > 0 && ls_real.waitid &&
               ls_real.waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
  if (child)
    record_child(pid, fp);
}

/* A wait status that means the child was reaped (not stopped or
 * continued). */
static bool reaped(int status) { return WIFEXITED(status) || WIFSIGNALED(status); }

/* Runs the real wait `call` (pid_t result, status in status_), forgetting
 * the child it reaped. */
#define LS_WAIT(fn, status, ...)                                                                   \
  do {                                                                                             \
    if (ls_unlikely(!ls_real_ensure() || !ls_real.fn)) {                                           \
      errno = ENOSYS;                                                                              \
      return -1;                                                                                   \
    }                                                                                              \
    uint64_t mark_ = ls_kproc_mark();                                                              \
    int status_ = 0;                                                                               \
    pid_t pid_ = ls_real.fn(__VA_ARGS__);                                                          \
    if (status)                                                                                    \
      *(status) = status_;                                                                         \
    if (pid_ > 0 && reaped(status_))                                                               \
      ls_kproc_reaped(pid_, mark_);                                                                \
    return pid_;                                                                                   \
  } while (0)

LS_EXPORT pid_t wait(int *status) { LS_WAIT(wait, status, &status_); }

LS_EXPORT pid_t waitpid(pid_t pid, int *status, int options) {
  LS_WAIT(waitpid, status, pid, &status_, options);
}

LS_EXPORT pid_t wait3(int *status, int options, struct rusage *usage) {
  LS_WAIT(wait3, status, &status_, options, usage);
}

LS_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage) {
  LS_WAIT(wait4, status, pid, &status_, options, usage);
}

LS_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.waitid)) {
    errno = ENOSYS;
    return -1;
  }
  uint64_t mark = ls_kproc_mark();
  siginfo_t si;
  si.si_pid = 0;
  int rc = ls_real.waitid(idtype, id, &si, options);
  if (info && rc == 0)
    *info = si;
  if (rc == 0 && si.si_pid > 0 && !(options & WNOWAIT) &&
      (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED))
    ls_kproc_reaped(si.si_pid, mark);
  return rc;
}
