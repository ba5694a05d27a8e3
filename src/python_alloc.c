/* SPDX-License-Identifier: MIT
 * python_alloc.c: LEAKSCOPE_PYTHON_OBJECTS=1, the interpreter's own
 * allocations as heap blocks (see python.h).
 *
 * With the default allocator, pymalloc, objects of up to 512 bytes are
 * carved from the interpreter's arenas and never reach malloc. CPython's
 * documented way to see them is PyMem_SetAllocator: we wrap the MEM and
 * OBJ domains (PyMem_Malloc, PyObject_Malloc and their families), each
 * wrapper forwarding to the allocator it replaced and recording the
 * result as a block with the stack of the call, Python frames included.
 *
 * Installed once, from a capture in a thread that holds the GIL after
 * Py_IsInitialized() (PyMem_SetAllocator must not race the interpreter's
 * own allocations, and the interpreter's start-up sets the allocators
 * itself, after our constructor). Blocks the wrapped allocator handed out
 * before are unknown to us, and freeing them through a wrapper only finds
 * nothing to forget.
 *
 * A wrapper holds the guard around the call it forwards, so the malloc /
 * realloc / free that pymalloc makes for large requests (and every call
 * with PYTHONMALLOC=malloc) pass through our interposers untracked: each
 * allocation is recorded once, by the wrapper, with the size the
 * interpreter asked for. Releases still forget under the guard, as
 * everywhere (guard.h).
 */
#include <dlfcn.h>

#include "atomic.h"
#include "config.h"
#include "guard.h"
#include "python.h"
#include "track.h"

/* PyMemAllocatorEx and PyMemAllocatorDomain, as CPython declares them
 * (Include/cpython/pymem.h, the same in 3.11-3.13). */
typedef struct py_allocator {
  void *ctx;
  void *(*malloc)(void *ctx, size_t size);
  void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
  void *(*realloc)(void *ctx, void *ptr, size_t new_size);
  void (*free)(void *ctx, void *ptr);
} py_allocator_t;

enum { DOMAIN_RAW, DOMAIN_MEM, DOMAIN_OBJ };

/* The allocators we wrap, one per domain (MEM, OBJ): each wrapper's ctx
 * points to its domain's saved original. Written once before the wrappers
 * are installed, read-only afterwards. */
static py_allocator_t original[2];

static void *wrap_malloc(void *ctx, size_t n) {
  const py_allocator_t *orig = ctx;
  if (!ls_guard_enter())
    return orig->malloc(orig->ctx, n);
  void *p = orig->malloc(orig->ctx, n);
  if (p)
    ls_track_alloc(p, n);
  ls_guard_leave();
  return p;
}

static void *wrap_calloc(void *ctx, size_t nelem, size_t elsize) {
  const py_allocator_t *orig = ctx;
  if (!ls_guard_enter())
    return orig->calloc(orig->ctx, nelem, elsize);
  void *p = orig->calloc(orig->ctx, nelem, elsize);
  if (p)
    ls_track_alloc(p, nelem * elsize); /* the interpreter checked the product */
  ls_guard_leave();
  return p;
}

static void *wrap_realloc(void *ctx, void *ptr, size_t n) {
  const py_allocator_t *orig = ctx;
  bool entered = ls_guard_enter();
  /* forget first: once the block is released its address can be reused */
  ls_block_t old;
  bool tracked = ptr && ls_track_free(ptr, &old);
  void *q = orig->realloc(orig->ctx, ptr, n);
  if (q && entered)
    ls_track_alloc(q, n);
  else if (!q && tracked)
    ls_track_restore(&old); /* failed: the old block is still there */
  if (entered)
    ls_guard_leave();
  return q;
}

static void wrap_free(void *ctx, void *ptr) {
  const py_allocator_t *orig = ctx;
  bool entered = ls_guard_enter();
  if (ptr)
    ls_track_free(ptr, NULL);
  orig->free(orig->ctx, ptr);
  if (entered)
    ls_guard_leave();
}

static _Atomic int state; /* 0: not yet, 1: being installed or given up, 2: installed */

void ls_python_alloc_install(void *(*get_tstate)(void)) {
  /* relaxed: a hint; the CAS below decides */
  if (!ls_config.python_objects || ls_atomic_load_relaxed(&state))
    return;
  int (*initialized)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "Py_IsInitialized");
  void *(*gil_holder)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyThreadState_GetUnchecked");
  if (!gil_holder)
    gil_holder = (void *(*)(void))dlsym(RTLD_DEFAULT, "_PyThreadState_UncheckedGet");
  void (*get)(int, py_allocator_t *) =
      (void (*)(int, py_allocator_t *))dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
  void (*set)(int, py_allocator_t *) =
      (void (*)(int, py_allocator_t *))dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
  if (!initialized || !gil_holder || !get || !set) {
    ls_atomic_store_relaxed(&state, 1); /* cannot: never try again */
    return;
  }
  /* Only with the interpreter running and this thread holding the GIL. */
  void *me = get_tstate();
  if (!initialized() || !me || gil_holder() != me)
    return;
  int expected = 0;
  /* acq_rel: one thread installs */
  if (!ls_atomic_cas_acq_rel(&state, &expected, 1))
    return;
  get(DOMAIN_MEM, &original[0]);
  get(DOMAIN_OBJ, &original[1]);
  py_allocator_t mem = {&original[0], wrap_malloc, wrap_calloc, wrap_realloc, wrap_free};
  py_allocator_t obj = {&original[1], wrap_malloc, wrap_calloc, wrap_realloc, wrap_free};
  set(DOMAIN_MEM, &mem);
  set(DOMAIN_OBJ, &obj);
  ls_atomic_store_release(&state, 2);
}
