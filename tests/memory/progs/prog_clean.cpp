// SPDX-License-Identifier: MIT
/* prog_clean.cpp: allocates through every path the other programs leak
 * from, in C and C++ and from several threads, and frees it all.
 *
 * The report may still list memory libc or the loader keep for themselves,
 * but no group may have a frame in this file: anything here is a false
 * positive (a missed free, a realloc that was not re-recorded, ...).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "prog.h"

#define THREADS 4

PROG_LEAKY static void c_allocators() {
  prog_sink = malloc(100);
  free(prog_sink);
  prog_sink = calloc(10, 10);
  free(prog_sink);
  prog_sink = realloc(nullptr, 10);
  prog_sink = realloc(prog_sink, 100000); // grows, moving to an mmap
  prog_sink = realloc(prog_sink, 20);     // shrinks
  free(prog_sink);
  prog_sink = reallocarray(nullptr, 10, 10);
  free(prog_sink);
  prog_sink = strdup("hello");
  free(prog_sink);
  void *p = nullptr;
  if (posix_memalign(&p, 64, 100) == 0)
    free(p);
  prog_sink = aligned_alloc(64, 128);
  free(prog_sink);
  prog_sink = memalign(64, 100);
  free(prog_sink);
  prog_sink = valloc(100);
  free(prog_sink);
  prog_sink = pvalloc(100);
  free(prog_sink);
}

PROG_LEAKY static void *thread_allocs(void *arg) {
  for (int i = 0; i < 1000; i++) {
    prog_sink = malloc(16 + (size_t)i % 512);
    free(prog_sink);
  }
  c_allocators();
  return arg;
}

PROG_LEAKY static int threads() {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], nullptr, thread_allocs, nullptr) != 0)
      return 2;
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], nullptr);
  return 0;
}

PROG_LEAKY static void cxx_allocators() {
  int *one = new int(7);
  prog_sink = one;
  delete one;
  int *many = new int[100];
  prog_sink = many;
  delete[] many;
  std::string s("a std::string too long for its buffer...");
  prog_sink = &s[0];
  std::vector<int> v;
  for (int i = 0; i < 100; i++)
    v.push_back(i);
  prog_sink = v.data();
}

int main() {
  c_allocators();
  cxx_allocators();
  return threads();
}
