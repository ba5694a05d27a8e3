/* SPDX-License-Identifier: MIT
 * keptfd.c: the descriptors and facts kept from start-up for reports (see
 * keptfd.h).
 *
 * Every call here runs with the leakscope guard held, so the interposed
 * fcntl/close/open pass straight through and record nothing. The state is
 * written by the constructor, by the report path (under the report lock)
 * and by the rlimit interposers; the only concurrent writers are the
 * program's own setrlimit calls against a report, which the report lock
 * does not cover: each fd variable is a relaxed atomic so a reader sees
 * one whole value, and a stale value only means one more fstat check.
 */
#include "keptfd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "fdtable.h"
#include "guard.h"

typedef struct kept {
  _Atomic int fd; /* -1: none */
  dev_t dev;      /* identity of what it was opened on */
  ino_t ino;
} kept_t;

static kept_t kept_stderr = {.fd = -1}, kept_root = {.fd = -1};
static char exe_path[PATH_MAX];
static _Atomic int initialised;

/* Report-time state, under the report lock. */
static struct rlimit saved_limit;
static bool limit_raised;

static int kfd(const kept_t *k) { return ls_atomic_load_relaxed(&k->fd); }

/* Whether k's descriptor still refers to what it was opened on. */
static bool still_ours(const kept_t *k) {
  int fd = kfd(k);
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == k->dev && st.st_ino == k->ino;
}

/* Below this, a range whose soft and hard limits are equal gets no kept
 * fd: a program that sets a limit lower than the usual default means to
 * reach it, and must see EMFILE exactly where it would without us
 * (fd_shell_nofile). At or above it, the original stderr costs the
 * program one fd number at the top of its range, and the root directory
 * is not kept (it would cost a second). */
#define KEEP_IN_RANGE_MIN 1024

/* A close-on-exec duplicate of fd out of the program's way: above its
 * soft limit, raised for the one call (and the hard one too when we may:
 * CAP_SYS_RESOURCE) and put back at once (a process is single-threaded in
 * its constructors); failing that, at the top of a range too big for the
 * program to exhaust on purpose; else none (-1). */
static int dup_out_of_the_way(int fd, bool in_range_ok) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= INT_MAX - 64)
    return -1;
  struct rlimit raised = {rl.rlim_cur + 16,
                          rl.rlim_max > rl.rlim_cur + 16 ? rl.rlim_max : rl.rlim_cur + 16};
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, (int)rl.rlim_cur);
    setrlimit(RLIMIT_NOFILE, &rl);
    if (nfd >= 0)
      return nfd;
  }
  if (!in_range_ok || rl.rlim_cur < KEEP_IN_RANGE_MIN)
    return -1;
  return fcntl(fd, F_DUPFD_CLOEXEC, (int)rl.rlim_cur - 8);
}

static void keep(kept_t *k, int fd, bool in_range_ok) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0)
    return;
  int nfd = dup_out_of_the_way(fd, in_range_ok);
  if (nfd < 0)
    return;
  k->dev = st.st_dev;
  k->ino = st.st_ino;
  ls_atomic_store_relaxed(&k->fd, nfd);
}

void ls_kept_init(void) {
  if (ls_atomic_exchange_acq_rel(&initialised, 1))
    return;
  LS_KEEP_ERRNO();
  ls_guard_push();
  keep(&kept_stderr, 2, true);
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  keep(&kept_root, root, false);
  if (root >= 0)
    close(root);
  ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
  exe_path[n > 0 ? n : 0] = '\0';
  ls_guard_pop();
}

void ls_kept_before_chroot(void) {
  if (kfd(&kept_root) >= 0)
    return;
  LS_KEEP_ERRNO();
  ls_guard_push();
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  keep(&kept_root, root, true); /* a program that chroots pays one fd */
  if (root >= 0)
    close(root);
  ls_guard_pop();
}

int ls_kept_stderr(void) {
  if (still_ours(&kept_stderr))
    return kfd(&kept_stderr);
  /* ours is gone (or was never taken): fd 2, if it is still the same file */
  struct stat st;
  if (kfd(&kept_stderr) < 0 && !ls_atomic_load_relaxed(&initialised))
    return 2;
  if (fstat(2, &st) == 0 && st.st_dev == kept_stderr.dev && st.st_ino == kept_stderr.ino)
    return 2;
  return -1;
}

int ls_kept_root(void) { return still_ours(&kept_root) ? kfd(&kept_root) : -1; }

const char *ls_kept_exe(void) { return exe_path; }

/* Whether a new fd can be had now (a duplicate of the kept root or of
 * fd 2, closed at once). */
static bool fd_available(void) {
  int src = kfd(&kept_root) >= 0 ? kfd(&kept_root) : 2;
  int fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return errno != EMFILE;
  close(fd);
  return true;
}

void ls_kept_report_begin(bool at_exit) {
  limit_raised = false;
  if (getrlimit(RLIMIT_NOFILE, &saved_limit) == 0 && saved_limit.rlim_cur < saved_limit.rlim_max) {
    struct rlimit raised = {saved_limit.rlim_max, saved_limit.rlim_max};
    limit_raised = setrlimit(RLIMIT_NOFILE, &raised) == 0;
  }
  if (at_exit && !limit_raised && !fd_available() && !ls_fdtable_get(0, NULL) && !ls_kept_owns(0))
    close(0); /* see keptfd.h: the exit report borrows stdin's number */
}

void ls_kept_report_end(void) {
  if (limit_raised)
    setrlimit(RLIMIT_NOFILE, &saved_limit);
  limit_raised = false;
}

bool ls_kept_owns(int fd) { return fd >= 0 && (fd == kfd(&kept_stderr) || fd == kfd(&kept_root)); }
