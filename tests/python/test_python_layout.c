/* SPDX-License-Identifier: MIT
 * test_python_layout.c: checks src/python_layout.h's table for one CPython
 * version against that version's own headers (compiled with
 * -I<include>/python3.N and Py_BUILD_CORE, for the internal frame layout).
 * Every offset python.c reads must be what the headers declare; a wrong
 * one would make Python frames wrong or, worse, read the wrong memory.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "python_layout.h"

static int failures;

static void check(const char *what, long table, long header) {
  if (table != header) {
    printf("FAIL: %s: python_layout.h says %ld, the headers %ld\n", what, table, header);
    failures++;
  }
}

#define CHECK(field, expr) check(#field, L->field, (long)(expr))

int main(void) {
  const layout_t *L = NULL;
  for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
    if (layouts[i].minor == PY_MINOR_VERSION)
      L = &layouts[i];
  if (PY_MAJOR_VERSION != 3 || !L) {
    printf("FAIL: no layout for CPython %d.%d\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    return 1;
  }
#if PY_MINOR_VERSION < 13
  CHECK(tstate_cframe, offsetof(PyThreadState, cframe));
  CHECK(cframe_current, offsetof(_PyCFrame, current_frame));
  CHECK(tstate_current, -1);
  CHECK(frame_code, offsetof(_PyInterpreterFrame, f_code));
  CHECK(frame_instr, offsetof(_PyInterpreterFrame, prev_instr));
#else
  CHECK(tstate_cframe, -1);
  CHECK(tstate_current, offsetof(PyThreadState, current_frame));
  CHECK(frame_code, offsetof(_PyInterpreterFrame, f_executable));
  CHECK(frame_instr, offsetof(_PyInterpreterFrame, instr_ptr));
#endif
#if PY_MINOR_VERSION == 11
  CHECK(frame_is_entry, offsetof(_PyInterpreterFrame, is_entry));
#else
  CHECK(frame_is_entry, -1);
  check("FRAME_OWNED_BY_CSTACK", 3, FRAME_OWNED_BY_CSTACK);
#endif
  check("FRAME_OWNED_BY_GENERATOR", 1, FRAME_OWNED_BY_GENERATOR);
  CHECK(frame_previous, offsetof(_PyInterpreterFrame, previous));
  CHECK(frame_owner, offsetof(_PyInterpreterFrame, owner));
  check("sizeof owner", 1, sizeof(((_PyInterpreterFrame *)0)->owner));
  CHECK(code_filename, offsetof(PyCodeObject, co_filename));
  CHECK(code_name, offsetof(PyCodeObject, co_name));
  CHECK(code_firstlineno, offsetof(PyCodeObject, co_firstlineno));
  CHECK(code_linetable, offsetof(PyCodeObject, co_linetable));
  CHECK(code_firsttraceable, offsetof(PyCodeObject, _co_firsttraceable));
  CHECK(code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
  CHECK(unicode_ascii_size, sizeof(PyASCIIObject));
  CHECK(unicode_compact_size, sizeof(PyCompactUnicodeObject));
  CHECK(unicode_utf8, offsetof(PyCompactUnicodeObject, utf8));
  CHECK(unicode_utf8_length, offsetof(PyCompactUnicodeObject, utf8_length));
  /* What python.c reads without a table entry: ob_type at 8, a str's
   * length at 16 and its state word at 32 with kind in bits 2-4, compact
   * in bit 5, ascii in bit 6; a code unit of 2 bytes. */
  check("ob_type", 8, offsetof(PyObject, ob_type));
  check("str length", 16, offsetof(PyASCIIObject, length));
  check("str state", 32, offsetof(PyASCIIObject, state));
  PyASCIIObject s;
  memset(&s, 0, sizeof s);
  s.state.kind = 4;
  s.state.compact = 1;
  s.state.ascii = 1;
  unsigned w;
  memcpy(&w, (char *)&s + 32, sizeof w);
  check("str state kind bits", 4, w >> 2 & 7);
  check("str state compact bit", 1, w >> 5 & 1);
  check("str state ascii bit", 1, w >> 6 & 1);
  check("code unit", 2, sizeof(_Py_CODEUNIT));
  check("co_firstlineno size", 4, sizeof(((PyCodeObject *)0)->co_firstlineno));
  check("_co_firsttraceable size", 4, sizeof(((PyCodeObject *)0)->_co_firsttraceable));
  printf("CPython %d.%d: %s\n", PY_MAJOR_VERSION, PY_MINOR_VERSION, failures ? "MISMATCH" : "ok");
  return failures != 0;
}
