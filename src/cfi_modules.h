/* SPDX-License-Identifier: MIT
 * cfi_modules.h: the loaded modules, as the CFI walker's miss path
 * (unwind_cfi.c) needs them: each module's address range and its
 * .eh_frame_hdr.
 *
 * Miss path only. The table is touched only under the miss lock, a
 * try-lock: a capture that finds a miss in progress elsewhere falls back
 * instead of waiting (this runs inside malloc). Memory from mbuf.h.
 */
#ifndef LS_CFI_MODULES_H
#define LS_CFI_MODULES_H

#include "common.h"

/* Takes the miss lock if it is free (or held by the process we were
 * forked from: the table is then started afresh); false if busy. */
bool ls_cfi_modules_lock(void);
void ls_cfi_modules_unlock(void);

/* With the miss lock held: brings the table up to date (dl_iterate_phdr;
 * when a module was unloaded since the last look it also calls
 * ls_cfi_flush, as its rules may be stale) and finds pc's module. True
 * with *eh_hdr its .eh_frame_hdr, or NULL when it has none or no module
 * holds pc; false when the table could not grow to hold every module and
 * none of those it holds has pc (the answer is not known). */
bool ls_cfi_module_of(uintptr_t pc, const uint8_t **eh_hdr);

#endif
