/* SPDX-License-Identifier: MIT
 * fault_prog.c: the program test_faults and test_security run, bare and
 * under leakscope, in hostile conditions. Its output never depends on
 * leakscope being there (no counts that bookkeeping memory would shift),
 * so a bare run and a traced run must print exactly the same.
 *
 *   fault_prog simple         prints, leaks 5 x 40 bytes in simple_leak(),
 *                             exits 7
 *   fault_prog nomem          RLIMIT_AS a little above what is mapped, then
 *                             malloc/calloc/realloc/posix_memalign until
 *                             they fail: NULL + ENOMEM, old blocks intact
 *   fault_prog bookkeeping    millions of small blocks from an already
 *                             grown heap, so leakscope's own table runs out
 *                             first; the limit is lifted before exit
 *   fault_prog exhausted      small blocks until the address space is
 *                             exhausted, and exit in that state
 *   fault_prog nofile full|free   RLIMIT_NOFILE 64, open until EMFILE, then
 *                             exit with every fd used (full) or after
 *                             closing some (free)
 *   fault_prog dumploop N     N distinct leaking stacks, prints "ready",
 *                             then asks for a dump every 10 ms (SIGUSR2)
 *   fault_prog logshare PATH  appends lines to PATH (also its report file)
 *                             before and after a dump
 *   fault_prog sleep MS       leaks, prints "ready", sleeps MS ms
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

static void *volatile sink;

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

NOINLINE static void simple_leak(void) {
  for (int i = 0; i < 5; i++)
    sink = malloc(40);
}

static int mode_simple(void) {
  printf("simple: line one\nsimple: line two\n");
  fprintf(stderr, "simple: a line on stderr\n");
  char *s = strdup("freed");
  free(s);
  simple_leak();
  return 7;
}

/* --- Memory exhaustion --- */

/* Limits the address space to what is mapped now plus `extra` bytes (the
 * soft limit only: restore_as() lifts it again). */
static void limit_as(size_t extra) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!f || fscanf(f, "%lu", &pages) != 1) {
    printf("cannot read /proc/self/statm\n");
    exit(2);
  }
  fclose(f);
  size_t now = pages * (size_t)sysconf(_SC_PAGESIZE);
  struct rlimit rl;
  getrlimit(RLIMIT_AS, &rl);
  rl.rlim_cur = now + extra;
  if (setrlimit(RLIMIT_AS, &rl) != 0) {
    printf("setrlimit: %s\n", strerror(errno));
    exit(2);
  }
}

static void restore_as(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_AS, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_AS, &rl);
}

typedef struct list {
  struct list *next;
} list_t;

/* Allocates blocks of `size` until malloc fails; returns them chained. */
static list_t *exhaust(size_t size, size_t *count, int *err) {
  list_t *head = NULL;
  *count = 0;
  for (;;) {
    errno = 0;
    list_t *b = malloc(size);
    if (!b) {
      *err = errno;
      return head;
    }
    b->next = head;
    head = b;
    ++*count;
  }
}

static void release(list_t *l) {
  while (l) {
    list_t *next = l->next;
    free(l);
    l = next;
  }
}

NOINLINE static void fault_leak(void) {
  for (int i = 0; i < 10; i++)
    sink = malloc(100);
}

static int mode_nomem(void) {
  char *keep = malloc(1000);
  memset(keep, 'k', 1000);
  limit_as(64 << 20);
  size_t n;
  int err;
  list_t *big = exhaust(1 << 20, &n, &err);
  printf("1 MiB blocks: malloc returned NULL after some succeeded: %s, errno %s\n",
         n > 0 ? "yes" : "no", err == ENOMEM ? "ENOMEM" : strerrorname_np(err));
  errno = 0;
  void *huge = malloc((size_t)1 << 40);
  printf("malloc(1 TiB): %s, errno %s\n", huge ? "not NULL" : "NULL",
         errno == ENOMEM ? "ENOMEM" : "other");
  errno = 0;
  void *c = calloc((size_t)1 << 20, (size_t)1 << 20);
  printf("calloc(2^20, 2^20): %s, errno %s\n", c ? "not NULL" : "NULL",
         errno == ENOMEM ? "ENOMEM" : "other");
  errno = 0;
  char *r = realloc(keep, (size_t)1 << 40);
  if (r)
    keep = r;
  printf("realloc(p, 1 TiB): %s, errno %s, old block %s\n", r ? "not NULL" : "NULL",
         errno == ENOMEM ? "ENOMEM" : "other",
         keep[0] == 'k' && keep[999] == 'k' ? "intact" : "DAMAGED");
  void *al = NULL;
  int rc = posix_memalign(&al, 4096, (size_t)1 << 40);
  printf("posix_memalign(1 TiB): %s\n", rc == ENOMEM ? "ENOMEM" : "other");
  release(big);
  void *again = malloc(1 << 20);
  printf("after freeing: malloc(1 MiB) %s\n", again ? "works" : "FAILS");
  free(again);
  free(keep);
  fault_leak();
  return 0;
}

/* leakscope's bookkeeping runs out while the program's allocations still
 * succeed: the heap is grown first (200 x 1 MiB, freed, never trimmed),
 * then the address space is capped at what is mapped, so the program's
 * 16-byte blocks come from memory malloc already has while leakscope's
 * table cannot grow. The cap is lifted before exit. */
static int mode_bookkeeping(void) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, INT32_MAX);
  void *grow[200];
  for (int i = 0; i < 200; i++)
    grow[i] = malloc(1 << 20);
  for (int i = 200; i-- > 0;)
    free(grow[i]);
  limit_as(1 << 20);
  size_t n;
  int err;
  list_t *small = exhaust(16, &n, &err);
  printf("16-byte blocks from a grown heap: malloc returned NULL after many succeeded: %s, "
         "errno %s\n",
         n > 100000 ? "yes" : "no", err == ENOMEM ? "ENOMEM" : strerrorname_np(err));
  release(small);
  restore_as();
  fault_leak();
  return 0;
}

/* Small blocks until the address space is exhausted, freed, and exit with
 * it still exhausted (glibc keeps the freed heap mapped). */
static int mode_exhausted(void) {
  limit_as(256 << 20);
  size_t n;
  int err;
  list_t *small = exhaust(16, &n, &err);
  printf("16-byte blocks: malloc returned NULL after many succeeded: %s, errno %s\n",
         n > 100000 ? "yes" : "no", err == ENOMEM ? "ENOMEM" : strerrorname_np(err));
  release(small);
  void *again = malloc(1 << 20);
  printf("after freeing: malloc(1 MiB) %s\n", again ? "works" : "FAILS");
  free(again);
  fault_leak();
  return 0;
}

/* --- fd exhaustion --- */

static int mode_nofile(const char *how) {
  struct rlimit rl = {64, 64};
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    printf("setrlimit: %s\n", strerror(errno));
    return 2;
  }
  int last = -1, n = 0, first = -1;
  for (;;) {
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0) {
      printf("first fd %d; open failed after %d opens with %s; highest fd %d\n", first, n,
             errno == EMFILE ? "EMFILE" : strerror(errno), last);
      break;
    }
    if (first < 0)
      first = fd;
    last = fd;
    n++;
  }
  int p[2];
  printf("pipe: %s\n", pipe(p) < 0 && errno == EMFILE ? "EMFILE" : "other");
  if (!strcmp(how, "free")) {
    for (int fd = last; fd > last - 8; fd--)
      close(fd);
    printf("closed 8 fds\n");
  }
  return 0;
}

/* --- Big reports, dumped over and over --- */

/* 2^depth distinct stacks: the path through left/right is the index.
 * The two are the same code, but must be two functions: one function
 * calling itself from either branch would be one call site at -O2. */
NOINLINE static void leaf(int i) { sink = malloc((size_t)(16 + i % 7)); }
NOINLINE static void left(int depth, int i);
NOINLINE static void right(int depth, int i);
#define BRANCH(name)                                                                               \
  NOINLINE static void name(int depth, int i) {                                                    \
    if (depth == 0)                                                                                \
      leaf(i);                                                                                     \
    else if ((i >> (depth - 1)) & 1)                                                               \
      right(depth - 1, i);                                                                         \
    else                                                                                           \
      left(depth - 1, i);                                                                          \
    __asm__ volatile("" ::: "memory"); /* not a tail call: keep the frame */                       \
  }
BRANCH(left)
BRANCH(right)
#undef BRANCH

static int mode_dumploop(int groups) {
  int depth = 0;
  while ((1 << depth) < groups)
    depth++;
  for (int i = 0; i < (1 << depth); i++)
    left(depth, i);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < 3000; i++) {
    raise(SIGUSR2);
    sleep_ms(10);
  }
  return 0;
}

/* --- Report file shared with the program's own output --- */

static int mode_logshare(const char *path) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    perror(path);
    return 2;
  }
  static const char one[] = "program line 1\n", two[] = "program line 2\n";
  if (write(fd, one, sizeof one - 1) < 0)
    return 2;
  if (getenv("LEAKSCOPE_OUTPUT"))
    raise(SIGUSR2);
  /* Wait for the dump to be in the file (not under leakscope: no wait). */
  for (int i = 0; i < 500 && getenv("LEAKSCOPE_OUTPUT"); i++) {
    char buf[1 << 16];
    int r = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = r >= 0 ? read(r, buf, sizeof buf - 1) : -1;
    if (r >= 0)
      close(r);
    if (got > 0 && (buf[got] = '\0', strstr(buf, "\"trigger\":\"signal\"")))
      break;
    sleep_ms(10);
  }
  if (write(fd, two, sizeof two - 1) < 0)
    return 2;
  close(fd);
  printf("wrote two lines\n");
  return 0;
}

/* A target for `leakscope dump`: leaks, prints "ready", waits. */
static int mode_sleep(int ms) {
  simple_leak();
  printf("ready\n");
  for (int waited = 0; waited < ms; waited += 10)
    sleep_ms(10);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "simple"))
    return mode_simple();
  if (!strcmp(mode, "nomem"))
    return mode_nomem();
  if (!strcmp(mode, "bookkeeping"))
    return mode_bookkeeping();
  if (!strcmp(mode, "exhausted"))
    return mode_exhausted();
  if (!strcmp(mode, "nofile") && argc == 3)
    return mode_nofile(argv[2]);
  if (!strcmp(mode, "dumploop") && argc == 3)
    return mode_dumploop(atoi(argv[2]));
  if (!strcmp(mode, "sleep") && argc == 3)
    return mode_sleep(atoi(argv[2]));
  if (!strcmp(mode, "logshare") && argc == 3)
    return mode_logshare(argv[2]);
  fprintf(stderr, "usage: fault_prog simple|nomem|bookkeeping|exhausted|nofile full|free|"
                  "dumploop N|logshare PATH|sleep MS\n");
  return 2;
}
