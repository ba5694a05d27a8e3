/* SPDX-License-Identifier: MIT
 * baseline.h: LEAKSCOPE_BASELINE, a JSON report of known leaks. Groups
 * whose fingerprint (fingerprint.h) is in it are marked "in the baseline"
 * and the exit status (LEAKSCOPE_EXITCODE) does not count them, so CI fails
 * on new leaks only.
 *
 * The file is read once at start-up (like the suppression files): its
 * last complete report line, every "fingerprint" member of it. The
 * fingerprints live in leakscope's own mapping for the process's life;
 * looking one up never allocates and takes no lock.
 */
#ifndef LS_BASELINE_H
#define LS_BASELINE_H

#include "common.h"

/* Reads the baseline report at path (NULL or "": none). A file that
 * cannot be read, holds no report, or holds one without fingerprints
 * (written before they existed) gets one warning, and then every group
 * counts. Returns the number of fingerprints loaded. */
size_t ls_baseline_load(const char *path);

/* Whether a baseline was loaded (even an empty one: a clean report). */
bool ls_baseline_active(void);

/* Whether fingerprint fp is in the baseline. */
bool ls_baseline_has(uint64_t fp);

#endif
