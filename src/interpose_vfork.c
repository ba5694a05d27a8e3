/* SPDX-License-Identifier: MIT
 * interpose_vfork.c: vfork(), so that a vfork child's calls leave the
 * parent's records alone.
 *
 * A vfork child runs in its parent's memory, on its stack, until it execs
 * or exits, and its close, dup2 and open calls reach our interposers like
 * the parent's own. But the fd table it changes is its own copy, while the
 * records it would change are the parent's: libiberty's pex (gdb, gcc)
 * does dup2(pipe, 1) and close(pipe) in its vfork child, and the parent's
 * report then showed its fds 1 and 2 as "pipe" and lost the records of
 * the pipe ends it still held.
 *
 * So vfork raises this thread's guard depth by LS_VFORK_DEPTH before the
 * system call, and the parent lowers it when it resumes: in the child
 * every interposer passes straight through (close and syscall(SYS_close),
 * which record even inside the guard, check for the vfork depth). The
 * thread-local state is shared by parent and child (one address space,
 * one thread pointer), which is what makes this work: the child cannot
 * tell its parent anything else.
 *
 * It must be assembly: the child returns from vfork first, through the
 * same stack, so the function keeps its return address in a register
 * across the system call (as glibc's vfork does) and touches no stack
 * memory the child may overwrite before the parent resumes.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "common.h"
#include "guard.h"

LS_STATIC_ASSERT(offsetof(ls_tls_t, depth) == 0, "the vfork stub adds to the word at ls_tls");

#if defined(__x86_64__)

/* The parent's failure path: sets errno, returns -1. */
LS_NOINLINE long ls_vfork_failed(long err);
long ls_vfork_failed(long err) {
  errno = (int)err;
  return -1;
}

#define LS_STR2(x) #x
#define LS_STR(x) LS_STR2(x)

__asm__(
    ".text\n"
    ".globl vfork\n"
    ".type vfork, @function\n"
    "vfork:\n"
    "  movq ls_tls@gottpoff(%rip), %rcx\n"
    "  addl $" LS_STR(
        LS_VFORK_DEPTH) ", %fs:(%rcx)\n"
                        /* the return address, in a register the kernel preserves */
                        "  popq %rdi\n"
                        "  movl $" LS_STR(
                            SYS_vfork) ", %eax\n"
                                       "  syscall\n"
                                       "  pushq %rdi\n"
                                       "  testq %rax, %rax\n"
                                       "  je 1f\n"
                                       /* the parent (or a failed call): leave the vfork depth */
                                       "  movq ls_tls@gottpoff(%rip), %rcx\n"
                                       "  subl $" LS_STR(LS_VFORK_DEPTH) ", %fs:(%rcx)\n"
                                                                         "  cmpq $-4095, %rax\n"
                                                                         "  jae 2f\n"
                                                                         "1:\n"
                                                                         "  ret\n"
                                                                         "2:\n"
                                                                         "  negq %rax\n"
                                                                         "  movq %rax, %rdi\n"
                                                                         "  jmp ls_vfork_failed\n"
                                                                         ".size vfork, .-vfork\n");

#endif
