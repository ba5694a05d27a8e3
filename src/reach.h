/* SPDX-License-Identifier: MIT
 * reach.h: the reachability classifier. Given a snapshot of live heap
 * blocks, says which the program can still reach and how the others were
 * lost, with Valgrind's four kinds (memcheck's leak checker) and
 * Valgrind's roots.
 *
 * Roots: the writable PT_LOAD segments (data, bss) of every loaded module
 * but libleakscope; every thread's general-purpose registers, its stack
 * from the stack pointer (minus the red zone) to the top of its stack
 * mapping, its static TLS and TCB around the thread pointer, and its DTV;
 * every other readable, writable mapping of the program (anonymous,
 * shared, file-backed), as Valgrind scans them, but leakscope's own
 * memory, the allocator's heaps, dead stack and device memory
 * (reach_scan.h has the list). Only aligned 8-byte words count as
 * pointers.
 *
 * The other threads are stopped without ptrace: each gets a real-time
 * signal whose handler publishes its registers and waits on a futex until
 * released. While they are stopped, this module calls no malloc, no stdio,
 * no dl_* function: everything that needs a lock is gathered first.
 * Side effects and limits (reach.c has the details):
 *  - a stopped thread's interrupted system call restarts, or returns EINTR
 *    where SA_RESTART does not apply (sleep, poll, epoll_wait...);
 *  - leakscope's own threads are neither stopped nor waited for;
 *  - a thread that blocks the signal is inspected through /proc: its stack
 *    is scanned but its registers are unknown; one that also runs in user
 *    space cannot be stopped (LS_REACH_INCOMPLETE: blocks not found
 *    reachable are UNCLASSIFIED);
 *  - stale copies of addresses (dead locals above a stack pointer, padding)
 *    count, as in every conservative scanner: a leak may read reachable.
 */
#ifndef LS_REACH_H
#define LS_REACH_H

#include "common.h"

/* X(id, name, words): the classes, Valgrind's four kinds and GONE.
 *  DEFINITE   nothing points to it: definitely lost
 *  INDIRECT   lost, but another lost block points to it
 *  POSSIBLE   reached only through a pointer into its middle, or through
 *             a possibly lost block
 *  REACHABLE  a chain of pointers to block starts from a root
 *  GONE       freed since the snapshot: neither live nor lost; the caller
 *             leaves it out of the report
 *  UNCLASSIFIED  not proven reachable while a thread could be neither
 *             stopped nor inspected: it may hold the only pointer, so no
 *             lost class can be given
 * `name` is the JSON report's, `words` the text report's. */
/* clang-format off */
#define LS_REACH_CLASSES(X)                                                            \
  X(DEFINITE, "definite", "definitely lost") X(INDIRECT, "indirect", "indirectly lost") \
  X(POSSIBLE, "possible", "possibly lost") X(REACHABLE, "reachable", "still reachable") \
  X(GONE, "gone", "freed") X(UNCLASSIFIED, "unclassified", "not classified")
/* clang-format on */

/* clang-format off */
typedef enum {
#define LS_REACH_CLASS_ENUM(id, name, words) LS_REACH_##id,
  LS_REACH_CLASSES(LS_REACH_CLASS_ENUM)
#undef LS_REACH_CLASS_ENUM
  LS_REACH_CLASS_COUNT
} ls_reach_class_t;
/* clang-format on */

typedef struct ls_reach_block {
  uintptr_t addr; /* first byte of the block as malloc returned it */
  uint32_t size;  /* bytes the program asked for: only these are read
                     (saturated, as the table's; 16-byte entries keep the
                     array of millions of blocks small) */
  uint8_t cls;    /* out: an ls_reach_class_t */
  bool root;      /* in: its memory is a root too, whatever points to it
                     (a mapping the program made: Valgrind scans every
                     mapping), besides being a node of the graph */
} ls_reach_block_t;

/* Whether the block at addr is still live. Called while every other
 * thread is stopped: it must take no lock and must not allocate. */
typedef bool (*ls_reach_live_fn)(uintptr_t addr, void *ctx);

/* ls_reach_classify returned this: a thread could be neither stopped nor
 * inspected, so blocks not found reachable are UNCLASSIFIED (it may hold
 * pointers to them) rather than given a lost class that may be wrong. */
#define LS_REACH_INCOMPLETE 1

/* Sets blocks[i].cls for every block. blocks must be sorted by addr and
 * must not overlap; still_live (may be NULL) re-checks each block once the
 * world is stopped, and blocks it rejects, or whose memory is no longer
 * mapped, become GONE. Blocks allocated after the caller's snapshot are
 * not in the graph: what only they point to reads as lost (a report too
 * many, never one hidden).
 * Returns 0, LS_REACH_INCOMPLETE, or -errno (no /proc, no free real-time
 * signal, out of memory), in which case every class is DEFINITE: report as
 * without reachability. Warns on stderr about threads it could not stop.
 * The caller holds the leakscope guard (this allocates before stopping the
 * world, and that must pass through untracked), is not a signal handler,
 * and one classification runs at a time (the report lock). Keeps errno. */
int ls_reach_classify(ls_reach_block_t *blocks, size_t n, ls_reach_live_fn still_live, void *ctx);

/* Static names for the classes (LS_REACH_CLASSES): "definite", ...; the
 * text report's words ("definitely lost", ...). "?" when out of range. */
const char *ls_reach_class_name(int cls);
const char *ls_reach_class_words(int cls);

#endif
