/* SPDX-License-Identifier: MIT
 * test_reach_unit.c: ls_reach_classify against real memory, linked with
 * the core objects (no preload): blocks are malloc'd here, roots are this
 * program's globals, TLS and threads.
 *
 * Conservative scanning sees every stale copy of an address, so the tests
 * keep block addresses out of their own frames: blocks are created, linked
 * and rooted only in noinline helpers (dead frames below the caller's, which
 * are never scanned), the block table is on the heap (not a root), and
 * threads get their block's address xor-masked.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "guard.h"
#include "reach.h"

#define MASK 0x5a5a5a5a5a5a5a5aull
#define NOINLINE __attribute__((noinline, noclone))

static void *volatile roots[8];
static __thread void *volatile tls_root;

/* --- Block sets --- */

typedef struct set {
  ls_reach_block_t *b;
  size_t n;
  bool own; /* blocks came from malloc */
} set_t;

static int cmp_block(const void *x, const void *y) {
  uintptr_t a = ((const ls_reach_block_t *)x)->addr, b = ((const ls_reach_block_t *)y)->addr;
  return a < b ? -1 : a > b;
}

/* n zeroed blocks of `size` bytes, sorted: index order is address order. */
static NOINLINE set_t *make_set(size_t n, size_t size) {
  set_t *s = calloc(1, sizeof *s);
  /* The list holds every block's address: leakscope's own memory (as the
   * report's snapshot is), never a root. calloc would put a big one in a
   * mapping of its own, which is scanned like any program mapping. */
  s->b = ls_map(n * sizeof *s->b);
  s->n = n;
  s->own = true;
  for (size_t i = 0; i < n; i++) {
    s->b[i].addr = (uintptr_t)calloc(1, size);
    s->b[i].size = size;
  }
  qsort(s->b, n, sizeof *s->b, cmp_block);
  return s;
}

static NOINLINE void free_set(set_t *s) {
  for (size_t i = 0; s->own && i < s->n; i++)
    free((void *)s->b[i].addr);
  ls_unmap(s->b, s->n * sizeof *s->b);
  free(s);
}

/* Block `from`, at byte `off`, points to block `to` plus `to_off`. */
static NOINLINE void link_blocks(set_t *s, size_t from, size_t off, size_t to, size_t to_off) {
  *(uintptr_t *)(s->b[from].addr + off) = s->b[to].addr + to_off;
}

static NOINLINE void set_root(int slot, set_t *s, size_t to, size_t off) {
  roots[slot] = (void *)(s->b[to].addr + off);
}

static NOINLINE void set_tls_root(set_t *s, size_t to) { tls_root = (void *)s->b[to].addr; }

static NOINLINE uintptr_t hidden(set_t *s, size_t i) { return s->b[i].addr ^ MASK; }

/* Block `from` holds block `to`'s address at an odd offset. */
static NOINLINE void link_unaligned(set_t *s, size_t from, size_t off, size_t to) {
  volatile unsigned char *dst = (unsigned char *)s->b[from].addr + off;
  for (size_t k = 0; k < sizeof(uintptr_t); k++) /* bytes: no memcpy interceptor */
    dst[k] = (unsigned char)(s->b[to].addr >> (8 * k));
}

/* Whether block i was carved from glibc's top chunk: the chunk after it
 * ends at the program break. */
__attribute__((no_sanitize("address"))) /* reads the allocator's header */
static NOINLINE bool
carved_from_top(set_t *s, size_t i, size_t chunk) {
  uintptr_t top = s->b[i].addr - 16 + chunk;
  uintptr_t top_size = *(uintptr_t *)(top + 8) & ~(uintptr_t)7;
  return top + top_size == (uintptr_t)sbrk(0);
}

/* A heap cell holding block i's address, for a liveness callback. */
static NOINLINE uintptr_t *address_cell(set_t *s, size_t i) {
  uintptr_t *cell = malloc(sizeof *cell);
  *cell = s->b[i].addr;
  return cell;
}

static void clear_roots(void) {
  for (size_t i = 0; i < 8; i++)
    roots[i] = NULL;
  tls_root = NULL;
}

static NOINLINE int classify_with(set_t *s, ls_reach_live_fn live, void *ctx) {
  ls_guard_push();
  int rc = ls_reach_classify(s->b, s->n, live, ctx);
  ls_guard_pop();
  return rc;
}

static int classify(set_t *s) { return classify_with(s, NULL, NULL); }

static const char *cls_name(int c) { return ls_reach_class_name(c); }

/* Asserts block i's class, printing both names on failure. */
#define CHECK_CLASS(s, i, expected)                                                                \
  do {                                                                                             \
    int got_ = (s)->b[i].cls;                                                                      \
    if (got_ != (expected))                                                                        \
      fail_msg("block %zu: expected %s, got %s", (size_t)(i), cls_name(expected), cls_name(got_)); \
  } while (0)

static void count_classes(const set_t *s, size_t out[LS_REACH_UNCLASSIFIED + 1]) {
  memset(out, 0, (LS_REACH_UNCLASSIFIED + 1) * sizeof *out);
  for (size_t i = 0; i < s->n; i++)
    out[s->b[i].cls]++;
}

/* --- Valgrind's kinds --- */

static void test_global_root(void **state) {
  clear_roots();
  set_t *s = make_set(3, 64);
  set_root(0, s, 1, 0);
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 0, LS_REACH_DEFINITE);
  CHECK_CLASS(s, 1, LS_REACH_REACHABLE);
  CHECK_CLASS(s, 2, LS_REACH_DEFINITE);
  clear_roots();
  free_set(s);
}

/* A chain from a reachable block is reachable all along. */
static void test_reachable_chain(void **state) {
  clear_roots();
  set_t *s = make_set(50, 32);
  for (size_t i = 0; i + 1 < s->n; i++)
    link_blocks(s, i, 8, i + 1, 0);
  set_root(0, s, 0, 0);
  assert_int_equal(classify(s), 0);
  for (size_t i = 0; i < s->n; i++)
    CHECK_CLASS(s, i, LS_REACH_REACHABLE);
  clear_roots();
  free_set(s);
}

/* A lost list: the head definite, every other node indirect, whichever
 * way the list runs through memory. */
static void test_lost_list(void **state) {
  for (int backwards = 0; backwards < 2; backwards++) {
    clear_roots();
    set_t *s = make_set(11, 32);
    size_t head = backwards ? s->n - 1 : 0;
    for (size_t k = 0; k + 1 < s->n; k++) {
      size_t from = backwards ? s->n - 1 - k : k, to = backwards ? from - 1 : from + 1;
      link_blocks(s, from, 0, to, 0);
    }
    assert_int_equal(classify(s), 0);
    size_t c[LS_REACH_UNCLASSIFIED + 1];
    count_classes(s, c);
    CHECK_CLASS(s, head, LS_REACH_DEFINITE);
    assert_int_equal(c[LS_REACH_DEFINITE], 1);
    assert_int_equal(c[LS_REACH_INDIRECT], 10);
    free_set(s);
  }
}

/* A leaked tree: only the root definite. Block 0 points to 2 and 3; 3
 * to 1. */
static void test_indirect_tree(void **state) {
  clear_roots();
  set_t *s = make_set(4, 48);
  link_blocks(s, 2, 0, 0, 0); /* 2 is the root: 2 -> 0, 2 -> 3, 3 -> 1 */
  link_blocks(s, 2, 8, 3, 0);
  link_blocks(s, 3, 16, 1, 0);
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 2, LS_REACH_DEFINITE);
  CHECK_CLASS(s, 0, LS_REACH_INDIRECT);
  CHECK_CLASS(s, 1, LS_REACH_INDIRECT);
  CHECK_CLASS(s, 3, LS_REACH_INDIRECT);
  free_set(s);
}

/* Cycles: exactly one definite member (LeakSanitizer would say none). */
static void test_cycle(void **state) {
  clear_roots();
  set_t *s = make_set(5, 32);
  link_blocks(s, 0, 0, 1, 0); /* 0 <-> 1 */
  link_blocks(s, 1, 0, 0, 0);
  link_blocks(s, 2, 0, 3, 0); /* 2 -> 3 -> 4 -> 2 */
  link_blocks(s, 3, 0, 4, 0);
  link_blocks(s, 4, 0, 2, 0);
  assert_int_equal(classify(s), 0);
  size_t c[LS_REACH_UNCLASSIFIED + 1];
  count_classes(s, c);
  assert_int_equal(c[LS_REACH_DEFINITE], 2);
  assert_int_equal(c[LS_REACH_INDIRECT], 3);
  free_set(s);
}

/* A block pointing to itself is still definitely lost. */
static void test_self_pointer(void **state) {
  clear_roots();
  set_t *s = make_set(2, 32);
  link_blocks(s, 0, 0, 0, 0);
  link_blocks(s, 1, 8, 1, 16);
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 0, LS_REACH_DEFINITE);
  CHECK_CLASS(s, 1, LS_REACH_DEFINITE);
  free_set(s);
}

/* An interior pointer from a root: possible, and so is what the block
 * points to; a start pointer too wins over an interior one. */
static void test_interior(void **state) {
  clear_roots();
  set_t *s = make_set(4, 64);
  set_root(0, s, 0, 24);      /* 0: possibly lost */
  link_blocks(s, 0, 0, 1, 0); /* 1: reached only through 0 */
  set_root(1, s, 2, 8);       /* 2: interior, then a start pointer */
  set_root(2, s, 2, 0);
  link_blocks(s, 2, 0, 3, 40); /* 3: interior from a reachable block */
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 0, LS_REACH_POSSIBLE);
  CHECK_CLASS(s, 1, LS_REACH_POSSIBLE);
  CHECK_CLASS(s, 2, LS_REACH_REACHABLE);
  CHECK_CLASS(s, 3, LS_REACH_POSSIBLE);
  clear_roots();
  free_set(s);
}

/* Pointers one past the end, and unaligned words, are not pointers. (One
 * past the end of the highest block: below it, that may be the start of
 * the next block, as with allocators that keep no header.) */
static void test_not_pointers(void **state) {
  clear_roots();
  set_t *s = make_set(2, 64);
  set_root(0, s, 1, 64);      /* one past the end of 1 */
  link_unaligned(s, 0, 3, 1); /* 1 at an unaligned offset of 0 */
  set_root(1, s, 0, 0);
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 0, LS_REACH_REACHABLE);
  CHECK_CLASS(s, 1, LS_REACH_DEFINITE);
  clear_roots();
  free_set(s);
}

/* glibc's main_arena.top points at the header of the top chunk, inside
 * the last 16 bytes of the block carved just before it: not a pointer. */
static void test_glibc_top_chunk(void **state) {
  clear_roots();
  set_t *s = make_set(1, 4088); /* chunk of 4096 bytes, fully used */
  if (!carved_from_top(s, 0, 4096)) {
    free_set(s);
    skip(); /* not carved from the top chunk here */
  }
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 0, LS_REACH_DEFINITE);
  free_set(s);
}

/* --- Liveness and memory safety --- */

static bool all_but_first(uintptr_t addr, void *ctx) { return addr != *(uintptr_t *)ctx; }

static void test_still_live(void **state) {
  clear_roots();
  set_t *s = make_set(3, 32);
  link_blocks(s, 0, 0, 1, 0); /* 0 is "freed": its pointer no longer counts */
  set_root(0, s, 2, 0);
  uintptr_t *dead = address_cell(s, 0);
  assert_int_equal(classify_with(s, all_but_first, dead), 0);
  *dead = 0;
  free(dead);
  CHECK_CLASS(s, 0, LS_REACH_GONE);
  CHECK_CLASS(s, 1, LS_REACH_DEFINITE);
  CHECK_CLASS(s, 2, LS_REACH_REACHABLE);
  clear_roots();
  free_set(s);
}

/* "Blocks" that are unmapped, unreadable, or a file page past EOF (a
 * SIGBUS on read): gone, or skipped, never a crash. */
static void test_unmapped_and_faulting(void **state) {
  clear_roots();
  long pg = sysconf(_SC_PAGESIZE);
  /* `gone`: above TASK_SIZE, never mapped (a page we munmap could be
   * handed right back to the classifier's own mmaps). */
  char *gone = (char *)(uintptr_t)0x7ffffffff000ull;
  char *none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char path[] = "/tmp/ls_reach_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, 2 * pg), 0);
  char *file = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
  assert_true(gone != MAP_FAILED && none != MAP_FAILED && file != MAP_FAILED);
  assert_int_equal(ftruncate(fd, 0), 0); /* reading `file` now raises SIGBUS */
  set_t *s = calloc(1, sizeof *s);
  s->n = 3;
  s->b = calloc(3, sizeof *s->b);
  char *addrs[3] = {gone, none, file};
  for (int i = 0; i < 3; i++)
    s->b[i] = (ls_reach_block_t){.addr = (uintptr_t)addrs[i], .size = (uint64_t)pg};
  qsort(s->b, 3, sizeof *s->b, cmp_block);
  int rc = classify(s);
  assert_int_equal(rc, 0);
  size_t c[LS_REACH_UNCLASSIFIED + 1];
  count_classes(s, c);
  assert_int_equal(c[LS_REACH_GONE], 2); /* unmapped, PROT_NONE */
  /* The file page is reachable (`file` is live in this frame), so it is
   * scanned, and the SIGBUS skips it. */
  assert_int_equal(c[LS_REACH_REACHABLE], 1);
  munmap(none, pg);
  munmap(file, 2 * pg);
  close(fd);
  unlink(path);
  free(s->b);
  free(s);
}

/* --- Threads --- */

enum { W_STACK, W_REGISTER, W_TLS, W_BLOCKED_SLEEP, W_BLOCKED_SPIN };

typedef struct worker {
  pthread_t th;
  uintptr_t hidden; /* the block's address, xor MASK */
  int mode;
  _Atomic int ready, stop;
} worker_t;

static void nap(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL); /* EINTR from the stop signal: fine */
}

static NOINLINE void hold_on_stack(worker_t *w, bool spin) {
  void *volatile keep = (void *)(w->hidden ^ MASK);
  atomic_store(&w->ready, 1);
  while (!atomic_load(&w->stop)) {
    if (spin)
      __builtin_ia32_pause();
    else
      nap();
  }
  keep = NULL;
  (void)keep;
}

/* The address only in %r12 while spinning: found in the saved registers
 * or nowhere. */
static NOINLINE void hold_in_register(worker_t *w) {
  atomic_store(&w->ready, 1);
  __asm__ volatile("movq %[h], %%r12\n\t"
                   "xorq %[m], %%r12\n\t"
                   "1: pause\n\t"
                   "cmpl $0, %[stop]\n\t"
                   "je 1b\n\t"
                   "xorq %%r12, %%r12\n\t"
                   :
                   : [h] "r"(w->hidden), [m] "r"(MASK), [stop] "m"(w->stop)
                   : "r12", "memory", "cc");
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  if (w->mode == W_BLOCKED_SLEEP || w->mode == W_BLOCKED_SPIN) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
  }
  switch (w->mode) {
  case W_REGISTER: hold_in_register(w); break;
  case W_TLS:
    tls_root = (void *)(w->hidden ^ MASK);
    atomic_store(&w->ready, 1);
    while (!atomic_load(&w->stop))
      nap();
    tls_root = NULL;
    break;
  default: hold_on_stack(w, w->mode == W_BLOCKED_SPIN); break;
  }
  return NULL;
}

static worker_t *start_worker(set_t *s, size_t i, int mode) {
  worker_t *w = calloc(1, sizeof *w);
  w->hidden = hidden(s, i);
  w->mode = mode;
  assert_int_equal(pthread_create(&w->th, NULL, worker_main, w), 0);
  while (!atomic_load(&w->ready))
    nap();
  return w;
}

static void stop_worker(worker_t *w) {
  atomic_store(&w->stop, 1);
  pthread_join(w->th, NULL);
  free(w);
}

/* Blocks 0..modes-1 are held by one worker each in its own way; the last
 * block by nobody. */
static void run_workers(const int *modes, size_t nmodes, int expect_rc, int held_class) {
  clear_roots();
  set_t *s = make_set(nmodes + 1, 96);
  worker_t *w[8];
  for (size_t i = 0; i < nmodes; i++)
    w[i] = start_worker(s, i, modes[i]);
  int rc = classify(s);
  for (size_t i = 0; i < nmodes; i++)
    stop_worker(w[i]);
  assert_int_equal(rc, expect_rc);
  for (size_t i = 0; i < nmodes; i++)
    CHECK_CLASS(s, i, held_class);
  CHECK_CLASS(s, nmodes, expect_rc == 0 ? LS_REACH_DEFINITE : LS_REACH_UNCLASSIFIED);
  free_set(s);
}

static void test_thread_stack(void **state) {
  int modes[] = {W_STACK};
  run_workers(modes, 1, 0, LS_REACH_REACHABLE);
}

static void test_thread_register(void **state) {
  int modes[] = {W_REGISTER};
  run_workers(modes, 1, 0, LS_REACH_REACHABLE);
}

static void test_thread_tls(void **state) {
  int modes[] = {W_TLS};
  run_workers(modes, 1, 0, LS_REACH_REACHABLE);
}

/* A thread that blocks every signal, asleep in the kernel: its stack is
 * found from /proc/self/task/TID/syscall. */
static void test_thread_blocking_signals(void **state) {
  int modes[] = {W_BLOCKED_SLEEP, W_STACK};
  run_workers(modes, 2, 0, LS_REACH_REACHABLE);
}

/* One that blocks them and runs: it cannot be stopped and its registers
 * cannot be seen; what is not provably reachable is unclassified (never
 * given a lost class that may be wrong), and the call says so. */
static void test_thread_unstoppable(void **state) {
  clear_roots();
  set_t *s = make_set(3, 96);
  set_root(0, s, 2, 0);
  worker_t *w = start_worker(s, 0, W_BLOCKED_SPIN);
  int rc = classify(s);
  stop_worker(w);
  assert_int_equal(rc, LS_REACH_INCOMPLETE);
  /* Its stack is still scanned, whole, as a mapping of the program. */
  CHECK_CLASS(s, 0, LS_REACH_REACHABLE);
  CHECK_CLASS(s, 1, LS_REACH_UNCLASSIFIED);
  CHECK_CLASS(s, 2, LS_REACH_REACHABLE);
  clear_roots();
  free_set(s);
}

static void test_main_thread_tls(void **state) {
  clear_roots();
  set_t *s = make_set(2, 32);
  set_tls_root(s, 1);
  assert_int_equal(classify(s), 0);
  CHECK_CLASS(s, 0, LS_REACH_DEFINITE);
  CHECK_CLASS(s, 1, LS_REACH_REACHABLE);
  clear_roots();
  free_set(s);
}

#define MANY 64

static void test_many_threads(void **state) {
  clear_roots();
  set_t *s = make_set(MANY + 1, 32);
  worker_t **w = calloc(MANY, sizeof *w);
  for (size_t i = 0; i < MANY; i++)
    w[i] = start_worker(s, i, i % 3 == 0 ? W_REGISTER : i % 3 == 1 ? W_STACK : W_TLS);
  int rc = classify(s);
  for (size_t i = 0; i < MANY; i++)
    stop_worker(w[i]);
  free(w);
  assert_int_equal(rc, 0);
  for (size_t i = 0; i < MANY; i++)
    CHECK_CLASS(s, i, LS_REACH_REACHABLE);
  CHECK_CLASS(s, MANY, LS_REACH_DEFINITE);
  free_set(s);
}

/* --- The process around us: signal disposition, errno --- */

static _Atomic int program_handler_calls;
static void program_handler(int sig) { atomic_fetch_add(&program_handler_calls, 1); }

static void test_signal_restored_and_errno_kept(void **state) {
  int sig = SIGRTMAX - 3;
  struct sigaction before, after;
  sigaction(sig, NULL, &before);
  assert_ptr_equal(before.sa_handler, SIG_DFL);
  clear_roots();
  set_t *s = make_set(2, 32);
  worker_t *w = start_worker(s, 0, W_STACK);
  errno = EDOM;
  int rc = classify(s);
  int e = errno;
  stop_worker(w);
  assert_int_equal(rc, 0);
  assert_int_equal(e, EDOM);
  CHECK_CLASS(s, 0, LS_REACH_REACHABLE);
  sigaction(sig, NULL, &after);
  assert_ptr_equal(after.sa_handler, SIG_DFL);
  free_set(s);
}

/* The program owns SIGRTMAX-3: another signal is used, its handler is
 * neither called nor replaced. */
static void test_program_signal_left_alone(void **state) {
  int sig = SIGRTMAX - 3;
  struct sigaction sa = {.sa_handler = program_handler}, old, now;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, &old);
  clear_roots();
  set_t *s = make_set(2, 32);
  worker_t *w = start_worker(s, 0, W_STACK);
  int rc = classify(s);
  stop_worker(w);
  sigaction(sig, NULL, &now);
  sigaction(sig, &old, NULL);
  assert_int_equal(rc, 0);
  CHECK_CLASS(s, 0, LS_REACH_REACHABLE);
  assert_ptr_equal(now.sa_handler, program_handler);
  assert_int_equal(atomic_load(&program_handler_calls), 0);
  free_set(s);
}

/* --- Churn and scale --- */

static _Atomic int churn_stop;

static void *short_lived(void *arg) { return arg; }

static void *churner(void *arg) {
  while (!atomic_load(&churn_stop)) {
    pthread_t t;
    if (pthread_create(&t, NULL, short_lived, NULL) == 0)
      pthread_join(t, NULL);
    free(malloc(64));
  }
  return NULL;
}

/* Threads that appear and exit while the world stops, and allocate
 * while stopped: no deadlock, and the answer holds. */
static void test_thread_churn(void **state) {
  clear_roots();
  set_t *s = make_set(2, 32);
  set_root(0, s, 1, 0);
  pthread_t ch[4];
  atomic_store(&churn_stop, 0);
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&ch[i], NULL, churner, NULL), 0);
  int bad = 0;
  for (int round = 0; round < 30; round++) {
    int rc = classify(s);
    if (rc < 0 || s->b[1].cls != LS_REACH_REACHABLE ||
        s->b[0].cls != (rc == 0 ? LS_REACH_DEFINITE : LS_REACH_UNCLASSIFIED))
      bad++;
  }
  atomic_store(&churn_stop, 1);
  for (int i = 0; i < 4; i++)
    pthread_join(ch[i], NULL);
  assert_int_equal(bad, 0);
  clear_roots();
  free_set(s);
}

#define BIG 200000

static void test_scale(void **state) {
  clear_roots();
  set_t *s = make_set(BIG, 32);
  for (size_t i = 0; i + 1 < BIG; i++)
    link_blocks(s, i, 0, i + 1, 0);
  set_root(0, s, BIG / 2, 0); /* the second half reachable, the first lost */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(classify(s), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  size_t c[LS_REACH_UNCLASSIFIED + 1];
  count_classes(s, c);
  assert_int_equal(c[LS_REACH_REACHABLE], BIG / 2);
  assert_int_equal(c[LS_REACH_DEFINITE], 1);
  assert_int_equal(c[LS_REACH_INDIRECT], BIG / 2 - 1);
  fprintf(stderr, "classified %d blocks in %.1f ms\n", BIG,
          (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
  clear_roots();
  free_set(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_global_root),
      cmocka_unit_test(test_reachable_chain),
      cmocka_unit_test(test_lost_list),
      cmocka_unit_test(test_indirect_tree),
      cmocka_unit_test(test_cycle),
      cmocka_unit_test(test_self_pointer),
      cmocka_unit_test(test_interior),
      cmocka_unit_test(test_not_pointers),
      cmocka_unit_test(test_glibc_top_chunk),
      cmocka_unit_test(test_still_live),
      cmocka_unit_test(test_unmapped_and_faulting),
      cmocka_unit_test(test_thread_stack),
      cmocka_unit_test(test_thread_register),
      cmocka_unit_test(test_thread_tls),
      cmocka_unit_test(test_thread_blocking_signals),
      cmocka_unit_test(test_thread_unstoppable),
      cmocka_unit_test(test_main_thread_tls),
      cmocka_unit_test(test_many_threads),
      cmocka_unit_test(test_signal_restored_and_errno_kept),
      cmocka_unit_test(test_program_signal_left_alone),
      cmocka_unit_test(test_thread_churn),
      cmocka_unit_test(test_scale),
  };
  if (argc > 1)
    cmocka_set_test_filter(argv[1]);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
