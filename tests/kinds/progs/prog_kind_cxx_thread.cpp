// SPDX-License-Identifier: MIT
// prog_kind_cxx_thread.cpp: std::thread started and joined (LEAK:cxx_thread):
// nothing to report.
#include <thread>

#include "prog.h"

PROG_LEAKY static void run_one() {
  std::thread t([] { prog_say("in thread\n"); }); /* LEAK:cxx_thread */
  t.join();
}

int main() {
  run_one();
  return 0;
}
