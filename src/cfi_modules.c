/* SPDX-License-Identifier: MIT
 * cfi_modules.c: the CFI walker's table of loaded modules (see
 * cfi_modules.h): an array in a growable mapping (mbuf.h), rebuilt from
 * dl_iterate_phdr when its dlpi_adds/dlpi_subs counters move, under a
 * try-lock.
 */
#include "cfi_modules.h"

#include <link.h>
#include <unistd.h>

#include "atomic.h"
#include "mbuf.h"
#include "unwind_cfi.h"

typedef struct module {
  uintptr_t lo, hi;
  const uint8_t *eh_hdr; /* PT_GNU_EH_FRAME, or NULL */
} module_t;

static _Atomic int miss_owner; /* pid holding the miss lock, 0: free */
static module_t *mods;
static size_t nmods, mods_cap;
static unsigned long long seen_adds, seen_subs;
static bool mods_valid;

/* The owner is a pid so a child forked while a parent's thread held the
 * lock can take it over. */
bool ls_cfi_modules_lock(void) {
  int me = (int)getpid();
  int cur = 0;
  /* acq_rel: pairs with the release in ls_cfi_modules_unlock; the module
   * table and statics above are only touched while holding it */
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

void ls_cfi_modules_unlock(void) {
  /* release: pairs with the acquire in ls_cfi_modules_lock */
  ls_atomic_store_release(&miss_owner, 0);
}

static bool mods_push(const module_t *m) {
  if (!ls_mbuf_grow_array((void **)&mods, &mods_cap, nmods + 1, sizeof *mods, 256))
    return false;
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

bool ls_cfi_module_of(uintptr_t pc, const uint8_t **eh_hdr) {
  scan_t s = {.first = true};
  dl_iterate_phdr(scan_module, &s);
  const module_t *m = NULL;
  for (size_t i = 0; i < nmods && !m; i++)
    if (pc >= mods[i].lo && pc < mods[i].hi)
      m = &mods[i];
  *eh_hdr = m ? m->eh_hdr : NULL;
  return m || !s.full;
}
