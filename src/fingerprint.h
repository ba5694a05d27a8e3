/* SPDX-License-Identifier: MIT
 * fingerprint.h: a leak group's fingerprint, stable from run to run and
 * build to build (docs/report-format.md, "fingerprint").
 *
 * It hashes what the report shows of a group, never an address: the kind
 * and resource, then for each frame, innermost first and inlined frames
 * included, the function name and the base name of the source file. Line
 * numbers are left out on purpose, so an edit above a leak does not make
 * it "new" against a baseline; a frame without a function name stands for
 * itself by its module's base name and offset. Hash: 64-bit FNV-1a, each
 * string followed by a NUL byte; written as 16 lower-case hex digits.
 *
 * Header-only and libc-free (no allocation, no locks), so the library's
 * report path and the command-line converters compute the same value.
 */
#ifndef LS_FINGERPRINT_H
#define LS_FINGERPRINT_H

#include <stdint.h>

#define LS_FP_INIT UINT64_C(0xcbf29ce484222325)

/* Adds s (NULL counts as "") and its terminating NUL to the hash h. */
static inline uint64_t ls_fp_add(uint64_t h, const char *s) {
  if (s)
    for (; *s; s++)
      h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
  return (h ^ 0) * UINT64_C(0x100000001b3);
}

/* The part of a path after its last '/'. */
static inline const char *ls_fp_basename(const char *path) {
  const char *base = path;

  if (!path)
    return 0;
  for (; *path; path++)
    if (*path == '/')
      base = path + 1;
  return base;
}

/* Adds one frame. offset is the frame's module offset as the report
 * writes it ("0x11ce"), used only when function is NULL. */
static inline uint64_t ls_fp_frame(uint64_t h, const char *function, const char *file,
                                   const char *module, const char *offset) {
  if (function) {
    h = ls_fp_add(h, function);
  } else {
    h = ls_fp_add(h, ls_fp_basename(module));
    h = ls_fp_add(h, offset);
  }
  return ls_fp_add(h, ls_fp_basename(file));
}

/* Writes h as 16 hex digits and a NUL into out[17]. */
static inline void ls_fp_format(uint64_t h, char out[17]) {
  static const char digits[] = "0123456789abcdef";

  for (int i = 15; i >= 0; i--, h >>= 4)
    out[i] = digits[h & 15];
  out[16] = '\0';
}

#endif
