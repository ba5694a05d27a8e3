/* SPDX-License-Identifier: MIT
 * prog_kind_mapping.c: memory mappings for test_kinds. argv[1]:
 *   leaks     an anonymous 1 MiB mapping (LEAK:anon), a file mapping of
 *             argv[2] (LEAK:file), a 64 KiB mapping grown to 256 KiB by
 *             mremap (LEAK:mremap), a 256 KiB mapping whose first half is
 *             unmapped (LEAK:half), all leaked; a mapping unmapped whole
 *             (LEAK:unmapped), a System V segment attached (LEAK:shmat,
 *             leaked) and one detached (LEAK:shmat_detached), malloc(64 << 20)
 *             and a dlopen'd library
 *             give nothing
 *   reach     (run with LEAKSCOPE_REACHABILITY=exit) a mapping a global
 *             points to (LEAK:kept: still reachable, not listed) and one
 *             whose address the program keeps only scrambled (LEAK:lost)
 * It prints "map <marker> <address> <size>" for each leaked mapping.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "kindprog.h"

static void say_map(const char *marker, void *p, size_t size) {
  prog_say("map %s %lu %lu\n", marker, (unsigned long)(uintptr_t)p, (unsigned long)size);
}

PROG_LEAKY static void leak_maps(const char *path) {
  void *anon = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK:anon */
  say_map("anon", anon, 1 << 20);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  void *file = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0); /* LEAK:file */
  close(fd);
  say_map("file", file, 4096);
  void *small = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *grown = mremap(small, 64 << 10, 256 << 10, MREMAP_MAYMOVE); /* LEAK:mremap */
  say_map("mremap", grown, 256 << 10);
  char *half = mmap(NULL, 256 << 10, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK:half */
  munmap(half, 128 << 10);
  say_map("half", half + (128 << 10), 128 << 10);
  void *gone = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK:unmapped */
  munmap(gone, 8192);
  /* System V shared memory: one segment attached and left, one detached;
   * both segments removed at once (IPC_RMID: gone when detached). */
  int id = shmget(IPC_PRIVATE, 64 << 10, IPC_CREAT | 0600);
  void *shm = shmat(id, NULL, 0); /* LEAK:shmat */
  void *shm2 = shmat(id, NULL, SHM_RDONLY); /* LEAK:shmat_detached */
  shmdt(shm2);
  shmctl(id, IPC_RMID, NULL);
  say_map("shmat", shm, 64 << 10);
}

/* The C library's and the loader's own mappings are not the program's. */
static void not_ours(const char *lib) {
  char *big = malloc(64 << 20); /* LEAK:malloc_big */
  big[0] = 1;
  prog_sink = big;
  free(big);
  void *h = dlopen(lib, RTLD_NOW); /* LEAK:dlopen */
  if (!h)
    prog_say("dlopen %s failed\n", lib);
  else
    dlclose(h);
}

static void *volatile kept; /* volatile: stored, never read, yet kept */
static volatile uintptr_t scrambled;

PROG_LEAKY static void map_two(void) {
  kept = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK:kept */
  void *lost = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* LEAK:lost */
  say_map("lost", lost, 16384);
  scrambled = (uintptr_t)lost ^ 0x5a5a5a5a5a5a5a5aull;
}

/* Overwrites the stack below main's frame, where map_two's locals were. */
PROG_LEAKY static void scrub(void) {
  volatile char pad[16384]; /* volatile stores: the optimiser keeps them */
  for (size_t i = 0; i < sizeof pad; i++)
    pad[i] = 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "reach")) {
    map_two();
    scrub();
    return 0;
  }
  if (argc < 4 || strcmp(argv[1], "leaks"))
    return 2;
  leak_maps(argv[2]);
  not_ours(argv[3]);
  return 0;
}
