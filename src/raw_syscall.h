/* SPDX-License-Identifier: MIT
 * raw_syscall.h: system calls made with the syscall instruction itself:
 * no errno (a failure is returned as -errno), no cancellation point, no
 * lock, no interposer (libc's syscall() is one of ours). For code that
 * may run while the other threads are stopped (reach_stop.c) or inside
 * the program's own calls. x86-64 Linux only; elsewhere
 * LS_HAVE_RAW_SYSCALL is 0 and callers use libc.
 */
#ifndef LS_RAW_SYSCALL_H
#define LS_RAW_SYSCALL_H

#if defined(__x86_64__) && defined(__linux__)

#define LS_HAVE_RAW_SYSCALL 1

#include <sys/syscall.h>

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#else
#define LS_HAVE_RAW_SYSCALL 0
#endif

#endif
