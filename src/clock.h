/* SPDX-License-Identifier: MIT
 * clock.h: the one time base of leakscope: milliseconds since start, from
 * the coarse monotonic clock (vDSO, a few ns, a few ms of resolution).
 * Creation stamps, ages, checkpoints and the table's growth back-off all
 * read it.
 */
#ifndef LS_CLOCK_H
#define LS_CLOCK_H

#include "common.h"

/* Sets the origin. Called once at start-up (ls_track_init); before it,
 * ls_now_ms counts from the clock's own origin, which only shifts early
 * stamps. */
void ls_clock_start(void);

/* Milliseconds since ls_clock_start; monotonic. Hot path: no syscall. */
uint32_t ls_now_ms(void);

#endif
