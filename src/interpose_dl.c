/* SPDX-License-Identifier: MIT
 * interpose_dl.c: dlclose.
 *
 * dlclose unmaps code, after which a captured return address names
 * nothing: the module is recorded in the module history (modhist.h) first
 * (google/sanitizers#615 is the failure this avoids).
 * dlopen is deliberately not interposed: glibc resolves the caller's
 * RUNPATH and namespace from dlopen's return address, which a wrapper
 * would replace by ours. So RTLD_DEEPBIND libraries (rare) bind malloc to
 * libc directly; their allocations are untracked, and their frees of
 * blocks we never saw pass through harmlessly.
 */
#include <dlfcn.h>

#include "depot.h"
#include "guard.h"
#include "modhist.h"
#include "real.h"
#include "unwind_cfi.h"

LS_EXPORT int dlclose(void *handle) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.dlclose))
    return -1;
  if (ls_guard_enter()) {
    ls_modhist_record_dlclose(handle, ls_depot_mark());
    ls_guard_leave();
  }
  int rc = ls_real.dlclose(handle);
  /* Unwind rules cached for the unmapped code must not serve a library
   * mapped at the same address next. */
  ls_cfi_flush();
  return rc;
}
