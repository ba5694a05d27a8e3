/* SPDX-License-Identifier: MIT
 * lsan_init.c: lets a preloaded LeakSanitizer run programs that were not
 * built with it. Preloaded, the runtime initialises itself on its first
 * intercepted allocation; a program that calls an intercepted function
 * such as signal() before any malloc (sqlite3, git) jumps through the
 * still-null real pointer and crashes. This constructor, preloaded after
 * the runtime, initialises it first. __lsan_init is weak so the module
 * also loads, and does nothing, without the runtime.
 */
extern void __lsan_init(void) __attribute__((weak));

__attribute__((constructor(101))) static void lsan_init_early(void) {
  if (__lsan_init)
    __lsan_init();
}
