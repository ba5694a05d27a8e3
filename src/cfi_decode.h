/* SPDX-License-Identifier: MIT
 * cfi_decode.h: the DWARF call-frame information decoder of the CFI
 * walker (unwind_cfi.h): finds a pc's FDE through a module's
 * .eh_frame_hdr, decodes its CIE and FDE and runs the CFA program up to
 * the pc, giving the row as a rule the walker models, or LS_CFI_UNKNOWN.
 *
 * Miss path only (the walker caches rules by pc). Reads only the loaded
 * module's own tables, bounds-checked record by record; no allocation,
 * no lock, no system call. Names from elfutils' <dwarf.h>.
 */
#ifndef LS_CFI_DECODE_H
#define LS_CFI_DECODE_H

#include "common.h"

/* A rule's kind; LS_CFI_EMPTY is never a rule (an empty cache word). */
enum { LS_CFI_EMPTY, LS_CFI_FRAME, LS_CFI_END, LS_CFI_UNKNOWN };

/* One row of the CFA table, reduced to what the walker models: CFA =
 * (rbp or rsp) + cfa_off; the return address at CFA-8; the caller's rbp
 * at CFA-rbp_slot, or unchanged when rbp_slot is 0. END: the return
 * address is undefined (outermost frame). UNKNOWN with cfa_rbp set: the
 * pc has no unwind information at all (see unwind_cfi.c's walk). */
typedef struct ls_cfi_rule {
  uint32_t kind;
  uint32_t cfa_rbp;
  uint32_t cfa_off;
  uint32_t rbp_slot;
} ls_cfi_rule_t;

#define LS_CFI_NO_INFO ((ls_cfi_rule_t){.kind = LS_CFI_UNKNOWN, .cfa_rbp = 1})

/* The FDE for pc through the binary-search table of the .eh_frame_hdr at
 * hdr, or NULL (no table, an unsupported encoding, or pc in no FDE). */
const uint8_t *ls_cfi_find_fde(const uint8_t *hdr, uintptr_t pc);

/* The rule at pc for the FDE at fde, whose CIE pointer is checked here:
 * LS_CFI_UNKNOWN for what the walker does not model (signal frames,
 * DWARF expressions, registers other than rsp and rbp as the CFA). */
ls_cfi_rule_t ls_cfi_rule_from_fde(const uint8_t *fde, uintptr_t pc);

#endif
