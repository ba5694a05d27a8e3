/* SPDX-License-Identifier: MIT
 * cfi_decode.c: .eh_frame_hdr, CIE, FDE and CFA program decoding for the
 * CFI walker (see cfi_decode.h).
 */
#include "cfi_decode.h"

#include <dwarf.h>
#include <string.h>

/* --- DWARF encodings (DW_EH_PE_*, DW_CFA_*: elfutils' <dwarf.h>) --- */

/* A bounded reader over one CIE, FDE or header. */
typedef struct rd {
  const uint8_t *p, *end;
  bool bad;
} rd_t;

static uint64_t rd_fixed(rd_t *r, size_t n) {
  if ((size_t)(r->end - r->p) < n) {
    r->bad = true;
    return 0;
  }
  uint64_t v = 0;
  memcpy(&v, r->p, n); /* little-endian */
  r->p += n;
  return v;
}

static uint8_t rd_u8(rd_t *r) { return (uint8_t)rd_fixed(r, 1); }

static uint64_t rd_uleb(rd_t *r) {
  uint64_t v = 0;
  for (unsigned shift = 0; r->p < r->end; shift += 7) {
    uint8_t b = *r->p++;
    if (shift < 64)
      v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  r->bad = true;
  return 0;
}

static int64_t rd_sleb(rd_t *r) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (; r->p < r->end;) {
    uint8_t b = *r->p++;
    if (shift < 64)
      v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
      return (int64_t)v;
    }
  }
  r->bad = true;
  return 0;
}

/* Reads a pointer in encoding enc. pcrel is relative to the field itself,
 * datarel to `data` (the .eh_frame_hdr; 0 where it has no meaning).
 * Indirect pointers are never dereferenced: only personality routines use
 * them, and those are skipped. Returns false for what is not supported. */
static bool rd_ptr(rd_t *r, uint8_t enc, uintptr_t data, uintptr_t *out) {
  if (enc == DW_EH_PE_omit)
    return false;
  uintptr_t field = (uintptr_t)r->p;
  uint64_t v;
  if ((enc & 0x70) == DW_EH_PE_aligned) {
    r->p = (const uint8_t *)(((uintptr_t)r->p + 7) & ~(uintptr_t)7);
    v = rd_fixed(r, 8);
    *out = (uintptr_t)v;
    return !r->bad;
  }
  switch (enc & 0x0f) {
  case DW_EH_PE_absptr: v = rd_fixed(r, 8); break;
  case DW_EH_PE_uleb128: v = rd_uleb(r); break;
  case DW_EH_PE_udata2: v = rd_fixed(r, 2); break;
  case DW_EH_PE_udata4: v = rd_fixed(r, 4); break;
  case DW_EH_PE_udata8: v = rd_fixed(r, 8); break;
  case DW_EH_PE_sleb128: v = (uint64_t)rd_sleb(r); break;
  case DW_EH_PE_sdata2: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
  case DW_EH_PE_sdata4: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
  case DW_EH_PE_sdata8: v = rd_fixed(r, 8); break;
  default: return false;
  }
  switch (enc & 0x70) {
  case 0: break;
  case DW_EH_PE_pcrel: v += field; break;
  case DW_EH_PE_datarel:
    if (!data)
      return false;
    v += data;
    break;
  default: return false; /* textrel, funcrel: not used on x86-64 */
  }
  *out = (uintptr_t)v;
  return !r->bad;
}

/* --- CIE, FDE and the CFA program --- */

typedef struct cie {
  uint64_t code_align;
  int64_t data_align;
  uint64_t ra_reg;
  uint8_t fde_enc;
  bool aug_z, signal;
  const uint8_t *insns, *end;
} cie_t;

/* Opens a CIE or FDE record at p: sets r to its body after the id field,
 * *id to that field's value and *id_at to its address. */
static bool open_record(const uint8_t *p, rd_t *r, uint64_t *id, uintptr_t *id_at) {
  r->p = p;
  r->end = p + 12;
  r->bad = false;
  uint64_t len = rd_fixed(r, 4);
  bool wide = len == 0xffffffffu;
  if (wide)
    len = rd_fixed(r, 8);
  if (r->bad || len == 0 || len > (1u << 30))
    return false;
  r->end = r->p + len;
  *id_at = (uintptr_t)r->p;
  *id = rd_fixed(r, wide ? 8 : 4);
  return !r->bad;
}

static bool parse_cie(const uint8_t *p, cie_t *c) {
  rd_t r;
  uint64_t id;
  uintptr_t id_at;
  if (!open_record(p, &r, &id, &id_at) || id != 0)
    return false;
  uint8_t version = rd_u8(&r);
  if (version != 1 && version != 3 && version != 4)
    return false;
  const char *aug = (const char *)r.p;
  size_t auglen = strnlen(aug, (size_t)(r.end - r.p));
  if (auglen == (size_t)(r.end - r.p))
    return false;
  r.p += auglen + 1;
  if (version == 4 && (rd_u8(&r) != 8 || rd_u8(&r) != 0)) /* address, segment sizes */
    return false;
  c->code_align = rd_uleb(&r);
  c->data_align = rd_sleb(&r);
  c->ra_reg = version == 1 ? rd_u8(&r) : rd_uleb(&r);
  c->fde_enc = DW_EH_PE_absptr;
  c->aug_z = aug[0] == 'z';
  c->signal = false;
  if (c->aug_z) {
    uint64_t n = rd_uleb(&r);
    if (r.bad || n > (uint64_t)(r.end - r.p))
      return false;
    rd_t a = {r.p, r.p + n, false};
    for (const char *s = aug + 1; *s && !a.bad; s++) {
      uintptr_t ignored;
      if (*s == 'R')
        c->fde_enc = rd_u8(&a);
      else if (*s == 'L')
        rd_u8(&a); /* LSDA encoding */
      else if (*s == 'P') {
        if (!rd_ptr(&a, rd_u8(&a), 0, &ignored))
          return false;
      } else if (*s == 'S')
        c->signal = true;
      else if (*s != 'B' && *s != 'G')
        break; /* unknown: the length lets us skip the rest */
    }
    r.p += n;
    if (c->fde_enc & DW_EH_PE_indirect)
      return false;
  } else if (aug[0]) {
    return false; /* "eh" and other pre-z augmentations */
  }
  c->insns = r.p;
  c->end = r.end;
  return !r.bad;
}

/* Register columns the walker tracks; all others are parsed and ignored. */
enum { COL_RBP, COL_RSP, COL_RA, NCOLS };
/* How a column is recovered. UNSAVED: no rule was given (callee-saved
 * registers keep their value; for the return address it means a broken
 * table). OTHER: a rule outside the model. */
enum { HOW_UNSAVED, HOW_UNDEF, HOW_SAME, HOW_OFFSET, HOW_OTHER };

typedef struct row {
  uint64_t cfa_reg;
  int64_t cfa_off;
  bool cfa_expr;
  uint8_t how[NCOLS];
  int64_t off[NCOLS];
} row_t;

static int column(const cie_t *c, uint64_t reg) {
  if (reg == 6)
    return COL_RBP;
  if (reg == 7)
    return COL_RSP;
  if (reg == c->ra_reg)
    return COL_RA;
  return -1;
}

static void set_rule(const cie_t *c, row_t *row, uint64_t reg, uint8_t how, int64_t off) {
  int col = column(c, reg);
  if (col >= 0) {
    row->how[col] = how;
    row->off[col] = off;
  }
}

#define STATE_STACK 8

/* Runs CFA instructions [p, end) from location loc, stopping before the
 * first advance past pc; init is the row after the CIE's instructions
 * (for DW_CFA_restore). Returns false on a malformed or unknown opcode. */
static bool run_cfa(const cie_t *c, const uint8_t *p, const uint8_t *end, uintptr_t loc,
                    uintptr_t pc, const row_t *init, row_t *row) {
  rd_t r = {p, end, false};
  row_t saved[STATE_STACK];
  unsigned nsaved = 0;
  while (r.p < r.end && !r.bad) {
    uint8_t op = rd_u8(&r);
    uint64_t reg, delta = 0;
    uintptr_t target;
    /* the three opcodes whose operand is in their low six bits */
    switch (op & 0xc0) {
    case DW_CFA_advance_loc: delta = (op & 0x3f) * c->code_align; goto advance;
    case DW_CFA_offset:
      set_rule(c, row, op & 0x3f, HOW_OFFSET, (int64_t)rd_uleb(&r) * c->data_align);
      continue;
    case DW_CFA_restore: reg = op & 0x3f; goto restore;
    }
    switch (op) {
    case DW_CFA_nop: break;
    case DW_CFA_set_loc:
      if (!rd_ptr(&r, c->fde_enc, 0, &target))
        return false;
      if (target > pc)
        return true;
      loc = target;
      break;
    case DW_CFA_advance_loc1: delta = rd_fixed(&r, 1) * c->code_align; goto advance;
    case DW_CFA_advance_loc2: delta = rd_fixed(&r, 2) * c->code_align; goto advance;
    case DW_CFA_advance_loc4: delta = rd_fixed(&r, 4) * c->code_align; goto advance;
    case DW_CFA_offset_extended:
      reg = rd_uleb(&r);
      set_rule(c, row, reg, HOW_OFFSET, (int64_t)rd_uleb(&r) * c->data_align);
      break;
    case DW_CFA_restore_extended: reg = rd_uleb(&r); goto restore;
    case DW_CFA_undefined: set_rule(c, row, rd_uleb(&r), HOW_UNDEF, 0); break;
    case DW_CFA_same_value: set_rule(c, row, rd_uleb(&r), HOW_SAME, 0); break;
    case DW_CFA_register:
      reg = rd_uleb(&r);
      rd_uleb(&r);
      set_rule(c, row, reg, HOW_OTHER, 0);
      break;
    case DW_CFA_remember_state:
      if (nsaved == STATE_STACK)
        return false;
      saved[nsaved++] = *row;
      break;
    case DW_CFA_restore_state: /* the CFA is part of the saved row too */
      if (nsaved == 0)
        return false;
      *row = saved[--nsaved];
      break;
    case DW_CFA_def_cfa:
      row->cfa_reg = rd_uleb(&r);
      row->cfa_off = (int64_t)rd_uleb(&r);
      row->cfa_expr = false;
      break;
    case DW_CFA_def_cfa_register:
      row->cfa_reg = rd_uleb(&r);
      row->cfa_expr = false;
      break;
    case DW_CFA_def_cfa_offset: row->cfa_off = (int64_t)rd_uleb(&r); break;
    case DW_CFA_def_cfa_expression:
      row->cfa_expr = true;
      r.p += rd_uleb(&r);
      break;
    case DW_CFA_expression:
    case DW_CFA_val_expression:
      reg = rd_uleb(&r);
      set_rule(c, row, reg, HOW_OTHER, 0);
      r.p += rd_uleb(&r);
      break;
    case DW_CFA_offset_extended_sf:
      reg = rd_uleb(&r);
      set_rule(c, row, reg, HOW_OFFSET, rd_sleb(&r) * c->data_align);
      break;
    case DW_CFA_def_cfa_sf:
      row->cfa_reg = rd_uleb(&r);
      row->cfa_off = rd_sleb(&r) * c->data_align;
      row->cfa_expr = false;
      break;
    case DW_CFA_def_cfa_offset_sf: row->cfa_off = rd_sleb(&r) * c->data_align; break;
    case DW_CFA_val_offset:
      reg = rd_uleb(&r);
      rd_uleb(&r);
      set_rule(c, row, reg, HOW_OTHER, 0);
      break;
    case DW_CFA_val_offset_sf:
      reg = rd_uleb(&r);
      rd_sleb(&r);
      set_rule(c, row, reg, HOW_OTHER, 0);
      break;
    case DW_CFA_GNU_args_size: rd_uleb(&r); break;
    case DW_CFA_GNU_negative_offset_extended:
      reg = rd_uleb(&r);
      set_rule(c, row, reg, HOW_OFFSET, -(int64_t)rd_uleb(&r) * c->data_align);
      break;
    default: return false;
    }
    continue;
  advance:
    if (loc + delta > pc)
      return !r.bad;
    loc += delta;
    continue;
  restore : {
    int col = column(c, reg);
    if (col >= 0) {
      row->how[col] = init->how[col];
      row->off[col] = init->off[col];
    }
  }
  }
  return !r.bad && r.p <= r.end;
}

ls_cfi_rule_t ls_cfi_rule_from_fde(const uint8_t *fde, uintptr_t pc) {
  const ls_cfi_rule_t unknown = {.kind = LS_CFI_UNKNOWN};
  rd_t r;
  uint64_t id;
  uintptr_t id_at;
  cie_t c;
  if (!open_record(fde, &r, &id, &id_at) || id == 0 ||
      !parse_cie((const uint8_t *)(id_at - id), &c))
    return unknown;
  uintptr_t start, range;
  if (!rd_ptr(&r, c.fde_enc, 0, &start) || !rd_ptr(&r, c.fde_enc & 0x0f, 0, &range))
    return unknown;
  if (pc < start || pc - start >= range)
    return LS_CFI_NO_INFO; /* a gap between FDEs */
  if (c.aug_z)
    r.p += rd_uleb(&r);
  if (r.bad || r.p > r.end || c.signal || c.ra_reg != 16)
    return unknown;

  row_t row = {.cfa_reg = 7, .cfa_off = 8};
  if (!run_cfa(&c, c.insns, c.end, 0, UINTPTR_MAX, &row, &row))
    return unknown;
  row_t init = row;
  if (!run_cfa(&c, r.p, r.end, start, pc, &init, &row))
    return unknown;

  if (row.how[COL_RA] == HOW_UNDEF)
    return (ls_cfi_rule_t){.kind = LS_CFI_END};
  if (row.cfa_expr || (row.cfa_reg != 6 && row.cfa_reg != 7) || row.cfa_off <= 0 ||
      row.cfa_off > INT32_MAX)
    return unknown;
  if (row.how[COL_RA] != HOW_OFFSET || row.off[COL_RA] != -8 || row.how[COL_RSP] != HOW_UNSAVED)
    return unknown;
  ls_cfi_rule_t out = {
      .kind = LS_CFI_FRAME, .cfa_rbp = row.cfa_reg == 6, .cfa_off = (uint32_t)row.cfa_off};
  if (row.how[COL_RBP] == HOW_OFFSET) {
    if (row.off[COL_RBP] >= 0 || row.off[COL_RBP] < -(int64_t)(1 << 20))
      return unknown;
    out.rbp_slot = (uint32_t)-row.off[COL_RBP];
  } else if (row.how[COL_RBP] != HOW_UNSAVED && row.how[COL_RBP] != HOW_SAME) {
    return unknown;
  }
  return out;
}

const uint8_t *ls_cfi_find_fde(const uint8_t *hdr, uintptr_t pc) {
  rd_t r = {hdr, hdr + 12 + 8, false};
  uint8_t version = rd_u8(&r), frame_enc = rd_u8(&r), count_enc = rd_u8(&r), table_enc = rd_u8(&r);
  uintptr_t frame, count;
  if (version != 1 || !rd_ptr(&r, frame_enc, (uintptr_t)hdr, &frame) ||
      !rd_ptr(&r, count_enc, (uintptr_t)hdr, &count) ||
      table_enc != (DW_EH_PE_datarel | DW_EH_PE_sdata4) || count == 0)
    return NULL; /* no table: linear .eh_frame scans are not worth it here */
  const int32_t *table = (const int32_t *)(const void *)r.p;
  intptr_t rel = (intptr_t)(pc - (uintptr_t)hdr);
  size_t lo = 0, hi = count;
  while (hi - lo > 1) { /* last entry with start <= pc */
    size_t mid = lo + (hi - lo) / 2;
    if (table[2 * mid] <= rel)
      lo = mid;
    else
      hi = mid;
  }
  if (table[2 * lo] > rel)
    return NULL;
  return hdr + table[2 * lo + 1];
}
