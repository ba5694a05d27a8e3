/* SPDX-License-Identifier: MIT
 * unwind_cfi.c: x86-64 stack walking from .eh_frame CFI with a per-PC rule
 * cache (see unwind_cfi.h).
 *
 * Hot path: probe a 2-way set-associative cache of 64-bit words, each word
 * a whole entry (tag, epoch, rule), so entries are read and replaced with
 * single relaxed atomics and never tear. Miss path: under a try-lock, find
 * the module (a table rebuilt from dl_iterate_phdr when dlpi_adds/subs
 * move), binary-search its .eh_frame_hdr, decode the CIE and FDE, run the
 * CFA program up to the PC, and publish the row as a cache word.
 * Never: malloc, blocking locks, reads outside the current thread's stack
 * (bounds checked with mincore once per thread), guesses on rules outside
 * the model (those answer "unknown", and the caller uses libunwind).
 */
#include "unwind_cfi.h"

#include <dwarf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"

/* Exported by ld.so: the initial stack pointer of the process, above all
 * of the main thread's frames. */
extern void *__libc_stack_end;

/* The walker reads other frames' stack slots on purpose. */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define LS_NO_ASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef LS_NO_ASAN
#define LS_NO_ASAN
#endif

/* --- Rules and the cache word --- */

enum { KIND_EMPTY, KIND_FRAME, KIND_END, KIND_UNKNOWN };

/* One row of the CFA table, reduced to what the walker models: CFA =
 * (rbp or rsp) + cfa_off; the return address at CFA-8; the caller's rbp
 * at CFA-rbp_slot, or unchanged when rbp_slot is 0. END: the return
 * address is undefined (outermost frame). UNKNOWN with cfa_rbp set: the
 * pc has no unwind information at all (see walk). */
typedef struct rule {
  uint32_t kind;
  uint32_t cfa_rbp;
  uint32_t cfa_off;
  uint32_t rbp_slot;
} rule_t;

#define NO_INFO ((rule_t){.kind = KIND_UNKNOWN, .cfa_rbp = 1})

/* Word layout: kind 0-1 | cfa_rbp 2 | cfa_off/8 3-17 | rbp_slot/8 18-24 |
 * epoch 25-31 | tag 32-63. The tag is pc >> SET_BITS and the set index
 * is the low bits xor the tag's low bits, so (set, tag) names one pc.
 * A tag fits 32 bits for pcs below 2^47 (the x86-64 user half without
 * 5-level paging); higher pcs are not cached. An all-zero word is empty. */
#define SET_BITS 15
#define NSETS (1u << SET_BITS)
#define CACHE_BYTES (NSETS * 2 * sizeof(uint64_t))
#define EPOCH_SHIFT 25
#define EPOCH_MASK 0x7fu
#define KEY_MASK (~(uint64_t)0 << EPOCH_SHIFT) /* tag + epoch */
#define PC_LIMIT ((uintptr_t)1 << 47)

static _Atomic(_Atomic uint64_t *) cache; /* NSETS pairs, from ls_map */
static _Atomic uint32_t epoch;

static inline uint32_t set_of(uintptr_t pc) {
  return (uint32_t)((pc ^ (pc >> SET_BITS)) & (NSETS - 1));
}

static inline uint64_t key_of(uintptr_t pc, uint32_t ep) {
  return ((uint64_t)(pc >> SET_BITS) << 32) | ((uint64_t)(ep & EPOCH_MASK) << EPOCH_SHIFT);
}

/* The word for rule r, or 0 if r does not fit the layout. */
static uint64_t pack(const rule_t *r, uintptr_t pc, uint32_t ep) {
  if (pc >= PC_LIMIT || pc >> SET_BITS == 0)
    return 0;
  if (r->kind == KIND_FRAME &&
      (r->cfa_off == 0 || r->cfa_off % 8 || r->cfa_off / 8 > 0x7fff || r->rbp_slot % 8 ||
       r->rbp_slot / 8 > 0x7f))
    return 0;
  uint64_t w = r->kind | (uint64_t)r->cfa_rbp << 2;
  if (r->kind == KIND_FRAME)
    w |= (uint64_t)(r->cfa_off / 8) << 3 | (uint64_t)(r->rbp_slot / 8) << 18;
  return w | key_of(pc, ep);
}

static inline rule_t unpack(uint64_t w) {
  return (rule_t){.kind = (uint32_t)(w & 3),
                  .cfa_rbp = (uint32_t)(w >> 2) & 1,
                  .cfa_off = ((uint32_t)(w >> 3) & 0x7fff) * 8,
                  .rbp_slot = ((uint32_t)(w >> 18) & 0x7f) * 8};
}

/* The cached word for pc in the current epoch, or 0. */
static inline uint64_t cache_probe(_Atomic uint64_t *c, uintptr_t pc, uint64_t key) {
  _Atomic uint64_t *set = c + 2 * (size_t)set_of(pc);
  /* relaxed: a word is a complete entry; nothing else is published with it */
  uint64_t w = ls_atomic_load_relaxed(&set[0]);
  if ((w & KEY_MASK) == key && (w & 3))
    return w;
  w = ls_atomic_load_relaxed(&set[1]);
  if ((w & KEY_MASK) == key && (w & 3))
    return w;
  return 0;
}

/* Puts w first in its set, moving the previous first entry to the second
 * way. Racing inserts may lose an entry; that only costs a later miss. */
static void cache_insert(_Atomic uint64_t *c, uintptr_t pc, uint64_t w) {
  _Atomic uint64_t *set = c + 2 * (size_t)set_of(pc);
  /* relaxed: see cache_probe */
  uint64_t old = ls_atomic_load_relaxed(&set[0]);
  if (old && (old & KEY_MASK) != (w & KEY_MASK))
    ls_atomic_store_relaxed(&set[1], old);
  ls_atomic_store_relaxed(&set[0], w);
}

void ls_cfi_flush(void) {
  /* acq_rel: orders the bump before the clearing stores below; a capture
   * that still reads the old epoch can use an old rule once, which is the
   * documented window */
  uint32_t ep = ls_atomic_add_acq_rel(&epoch, 1) + 1;
  _Atomic uint64_t *c = ls_atomic_load_acquire(&cache);
  if (!c)
    return;
  /* Clearing keeps an epoch that wrapped around from reviving entries
   * written 128 flushes ago. Words written concurrently with an older
   * epoch never match again. */
  for (size_t i = 0; i < 2 * (size_t)NSETS; i++) {
    /* relaxed: see cache_probe */
    uint64_t w = ls_atomic_load_relaxed(&c[i]);
    if (w && ((w >> EPOCH_SHIFT) & EPOCH_MASK) != (ep & EPOCH_MASK))
      ls_atomic_store_relaxed(&c[i], 0);
  }
}

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
    case DW_CFA_advance_loc:
      delta = (op & 0x3f) * c->code_align;
      goto advance;
    case DW_CFA_offset:
      set_rule(c, row, op & 0x3f, HOW_OFFSET, (int64_t)rd_uleb(&r) * c->data_align);
      continue;
    case DW_CFA_restore:
      reg = op & 0x3f;
      goto restore;
    }
    switch (op) {
    case DW_CFA_nop:
      break;
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
    case DW_CFA_restore_extended:
      reg = rd_uleb(&r);
      goto restore;
    case DW_CFA_undefined:
      set_rule(c, row, rd_uleb(&r), HOW_UNDEF, 0);
      break;
    case DW_CFA_same_value:
      set_rule(c, row, rd_uleb(&r), HOW_SAME, 0);
      break;
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
    case DW_CFA_def_cfa_offset:
      row->cfa_off = (int64_t)rd_uleb(&r);
      break;
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
    case DW_CFA_def_cfa_offset_sf:
      row->cfa_off = rd_sleb(&r) * c->data_align;
      break;
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
    case DW_CFA_GNU_args_size:
      rd_uleb(&r);
      break;
    case DW_CFA_GNU_negative_offset_extended:
      reg = rd_uleb(&r);
      set_rule(c, row, reg, HOW_OFFSET, -(int64_t)rd_uleb(&r) * c->data_align);
      break;
    default:
      return false;
    }
    continue;
  advance:
    if (loc + delta > pc)
      return !r.bad;
    loc += delta;
    continue;
  restore: {
    int col = column(c, reg);
    if (col >= 0) {
      row->how[col] = init->how[col];
      row->off[col] = init->off[col];
    }
  }
  }
  return !r.bad && r.p <= r.end;
}

/* The rule at pc for the FDE at fde, whose CIE pointer is checked here. */
static rule_t rule_from_fde(const uint8_t *fde, uintptr_t pc) {
  const rule_t unknown = {.kind = KIND_UNKNOWN};
  rd_t r;
  uint64_t id;
  uintptr_t id_at;
  cie_t c;
  if (!open_record(fde, &r, &id, &id_at) || id == 0 || !parse_cie((const uint8_t *)(id_at - id), &c))
    return unknown;
  uintptr_t start, range;
  if (!rd_ptr(&r, c.fde_enc, 0, &start) || !rd_ptr(&r, c.fde_enc & 0x0f, 0, &range))
    return unknown;
  if (pc < start || pc - start >= range)
    return NO_INFO; /* a gap between FDEs */
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
    return (rule_t){.kind = KIND_END};
  if (row.cfa_expr || (row.cfa_reg != 6 && row.cfa_reg != 7) || row.cfa_off <= 0 ||
      row.cfa_off > INT32_MAX)
    return unknown;
  if (row.how[COL_RA] != HOW_OFFSET || row.off[COL_RA] != -8 || row.how[COL_RSP] != HOW_UNSAVED)
    return unknown;
  rule_t out = {.kind = KIND_FRAME, .cfa_rbp = row.cfa_reg == 6, .cfa_off = (uint32_t)row.cfa_off};
  if (row.how[COL_RBP] == HOW_OFFSET) {
    if (row.off[COL_RBP] >= 0 || row.off[COL_RBP] < -(int64_t)(1 << 20))
      return unknown;
    out.rbp_slot = (uint32_t)-row.off[COL_RBP];
  } else if (row.how[COL_RBP] != HOW_UNSAVED && row.how[COL_RBP] != HOW_SAME) {
    return unknown;
  }
  return out;
}

/* Finds the FDE for pc through the binary-search table of .eh_frame_hdr. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t pc) {
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

/* --- Modules (miss path only, under miss_lock) --- */

typedef struct module {
  uintptr_t lo, hi;
  const uint8_t *eh_hdr; /* PT_GNU_EH_FRAME, or NULL */
} module_t;

static _Atomic int miss_owner; /* pid holding the miss lock, 0: free */
static module_t *mods;
static size_t nmods, mods_cap;
static unsigned long long seen_adds, seen_subs;
static bool mods_valid;

/* A try-lock: a capture that finds a miss in progress elsewhere falls
 * back instead of waiting (this runs inside malloc). The owner is a pid
 * so a child forked while a parent's thread held it can take it over. */
static bool miss_lock(void) {
  int me = (int)getpid();
  int cur = 0;
  /* acq_rel: pairs with the release in miss_unlock; the module table and
   * statics above are only touched while holding it */
  if (ls_atomic_cas_acq_rel(&miss_owner, &cur, me))
    return true;
  if (cur == me || !ls_atomic_cas_acq_rel(&miss_owner, &cur, me))
    return false;
  /* The parent's holder may have been mid-update: start a new table (the
   * old mapping, if any, is left behind). */
  mods = NULL;
  nmods = mods_cap = 0;
  mods_valid = false;
  return true;
}

static void miss_unlock(void) {
  /* release: pairs with the acquire in miss_lock */
  ls_atomic_store_release(&miss_owner, 0);
}

static bool mods_push(const module_t *m) {
  if (nmods == mods_cap) {
    size_t cap = mods_cap ? 2 * mods_cap : 256;
    module_t *n = ls_map(cap * sizeof *n);
    if (!n)
      return false;
    if (mods) {
      memcpy(n, mods, nmods * sizeof *n);
      ls_unmap(mods, mods_cap * sizeof *mods);
    }
    mods = n;
    mods_cap = cap;
  }
  mods[nmods++] = *m;
  return true;
}

typedef struct scan {
  bool first; /* the next callback is the first of this dl_iterate_phdr */
  bool full;  /* the table could not grow: some modules are missing */
} scan_t;

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg) {
  scan_t *s = arg;
  if (s->first) {
    s->first = false;
    bool counted = size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs;
    if (counted && mods_valid && info->dlpi_adds == seen_adds && info->dlpi_subs == seen_subs)
      return 1; /* nothing loaded or unloaded since the last scan */
    if (counted && mods_valid && info->dlpi_subs != seen_subs)
      ls_cfi_flush(); /* something was unloaded: its rules may be stale */
    seen_adds = counted ? info->dlpi_adds : 0;
    seen_subs = counted ? info->dlpi_subs : 0;
    mods_valid = counted;
    nmods = 0;
  }
  module_t m = {UINTPTR_MAX, 0, NULL};
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t at = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD) {
      if (at < m.lo)
        m.lo = at;
      if (at + ph->p_memsz > m.hi)
        m.hi = at + ph->p_memsz;
    } else if (ph->p_type == PT_GNU_EH_FRAME) {
      m.eh_hdr = (const uint8_t *)at;
    }
  }
  if (m.lo < m.hi && !mods_push(&m)) {
    s->full = true;
    mods_valid = false; /* incomplete: scan again next time */
  }
  return 0;
}

/* The rule for pc (already pc-1 for return addresses), from the tables.
 * Publishes it to the cache unless the answer is transient (lock busy,
 * out of memory), in which case it is KIND_UNKNOWN for this capture only. */
static LS_NOINLINE rule_t slow_rule(_Atomic uint64_t *c, uintptr_t pc, uint32_t ep) {
  rule_t rule = {.kind = KIND_UNKNOWN};
  bool transient = true;
  if (!miss_lock())
    return rule;
  LS_KEEP_ERRNO();
  scan_t s = {.first = true};
  dl_iterate_phdr(scan_module, &s);
  const module_t *m = NULL;
  for (size_t i = 0; i < nmods && !m; i++)
    if (pc >= mods[i].lo && pc < mods[i].hi)
      m = &mods[i];
  if (m || !s.full) {
    transient = false;
    const uint8_t *fde = m && m->eh_hdr ? find_fde(m->eh_hdr, pc) : NULL;
    rule = fde ? rule_from_fde(fde, pc) : NO_INFO;
  }
  miss_unlock();
  if (!transient) {
    uint64_t w = pack(&rule, pc, ep);
    if (!w && rule.kind != KIND_UNKNOWN) { /* cannot be cached: let libunwind have it */
      rule = (rule_t){.kind = KIND_UNKNOWN};
      w = pack(&rule, pc, ep);
    }
    if (w)
      cache_insert(c, pc, w);
  }
  return rule;
}

static _Atomic uint64_t *cache_get(void) {
  /* acquire: pairs with the release CAS below (the mapping is zero-filled,
   * so there is nothing else to publish, but keep the pairing explicit) */
  _Atomic uint64_t *c = ls_atomic_load_acquire(&cache);
  if (ls_likely(c != NULL))
    return c;
  _Atomic uint64_t *fresh = ls_map(CACHE_BYTES);
  if (!fresh)
    return NULL;
  if (!ls_atomic_cas_acq_rel(&cache, &c, fresh)) {
    ls_unmap((void *)fresh, CACHE_BYTES);
    return c;
  }
  return fresh;
}

/* --- Per-thread memo of recent stacks --- */

/* A walk is a pure function of its starting pc/sp/fp, the rules (fixed
 * within an epoch) and the stack words it reads: each frame's return
 * address slot, and its saved-rbp slot when a later frame uses rbp. So a
 * thread keeps its last few walks, and a capture that starts from the same
 * sp and fp needs only to check that those words still hold the same
 * values (independent loads, no rule lookups) to reuse the result. A walk
 * that reaches a frame of the most recent stack (same pc, sp and, if it
 * matters, fp) checks the rest of that stack the same way and splices it.
 * Every address checked was inside this thread's stack when recorded, and
 * the thread matches from the same sp, so these reads are safe too.
 * Ways are grouped in sets chosen by the starting pc and sp: a program
 * that allocates from many places in turn (an interpreter, a compiler)
 * keeps its hot stacks, and a lookup still tries only MEMO_ASSOC ways
 * (python3's misses: 4 ways in all, 720,000; 16 ways, 39,000). */
#define MEMO_SETS 4
#define MEMO_ASSOC 4 /* ways per set: stacks with the same start (one call
                        site, the same depth) share a set */
#define MEMO_WAYS (MEMO_SETS * MEMO_ASSOC)
#define MEMO_DEPTH 48 /* frames a way holds; deeper walks are not kept */
#define MEMO_CHECKS (2 * MEMO_DEPTH)

/* The set of a walk that starts at pc with stack pointer sp. */
static inline uint32_t memo_set(uintptr_t pc, uintptr_t sp) {
  return (uint32_t)(((pc ^ sp << 16) * 0x9E3779B97F4A7C15ull) >> 62);
}
LS_STATIC_ASSERT(MEMO_SETS == 4, "memo_set takes 2 bits");

typedef struct memo_check {
  uintptr_t addr, val; /* a stack word the walk read, and its value */
} memo_check_t;

typedef struct memo_way {
  uint32_t k;     /* frames walked (each read one return address); 0: empty */
  uint32_t n;     /* frames output: k, or k-1 when the last read ended it */
  uint32_t max;   /* the max it was walked with */
  uint32_t epoch; /* cache epoch of the rules it used */
  uint32_t nchk;  /* checks in chk */
  uint32_t hot;   /* the check that failed last: tried first */
  bool natural;   /* ended by the stack's end, not by max */
  uint32_t tag;   /* the caller's name for this stack, 0: none yet (see
                     ls_cfi_backtrace); reset by every new walk */
  uintptr_t pc0;  /* the pc the walk started at */
  uint64_t needfp;                  /* bit i (0..k): frame i's walk uses its fp */
  uintptr_t sp[MEMO_DEPTH + 1];     /* state entering frame i */
  uintptr_t fp[MEMO_DEPTH + 1];
  uintptr_t ra[MEMO_DEPTH];         /* the return address frame i read */
  uint16_t rbp_slot[MEMO_DEPTH];    /* frame i reloads fp from sp[i+1]-this */
  uint8_t chk_from[MEMO_DEPTH + 1]; /* frame i's first check */
  memo_check_t chk[MEMO_CHECKS];    /* frame by frame: return address, fp */
} memo_way_t;

typedef struct memo {
  uint32_t mru;                /* the last way used: walks splice from it */
  uint8_t hint[MEMO_SETS];     /* per set: the way (in the set) to try first */
  uint8_t next[MEMO_SETS];     /* per set: the way (in the set) to overwrite */
  uint32_t busy;      /* a capture on this thread is using it */
  struct memo_way *got; /* the way holding the current capture's stack, if any */
  struct memo *next_free;
  memo_way_t way[MEMO_WAYS];
} memo_t;

/* Copies n frames with 8-byte moves: the caller reads them back at once,
 * and a wide memcpy store would stall that load (no store forwarding). */
static inline void copy_frames(uintptr_t *dst, const uintptr_t *src, uint32_t n) {
  for (const uintptr_t *end = src + n; src < end;) {
    *dst++ = *src++;
    __asm__("" : "+r"(dst)); /* keeps the compiler from calling memcpy */
  }
}

/* Returns true if the words that frames c..k-1 of w read still hold the
 * same values; else false, with w->hot set to the check that failed. The
 * check that failed last time goes first (ways often differ in one frame);
 * the rest are compared without branches so the loads overlap. Inlined:
 * it runs two or three times a capture. */
static LS_NO_ASAN LS_ALWAYS_INLINE bool memo_verify(memo_way_t *w, uint32_t c) {
  uint32_t from = w->chk_from[c], hot = w->hot;
  if (hot > from && hot < w->nchk &&
      *(const uintptr_t *)w->chk[hot].addr != w->chk[hot].val)
    return false;
  uintptr_t diff = 0;
  for (uint32_t j = from; j < w->nchk; j++)
    diff |= *(const uintptr_t *)w->chk[j].addr ^ w->chk[j].val;
  if (ls_likely(diff == 0))
    return true;
  for (uint32_t j = from; j < w->nchk; j++)
    if (*(const uintptr_t *)w->chk[j].addr != w->chk[j].val) {
      w->hot = j;
      break;
    }
  return false;
}

/* The first frame whose checks all come after check j. */
static uint32_t frame_after_check(const memo_way_t *w, uint32_t j) {
  uint32_t i = 0;
  while (i < w->k && w->chk_from[i] <= j)
    i++;
  return i;
}

static inline bool fp_matches(const memo_way_t *w, uint32_t i, uintptr_t fp) {
  return !(w->needfp >> i & 1) || w->fp[i] == fp;
}

/* Ways are recycled through a free list when their thread exits: pushes
 * are lock-free, pops take a try-lock (one popper at a time rules out
 * ABA); a busy lock just means a fresh allocation. */
static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static bool memo_key_ok;
static _Atomic(memo_t *) memo_free;
static _Atomic int memo_pop_lock;

static void memo_push(memo_t *m) {
  /* relaxed load, release CAS: publishes m->next_free to the popper's
   * acquire */
  memo_t *head = ls_atomic_load_relaxed(&memo_free);
  do
    m->next_free = head;
  while (!ls_atomic_cas_weak_release(&memo_free, &head, m));
}

static void memo_release(void *p);
static void memo_key_create(void) { memo_key_ok = pthread_key_create(&memo_key, memo_release) == 0; }

static memo_t *memo_get(void) {
  pthread_once(&memo_once, memo_key_create);
  if (!memo_key_ok)
    return NULL;
  memo_t *m = NULL;
  int unlocked = 0;
  /* acq_rel: the pop lock; pairs with the release store below */
  if (ls_atomic_cas_acq_rel(&memo_pop_lock, &unlocked, 1)) {
    /* acquire: pairs with memo_push's release CAS */
    m = ls_atomic_load_acquire(&memo_free);
    while (m && !ls_atomic_cas_weak_acquire(&memo_free, &m, m->next_free))
      ;
    ls_atomic_store_release(&memo_pop_lock, 0);
  }
  if (!m)
    m = ls_arena_alloc(sizeof *m, LS_CACHE_LINE);
  if (!m)
    return NULL;
  m->mru = m->busy = 0;
  memset(m->hint, 0, sizeof m->hint);
  memset(m->next, 0, sizeof m->next);
  for (int i = 0; i < MEMO_WAYS; i++)
    m->way[i].k = 0;
  if (pthread_setspecific(memo_key, m) != 0) {
    memo_push(m);
    return NULL;
  }
  return m;
}

/* --- This thread's stack --- */

/* [lo, hi): memory known to be mapped and to be this thread's stack.
 * state 0: not set up yet (tries: failed attempts); 1: usable; 2:
 * unusable (fall back always). */
static __thread struct {
  uintptr_t lo, hi;
  int state, tries;
  memo_t *memo;
} stk __attribute__((tls_model("initial-exec")));

/* Thread exit (a pthread key destructor): the memo goes to the next
 * thread; captures later in this thread's exit just walk. */
static void memo_release(void *p) {
  if (stk.memo == p)
    stk.memo = NULL;
  memo_push(p);
}

#define MAX_STACK ((uintptr_t)8 << 20) /* glibc's default thread stack size */
#define PAGE ((uintptr_t)4096)

/* True if every page of [lo, hi) is mapped (mincore fails with ENOMEM on
 * a hole). */
static bool all_mapped(uintptr_t lo, uintptr_t hi) {
  unsigned char vec[256];
  LS_KEEP_ERRNO(); /* mincore's ENOMEM answers a question, it is no error */
  bool ok = true;
  for (lo &= ~(PAGE - 1); ok && lo < hi; lo += sizeof vec * PAGE) {
    size_t len = hi - lo < sizeof vec * PAGE ? hi - lo : sizeof vec * PAGE;
    ok = mincore((void *)lo, len, vec) == 0;
  }
  return ok;
}

/* Finds the top of this thread's stack: glibc puts a thread's descriptor
 * (the thread pointer) and static TLS at the top of its stack block; the
 * main thread's frames all lie below __libc_stack_end. mincore confirms
 * that everything between sp and that top is mapped. A stack that is
 * neither (sigaltstack, most coroutines) is refused rather than trusted,
 * and so is a walk deeper than MAX_STACK, which also keeps a coroutine
 * stack mapped just below a default-sized thread stack out. */
static LS_NOINLINE bool stack_setup(uintptr_t sp) {
  uintptr_t tp, end = (uintptr_t)__libc_stack_end, hi = 0;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  if (sp < tp && tp - sp <= MAX_STACK)
    hi = tp;
  else if (sp < end && end - sp <= MAX_STACK)
    hi = (end + PAGE - 1) & ~(PAGE - 1);
  if (stk.state == 0) {
    if (hi && all_mapped(sp, hi)) {
      stk.lo = sp & ~(PAGE - 1);
      stk.hi = hi;
      stk.state = 1;
      LS_KEEP_ERRNO();
      stk.memo = memo_get();
      return true;
    }
    if (++stk.tries == 8)
      stk.state = 2; /* not a stack we understand: always fall back */
    return false;
  }
  /* Deeper than ever before on this thread: extend if contiguous. */
  if (stk.state == 1 && sp < stk.lo && hi == stk.hi && all_mapped(sp, stk.lo)) {
    stk.lo = sp & ~(PAGE - 1);
    return true;
  }
  return false;
}

/* --- The walk --- */

/* Publishes way w, a walk of k frames of which n are output. Frames from
 * `walked` up to k were spliced from another way and their fp-use bits are
 * already in `need` (bit k: the last frame's end test used fp); the walked
 * ones below are derived from the top down: a frame uses its incoming fp
 * if its CFA is rbp-based, or if it leaves rbp alone and the frame above
 * uses it. k is set last. */
static void memo_finish(memo_t *m, memo_way_t *w, uint32_t k, uint32_t n, bool natural,
                        uint32_t walked, uint64_t cfa_rbp, uint64_t need, uint32_t max,
                        uint32_t ep) {
  bool above = need >> walked & 1;
  for (uint32_t i = walked; i-- > 0;) {
    above = (cfa_rbp >> i & 1) || (!w->rbp_slot[i] && above);
    need |= (uint64_t)above << i;
  }
  w->needfp = need;
  uint32_t j = 0;
  for (uint32_t i = 0; i < k; i++) {
    w->chk_from[i] = (uint8_t)j;
    w->chk[j++] = (memo_check_t){w->sp[i + 1] - 8, w->ra[i]};
    /* a saved rbp matters only if a frame above uses it */
    if (w->rbp_slot[i] && (need >> (i + 1) & 1))
      w->chk[j++] = (memo_check_t){w->sp[i + 1] - w->rbp_slot[i], w->fp[i + 1]};
  }
  w->chk_from[k] = (uint8_t)j;
  w->nchk = j;
  w->hot = 0;
  w->n = n;
  w->natural = natural;
  w->max = max;
  w->epoch = ep;
  w->tag = 0;
  w->k = k;
  m->mru = (uint32_t)(w - m->way);
  m->hint[m->mru / MEMO_ASSOC] = (uint8_t)(m->mru % MEMO_ASSOC);
  m->got = w;
}

/* Copies t frames of ref from rc on (and the state after them) to w from
 * frame i on: a splice. */
static void memo_splice(memo_way_t *w, uint32_t i, const memo_way_t *ref, uint32_t rc,
                        uint32_t t) {
  memcpy(&w->sp[i], &ref->sp[rc], (t + 1) * sizeof w->sp[0]);
  memcpy(&w->fp[i], &ref->fp[rc], (t + 1) * sizeof w->fp[0]);
  memcpy(&w->ra[i], &ref->ra[rc], t * sizeof w->ra[0]);
  memcpy(&w->rbp_slot[i], &ref->rbp_slot[rc], t * sizeof w->rbp_slot[0]);
}

/* ep: the full epoch (memo ways); the cache keeps its low bits. */
static LS_NO_ASAN uint32_t walk(uintptr_t *frames, uint32_t max, uintptr_t at, uintptr_t sp, uintptr_t fp,
                     _Atomic uint64_t *c, uint32_t ep, memo_t *m) {
  const uintptr_t hi = stk.hi;
  memo_way_t *rec = NULL, *ref = NULL;
  uint32_t rc = 1, ref_ok_from = 1; /* ref: next frame to compare; frames below ok_from differ */
  uint64_t cfa_rbp = 0;
  if (m) {
    ref = &m->way[m->mru];
    if (!ref->k || ref->epoch != ep || ref->max != max)
      ref = NULL;
    uint32_t s = memo_set(at, sp), v = m->next[s];
    if (&m->way[s * MEMO_ASSOC + v] == ref)
      v = (v + 1) % MEMO_ASSOC;
    m->next[s] = (uint8_t)((v + 1) % MEMO_ASSOC);
    rec = &m->way[s * MEMO_ASSOC + v];
    rec->k = 0; /* invalid until memo_finish */
    rec->pc0 = at;
  }
  /* Frame i's pc is `at`; for i > 0 it is a return address minus one: the
   * row that applies is the call's (the call may end its function). */
  for (uint32_t i = 0;; i++) {
    if (rec) {
      if (i >= MEMO_DEPTH)
        rec = NULL; /* too deep to keep */
      else
        rec->sp[i] = sp, rec->fp[i] = fp;
    }
    if (ref && i > 0) {
      while (rc < ref->n && ref->sp[rc] < sp)
        rc++;
      if (rc >= ref_ok_from && rc <= ref->n && ref->sp[rc] == sp && ref->ra[rc - 1] - 1 == at &&
          fp_matches(ref, rc, fp)) {
        /* ref outputs `tail` frames from rc on; the spliced stack ends
         * where ref's did, or is cut at max (and needs one more read) */
        uint32_t tail = ref->n - rc;
        bool natural = ref->natural;
        if (i + tail > max)
          tail = max - i, natural = false;
        if (!natural && i + tail < max) {
          ref_ok_from = rc + 1; /* ref was cut short of what we need */
        } else if (memo_verify(ref, rc)) {
          uint32_t n = i + tail, k = natural ? i + (ref->k - rc) : n + 1;
          copy_frames(&frames[i], &ref->ra[rc], tail);
          if (rec && k <= MEMO_DEPTH) {
            memo_splice(rec, i, ref, rc, k - i);
            uint64_t need = (ref->needfp >> rc) << i; /* rc >= 1, i <= MEMO_DEPTH */
            if (!natural) /* nothing above the cut uses fp */
              need &= ((uint64_t)1 << k) - 1;
            memo_finish(m, rec, k, n, natural, i, cfa_rbp, need, max, ep);
          }
          return n;
        } else {
          ref_ok_from = frame_after_check(ref, ref->hot);
        }
      }
    }
    if (ls_unlikely(at >= PC_LIMIT))
      return 0;
    uint64_t w = cache_probe(c, at, key_of(at, ep));
    rule_t r = ls_likely(w != 0) ? unpack(w) : slow_rule(c, at, ep);
    /* No unwind information and a zero rbp: the ABI's other end-of-stack
     * mark (ld.so clears rbp before running constructors from
     * _dl_start_user, which has no CFI). libunwind stops there too; with
     * a non-zero rbp it would guess along the frame-pointer chain, which
     * this walker leaves to it. */
    bool end_by_fp = r.kind == KIND_UNKNOWN && r.cfa_rbp && fp == 0;
    if (r.kind == KIND_END || end_by_fp) {
      if (rec)
        memo_finish(m, rec, i, i, true, i, cfa_rbp, (uint64_t)end_by_fp << i, max, ep);
      return i;
    }
    if (r.kind != KIND_FRAME)
      return 0;
    uintptr_t cfa = (r.cfa_rbp ? fp : sp) + r.cfa_off;
    /* rsp must grow, and everything read must lie in [sp, hi) */
    if (cfa < sp + 8 || cfa > hi || (cfa & 7))
      return 0;
    uintptr_t ra = *(const uintptr_t *)(cfa - 8);
    if (r.rbp_slot) {
      if (cfa - r.rbp_slot < sp)
        return 0;
      fp = *(const uintptr_t *)(cfa - r.rbp_slot);
    }
    sp = cfa;
    if (rec) {
      rec->ra[i] = ra;
      rec->rbp_slot[i] = (uint16_t)r.rbp_slot;
      cfa_rbp |= (uint64_t)r.cfa_rbp << i;
    }
    if (ra == 0 || i == max) { /* a zeroed return address also ends a stack */
      if (rec) {
        rec->sp[i + 1] = sp, rec->fp[i + 1] = fp;
        memo_finish(m, rec, i + 1, i, ra == 0, i + 1, cfa_rbp, 0, max, ep);
      }
      return i;
    }
    frames[i] = ra;
    at = ra - 1;
  }
}

/* A named stack's frames are not copied: the caller only needs its name. */
static inline uint32_t memo_lookup(memo_t *m, uintptr_t *frames, uint32_t max, uintptr_t pc,
                                   uintptr_t sp, uintptr_t fp, uint32_t ep) {
  uint32_t s = memo_set(pc, sp);
  for (uint32_t t = 0; t < MEMO_ASSOC; t++) {
    uint32_t i = s * MEMO_ASSOC + (m->hint[s] + t) % MEMO_ASSOC;
    memo_way_t *w = &m->way[i];
    if (w->k && w->sp[0] == sp && w->pc0 == pc && fp_matches(w, 0, fp) && w->epoch == ep &&
        w->max == max &&
        memo_verify(w, 0)) {
      if (!w->tag)
        copy_frames(frames, w->ra, w->n);
      m->mru = i;
      m->hint[s] = (uint8_t)(i % MEMO_ASSOC);
      m->got = w;
      return w->n;
    }
  }
  return 0;
}

LS_NOINLINE LS_NO_ASAN uint32_t ls_cfi_backtrace(uintptr_t *frames, uint32_t max, const uintptr_t *from,
                                      uint32_t **tag) {
  uintptr_t pc, sp, fp;
  /* pc is the instruction after the lea, which is where sp and fp are
   * read: the row for pc describes exactly this sp. */
  __asm__ volatile("lea 0(%%rip), %0\n\t"
                   "mov %%rsp, %1\n\t"
                   "mov %%rbp, %2"
                   : "=r"(pc), "=r"(sp), "=r"(fp));
  *tag = NULL;
  uint32_t first = 0;
  if (from && max) {
    /* from's frame is [saved rbp, return address]: the caller's state
     * after the return is pc = return address, sp just above, rbp the
     * saved one. The return address is frame 0, and as the walk's first
     * pc it is part of the memo's key. */
    pc = from[1] - 1;
    sp = (uintptr_t)(from + 2);
    fp = from[0];
    frames[0] = from[1];
    frames++;
    max--;
    first = 1;
  }
  if (ls_unlikely(sp < stk.lo || sp >= stk.hi) && !stack_setup(sp))
    return 0;
  _Atomic uint64_t *c = cache_get();
  if (ls_unlikely(!c))
    return 0;
  /* relaxed: a stale epoch only means the flush window in unwind_cfi.h */
  const uint32_t ep = ls_atomic_load_relaxed(&epoch);
  memo_t *m = stk.memo;
  if (!m || m->busy) { /* busy: re-entered from a signal handler */
    uint32_t n = walk(frames, max, pc, sp, fp, c, ep, NULL);
    return n ? first + n : 0;
  }
  m->busy = 1;
  ls_compiler_fence();
  m->got = NULL;
  uint32_t n = memo_lookup(m, frames, max, pc, sp, fp, ep);
  if (!n)
    n = walk(frames, max, pc, sp, fp, c, ep, m);
  if (n && m->got) /* walk() keeps no way for stacks too deep */
    *tag = &m->got->tag;
  ls_compiler_fence();
  m->busy = 0;
  return n ? first + n : 0;
}
