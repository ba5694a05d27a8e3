/* SPDX-License-Identifier: MIT
 * program_check.h: whether `leakscope run` can trace a program (a static
 * or set-uid program never loads the library; see program_check.c).
 */
#ifndef LS_CLI_PROGRAM_CHECK_H
#define LS_CLI_PROGRAM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* False, with the reason in why, when the program execvp would run for
 * name is statically linked or set-uid/set-gid to someone else; true
 * otherwise, including when that cannot be told. */
bool ls_program_traceable(const char *name, char *why, size_t why_size);

#endif
