/* SPDX-License-Identifier: MIT
 * prec_supp.c: leaks 3 blocks of 100 bytes from leak_alpha and 2 of 50
 * from leak_beta (both in libprec_supp.so), and 2 fds from leak_gamma.
 */
#include <fcntl.h>

#include "prog.h"

void leak_alpha(void);
void leak_beta(void);

PROG_LEAKY static void leak_gamma(void) {
  for (int i = 0; i < 2; i++)
    if (open("/dev/null", O_RDONLY) < 0) /* LEAK:gamma */
      _exit(2);
}

int main(void) {
  leak_alpha();
  leak_beta();
  leak_gamma();
  return 0;
}
