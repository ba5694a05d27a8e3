/* SPDX-License-Identifier: MIT
 * clock.c: milliseconds since start (see clock.h).
 */
#include "clock.h"

#include <time.h>

static struct timespec start_time;

void ls_clock_start(void) { clock_gettime(CLOCK_MONOTONIC_COARSE, &start_time); }

uint32_t ls_now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return (uint32_t)((now.tv_sec - start_time.tv_sec) * 1000 +
                    (now.tv_nsec - start_time.tv_nsec) / 1000000);
}
