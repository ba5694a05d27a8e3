// SPDX-License-Identifier: MIT
/* prec_quiet.cpp: a correct C++ program using iostreams, string streams,
 * exceptions and std::thread, which keeps nothing it allocated. The C++
 * runtime keeps memory of its own (the exception emergency pool, locale
 * facets); under the library's defaults the exit report must be empty.
 */
#include <atomic>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "prog.h"

#define THREADS 4

PROG_LEAKY static int odd_throws(int i) {
  if (i % 2)
    throw std::runtime_error("odd value " + std::to_string(i));
  return i;
}

int main() {
  std::ostringstream os;
  int caught = 0;
  for (int i = 0; i < 10; i++) {
    try {
      os << odd_throws(i) << ' ';
    } catch (const std::runtime_error &e) {
      caught++;
      os << e.what()[0] << ' ';
    }
  }
  std::atomic<int> sum{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < THREADS; i++)
    threads.emplace_back([&sum, i] {
      std::string s(100 + i, 'x');
      sum += (int)s.size();
    });
  for (auto &t : threads)
    t.join();
  std::cout << os.str() << "caught=" << caught << " sum=" << sum << std::endl;
  return caught == 5 ? 0 : 1;
}
