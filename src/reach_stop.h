/* SPDX-License-Identifier: MIT
 * reach_stop.h: stopping the other threads for the reachability scan,
 * without ptrace. Each thread gets a real-time signal whose handler
 * publishes its registers and waits on a futex until released; a thread
 * that blocks the signal is inspected through /proc instead. reach_stop.c
 * has the protocol and its limits.
 */
#ifndef LS_REACH_STOP_H
#define LS_REACH_STOP_H

#include "reach_proc.h"

#if defined(__x86_64__) && defined(__linux__)

#include <ucontext.h>

/* How a thread's roots are found. */
enum {
  HOW_PARKED, /* its handler published its registers */
  HOW_PROC,   /* not parked (blocks the signal, or did not answer): its
                 stack pointer from /proc/self/task/TID/syscall */
  HOW_LOST,   /* neither: running in user space with the signal blocked */
  HOW_GONE,   /* exited, or exiting */
};

/* One thread of a stop. */
typedef struct slot {
  _Atomic uint64_t word; /* generation << 3 | state (reach_stop.c) */
  _Atomic int32_t tid;
  uint8_t how; /* HOW_*, final once ls_reach_stop_world returns */
  bool signaled;
  uintptr_t sp, fs, dtv; /* stack pointer, thread pointer, its DTV */
  uintptr_t regs[NGREG]; /* HOW_PARKED: the interrupted registers */
} slot_t;

/* One stop: every thread of the process but the caller. */
typedef struct world {
  int pid, self;
  uint32_t gen;
  slot_t *slots;
  uint32_t n;
  bool overflow; /* more threads than slots, or they kept appearing */
  int lost;      /* threads whose roots are unknown */
} world_t;

/* Makes room for need threads. Only between stops (it maps memory).
 * Returns 0 or -ENOMEM. */
int ls_reach_reserve_slots(uint32_t need);

/* Stops every thread but the caller. Returns 0 or -errno (nothing is
 * stopped then). */
int ls_reach_stop_world(world_t *w);

/* Releases the threads ls_reach_stop_world stopped. */
void ls_reach_resume_world(world_t *w);

/* The real-time signal the last stop used (for messages). */
int ls_reach_stop_signal(void);

#endif /* x86-64 Linux */
#endif
