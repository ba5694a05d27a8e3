/* SPDX-License-Identifier: MIT
 * python_layout.h: where CPython 3.11-3.13 keep what python.c reads, per
 * version (x86-64). The offsets are those CPython's own headers declare
 * (Include/cpython/pystate.h, Include/internal/pycore_frame.h,
 * Include/cpython/code.h, Include/cpython/unicodeobject.h); tests/python
 * compiles each version's table against that version's installed headers
 * (test_python_layout) when they are present.
 */
#ifndef LS_PYTHON_LAYOUT_H
#define LS_PYTHON_LAYOUT_H

/* Offsets into the interpreter's structures, per version (x86-64). */
typedef struct layout {
  unsigned minor;
  int tstate_cframe;  /* PyThreadState.cframe, or -1 (3.13) */
  int cframe_current; /* _PyCFrame.current_frame */
  int tstate_current; /* PyThreadState.current_frame (3.13), or -1 */
  int frame_code;     /* _PyInterpreterFrame.f_code / f_executable */
  int frame_previous; /* .previous */
  int frame_instr;    /* .prev_instr (3.11, 3.12) / .instr_ptr (3.13) */
  int frame_is_entry; /* .is_entry (3.11), or -1 */
  int frame_owner;    /* .owner */
  int code_filename, code_name, code_firstlineno, code_linetable;
  int code_firsttraceable;  /* _co_firsttraceable */
  int code_adaptive;        /* co_code_adaptive: the instructions */
  int unicode_ascii_size;   /* sizeof(PyASCIIObject) */
  int unicode_compact_size; /* sizeof(PyCompactUnicodeObject) */
  int unicode_utf8;         /* PyCompactUnicodeObject.utf8 */
  int unicode_utf8_length;  /* PyCompactUnicodeObject.utf8_length */
} layout_t;

static const layout_t layouts[] = {
    {.minor = 11,
     .tstate_cframe = 56,
     .cframe_current = 8,
     .tstate_current = -1,
     .frame_code = 32,
     .frame_previous = 48,
     .frame_instr = 56,
     .frame_is_entry = 68,
     .frame_owner = 69,
     .code_filename = 112,
     .code_name = 120,
     .code_firstlineno = 72,
     .code_linetable = 136,
     .code_firsttraceable = 168,
     .code_adaptive = 184,
     .unicode_ascii_size = 48,
     .unicode_compact_size = 72,
     .unicode_utf8 = 56,
     .unicode_utf8_length = 48},
    {.minor = 12,
     .tstate_cframe = 56,
     .cframe_current = 0,
     .tstate_current = -1,
     .frame_code = 0,
     .frame_previous = 8,
     .frame_instr = 56,
     .frame_is_entry = -1,
     .frame_owner = 70,
     .code_filename = 112,
     .code_name = 120,
     .code_firstlineno = 68,
     .code_linetable = 136,
     .code_firsttraceable = 176,
     .code_adaptive = 192,
     .unicode_ascii_size = 40,
     .unicode_compact_size = 56,
     .unicode_utf8 = 48,
     .unicode_utf8_length = 40},
    {.minor = 13,
     .tstate_cframe = -1,
     .cframe_current = 0,
     .tstate_current = 72,
     .frame_code = 0,
     .frame_previous = 8,
     .frame_instr = 56,
     .frame_is_entry = -1,
     .frame_owner = 70,
     .code_filename = 112,
     .code_name = 120,
     .code_firstlineno = 68,
     .code_linetable = 136,
     .code_firsttraceable = 184,
     .code_adaptive = 200,
     .unicode_ascii_size = 40,
     .unicode_compact_size = 56,
     .unicode_utf8 = 48,
     .unicode_utf8_length = 40},
};

#endif
