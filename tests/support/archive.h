/* SPDX-License-Identifier: MIT
 * archive.h: keeps a copy of every JSON report the tests read, for the
 * schema check (tests/eco: every report the suite produces must validate
 * against schema/leakscope-report.schema.json).
 */
#ifndef LS_TEST_ARCHIVE_H
#define LS_TEST_ARCHIVE_H

#include <stddef.h>

/* Appends one report line (without its newline) to this process's file in
 * the archive directory: $LS_REPORT_ARCHIVE, else the build tree's
 * (TS_REPORT_ARCHIVE); nothing when the variable is set empty. Lines that
 * are not a leakscope report are not kept, nor one that would take the
 * file past 1 MiB (a sample of each test's reports is enough: the shape
 * is what is checked). Never fails the test. */
void ts_archive_report(const char *line, size_t len);

#endif
