/* SPDX-License-Identifier: MIT
 * modhist.c: the history of modules unloaded by dlclose() (see
 * modhist.h): a fixed array in .bss, claimed by an atomic counter,
 * each entry published by its `ready` flag.
 */
#include "modhist.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

static ls_modhist_entry_t ls_modhist[LS_MODHIST_CAP];
/* Entries claimed so far; claims past LS_MODHIST_CAP are the dropped ones. */
static _Atomic size_t ls_modhist_claimed;

typedef struct load_range {
  const struct link_map *lm;
  uintptr_t start, end;
} load_range_t;

static int find_load_range(struct dl_phdr_info *info, size_t size, void *arg) {
  load_range_t *r = arg;
  /* dl_iterate_phdr passes the link_map's own l_name pointer. */
  if (info->dlpi_name != r->lm->l_name || info->dlpi_addr != r->lm->l_addr)
    return 0;
  r->start = UINTPTR_MAX;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (lo < r->start)
      r->start = lo;
    if (lo + ph->p_memsz > r->end)
      r->end = lo + ph->p_memsz;
  }
  return 1;
}

/* A plugin that is loaded and unloaded in a loop lands at the same place
 * each time; extending the newest entry's mark instead of appending keeps
 * such a loop from filling the history. This is only sound for the newest
 * entry: anything unloaded from that range in between would have been
 * recorded after it. A concurrent recorder's module is mapped at the same
 * time as ours, so it cannot overlap the range. */
static bool merge_last(uintptr_t start, uintptr_t end, uintptr_t bias, const char *path,
                       uint32_t mark) {
  /* relaxed: an earlier dlclose of anything that overlapped us claimed its
   * entry before its real dlclose, and the loader lock orders that before
   * our module's dlopen, so this load cannot miss the claim. */
  size_t n = ls_atomic_load_relaxed(&ls_modhist_claimed);
  if (n == 0 || n > LS_MODHIST_CAP)
    return false;
  ls_modhist_entry_t *e = &ls_modhist[n - 1];
  /* acquire: pairs with the release of `ready` in the recorder. */
  if (!ls_atomic_load_acquire(&e->ready) || e->start != start || e->end != end || e->bias != bias ||
      strcmp(e->path, path) != 0)
    return false;
  /* relaxed: the mark is a number compared on its own, it publishes no
   * other data. Take the maximum: two threads may close it concurrently. */
  uint32_t old = ls_atomic_load_relaxed(&e->mark);
  while (old < mark && !ls_atomic_cas_weak_relaxed(&e->mark, &old, mark)) {
  }
  return true;
}

void ls_modhist_record_dlclose(void *handle, uint32_t depot_mark) {
  struct link_map *lm;
  /* An empty l_name is the main program (a dlopen(NULL) handle). */
  if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || lm->l_name == NULL || lm->l_name[0] == '\0')
    return;
  load_range_t r = {.lm = lm};
  if (!dl_iterate_phdr(find_load_range, &r) || r.end <= r.start)
    return;
  /* The canonical path is what /proc/self/maps shows for a live module, so
   * the two compare equal; it also survives a later chdir(). */
  char *path = realpath(lm->l_name, NULL);
  if (path == NULL && (path = strdup(lm->l_name)) == NULL)
    return;
  if (merge_last(r.start, r.end, lm->l_addr, path, depot_mark)) {
    free(path);
    return;
  }
  /* relaxed: only claims the slot; `ready` publishes its contents. */
  size_t i = ls_atomic_add_relaxed(&ls_modhist_claimed, 1);
  if (i >= LS_MODHIST_CAP) {
    free(path);
    return;
  }
  ls_modhist_entry_t *e = &ls_modhist[i];
  e->start = r.start;
  e->end = r.end;
  e->bias = lm->l_addr;
  e->path = path;
  ls_atomic_store_relaxed(&e->mark, depot_mark);
  /* release: publishes the fields above; pairs with the acquire loads of
   * `ready` in merge_last and ls_modhist_entry. */
  ls_atomic_store_release(&e->ready, true);
}

size_t ls_modhist_count(void) {
  /* relaxed: each entry's `ready` is what orders its contents. */
  size_t n = ls_atomic_load_relaxed(&ls_modhist_claimed);
  return n < LS_MODHIST_CAP ? n : LS_MODHIST_CAP;
}

const ls_modhist_entry_t *ls_modhist_entry(size_t i) {
  const ls_modhist_entry_t *e = &ls_modhist[i];
  /* acquire: pairs with the release in ls_modhist_record_dlclose. */
  return ls_atomic_load_acquire(&e->ready) ? e : NULL;
}
