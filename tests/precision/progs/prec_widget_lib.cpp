// SPDX-License-Identifier: MIT
/* prec_widget_lib.cpp: libprec_widget.so, built -O2 -g: a static member
 * function in a namespace allocates, so the report must name its frame
 * with the demangled "ns::Widget::make(int)".
 */
#include "prog.h"

namespace ns {
class Widget {
public:
  explicit Widget(int v) : value(v) {}
  static Widget *make(int v);
  int value;
  char payload[60] = {};
};

PROG_LEAKY Widget *Widget::make(int v) {
  return new Widget(v); /* LEAK:widget */
}
} // namespace ns

extern "C" void prec_widget_leak() { prog_sink = ns::Widget::make(42); }
