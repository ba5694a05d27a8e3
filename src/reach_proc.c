/* SPDX-License-Identifier: MIT
 * reach_proc.c: raw signal actions and /proc readers for the
 * reachability classifier (see reach_proc.h).
 */
#include "reach_proc.h"

#if defined(__x86_64__) && defined(__linux__)

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "arena.h"
#include "out.h"
#include "read_file.h"

#define KSA_RESTORER 0x04000000UL

/* Returns from a handler: rt_sigreturn, in the byte sequence unwinders
 * recognise as a signal frame (the same as glibc's __restore_rt). */
extern void ls_reach_restore_rt(void) __attribute__((visibility("hidden")));
__asm__(".pushsection .text\n"
        ".globl ls_reach_restore_rt\n"
        ".hidden ls_reach_restore_rt\n"
        ".type ls_reach_restore_rt,@function\n"
        ".align 16\n"
        "ls_reach_restore_rt:\n"
        "  movq $15, %rax\n"
        "  syscall\n"
        ".size ls_reach_restore_rt,.-ls_reach_restore_rt\n"
        ".popsection\n");

long ls_reach_ksig(int sig, const ksigaction_t *act, ksigaction_t *old) {
  return sys4(SYS_rt_sigaction, sig, act, old, 8);
}

long ls_reach_install(int sig, void (*fn)(int, siginfo_t *, void *), unsigned long flags,
                      uint64_t mask, ksigaction_t *old) {
  ksigaction_t sa = {.handler = (void *)fn,
                     .flags = flags | SA_SIGINFO | KSA_RESTORER,
                     .restorer = ls_reach_restore_rt,
                     .mask = mask};
  return ls_reach_ksig(sig, &sa, old);
}

/* --- /proc files, read raw --- */

void ls_reach_task_path(char *out, size_t cap, int tid, const char *file) {
  ls_buf_t b;
  ls_buf_fixed(&b, out, cap - 1);
  ls_buf_printf(&b, "/proc/self/task/%d/%s", tid, file);
  out[b.len] = '\0';
}

uint64_t ls_reach_parse_hex(const char **s) {
  uint64_t v = 0;
  const char *p = *s;
  if (p[0] == '0' && p[1] == 'x')
    p += 2;
  for (;; p++) {
    int d = *p >= '0' && *p <= '9'   ? *p - '0'
            : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
            : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                     : -1;
    if (d < 0)
      break;
    v = v << 4 | (uint64_t)d;
  }
  *s = p;
  return v;
}

/* --- The address space: /proc/self/maps --- */

/* Parses the maps text into r. Returns 0 or -ENOMEM. */
static int parse_maps(regions_t *rg) {
  size_t lines = 0;
  for (size_t i = 0; i < rg->text.len; i++)
    lines += rg->text.p[i] == '\n';
  if (lines > rg->cap) {
    if (rg->r)
      ls_unmap(rg->r, rg->cap * sizeof *rg->r);
    rg->cap = lines * 2 + 256;
    if (!(rg->r = ls_map(rg->cap * sizeof *rg->r))) {
      rg->cap = 0;
      return -ENOMEM;
    }
  }
  rg->n = 0;
  const char *p = rg->text.p, *end = rg->text.p + rg->text.len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
      eol = end;
    region_t reg;
    reg.lo = ls_reach_parse_hex(&p);
    if (*p == '-')
      p++;
    reg.hi = ls_reach_parse_hex(&p);
    while (p < eol && *p == ' ')
      p++;
    reg.flags =
        (p + 1 < eol && p[0] == 'r' ? RG_READ : 0) | (p + 1 < eol && p[1] == 'w' ? RG_WRITE : 0);
    /* perms offset dev inode [path] */
    for (int field = 0; field < 4 && p < eol; field++) {
      while (p < eol && *p != ' ')
        p++;
      while (p < eol && *p == ' ')
        p++;
      if (field == 2) { /* the inode: 0 for anonymous memory */
        const char *q = p;
        if (ls_reach_parse_hex(&q) == 0 && (q == eol || *q == ' '))
          reg.flags |= RG_ANON;
      }
    }
    const char *name = p; /* the path, "[name]" or empty */
    size_t name_len = (size_t)(eol - p);
    if (name_len && *name != '[')
      reg.flags &= ~(unsigned)RG_ANON; /* a deleted file has inode 0 too */
    if (name_len >= 5 && (!strncmp(name, "[vvar", 5) || !strncmp(name, "[vsyscall]", 10)))
      reg.flags = 0;
    else if (name_len >= 6 && !strncmp(name, "[heap]", 6))
      reg.flags |= RG_BRK_HEAP;
    /* Device memory (a frame buffer, a GPU's): reading it may block or
     * act on the device. /dev/zero and POSIX shared memory are memory. */
    else if (name_len >= 5 && !strncmp(name, "/dev/", 5) && strncmp(name, "/dev/zero", 9) != 0 &&
             strncmp(name, "/dev/shm/", 9) != 0)
      reg.flags = 0;
    if (reg.hi > reg.lo)
      rg->r[rg->n++] = reg;
    p = eol + 1;
  }
  return 0;
}

int ls_reach_maps_load(regions_t *rg) {
  int err;
  int rc = ls_read_file("/proc/self/maps", &rg->text, 64 * 1024, SIZE_MAX, 0, &err);
  if (rc != LS_READ_WHOLE)
    return rc < 0 ? rc : rc == LS_READ_FAILED ? -err : -EAGAIN;
  return parse_maps(rg);
}

void ls_reach_maps_release(regions_t *rg) {
  if (rg->r)
    ls_unmap(rg->r, rg->cap * sizeof *rg->r);
  ls_mbuf_release(&rg->text);
  *rg = (regions_t){0};
}

size_t ls_reach_region_after(const regions_t *rg, uintptr_t a) {
  size_t lo = 0, hi = rg->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (rg->r[mid].hi <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const region_t *ls_reach_region_of(const regions_t *rg, uintptr_t a) {
  size_t i = ls_reach_region_after(rg, a);
  return i < rg->n && rg->r[i].lo <= a ? &rg->r[i] : NULL;
}

bool ls_reach_readable(const regions_t *rg, uintptr_t lo, uintptr_t hi) {
  for (size_t i = ls_reach_region_after(rg, lo); lo < hi; i++) {
    if (i >= rg->n || rg->r[i].lo > lo || !(rg->r[i].flags & RG_READ))
      return false;
    lo = rg->r[i].hi;
  }
  return true;
}

/* --- Threads: /proc/self/task --- */

int ls_reach_each_task(ls_reach_tid_fn fn, void *ctx) {
  long fd = sys4(SYS_openat, AT_FDCWD, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    return (int)fd;
  char buf[4096] __attribute__((aligned(8)));
  long n;
  bool go = true;
  while (go && (n = sys3(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n && go;) {
      const struct {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
      } *d = (const void *)(buf + off);
      int tid = 0;
      const char *c = d->name;
      for (; *c >= '0' && *c <= '9'; c++)
        tid = tid * 10 + (*c - '0');
      if (!*c && tid > 0)
        go = fn(tid, ctx);
      off += d->reclen;
    }
  }
  sys1(SYS_close, fd);
  return 0;
}

bool ls_reach_blocks_signal(int tid, int sig) {
  char path[64], buf[2048];
  ls_reach_task_path(path, sizeof path, tid, "status");
  if (ls_read_small(path, buf, sizeof buf) <= 0)
    return false;
  const char *p = strstr(buf, "\nSigBlk:");
  if (!p)
    return false;
  p += 8;
  while (*p == ' ' || *p == '\t')
    p++;
  return ls_reach_parse_hex(&p) >> (sig - 1) & 1;
}

ls_reach_task_state_t ls_reach_task_state(int tid, uintptr_t *sp) {
  char path[64], buf[512];
  ls_reach_task_path(path, sizeof path, tid, "stat");
  if (ls_read_small(path, buf, sizeof buf) <= 0)
    return TASK_GONE;
  const char *st = strrchr(buf, ')');
  if (st && (st[2] == 'Z' || st[2] == 'X'))
    return TASK_GONE;
  /* "nr args... sp pc" in a system call, "-1 sp pc" blocked outside
   * one, "running" when on a CPU. */
  ls_reach_task_path(path, sizeof path, tid, "syscall");
  if (ls_read_small(path, buf, sizeof buf) > 0 && strncmp(buf, "running", 7) != 0) {
    const char *tok[9];
    int ntok = 0;
    for (char *p = buf; *p && ntok < 9;) {
      while (*p == ' ' || *p == '\n')
        p++;
      if (!*p)
        break;
      tok[ntok++] = p;
      while (*p && *p != ' ' && *p != '\n')
        p++;
    }
    if (ntok >= 3) {
      const char *p = tok[ntok - 2];
      *sp = (uintptr_t)ls_reach_parse_hex(&p);
      return TASK_IN_KERNEL;
    }
  }
  return TASK_RUNNING;
}

#endif /* x86-64 Linux */
