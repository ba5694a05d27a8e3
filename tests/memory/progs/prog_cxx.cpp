// SPDX-License-Identifier: MIT
/* prog_cxx.cpp: leaks through the C++ allocation paths: new[], a
 * std::string too long for its inline buffer, and a std::vector grown by
 * push_back.
 *
 * The report must charge each leak to the user's line in this file, not to
 * operator new in libstdc++ or to a header function inlined into ours.
 */
#include <new>
#include <string>
#include <vector>

#include "prog.h"

/* Storage whose destructor never runs. An object built in it keeps its
 * heap memory at exit without itself being a heap block, so each leak
 * below is exactly one block from one line. */
template <typename T> union Immortal {
  Immortal() {}
  ~Immortal() {}
  T value;
};

static Immortal<std::string> kept_string;
static Immortal<std::vector<int>> kept_vector;

PROG_LEAKY static void leak_new_array() {
  prog_sink = new int[100]; /* LEAK:cxx_new_array */
}

// 40 characters: the heap buffer is 41 bytes, far past the inline 15.
static const char long_text[] = "a std::string too long for its buffer...";

PROG_LEAKY static void leak_string() {
  new (&kept_string.value) std::string(long_text); /* LEAK:cxx_string */
}

PROG_LEAKY static void leak_vector() {
  std::vector<int> *v = new (&kept_vector.value) std::vector<int>();
  // Capacity goes 1, 2, 4, 8: the last buffer, from the 5th push_back,
  // holds 8 ints and leaks; push_back freed the others.
  for (int i = 0; i < 5; i++)
    v->push_back(i); /* LEAK:cxx_vector */
}

int main() {
  leak_new_array();
  leak_string();
  leak_vector();
  return 0;
}
