/* SPDX-License-Identifier: MIT
 * runtime_nopie.c: a position-dependent executable that takes malloc's
 * address (python3 on Debian is one), so malloc's canonical address is
 * the executable's own PLT entry. That is not another allocator: no
 * warning, and the leak of 4242 bytes is found.
 */
#include <stdio.h>
#include <stdlib.h>

void *volatile sink;

/* Taken in code, not in data: `mov $malloc` needs an address fixed at
 * link time, which makes the PLT entry malloc's canonical address. */
__attribute__((noinline)) static void *(*pick(void))(size_t) { return malloc; }

int main(void) {
  void *(*volatile alloc)(size_t) = pick();
  sink = alloc(4242);
  sink = NULL;
  printf("leaked 4242 bytes through a pointer to malloc\n");
  return 0;
}
