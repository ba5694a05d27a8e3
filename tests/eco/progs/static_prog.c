/* SPDX-License-Identifier: MIT
 * static_prog.c: built with -static; `leakscope run` must refuse it. */
#include <stdio.h>

int main(void) {
  puts("static program ran");
  return 0;
}
