/* SPDX-License-Identifier: MIT
 * interpose_chroot.c: chroot.
 *
 * Pure forwarding, after one thing: the root directory the program is
 * leaving is kept (keptfd.h) if start-up could not keep it out of the
 * program's way, so reports made after the chroot still find the module
 * files to symbolize and an absolute LEAKSCOPE_OUTPUT.
 */
#include <unistd.h>

#include "guard.h"
#include "keptfd.h"
#include "real.h"

LS_EXPORT int chroot(const char *path) {
  if (ls_unlikely(!ls_real_ensure() || !ls_real.chroot))
    return -1;
  if (ls_guard_enter()) {
    ls_kept_before_chroot();
    ls_guard_leave();
  }
  return ls_real.chroot(path);
}
