/* SPDX-License-Identifier: MIT
 * prog_reach_mmap.c: roots in mappings the program made itself, as
 * Valgrind sees them. A block whose only pointer lives in an anonymous
 * private mapping, an anonymous shared one, or a private mapping of a
 * file is still reachable. A block of 256 KiB (glibc gives it a mapping
 * of its own) is no root: lost, it is definitely lost and the block it
 * points to indirectly lost. A pointer in a page unmapped again holds
 * nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "prog_reach.h"

static void *volatile pages[3]; /* the mappings, not the blocks */

PROG_LEAKY static void *map_anywhere(int flags, int fd) {
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  return p;
}

PROG_LEAKY static void allocate(void) {
  pages[0] = map_anywhere(MAP_PRIVATE | MAP_ANONYMOUS, -1);
  pages[1] = map_anywhere(MAP_SHARED | MAP_ANONYMOUS, -1);
  FILE *tmp = tmpfile();
  if (!tmp || ftruncate(fileno(tmp), 4096) != 0) {
    perror("tmpfile");
    exit(2);
  }
  pages[2] = map_anywhere(MAP_PRIVATE, fileno(tmp));
  fclose(tmp);
  ((void **)pages[0])[7] = malloc(40);  /* LEAK:anon */
  ((void **)pages[1])[9] = malloc(56);  /* LEAK:shared */
  ((void **)pages[2])[11] = malloc(72); /* LEAK:file */
  void **big = malloc(256 * 1024);       /* LEAK:big */
  big[100] = malloc(24);                 /* LEAK:child */
  prog_sink = big;
  void **gone = map_anywhere(MAP_PRIVATE | MAP_ANONYMOUS, -1);
  gone[3] = malloc(88); /* LEAK:unmapped */
  munmap(gone, 4096);
  prog_sink = NULL;
}

int main(void) {
  allocate();
  reach_scrub_stack();
  return 0;
}
