/* SPDX-License-Identifier: MIT
 * reach_stop.c: stopping the world for the reachability scan (see
 * reach_stop.h), without ptrace.
 *
 * Every other thread of /proc/self/task gets SIGRTMAX-3 (or the next
 * lower real-time signal the program leaves at its default) from
 * rt_tgsigqueueinfo, tagged with this stop's generation; its handler
 * publishes the interrupted registers and waits on a futex.
 *  - A thread that blocks the signal is not sent one: it would stay
 *    pending and, once the default action is back, kill the process. Its
 *    stack pointer comes from /proc/self/task/TID/syscall while it is in
 *    the kernel (an idle thread); its registers stay unknown. glibc starts
 *    new threads with every signal blocked, so its mask is read again.
 *  - leakscope's own threads (ls_thread_is_ours) are left running.
 *  - The wait adapts to the machine: a thread that parks neither in the
 *    first 200 ms nor later, and is not in the kernel, is lost only once
 *    it has used 100 ms of its own CPU time in user space (it runs with
 *    the signal blocked), or after 30 s for the whole stop (a machine too
 *    busy to run it at all). Then the classifier reports
 *    LS_REACH_INCOMPLETE and what it could not classify says so.
 *  - Threads created meanwhile: the task list is read again until stable.
 *  - The signal's previous action is put back, unless a signal we sent may
 *    still be pending; then our handler, which ignores anything but its
 *    own stop's signal, stays installed.
 * The interrupted system calls of parked threads return EINTR where
 * SA_RESTART does not apply (epoll_wait, poll, nanosleep...), as under
 * any signal.
 */
#include "reach_stop.h"

#if defined(__x86_64__) && defined(__linux__)

#include <asm/prctl.h>
#include <errno.h>
#include <string.h>

#include "arena.h"
#include "atomic.h"
#include "config.h"
#include "read_file.h"
#include "thread.h"

#define QUICK_WAIT_MS                                                                              \
  200 /* every thread of a round, together, before
                                     each is looked at in turn */
#define CPU_BUDGET_NS                                                                              \
  100000000ull /* a thread's own CPU time in user space
                                     without parking: it blocks the signal */
#define WAIT_CAP_MS                                                                                \
  30000               /* the whole stop, on a machine too busy to
                                     run a thread at all */
#define MAX_ROUNDS 16 /* /proc/self/task re-reads while threads appear */

/* A slot's word: generation << 3 | state. Only the handler of that
 * generation can move a slot on, so a signal left pending from an earlier
 * stop (a thread that blocked it for a while) can never park a thread in
 * a later one. */
enum { SLOT_IDLE, SLOT_SIGNALED, SLOT_CLAIMED, SLOT_PARKED, SLOT_LEFT };
#define SLOT_WORD(gen, st) ((uint64_t)(gen) << 3 | (st))

/* Shared with the handler. Slot arrays are never unmapped: a handler that
 * runs late (its thread unblocked the signal after we gave up on it) may
 * still look through one. */
static struct {
  _Atomic(slot_t *) slots;
  _Atomic uint32_t nslots; /* slots in use this stop; release-published */
  uint32_t cap;
  _Atomic uint32_t gen;      /* generation of the current stop */
  _Atomic uint32_t released; /* futex: last generation released */
  _Atomic uint32_t parked;   /* futex: bumped by every parking handler */
  int sig;                   /* signal used, 0 before the first stop */
  bool sticky;               /* our handler stays installed (see resume) */
  ksigaction_t old;          /* the action it replaced */
} stw;

static RAW_READ void on_stop_signal(int sig, siginfo_t *si, void *ucv) {
  /* Only our own queued signal: another process's, or an earlier stop's,
   * finds nothing to do. Raw syscalls keep errno untouched. */
  if (si->si_code != SI_QUEUE || si->si_pid != (pid_t)sys0(SYS_getpid))
    return;
  uint32_t gen = (uint32_t)(uintptr_t)si->si_value.sival_ptr;
  int32_t tid = (int32_t)sys0(SYS_gettid);
  /* acquire: pairs with the release that published the slots */
  uint32_t n = ls_atomic_load_acquire(&stw.nslots);
  slot_t *slots = ls_atomic_load_acquire(&stw.slots), *s = NULL;
  for (uint32_t i = 0; i < n && slots; i++)
    /* relaxed: only compared; the CAS below decides */
    if (ls_atomic_load_relaxed(&slots[i].tid) == tid) {
      s = &slots[i];
      break;
    }
  uint64_t expected = SLOT_WORD(gen, SLOT_SIGNALED);
  /* acq_rel: claims the slot for this generation only */
  if (!s || !ls_atomic_cas_acq_rel(&s->word, &expected, SLOT_WORD(gen, SLOT_CLAIMED)))
    return;
  const ucontext_t *uc = ucv;
  for (int i = 0; i < NGREG; i++)
    s->regs[i] = (uintptr_t)uc->uc_mcontext.gregs[i];
  s->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
  uintptr_t fs = 0;
  if (sys2(SYS_arch_prctl, ARCH_GET_FS, &fs) != 0)
    fs = 0;
  s->fs = fs;
  s->dtv = fs ? peek(fs + 8) : 0; /* glibc tcbhead_t.dtv */
  /* release: registers before PARKED; pairs with the controller's acquire */
  ls_atomic_store_release(&s->word, SLOT_WORD(gen, SLOT_PARKED));
  /* acq_rel: a futex word; the controller re-checks slot words anyway */
  ls_atomic_add_acq_rel(&stw.parked, 1);
  futex_wake(&stw.parked, 1);
  for (;;) {
    /* acquire: pairs with the release in resume(); the controller is done
     * reading our memory */
    uint32_t rel = ls_atomic_load_acquire(&stw.released);
    if ((int32_t)(rel - gen) >= 0)
      break;
    futex_wait(&stw.released, rel, -1);
  }
  expected = SLOT_WORD(gen, SLOT_PARKED);
  /* acq_rel: fails harmlessly if a later stop already reused the slot */
  ls_atomic_cas_acq_rel(&s->word, &expected, SLOT_WORD(gen, SLOT_LEFT));
}

static bool ours(const ksigaction_t *a) { return a->handler == (void *)on_stop_signal; }

/* Picks the stop signal: SIGRTMAX-3 or the next lower real-time signal
 * with the default or ignore disposition (or ours, left installed), never
 * the dump signal. Installs the handler. Returns 0 or -EBUSY. */
static int take_signal(void) {
  ksigaction_t cur;
  if (stw.sticky && ls_reach_ksig(stw.sig, NULL, &cur) == 0 && ours(&cur))
    return 0;
  stw.sticky = false;
  for (int sig = SIGRTMAX - 3; sig >= SIGRTMIN + 2; sig--) {
    if (sig == ls_config.signal || ls_reach_ksig(sig, NULL, &cur) != 0)
      continue;
    if (cur.handler != (void *)SIG_DFL && cur.handler != (void *)SIG_IGN && !ours(&cur))
      continue; /* the program's */
    /* Every signal blocked in the handler: the program's own handlers
     * must not run on a parked thread. */
    if (ls_reach_install(sig, on_stop_signal, SA_RESTART, ~(uint64_t)0, &stw.old) != 0)
      continue;
    if (ours(&stw.old)) /* left behind by a stop that could not restore */
      stw.old = (ksigaction_t){.handler = (void *)SIG_DFL};
    stw.sig = sig;
    return 0;
  }
  return -EBUSY;
}

/* Grows the slot array so that it holds at least need slots. Only
 * between stops: the old array is abandoned, not unmapped. */
int ls_reach_reserve_slots(uint32_t need) {
  if (need <= stw.cap)
    return 0;
  uint32_t cap = need * 2 + 64;
  slot_t *s = ls_map((size_t)cap * sizeof *s);
  if (!s)
    return -ENOMEM;
  /* release: pairs with the handler's acquire. A late handler may pair
   * the last stop's nslots with this array: it is larger, and zeroed (tid
   * 0 matches no thread). */
  ls_atomic_store_release(&stw.slots, s);
  stw.cap = cap;
  return 0;
}

static void send_stop(world_t *w, slot_t *s);

static bool add_task(int tid, void *ctx) {
  world_t *w = ctx;
  /* Not the caller, and never leakscope's own threads: they run none of
   * the program's code and hold none of its pointers (waiting for the
   * dump thread, which blocks the signal, used to cost a whole
   * timeout on a busy machine). */
  if (tid == w->self || ls_thread_is_ours(tid))
    return true;
  for (uint32_t i = 0; i < w->n; i++)
    if (ls_atomic_load_relaxed(&w->slots[i].tid) == tid) /* relaxed: we wrote it */
      return true;
  if (w->n == stw.cap) {
    w->overflow = true;
    return false;
  }
  slot_t *s = &w->slots[w->n];
  /* relaxed: published by the release store of nslots below */
  ls_atomic_store_relaxed(&s->tid, tid);
  s->how = HOW_PROC;
  s->signaled = false;
  s->sp = s->fs = s->dtv = 0;
  ls_atomic_store_relaxed(&s->word, SLOT_WORD(w->gen, SLOT_IDLE));
  w->n++;
  /* release: the slot's tid and word before a handler can find it;
   * pairs with the handler's acquire of nslots */
  ls_atomic_store_release(&stw.nslots, w->n);
  send_stop(w, s);
  return true;
}

/* Sends the stop signal to s's thread unless it blocks it (the signal
 * would stay pending, to be delivered after we are gone). */
static void send_stop(world_t *w, slot_t *s) {
  int tid = ls_atomic_load_relaxed(&s->tid); /* relaxed: we wrote it */
  if (ls_reach_blocks_signal(tid, stw.sig))
    return;
  /* release: the slot is SIGNALED before the handler can look */
  ls_atomic_store_release(&s->word, SLOT_WORD(w->gen, SLOT_SIGNALED));
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = stw.sig;
  si.si_code = SI_QUEUE;
  si.si_pid = w->pid;
  si.si_uid = (uid_t)sys0(SYS_getuid);
  si.si_value.sival_ptr = (void *)(uintptr_t)w->gen;
  long rc = sys4(SYS_rt_tgsigqueueinfo, w->pid, tid, stw.sig, &si);
  if (rc == -ESRCH)
    s->how = HOW_GONE;
  else if (rc == 0)
    s->signaled = true;
}

static bool all_parked(const world_t *w) {
  for (uint32_t i = 0; i < w->n; i++) {
    const slot_t *s = &w->slots[i];
    /* acquire: pairs with the handler's release of PARKED */
    if (s->signaled && ls_atomic_load_acquire(&s->word) != SLOT_WORD(w->gen, SLOT_PARKED))
      return false;
  }
  return true;
}

/* CPU time tid has used, in ns: schedstat's first field, or stat's
 * utime + stime (clock ticks) where the kernel has no schedstat. 0 if
 * neither can be read. */
static uint64_t task_cpu_ns(int tid) {
  char path[64], buf[512];
  ls_reach_task_path(path, sizeof path, tid, "schedstat");
  if (ls_read_small(path, buf, sizeof buf) > 0 && buf[0] >= '0' && buf[0] <= '9') {
    uint64_t v = 0;
    for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
      v = v * 10 + (uint64_t)(*p - '0');
    return v;
  }
  ls_reach_task_path(path, sizeof path, tid, "stat");
  if (ls_read_small(path, buf, sizeof buf) <= 0)
    return 0;
  const char *p = strrchr(buf, ')');
  /* fields after the name: state is 3rd, utime the 14th, stime the 15th */
  for (int field = 2; p && *p && field < 14; p++)
    if (*p == ' ')
      field++;
  uint64_t ticks = 0;
  for (int k = 0; k < 2 && p; k++) {
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
      v = v * 10 + (uint64_t)(*p - '0');
    ticks += v;
    p = *p == ' ' ? p + 1 : NULL;
  }
  return ticks * (1000000000u / 100); /* USER_HZ */
}

/* Settles a thread the first wait did not see park: parked after all, in
 * the kernel (its user stack pointer from /proc), gone, or lost.
 *
 * The wait adapts to the machine instead of a fixed time: a thread that
 * is runnable but gets no CPU (a busy machine) is waited for as long as
 * it takes, up to WAIT_CAP_MS from the start of the stop; only one that
 * has used CPU_BUDGET_NS of its own CPU time in user space since we first
 * looked, without parking or entering the kernel, is running with the
 * signal blocked and is given up on. A thread that blocks the signal is
 * sent it as soon as it unblocks it (glibc starts threads with every
 * signal blocked). */
static void inspect(world_t *w, slot_t *s, uint64_t cap) {
  int tid = ls_atomic_load_relaxed(&s->tid); /* relaxed: we wrote it */
  uint64_t cpu0 = task_cpu_ns(tid);
  for (;;) {
    /* acquire: pairs with the handler's release of PARKED */
    if (s->signaled && ls_atomic_load_acquire(&s->word) == SLOT_WORD(w->gen, SLOT_PARKED)) {
      s->how = HOW_PARKED;
      return;
    }
    uintptr_t sp = 0;
    switch (ls_reach_task_state(tid, &sp)) {
    case TASK_GONE: s->how = HOW_GONE; return;
    case TASK_IN_KERNEL:
      s->sp = sp;
      s->how = HOW_PROC;
      return;
    case TASK_RUNNING: break;
    }
    if (!s->signaled) {
      send_stop(w, s);
      if (s->how == HOW_GONE)
        return;
    }
    uint64_t cpu = task_cpu_ns(tid);
    if ((cpu > cpu0 && cpu - cpu0 >= CPU_BUDGET_NS) || now_ns() >= cap) {
      s->how = HOW_LOST;
      w->lost++;
      return;
    }
    if (s->signaled) {
      /* acquire: read before the re-check, so a wake in between is seen */
      uint32_t seen = ls_atomic_load_acquire(&stw.parked);
      if (ls_atomic_load_acquire(&s->word) != SLOT_WORD(w->gen, SLOT_PARKED))
        futex_wait(&stw.parked, seen, 2000000);
    } else {
      struct timespec ts = {0, 1000000};
      sys2(SYS_nanosleep, &ts, NULL);
    }
  }
}

int ls_reach_stop_world(world_t *w) {
  int rc = take_signal();
  if (rc)
    return rc;
  uint64_t start = now_ns();
  uint64_t cap = start + WAIT_CAP_MS * 1000000ull;
  w->pid = (int)sys0(SYS_getpid);
  w->self = (int)sys0(SYS_gettid);
  /* relaxed: only this thread writes these (one stop at a time); the
   * handler learns gen from its siginfo and finds slots via nslots */
  w->gen = ls_atomic_add_relaxed(&stw.gen, 1) + 1;
  w->slots = ls_atomic_load_relaxed(&stw.slots);
  w->n = 0;
  /* release: pairs with the handler's acquire; no slot is visible until
   * it is filled for this generation */
  ls_atomic_store_release(&stw.nslots, 0);
  for (int round = 0;; round++) {
    uint32_t before = w->n;
    if ((rc = ls_reach_each_task(add_task, w)) != 0 && round == 0) {
      ls_reach_ksig(stw.sig, &stw.old, NULL); /* nothing signalled yet */
      return rc;
    }
    if (w->n == before || w->overflow)
      break;
    if (round == MAX_ROUNDS) {
      w->overflow = true; /* threads keep appearing */
      break;
    }
    /* Settle this round's threads: one that runs may create more, so the
     * next round looks again once they are all stopped or accounted for.
     * A short common wait first: most park within microseconds. */
    uint64_t quick = now_ns() + QUICK_WAIT_MS * 1000000ull;
    while (!all_parked(w)) {
      uint64_t t = now_ns();
      if (t >= quick)
        break;
      /* acquire: read before the re-check, so a wake in between is seen */
      uint32_t seen = ls_atomic_load_acquire(&stw.parked);
      if (all_parked(w))
        break;
      uint64_t left = quick - t;
      futex_wait(&stw.parked, seen, (long)(left < 5000000 ? left : 5000000));
    }
    for (uint32_t i = before; i < w->n; i++) {
      slot_t *s = &w->slots[i];
      if (s->how == HOW_GONE)
        continue;
      if (s->signaled && ls_atomic_load_acquire(&s->word) == SLOT_WORD(w->gen, SLOT_PARKED))
        s->how = HOW_PARKED;
      else
        inspect(w, s, cap);
    }
  }
  return 0;
}

/* Releases the parked threads and puts the signal's previous action back,
 * unless a signal we sent may still be pending (its thread neither parked
 * nor exited): then our handler stays, and a late delivery finds nothing
 * to do instead of the default action killing the process. */
void ls_reach_resume_world(world_t *w) {
  /* release: our reads of their memory are done; pairs with the
   * handler's acquire */
  ls_atomic_store_release(&stw.released, w->gen);
  futex_wake(&stw.released, INT32_MAX);
  bool pending = false;
  for (uint32_t i = 0; i < w->n; i++) {
    slot_t *s = &w->slots[i];
    if (!s->signaled)
      continue;
    uint64_t word = ls_atomic_load_acquire(&s->word);
    if (word == SLOT_WORD(w->gen, SLOT_SIGNALED) &&
        sys3(SYS_tgkill, w->pid, ls_atomic_load_relaxed(&s->tid), 0) == 0) /* still exists */
      pending = true;
  }
  if (pending)
    stw.sticky = true;
  else
    ls_reach_ksig(stw.sig, &stw.old, NULL);
}

int ls_reach_stop_signal(void) { return stw.sig; }

#endif /* x86-64 Linux */
