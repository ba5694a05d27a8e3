/* SPDX-License-Identifier: MIT
 * mbuf.c: the growable mapping (see mbuf.h).
 */
#include "mbuf.h"

#include "arena.h"

bool ls_mbuf_grow(void **p, size_t *cap, size_t need, size_t first) {
  if (need <= *cap)
    return true;
  size_t ncap = *cap ? *cap : first ? first : 1;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      return false;
    ncap *= 2;
  }
  void *q = ls_remap(*p, *cap, ncap); /* a new mapping when *p is NULL */
  if (!q)
    return false;
  *p = q;
  *cap = ncap;
  return true;
}

bool ls_mbuf_grow_array(void **p, size_t *cap, size_t need, size_t elem, size_t first) {
  if (need <= *cap)
    return true;
  if (need > SIZE_MAX / elem)
    return false;
  size_t bytes = *cap * elem;
  if (!ls_mbuf_grow(p, &bytes, need * elem, first * elem))
    return false;
  *cap = bytes / elem;
  return true;
}

void ls_mbuf_unmap(void *p, size_t cap) {
  if (p)
    ls_unmap(p, cap);
}
