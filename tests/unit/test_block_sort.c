/* SPDX-License-Identifier: MIT
 * Unit tests of the report's address sort (block_sort.c): the result is
 * in address order and every block keeps its own payload, for address
 * sets shaped like real heaps (one arena, an arena plus far mmap chunks,
 * 8-byte alignment, sizes around the insertion-sort cut-off).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block_sort.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* The payload a block of address a must still carry after the sort. */
static uint32_t tag_of(uintptr_t a) { return (uint32_t)((a * 0x9E3779B97F4A7C15ull) >> 32); }

/* Fills n distinct addresses: base + stride-aligned offsets in [0, span),
 * with every `far`-th one (0: none) moved to a region 2^44 bytes up. */
static ls_block_t *make(size_t n, uintptr_t base, uint64_t span, unsigned align, size_t far) {
  ls_block_t *b = calloc(n ? n : 1, sizeof *b);
  assert_non_null(b);
  uint64_t slots = span / align;
  assert_true(slots >= 2 * n);
  /* distinct: a random permutation's prefix of a strided walk */
  uint64_t step = 0;
  while (!step || (step % 2 == 0))
    step = next_random() % slots; /* odd step and power-of-2 slots: a full cycle */
  uint64_t at = next_random() % slots;
  for (size_t i = 0; i < n; i++) {
    at = (at + step) & (slots - 1);
    uintptr_t a = base + at * align;
    if (far && i % far == 0)
      a += (uintptr_t)1 << 44;
    b[i] = (ls_block_t){.addr = a, .size = (uint32_t)i, .stack = tag_of(a)};
  }
  return b;
}

static void check_sorted(const ls_block_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(b[i].stack, tag_of(b[i].addr));
    if (i)
      assert_true(b[i - 1].addr < b[i].addr);
  }
}

static void run(size_t n, uint64_t span, unsigned align, size_t far) {
  ls_block_t *b = make(n, 0x555555550000ull, span, align, far);
  uint64_t sizes = 0;
  for (size_t i = 0; i < n; i++)
    sizes += b[i].size;
  ls_blocks_sort_by_addr(b, n);
  check_sorted(b, n);
  uint64_t after = 0;
  for (size_t i = 0; i < n; i++)
    after += b[i].size;
  assert_true(after == sizes); /* nothing lost or duplicated */
  free(b);
}

static void test_one_arena(void **state) {
  (void)state;
  run(300000, 1ull << 26, 16, 0); /* 64 MiB heap, 16-byte chunks */
}

static void test_arena_and_far_chunks(void **state) {
  (void)state;
  run(100000, 1ull << 24, 16, 97); /* some blocks 16 TiB away: 44+ bit keys */
}

static void test_eight_byte_alignment(void **state) {
  (void)state;
  run(50000, 1ull << 20, 8, 0);
}

static void test_small_sizes(void **state) {
  (void)state;
  for (size_t n = 0; n <= 70; n++)
    run(n, 1ull << 16, 16, n % 3 ? 0 : 5);
}

static void test_already_sorted_and_reversed(void **state) {
  (void)state;
  size_t n = 100000;
  ls_block_t *b = calloc(n, sizeof *b);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++) {
    uintptr_t a = 0x7f0000000000ull + i * 48;
    b[i] = (ls_block_t){.addr = a, .stack = tag_of(a)};
  }
  ls_blocks_sort_by_addr(b, n);
  check_sorted(b, n);
  for (size_t i = 0; i < n / 2; i++) {
    ls_block_t t = b[i];
    b[i] = b[n - 1 - i];
    b[n - 1 - i] = t;
  }
  ls_blocks_sort_by_addr(b, n);
  check_sorted(b, n);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_arena),
      cmocka_unit_test(test_arena_and_far_chunks),
      cmocka_unit_test(test_eight_byte_alignment),
      cmocka_unit_test(test_small_sizes),
      cmocka_unit_test(test_already_sorted_and_reversed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
