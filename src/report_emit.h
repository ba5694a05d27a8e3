/* SPDX-License-Identifier: MIT
 * report_emit.h: the report pipeline, what triggers call (lifecycle.c at
 * exit, dump_thread.c on the dump signal and timer, api.c): build the model,
 * diff it, symbolize and suppress, format with the configured writer and
 * write it out. The top of the report side's layers (report.h).
 */
#ifndef LS_REPORT_EMIT_H
#define LS_REPORT_EMIT_H

#include "out.h"
#include "report.h"
#include "report_output.h"

/* Builds, filters and formats a report into out (one report at a time:
 * takes the report lock). Returns the number of leak groups, or -1 if out
 * of memory. Any thread but a signal handler. */
int ls_report_render(ls_trigger_t trigger, const ls_filter_t *f, int format, ls_buf_t *out);

/* Builds a report of everything live (the configured minimum age applies
 * to signal and periodic reports), formats it as configured and writes it
 * to the configured output. One report at a time; safe from any thread
 * but a signal handler. Returns the number of leak groups in the report
 * (written or not: when it could not be written anywhere, the reason was
 * said wherever it could be, and the exit status still reflects the
 * leaks), or -1 if it could not be built. */
int ls_report_emit(ls_trigger_t trigger);

#endif
