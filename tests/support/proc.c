/* SPDX-License-Identifier: MIT
 * proc.c: fork/exec with captured output, a deadline and a process group
 * (see proc.h).
 *
 * The child leads its own process group (set on both sides of the fork,
 * so the group exists before any kill(-pid)), so a timeout kills anything
 * it started too. Once the process is reaped its pid, and so the group id,
 * may belong to someone else: nothing is sent to the group after that.
 * SIGPIPE is ignored in the test process: a program that died early must
 * fail a check, not kill the test binary on our next write to its stdin.
 */
#include "proc.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

void ts_proc_start(ts_proc_t *p, const ts_proc_opts_t *o) {
  memset(p, 0, sizeof *p);
  p->exit_code = -1;
  p->in_fd = p->out_fd = p->err_fd = p->go_fd = -1;
  ts_append(&p->out, &p->out_len, &p->out_cap, "", 0);
  ts_append(&p->err, &p->err_len, &p->err_cap, "", 0);
  signal(SIGPIPE, SIG_IGN);
  int out[2], err[2], in[2], go[2] = {-1, -1};
  int file_fd = -1;
  if (o->stdout_path &&
      (file_fd = open(o->stdout_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
    fail_msg("open %s: %s", o->stdout_path, strerror(errno));
  /* stdin is a pipe, never /dev/null: a program run with
   * LEAKSCOPE_OUTPUT=/dev/null by an older library could have replaced
   * the machine's /dev/null with a regular file full of reports. */
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(in, O_CLOEXEC) ||
      (o->hold && pipe2(go, O_CLOEXEC)))
    fail_msg("pipe: %s", strerror(errno));
  if (!o->keep_stdin) {
    close(in[1]);
    in[1] = -1;
  }
  char *const *envp = o->envp ? o->envp : (char *const[]){NULL};
  p->deadline = ts_now_ms() + (o->timeout_ms ? o->timeout_ms : TS_PROC_TIMEOUT_MS);
  p->pid = fork();
  if (p->pid < 0)
    fail_msg("fork: %s", strerror(errno));
  if (p->pid == 0) {
    setpgid(0, 0);
    if (o->hold) {
      char c;
      close(go[1]);
      while (read(go[0], &c, 1) < 0 && errno == EINTR)
        ;
    }
    int in_fd = o->stdin_null ? open("/dev/null", O_RDONLY) : in[0];
    if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(file_fd >= 0 ? file_fd : out[1], 1) < 0 ||
        dup2(err[1], 2) < 0)
      _exit(126);
    if (o->cwd && chdir(o->cwd) != 0)
      _exit(126);
    if (o->umask >= 0)
      umask((mode_t)o->umask);
    if (o->as_user && (setgroups(0, NULL) != 0 || setgid(o->gid) != 0 || setuid(o->uid) != 0))
      _exit(126);
    execve(o->path ? o->path : o->argv[0], (char *const *)o->argv, envp);
    static const char msg[] = "ts_proc_start: execve failed\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
  }
  setpgid(p->pid, p->pid);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (file_fd >= 0)
    close(file_fd);
  if (o->hold) {
    close(go[0]);
    p->go_fd = go[1];
  }
  p->in_fd = in[1];
  p->out_fd = out[0];
  p->err_fd = err[0];
}

void ts_proc_release(ts_proc_t *p) {
  if (p->go_fd >= 0) {
    ssize_t w = write(p->go_fd, "g", 1);
    (void)w;
    close(p->go_fd);
    p->go_fd = -1;
  }
}

static void reap(ts_proc_t *p, bool block) {
  if (p->exited)
    return;
  int status;
  pid_t r;
  while ((r = waitpid(p->pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
    ;
  if (r != p->pid)
    return;
  p->exited = true;
  if (WIFEXITED(status))
    p->exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    p->term_signal = WTERMSIG(status);
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Reads what the pipes hold now, for at most ms: after a kill, what the
 * group wrote before it died is still in them. */
static void read_remaining(ts_proc_t *p, int ms) {
  int64_t until = ts_now_ms() + ms;
  while ((p->out_fd >= 0 || p->err_fd >= 0) && ts_now_ms() < until) {
    struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
    int r = poll(fds, 2, 10);
    if (r <= 0)
      break;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents)
        continue;
      bool open = i == 0 ? ts_read_append(fds[i].fd, &p->out, &p->out_len, &p->out_cap)
                         : ts_read_append(fds[i].fd, &p->err, &p->err_len, &p->err_cap);
      if (!open)
        close_fd(i == 0 ? &p->out_fd : &p->err_fd);
    }
  }
}

bool ts_proc_poll(ts_proc_t *p, int ms) {
  int64_t until = ts_now_ms() + ms;
  for (;;) {
    if (ts_now_ms() >= p->deadline) {
      reap(p, false);
      if (!p->exited) {
        p->timed_out = true;
        kill(-p->pid, SIGKILL);
        reap(p, true);
        read_remaining(p, 200);
      }
      /* Whatever still holds the pipes outlived the process: stop reading. */
      close_fd(&p->out_fd);
      close_fd(&p->err_fd);
      return true;
    }
    struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
    int64_t left = until - ts_now_ms();
    if (p->deadline - ts_now_ms() < left)
      left = p->deadline - ts_now_ms();
    if (p->out_fd < 0 && p->err_fd < 0) {
      reap(p, false);
      if (p->exited)
        return true;
      if (left <= 0)
        return false;
      ts_sleep_ms(2); /* pipes closed, program still running: no busy loop */
      continue;
    }
    int r = poll(fds, 2, left > 0 ? (int)left : 0);
    if (r < 0 && errno != EINTR)
      fail_msg("poll: %s", strerror(errno));
    for (int i = 0; r > 0 && i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents)
        continue;
      bool open = i == 0 ? ts_read_append(fds[i].fd, &p->out, &p->out_len, &p->out_cap)
                         : ts_read_append(fds[i].fd, &p->err, &p->err_len, &p->err_cap);
      if (!open)
        close_fd(i == 0 ? &p->out_fd : &p->err_fd);
    }
    if (left <= 0 || r == 0)
      return p->out_fd < 0 && p->err_fd < 0 && (reap(p, false), p->exited);
  }
}

bool ts_proc_wait_output(ts_proc_t *p, const char *needle, int ms) {
  int64_t until = ts_now_ms() + ms;
  while (!strstr(p->out, needle)) {
    if (ts_proc_poll(p, 10) || ts_now_ms() >= until)
      return strstr(p->out, needle) != NULL;
  }
  return true;
}

bool ts_proc_write(ts_proc_t *p, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = p->in_fd >= 0 ? write(p->in_fd, s, n) : (errno = EBADF, -1);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return false;
    s += w;
    n -= (size_t)w;
  }
  return true;
}

void ts_proc_finish(ts_proc_t *p) {
  ts_proc_release(p);
  close_fd(&p->in_fd);
  while (!ts_proc_poll(p, 1000))
    ;
  reap(p, true);
}

void ts_proc_set_timeout(ts_proc_t *p, int ms) { p->deadline = ts_now_ms() + ms; }

void ts_proc_free(ts_proc_t *p) {
  if (p->pid <= 0) { /* never started: a zeroed struct's fds are not ours */
    memset(p, 0, sizeof *p);
    p->in_fd = p->out_fd = p->err_fd = p->go_fd = -1;
    return;
  }
  if (!p->exited) {
    kill(-p->pid, SIGKILL);
    reap(p, true);
  }
  close_fd(&p->in_fd);
  close_fd(&p->out_fd);
  close_fd(&p->err_fd);
  close_fd(&p->go_fd);
  free(p->out);
  free(p->err);
  memset(p, 0, sizeof *p);
  p->in_fd = p->out_fd = p->err_fd = p->go_fd = -1;
}

const char *ts_proc_describe(const ts_proc_t *p) {
  static char text[64];
  if (p->timed_out)
    snprintf(text, sizeof text, "timed out");
  else if (p->term_signal)
    snprintf(text, sizeof text, "killed by signal %d", p->term_signal);
  else
    snprintf(text, sizeof text, "exit %d", p->exit_code);
  return text;
}
