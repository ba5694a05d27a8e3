/* SPDX-License-Identifier: MIT
 * python.h: Python frames in captured stacks, for CPython 3.11-3.13
 * processes (the interpreter executable, or a program that embeds
 * libpython).
 *
 * At capture time the thread's own chain of interpreter frames is read
 * from the interpreter's memory with the struct layouts of its version
 * (see python.c): no import, no GIL, no debug information. Each Python
 * frame becomes a pseudo return address, LS_PY_PC_TAG | id, where id is a
 * depot node holding the frame's function, file and line (resolved while
 * the code object is certainly alive, memoized by code object and
 * instruction). The interpreter's evaluation-loop frame that ran them is
 * replaced by them, innermost first, so grouping, diffs, suppressions and
 * every writer see them as ordinary frames.
 */
#ifndef LS_PYTHON_H
#define LS_PYTHON_H

#include "common.h"
#include "symbolize.h"

/* Bit 63 is never set in a user-space x86-64 address. */
#define LS_PY_PC_TAG ((uintptr_t)1 << 63)

static inline bool ls_python_pc(uintptr_t pc) { return (pc & LS_PY_PC_TAG) != 0; }

/* Finds a CPython runtime in the process and, when its version's layout
 * is known and LEAKSCOPE_PYTHON allows, turns Python frames on. A Python
 * process whose frames stay off gets one line on stderr saying why.
 * Called once from the constructor (guard held, options loaded). */
void ls_python_init(void);

/* The stack to record for a capture whose native frames were interned as
 * `native` (a depot id): the same id when the thread runs no Python code,
 * else the id of the native frames with each evaluation-loop frame
 * replaced by the Python frames it ran (at most LS_MAX_DEPTH frames).
 * Guard held; no locks, no malloc, no system calls. */
uint32_t ls_python_stack(uint32_t native);

/* The stack a report groups `id` under: with LEAKSCOPE_PYTHON_VIEW=python
 * and Python frames in it, the stack of its innermost native frame and its
 * Python frames (interned; stacks that differ only in the interpreter's
 * C frames between Python frames become one group); otherwise id. Report
 * time only (it interns). */
uint32_t ls_python_view_stack(uint32_t id);

/* LEAKSCOPE_PYTHON_OBJECTS=1: wraps the interpreter's MEM and OBJ
 * allocator domains (python_alloc.c) the first time it is called from a
 * thread that holds the GIL of an initialized interpreter; get_tstate is
 * PyGILState_GetThisThreadState. Guard held. */
void ls_python_alloc_install(void *(*get_tstate)(void));

/* Fills *out with the function, file and line of Python pseudo-frame pc
 * (module NULL, offset 0, python true); false when pc names no Python
 * frame record. */
bool ls_python_frame(uintptr_t pc, ls_frame_info_t *out);

#endif
