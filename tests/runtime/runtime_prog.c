/* SPDX-License-Identifier: MIT
 * runtime_prog.c: the reproducers of issue 13, one mode each. Every mode
 * prints what it observed to stdout; test_runtime.c runs it bare and under
 * leakscope and expects the same output and exit status (except `stack`,
 * which prints measurements).
 *
 *   clock       clock_gettime, malloc, free, strdup (run with preload_clock)
 *   coroutine   malloc, free, strdup, open, close on an 8 KiB makecontext stack
 *   altstack    strdup in a SIGUSR1 handler on an 8 KiB sigaltstack
 *   stack       bytes of stack malloc, free, strdup, open+close use (painted stack)
 *   sleep       sleep(3) and nanosleep(1 s) while dumps are requested
 *   resethand   SA_RESETHAND handler for SIGUSR2, raised twice
 *   readback    sigaction/signal for SIGUSR2 read back after each change
 *   nodefer     SA_NODEFER nesting depth, and sa_mask inside the handler
 *   sigwait     20 SIGUSR2 taken with sigtimedwait, 20 with signalfd
 *   leak        malloc(4242), lost (run with preload_alloc ahead)
 *   raise       raise(SIGUSR2) just before main returns
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define SMALL_STACK 8192

static void *volatile sink;

/* What a coroutine or a crash handler does with the heap and fds. */
static void heap_and_fd_work(void) {
  for (int i = 0; i < 8; i++) {
    void *p = malloc((size_t)(16 << i));
    sink = p;
    free(p);
  }
  char *s = strdup("small stack");
  sink = s;
  free(s);
  int fd = open("/dev/null", O_RDONLY);
  if (fd >= 0)
    close(fd);
}

static int mode_clock(void) {
  struct timespec ts;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  heap_and_fd_work();
  printf("clock_gettime %d, heap and fds fine\n", rc);
  return 0;
}

static ucontext_t main_ctx, co_ctx;

/* SMALL_STACK bytes with an inaccessible page below: an overflow faults
 * instead of silently writing over whatever lies below. */
static char *small_stack(void) {
  char *base =
      mmap(NULL, SMALL_STACK + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED || mprotect(base, 4096, PROT_NONE))
    abort();
  return base + 4096;
}

static void coroutine(void) { heap_and_fd_work(); }

static int mode_coroutine(void) {
  getcontext(&co_ctx);
  co_ctx.uc_stack.ss_sp = small_stack();
  co_ctx.uc_stack.ss_size = SMALL_STACK;
  co_ctx.uc_link = &main_ctx;
  makecontext(&co_ctx, coroutine, 0);
  for (int round = 0; round < 3; round++)
    swapcontext(&main_ctx, &co_ctx), makecontext(&co_ctx, coroutine, 0);
  printf("coroutine on a %d-byte stack: done\n", SMALL_STACK);
  return 0;
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig) {
  (void)sig;
  char *s = strdup("crash handler");
  sink = s;
  free(s);
  handled++;
}

static int mode_altstack(void) {
  stack_t ss = {.ss_sp = small_stack(), .ss_size = SMALL_STACK};
  if (sigaltstack(&ss, NULL))
    return perror("sigaltstack"), 1;
  struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
  sigaction(SIGUSR1, &sa, NULL);
  for (int i = 0; i < 3; i++)
    raise(SIGUSR1);
  printf("handler on a %d-byte sigaltstack ran %d times\n", SMALL_STACK, (int)handled);
  return 0;
}

/* --- stack: how deep each call reaches into a painted stack --- */

#define PAINT_STACK (256 * 1024)
#define PAINT 0xa5
static _Alignas(16) unsigned char paint_stack[PAINT_STACK];
static void (*measured)(void);

static void call_measured(void) { measured(); }

static void op_malloc(void) { sink = malloc(100); }
static void op_free(void) { free(sink); }
static void op_strdup(void) { sink = strdup("measure"); }
static void op_open(void) {
  int fd = open("/dev/null", O_RDONLY);
  if (fd >= 0)
    close(fd);
}

/* Bytes of the painted stack that op touched, with one frame of ours. */
static size_t measure(void (*op)(void)) {
  memset(paint_stack, PAINT, sizeof paint_stack);
  measured = op;
  getcontext(&co_ctx);
  co_ctx.uc_stack.ss_sp = paint_stack;
  co_ctx.uc_stack.ss_size = sizeof paint_stack;
  co_ctx.uc_link = &main_ctx;
  makecontext(&co_ctx, call_measured, 0);
  swapcontext(&main_ctx, &co_ctx);
  size_t untouched = 0;
  while (untouched < sizeof paint_stack && paint_stack[untouched] == PAINT)
    untouched++;
  return sizeof paint_stack - untouched;
}

static void *first_in_thread(void *out) {
  *(size_t *)out = measure(op_malloc);
  free(sink);
  return NULL;
}

static int mode_stack(void) {
  static const struct {
    const char *name;
    void (*op)(void);
    void (*undo)(void);
  } ops[] = {{"malloc", op_malloc, op_free},
             {"free", op_free, op_malloc},
             {"strdup", op_strdup, op_free},
             {"open", op_open, NULL}};
  /* Warm up on the thread's own stack: the loader's lazy binding of each
   * function (about 3 KiB, with the xsave area) happens once, bare too. */
  op_malloc(), op_free(), op_strdup(), op_free(), op_open();
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t most = 0;
    for (int round = 0; round < 50; round++) {
      if (ops[i].undo == op_malloc)
        op_malloc();
      size_t used = measure(ops[i].op);
      if (ops[i].undo == op_free)
        op_free();
      if (used > most)
        most = used;
    }
    printf("%s %zu\n", ops[i].name, most);
  }
  /* A thread's first call sets up its bookkeeping (under leakscope). */
  pthread_t t;
  size_t first = 0;
  if (pthread_create(&t, NULL, first_in_thread, &first) == 0)
    pthread_join(t, NULL);
  printf("first malloc of a thread %zu\n", first);
  return 0;
}

/* --- signals --- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mode_sleep(void) {
  printf("ready\n");
  fflush(stdout);
  double t0 = now();
  unsigned left = sleep(3);
  double slept = now() - t0;
  printf("sleep(3) returned %u after %s3 s\n", left, slept >= 2.95 ? "" : "less than ");
  struct timespec one = {1, 0}, rem = {0, 0};
  int rc = nanosleep(&one, &rem);
  printf("nanosleep(1 s) returned %d%s\n", rc, rc ? (errno == EINTR ? " EINTR" : " error") : "");
  return 0;
}

static void on_usr2_print(int sig) {
  (void)sig;
  handled++;
  printf("handler %d\n", (int)handled);
  fflush(stdout);
}

static int mode_resethand(void) {
  struct sigaction sa = {.sa_handler = on_usr2_print, .sa_flags = SA_RESETHAND};
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  struct sigaction now_sa;
  sigaction(SIGUSR2, NULL, &now_sa);
  printf("after the first: handler is %s\n",
         now_sa.sa_handler == SIG_DFL ? "SIG_DFL" : "still set");
  fflush(stdout);
  raise(SIGUSR2); /* bare: the default action, killed by SIGUSR2 */
  printf("after the second: still running\n");
  return 0;
}

static void on_usr2_info(int sig, siginfo_t *si, void *uc) { (void)sig, (void)si, (void)uc; }

static void show(const char *when) {
  struct sigaction old;
  memset(&old, 0, sizeof old);
  if (sigaction(SIGUSR2, NULL, &old)) {
    printf("%s: sigaction failed\n", when);
    return;
  }
  const char *h = old.sa_handler == SIG_DFL                          ? "SIG_DFL"
                  : old.sa_handler == SIG_IGN                        ? "SIG_IGN"
                  : (void *)old.sa_sigaction == (void *)on_usr2_info ? "on_usr2_info"
                  : (void *)old.sa_handler == (void *)on_usr2_print  ? "on_usr2_print"
                                                                     : "other";
  printf("%s: %s flags %#x mask", when, h, (unsigned)old.sa_flags);
  for (int s = 1; s < 65; s++)
    if (sigismember(&old.sa_mask, s) == 1)
      printf(" %d", s);
  printf("\n");
}

static int mode_readback(void) {
  show("initial");
  struct sigaction sa = {.sa_sigaction = on_usr2_info, .sa_flags = SA_SIGINFO | SA_NODEFER};
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGKILL); /* the kernel drops it */
  sigaddset(&sa.sa_mask, SIGRTMIN + 2);
  struct sigaction prev;
  memset(&prev, 0, sizeof prev);
  sigaction(SIGUSR2, &sa, &prev);
  printf("previous was %s\n", prev.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
  show("after sigaction");
  sighandler_t was = signal(SIGUSR2, SIG_IGN);
  printf("signal returned %s\n", (void *)was == (void *)on_usr2_info ? "on_usr2_info" : "other");
  show("after signal(SIG_IGN)");
  signal(SIGUSR2, on_usr2_print);
  show("after signal(handler)");
  signal(SIGUSR2, SIG_DFL);
  show("after signal(SIG_DFL)");
  return 0;
}

static volatile sig_atomic_t depth, deepest, calls;
static volatile int blocked_usr1 = -1, blocked_usr2 = -1, blocked_int = -1;

static void on_usr2_nest(int sig) {
  depth++;
  if (depth > deepest)
    deepest = depth;
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  blocked_usr1 = sigismember(&cur, SIGUSR1);
  blocked_usr2 = sigismember(&cur, SIGUSR2);
  blocked_int = sigismember(&cur, SIGINT);
  if (++calls < 5)
    raise(sig); /* nested with SA_NODEFER; after this one returns without */
  depth--;
}

static int mode_nodefer(void) {
  struct sigaction sa = {.sa_handler = on_usr2_nest, .sa_flags = SA_NODEFER};
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR1);
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("SA_NODEFER: deepest nesting %d; in the handler USR1 blocked %d, USR2 blocked %d, "
         "INT blocked %d\n",
         (int)deepest, blocked_usr1, blocked_usr2, blocked_int);
  deepest = 0;
  calls = 0;
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("without it: deepest nesting %d over %d calls; in the handler USR1 blocked %d, "
         "USR2 blocked %d\n",
         (int)deepest, (int)calls, blocked_usr1, blocked_usr2);
  return 0;
}

static int mode_sigwait(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  printf("ready\n");
  fflush(stdout);
  int waited = 0, read_back = 0;
  struct timespec tmo = {2, 0}, pause = {0, 50 * 1000 * 1000};
  for (int i = 0; i < 20; i++) {
    kill(getpid(), SIGUSR2);
    siginfo_t si;
    waited += sigtimedwait(&set, &si, &tmo) == SIGUSR2;
    nanosleep(&pause, NULL);
  }
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  for (int i = 0; i < 20 && sfd >= 0; i++) {
    kill(getpid(), SIGUSR2);
    struct signalfd_siginfo ssi;
    read_back += read(sfd, &ssi, sizeof ssi) == sizeof ssi && ssi.ssi_signo == SIGUSR2;
    nanosleep(&pause, NULL);
  }
  if (sfd >= 0)
    close(sfd);
  printf("sigtimedwait took %d of 20, signalfd read %d of 20\n", waited, read_back);
  return 0;
}

static int mode_leak(void) {
  sink = malloc(4242);
  sink = NULL;
  printf("leaked 4242 bytes\n");
  return 0;
}

static int mode_raise(void) {
  sink = malloc(77);
  raise(SIGUSR2);
  printf("raised\n");
  return 0;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(void);
  } modes[] = {
      {"clock", mode_clock},       {"coroutine", mode_coroutine}, {"altstack", mode_altstack},
      {"stack", mode_stack},       {"sleep", mode_sleep},         {"resethand", mode_resethand},
      {"readback", mode_readback}, {"nodefer", mode_nodefer},     {"sigwait", mode_sigwait},
      {"leak", mode_leak},         {"raise", mode_raise}};
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof modes[0]; i++)
    if (!strcmp(argv[1], modes[i].name))
      return modes[i].fn();
  fprintf(stderr, "usage: runtime_prog MODE\n");
  return 2;
}
