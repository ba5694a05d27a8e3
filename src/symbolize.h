/* SPDX-License-Identifier: MIT
 * symbolize.h: return addresses -> function, source file and line (libdw).
 *
 * Report time only: never called from an interposed function. It may use
 * the real allocator freely (the caller holds the reentrancy guard, so those
 * allocations are passed through untracked) and opens files: the ELF and
 * debug files of each module, read-only, all closed by ls_sym_close. libdw
 * opens most of them without O_CLOEXEC. Separate debug info is looked up
 * locally only (build-id tree, .gnu_debuglink), never through debuginfod.
 *
 * Modules unloaded with dlclose() before the report are still symbolized:
 * interpose_dl.c records each one in the module history (modhist.h)
 * before the real dlclose runs, and the symbolizer reports it offline from
 * its file at its old load address.
 */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include "common.h"

/* One source-level frame. Strings are owned by the symbolizer and stay valid
 * until ls_sym_close(). Any field may be unknown (NULL / 0). */
typedef struct ls_frame_info {
  /* Absolute (canonical) path of the ELF object; libdw's name for a
   * pseudo-module such as the vDSO; NULL if no module holds the address. */
  const char *module;
  /* pc - 1 minus the module's load bias (l_addr): the ELF virtual address
   * of a byte of the call instruction, what `addr2line -e module` takes, for
   * executables (bias 0) and shared objects alike. pc itself if module is
   * NULL. The same for every frame of one pc. */
  uintptr_t offset;
  const char *function; /* demangled name, or NULL */
  const char *file;     /* source file, or NULL */
  int line;             /* source line, or 0 */
  bool inlined;         /* this frame was inlined into the next one */
  bool python;          /* a Python frame (python.c): function, file, line only */
} ls_frame_info_t;

typedef struct ls_symbolizer ls_symbolizer_t;

/* Opens a symbolizer over the modules mapped in this process now, plus the
 * module history. Returns NULL if libdw cannot be initialised. A symbolizer
 * is used by one thread at a time. */
ls_symbolizer_t *ls_sym_open(void);

/* Expands the return address `pc` of a stack captured as depot stack
 * `stack_id` into source frames, innermost first: for an address in an
 * inlined call, the inlined callee(s) come first with inlined=true, then the
 * function they were inlined into. pc - 1 is looked up (the call
 * instruction, not the one after it). `stack_id` picks the module that
 * held pc when the stack was captured, if it has been unloaded since. Writes
 * at most `max` frames and returns how many: at least 1 when max >= 1 (an
 * unknown address still gets a frame with function=NULL). Results are
 * cached per pc and module for the symbolizer's life.
 * Cost: the first address that needs a module's symbol table reads it
 * once, and the first in a DWARF unit indexes the unit's scopes once; every
 * lookup after that is a bisection. Opening a module's DWARF decompresses all its debug
 * sections if they are compressed (libc's separate debug file on Debian:
 * about 50 ms), once per symbolizer. */
int ls_sym_lookup(ls_symbolizer_t *sym, uintptr_t pc, uint32_t stack_id, ls_frame_info_t *out,
                  int max);

/* Frees the symbolizer, its files and every string it returned. NULL is a
 * no-op. */
void ls_sym_close(ls_symbolizer_t *sym);

#endif
