/* SPDX-License-Identifier: MIT
 * prog.h: what every leak program shares.
 *
 * Each program is built at -O0 and at -O2 -fomit-frame-pointer, and the
 * preload tests compare the report against the program's source, so the
 * programs must not let the optimiser change what they allocate or where:
 *  - PROG_LEAKY keeps a leaking function a real frame with its own name.
 *    noclone as well as noinline: IPA-CP would otherwise emit a clone named
 *    "leak.constprop.0" and the function name under test would change.
 *  - Every allocation's pointer is stored to prog_sink, a volatile
 *    thread-local (a shared one would let two threads free one block).
 *    A volatile store is an observable side effect, so the compiler must
 *    perform the allocation (GCC deletes malloc/free pairs and unused
 *    mallocs otherwise) without needing -fno-builtin.
 *  - Leaking calls are written on one line ending with a marker comment,
 *    LEAK + colon + a name in a C comment, which the tests look up instead
 *    of hard-coding line numbers.
 * Programs print nothing through stdio: its buffer would be one more
 * allocation charged to the printing line. prog_say() writes directly.
 */
#ifndef LS_TEST_PROG_H
#define LS_TEST_PROG_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__clang__)
#define PROG_LEAKY __attribute__((noinline))
#else
#define PROG_LEAKY __attribute__((noinline, noclone))
#endif

#ifdef __cplusplus
#define PROG_UNUSED [[maybe_unused]]
#else
#define PROG_UNUSED __attribute__((unused))
#endif

PROG_UNUSED static __thread void
    *volatile prog_sink; /* per thread: threads store and free through it */

/* printf to stdout through a stack buffer and write(2): no allocation. */
PROG_UNUSED __attribute__((format(printf, 1, 2))) static void prog_say(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
    _exit(3);
}

#endif
