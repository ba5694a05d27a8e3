/* SPDX-License-Identifier: MIT
 * tls_module.c: a module loaded with dlopen whose __thread variable lives
 * in dynamic TLS (allocated by ld.so on first use, reached from the DTV).
 */
static __thread void *volatile slot; /* volatile: never read here */

__attribute__((visibility("default"))) void reach_tls_keep(void *p) { slot = p; }
