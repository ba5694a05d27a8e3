/* SPDX-License-Identifier: MIT
 * report_frames.h: a stack, as reports show it. The one place that turns
 * a depot stack id into source frames, used by every writer and by the
 * suppression matcher, so what is matched is what is printed.
 *
 * Policy kept here and nowhere else: the C runtime's frames below main and
 * below thread starts are left out (LEAKSCOPE_SHOW_BELOW_MAIN=1 keeps
 * them), and libc's internal aliases are shown by their public names
 * (strdup, not __GI___strdup or __strdup). Depends on the depot and the
 * symbolizer only; writes nothing.
 */
#ifndef LS_REPORT_FRAMES_H
#define LS_REPORT_FRAMES_H

#include "common.h"
#include "symbolize.h"

/* Source frames a writer shows per stack at most (inline chains make
 * more frames than return addresses). */
#define LS_MAX_FRAMES 1024

/* The symbolizer for a report, or NULL when there is none to be had:
 * libdw does not survive its own allocation failures (it crashes), so
 * after the program ran out of memory it is used only if room for its
 * work can be had now; NULL frames come from the loader alone. Close it
 * with ls_sym_close. */
ls_symbolizer_t *ls_report_symbolizer(void);

/* Expands one return address of stack `id` into source frames (inlined
 * calls first); without a symbolizer (NULL: out of memory), into the
 * loader's module and exported name. Returns how many (>= 1 if max). */
size_t ls_report_expand_pc(ls_symbolizer_t *sym, uintptr_t pc, uint32_t id, ls_frame_info_t *out,
                           size_t max);

/* Expands stack `id` into source frames (inlined calls included),
 * innermost first, as reports show them; returns how many were written
 * (at most max). With pcs, pcs[k] receives the return address frame k
 * was expanded from. */
size_t ls_report_frames(ls_symbolizer_t *sym, uint32_t id, ls_frame_info_t *out, uintptr_t *pcs,
                        size_t max);

/* The public name of a function of a shared library: for a name with one
 * of libc's alias prefixes (__GI_, __libc_, __), the shortest suffix left
 * by stripping them that the module exports at the function's own address
 * (pc is a return address into it). Otherwise name itself. The result
 * points into name. */
const char *ls_report_public_name(const char *name, uintptr_t pc);

#endif
