/* SPDX-License-Identifier: MIT
 * stress_prog.c: the program test_stress runs, bare and under leakscope.
 *
 *   stress_prog threads NTHREADS OPS FORKS   threads doing malloc/free/realloc/
 *       calloc/open/close/socketpair/pipe/dup with deterministic randomness
 *       (xorshift seeded by thread index); thread 0 also forks FORKS
 *       children that allocate, ask for a dump and exit. Ends by leaking
 *       exactly LEAK_BLOCKS x LEAK_SIZE bytes in leak_memory() and LEAK_FDS
 *       fds in leak_fds(); nothing else.
 *   stress_prog handler     the program's own SIGUSR2 handlers (sigaction,
 *       signal(), SA_SIGINFO, SIG_IGN) must see every signal they would see
 *       without leakscope.
 *   stress_prog signalfd    SIGUSR2 blocked everywhere and read through a
 *       signalfd. Lines starting with "observed:" may differ under
 *       leakscope; the rest must not.
 *   stress_prog blocked NTHREADS OPS   every signal blocked in every thread
 *       of the program while the test sends SIGUSR2.
 *
 * Under leakscope (LEAKSCOPE_OUTPUT set) a process can wait until its own
 * report file holds a signal-triggered report (wait_for_dump). Every
 * consistency failure prints "FAILED: ..." and exits 1. Output is printed
 * only from the main thread, after the work, so it is deterministic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEAK_BLOCKS 123
#define LEAK_SIZE 77
#define LEAK_FDS 3
#define CHILD_LEAK_BLOCKS 3
#define CHILD_LEAK_SIZE 111
#define SLOTS 64

#define NOINLINE __attribute__((noinline, noclone))

static void *volatile sink;
static const char *self_path;
static int nthreads;
static long nops;
static int nforks;
static _Atomic int children_ok, children_failed, forked;

static void die(const char *what) {
  fprintf(stderr, "FAILED: %s (errno %d: %s)\n", what, errno, strerror(errno));
  fflush(stderr);
  _exit(1);
}

static uint64_t next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* --- Dumps --- */

/* LEAKSCOPE_OUTPUT with %p expanded, or NULL when not under leakscope. */
static const char *report_path(char *buf, size_t cap) {
  const char *out = getenv("LEAKSCOPE_OUTPUT");
  if (!out)
    return NULL;
  size_t n = 0;
  for (const char *s = out; *s && n + 24 < cap; s++) {
    if (s[0] == '%' && s[1] == 'p') {
      n += (size_t)snprintf(buf + n, cap - n, "%d", (int)getpid());
      s++;
    } else {
      buf[n++] = *s;
    }
  }
  buf[n] = '\0';
  return buf;
}

/* Under leakscope: waits up to ms for a "trigger":"signal" report of ours.
 * Returns true at once when not under leakscope. */
static bool wait_for_dump(int ms) {
  char path[1024];
  if (!report_path(path, sizeof path))
    return true;
  for (int waited = 0; waited < ms; waited += 10) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      static char buf[1 << 16];
      /* The marker is in the first 200 bytes of a report line; scan with
       * overlap so it is found across chunk boundaries. */
      size_t keep = 0;
      ssize_t got;
      bool found = false;
      while (!found && (got = read(fd, buf + keep, sizeof buf - keep - 1)) > 0) {
        buf[keep + (size_t)got] = '\0';
        found = strstr(buf, "\"trigger\":\"signal\"") != NULL;
        size_t len = keep + (size_t)got;
        keep = len < 32 ? len : 32;
        memmove(buf, buf + len - keep, keep);
      }
      close(fd);
      if (found)
        return true;
    }
    sleep_ms(10);
  }
  return false;
}

/* --- Leaks the test checks exactly --- */

NOINLINE static void leak_memory(void) {
  static void *blocks[LEAK_BLOCKS];
  for (int i = 0; i < LEAK_BLOCKS; i++)
    blocks[i] = malloc(LEAK_SIZE);
  sink = blocks;
}

NOINLINE static void leak_fds(void) {
  for (int i = 0; i < LEAK_FDS; i++)
    if (open(self_path, O_RDONLY | O_CLOEXEC) < 0)
      die("open");
}

NOINLINE static void child_leak(void) {
  for (int i = 0; i < CHILD_LEAK_BLOCKS; i++)
    sink = malloc(CHILD_LEAK_SIZE);
}

/* --- threads mode --- */

static void fill(unsigned char *p, size_t n, unsigned char tag) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(tag + i);
}

static void check(const unsigned char *p, size_t n, unsigned char tag) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(tag + i))
      die("heap block contents changed");
}

/* In a child of a multi-threaded process: allocate, dump, exit. */
static void child_main(void) {
  void *keep[100];
  for (int round = 0; round < 20; round++) {
    for (int i = 0; i < 100; i++)
      keep[i] = malloc((size_t)(16 + i * 8));
    for (int i = 0; i < 100; i++)
      free(keep[i]);
  }
  child_leak();
  raise(SIGUSR2);
  if (!wait_for_dump(10000)) {
    fprintf(stderr, "FAILED: child %d saw no dump\n", (int)getpid());
    exit(3);
  }
  exit(0);
}

static void fork_child(int n) {
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0)
    child_main();
  forked++;
  if (n % 2)
    kill(pid, SIGUSR2); /* a second dump request, from outside */
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      die("waitpid");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    children_ok++;
  else
    children_failed++;
}

static void *worker(void *arg) {
  int idx = (int)(intptr_t)arg;
  uint64_t rng = 0x9E3779B97F4A7C15ull * (uint64_t)(idx + 1);
  unsigned char *slot[SLOTS] = {0};
  size_t size[SLOTS] = {0};
  int persistent = open(self_path, O_RDONLY | O_CLOEXEC);
  if (persistent < 0)
    die("open");
  long fork_every = nforks ? nops / nforks : 0;
  for (long i = 0; i < nops; i++) {
    if (idx == 0 && fork_every && i % fork_every == fork_every / 2)
      fork_child((int)(i / fork_every));
    uint64_t v = next(&rng);
    int k = (int)(v % SLOTS);
    unsigned char tag = (unsigned char)k;
    size_t n = 1 + (size_t)((v >> 20) % 4096);
    switch ((v >> 8) % 12) {
    case 0:
    case 1:
    case 2:
      if (slot[k]) {
        check(slot[k], size[k], tag);
        free(slot[k]);
      }
      if (!(slot[k] = malloc(n)))
        die("malloc");
      size[k] = n;
      fill(slot[k], n, tag);
      break;
    case 3:
      if (slot[k])
        check(slot[k], size[k], tag);
      free(slot[k]);
      slot[k] = NULL;
      size[k] = 0;
      break;
    case 4:
    case 5: {
      unsigned char *p = realloc(slot[k], n);
      if (!p)
        die("realloc");
      check(p, size[k] < n ? size[k] : n, tag);
      slot[k] = p;
      size[k] = n;
      fill(p, n, tag);
      break;
    }
    case 6: {
      unsigned char *z = calloc(1 + n / 8, 8);
      if (!z)
        die("calloc");
      for (size_t j = 0; j < (1 + n / 8) * 8; j++)
        if (z[j])
          die("calloc memory not zero");
      free(z);
      break;
    }
    case 7: {
      int fd = open(self_path, O_RDONLY | O_CLOEXEC);
      char c;
      if (fd < 0 || read(fd, &c, 1) != 1 || close(fd) != 0)
        die("open/read/close");
      break;
    }
    case 8: {
      int sv[2];
      char c = 'x';
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || write(sv[0], &c, 1) != 1 ||
          read(sv[1], &c, 1) != 1 || close(sv[0]) != 0 || close(sv[1]) != 0)
        die("socketpair");
      break;
    }
    case 9: {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0 || close(p[0]) != 0 || close(p[1]) != 0)
        die("pipe");
      break;
    }
    case 10: {
      int d = dup(persistent);
      if (d < 0 || close(d) != 0)
        die("dup");
      break;
    }
    default: {
      char *s = strdup("a string from strdup");
      if (!s)
        die("strdup");
      free(s);
      break;
    }
    }
  }
  for (int k = 0; k < SLOTS; k++) {
    if (slot[k])
      check(slot[k], size[k], (unsigned char)k);
    free(slot[k]);
  }
  close(persistent);
  return NULL;
}

static void run_threads(void) {
  pthread_t t[256];
  for (int i = 0; i < nthreads; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
      die("pthread_create");
  for (int i = 0; i < nthreads; i++)
    pthread_join(t[i], NULL);
}

static int mode_threads(void) {
  printf("ready\n");
  fflush(stdout);
  run_threads();
  leak_memory();
  leak_fds();
  printf("done threads=%d ops=%ld forks=%d children_ok=%d children_failed=%d\n", nthreads,
         nops * nthreads, (int)forked, (int)children_ok, (int)children_failed);
  return children_failed || children_ok != nforks;
}

/* --- handler mode --- */

static volatile sig_atomic_t calls_a, calls_b, calls_info, info_ok = 1;

static void on_usr2_a(int sig) { calls_a += sig == SIGUSR2; }
static void on_usr2_b(int sig) { calls_b += sig == SIGUSR2; }
static void on_usr2_info(int sig, siginfo_t *si, void *uc) {
  calls_info++;
  if (sig != SIGUSR2 || !si || si->si_signo != SIGUSR2 || si->si_pid != getpid() || !uc)
    info_ok = 0;
}

static const char *name_of(void (*h)(int)) {
  return h == SIG_DFL                        ? "SIG_DFL"
         : h == SIG_IGN                      ? "SIG_IGN"
         : h == on_usr2_a                    ? "handler a"
         : h == on_usr2_b                    ? "handler b"
         : (void *)h == (void *)on_usr2_info ? "handler info"
                                             : "unknown";
}

NOINLINE static void handler_leak(void) {
  for (int i = 0; i < 4; i++)
    sink = malloc(50);
}

static int mode_handler(void) {
  struct sigaction sa, old;
  sigaction(SIGUSR2, NULL, &old);
  printf("initial disposition: %s\n", name_of(old.sa_handler));

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2_a;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, &old);
  printf("sigaction returned previous: %s\n", name_of(old.sa_handler));
  for (int i = 0; i < 20; i++)
    raise(SIGUSR2);
  printf("handler a after 20 raise(): %d\n", (int)calls_a);
  /* Process-directed: any thread may take it, leakscope's included. */
  for (int i = 0; i < 5; i++) {
    int before = calls_a;
    kill(getpid(), SIGUSR2);
    for (int w = 0; w < 2000 && calls_a == before; w++)
      sleep_ms(1);
  }
  printf("handler a after 5 kill(): %d\n", (int)calls_a);
  sigaction(SIGUSR2, NULL, &old);
  printf("current disposition: %s\n", name_of(old.sa_handler));

  void (*prev)(int) = signal(SIGUSR2, on_usr2_b);
  printf("signal() returned previous: %s\n", name_of(prev));
  for (int i = 0; i < 10; i++)
    raise(SIGUSR2);
  printf("handler b after 10 raise(): %d (a: %d)\n", (int)calls_b, (int)calls_a);

  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr2_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, &old);
  printf("sigaction returned previous: %s\n", name_of(old.sa_handler));
  for (int i = 0; i < 7; i++)
    raise(SIGUSR2);
  printf("SA_SIGINFO handler after 7 raise(): %d, siginfo %s\n", (int)calls_info,
         info_ok ? "right" : "WRONG");

  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("survived an ignored SIGUSR2; handlers a %d b %d info %d\n", (int)calls_a, (int)calls_b,
         (int)calls_info);
  /* Blocked, then unblocked: delivered once, to our handler again. */
  sa.sa_sigaction = on_usr2_info;
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR2);
  raise(SIGUSR2);
  int while_blocked = calls_info;
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  printf("blocked: %d calls while blocked, %d after unblocking\n", while_blocked - 7,
         (int)calls_info - 7);
  handler_leak();
  if (!wait_for_dump(10000))
    printf("no dump seen\n");
  return 0;
}

/* --- signalfd mode --- */

static void *idle_worker(void *arg) {
  for (int i = 0; i < 2000; i++)
    free(malloc((size_t)(i % 512) + 1));
  return arg;
}

static int read_signalfd(int sfd, int ms) {
  struct pollfd p = {sfd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0)
    return 0;
  struct signalfd_siginfo si;
  return read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo == SIGUSR2;
}

static int mode_signalfd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL); /* before any thread: all inherit it */
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, idle_worker, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    die("signalfd");
  int got = 0;
  for (int i = 0; i < 3; i++) {
    raise(SIGUSR2); /* thread-directed: pending for this thread only */
    got += read_signalfd(sfd, 2000);
  }
  printf("raise(): %d of 3 read from the signalfd\n", got);
  /* The test now sends SIGUSR2 every 50 ms, from outside. */
  printf("ready\n");
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  got = 0;
  do {
    got += read_signalfd(sfd, 50);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
  printf("observed: external kill(): %d read from the signalfd in 1 s\n", got);
  got = 0;
  for (int i = 0; i < 3; i++) {
    kill(getpid(), SIGUSR2); /* process-directed, from this thread */
    got += read_signalfd(sfd, 300);
  }
  printf("observed: own kill(): %d of 3 read from the signalfd\n", got);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  close(sfd);
  handler_leak();
  printf("done\n");
  return 0;
}

/* --- blocked mode --- */

static void *blocked_worker(void *arg) {
  uint64_t rng = (uint64_t)(intptr_t)arg * 7919 + 1;
  void *keep[32] = {0};
  for (long i = 0; i < nops; i++) {
    int k = (int)(next(&rng) % 32);
    free(keep[k]);
    keep[k] = malloc(1 + next(&rng) % 2048);
    if (i % 64 == 0) {
      int fd = open(self_path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || close(fd) != 0)
        die("open/close");
    }
  }
  for (int k = 0; k < 32; k++)
    free(keep[k]);
  return NULL;
}

static int mode_blocked(void) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  printf("ready\n");
  fflush(stdout);
  pthread_t t[256];
  for (int i = 0; i < nthreads; i++)
    pthread_create(&t[i], NULL, blocked_worker, (void *)(intptr_t)i);
  for (int i = 0; i < nthreads; i++)
    pthread_join(t[i], NULL);
  leak_memory();
  /* Every thread of ours blocks SIGUSR2: only leakscope's dump thread
   * can take the test's signals. */
  printf("workers done; dump while blocked: %s\n", wait_for_dump(10000) ? "yes" : "no");
  return 0;
}

int main(int argc, char **argv) {
  self_path = argv[0];
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "threads") && argc == 5) {
    nthreads = atoi(argv[2]);
    nops = atol(argv[3]);
    nforks = atoi(argv[4]);
    return mode_threads();
  }
  if (!strcmp(mode, "handler"))
    return mode_handler();
  if (!strcmp(mode, "signalfd"))
    return mode_signalfd();
  if (!strcmp(mode, "blocked") && argc == 4) {
    nthreads = atoi(argv[2]);
    nops = atol(argv[3]);
    return mode_blocked();
  }
  fprintf(stderr, "usage: stress_prog threads N OPS FORKS | handler | signalfd | blocked N OPS\n");
  return 2;
}
