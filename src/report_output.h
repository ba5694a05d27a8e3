/* SPDX-License-Identifier: MIT
 * report_output.h: where a finished report goes, and the lock that makes
 * reports one at a time.
 *
 * LEAKSCOPE_OUTPUT (with %p expanded), replaced atomically when it is a
 * plain file, else appended in place; otherwise, or when that fails, the
 * stderr the program started with (keptfd.h), whatever the program did to
 * fd 2. Every open is O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK and checked with
 * fstat, so a FIFO, a device or a terminal can never block the program:
 * a write that would block waits at most LS_OUTPUT_WAIT_MS in all, then the
 * rest of the report is given up with a warning.
 */
#ifndef LS_REPORT_OUTPUT_H
#define LS_REPORT_OUTPUT_H

#include "out.h"

#define LS_OUTPUT_WAIT_MS 2000

/* Writes a finished report. Returns 0 when it was written whole somewhere
 * (the configured file or the original stderr), else -errno; the reason
 * has then been said wherever it could be. Under the report lock. */
int ls_report_output(const ls_buf_t *b);

/* ls_write_all for a descriptor that may be non-blocking (every report
 * file is opened O_NONBLOCK): a full pipe or a stopped terminal is waited
 * for with poll, LS_OUTPUT_WAIT_MS at most from the call, then -EAGAIN.
 * Returns 0 or -errno. */
int ls_output_write_bounded(int fd, const void *data, size_t len);

/* Serialises reports; the fork hooks keep the lock consistent. */
void ls_report_lock(void);
void ls_report_unlock(void);

#endif
