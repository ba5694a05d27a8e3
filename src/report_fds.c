/* SPDX-License-Identifier: MIT
 * report_fds.c: what a report says about a live fd: the kernel's name for
 * it (/proc/self/fd), socket addresses, and a kind for fds created where
 * we could not know it. Part of the model (report.c calls it while
 * building); writes nothing but the description.
 */
#include "report_fds.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void put_sockaddr(ls_buf_t *t, const struct sockaddr_storage *ss, socklen_t len) {
  char host[INET6_ADDRSTRLEN];
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const void *)ss;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    ls_buf_printf(t, "%s:%u", host, ntohs(in->sin_port));
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const void *)ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    ls_buf_printf(t, "[%s]:%u", host, ntohs(in6->sin6_port));
  } else if (ss->ss_family == AF_UNIX) {
    const struct sockaddr_un *un = (const void *)ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path)
                   ? len - offsetof(struct sockaddr_un, sun_path)
                   : 0;
    if (n == 0)
      ls_buf_puts(t, "unix:(unnamed)");
    else if (un->sun_path[0] == '\0') {
      ls_buf_puts(t, "unix:@");
      ls_buf_put(t, un->sun_path + 1, n - 1);
    } else {
      ls_buf_puts(t, "unix:");
      ls_buf_put(t, un->sun_path, strnlen(un->sun_path, n));
    }
  } else {
    ls_buf_printf(t, "family %u", (unsigned)ss->ss_family);
  }
}

/* Appends "local → peer" for a socket; false if fd is not a socket we
 * can name. Unnamed unix sockets (socketpair) get their inode instead. */
static bool describe_socket(ls_buf_t *t, int fd, const char *link) {
  struct sockaddr_storage local, peer;
  socklen_t llen = sizeof local, plen = sizeof peer;
  if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0)
    return false;
  bool has_peer = getpeername(fd, (struct sockaddr *)&peer, &plen) == 0;
  if (local.ss_family == AF_UNIX && llen <= offsetof(struct sockaddr_un, sun_path) &&
      (!has_peer || plen <= offsetof(struct sockaddr_un, sun_path))) {
    ls_buf_puts(t, link); /* socket:[inode] identifies both ends' pairing */
    return true;
  }
  put_sockaddr(t, &local, llen);
  if (has_peer) {
    ls_buf_puts(t, " \xe2\x86\x92 "); /* U+2192 RIGHTWARDS ARROW */
    put_sockaddr(t, &peer, plen);
  }
  return true;
}

size_t ls_report_describe_fd(ls_buf_t *text, int fd, const ls_fd_entry_t *e, ls_fd_kind_t *kind,
                             ls_fd_state_t *state) {
  char proc[32], link[4096];
  ls_buf_t pb;
  ls_buf_fixed(&pb, proc, sizeof proc - 1);
  ls_buf_printf(&pb, "/proc/self/fd/%d", fd);
  proc[pb.len] = '\0';
  ssize_t n = readlink(proc, link, sizeof link - 1);
  link[n > 0 ? n : 0] = '\0';
  *state = ls_fdtable_check(fd, e, n > 0 ? link : NULL);
  if (*kind == LS_FD_OTHER) /* received with SCM_RIGHTS, dups of fds from before we loaded */
    *kind = ls_fd_kind_of_link(link);
  size_t off = text->len;
  if (!(*kind == LS_FD_SOCKET && describe_socket(text, fd, link)))
    ls_buf_puts(text, n > 0 ? link : "?");
  ls_buf_putc(text, '\0');
  return off;
}
