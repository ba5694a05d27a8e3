/* SPDX-License-Identifier: MIT
 * program_check.c: whether `leakscope run` can trace a program at all.
 *
 * LD_PRELOAD reaches only programs the dynamic loader starts, and the loader
 * ignores it for set-uid/set-gid programs (secure execution). Either way the
 * program would run without leakscope and its exit report would never come:
 * a silent pass in CI. So `run` looks at the file it is about to exec, the
 * way execvp will find it, and refuses those two cases by name.
 *
 * Only a definite answer refuses: a file that cannot be read or is not ELF
 * (a script, whose interpreter is what runs) passes, and execvp reports
 * what it reports.
 */
#include "program_check.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The path execvp would run for name: name itself when it holds a '/',
 * else the first executable regular file on PATH. False when none. */
static bool resolve(const char *name, char *out, size_t size) {
  const char *path = getenv("PATH");
  struct stat st;

  if (strchr(name, '/')) {
    snprintf(out, size, "%s", name);
    return true;
  }
  if (!path)
    path = "/bin:/usr/bin";
  for (const char *p = path;; p += strcspn(p, ":") + 1) {
    size_t n = strcspn(p, ":");

    /* An empty PATH entry means the current directory, as for execvp. */
    if ((size_t)snprintf(out, size, "%.*s%s%s", (int)n, n ? p : ".", "/", name) < size &&
        stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
      return true;
    if (!p[n])
      return false;
  }
}

/* Whether the ELF file on fd asks for a program interpreter (PT_INTERP):
 * 1 yes, 0 no (static), -1 not an ELF file we can read. Read with pread,
 * 64-bit and 32-bit, either byte order as stored natively only. */
static int has_interpreter(int fd) {
  unsigned char ident[EI_NIDENT];

  if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident || memcmp(ident, ELFMAG, SELFMAG))
    return -1;
  if (ident[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;

    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || eh.e_phentsize != sizeof ph)
      return -1;
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
      return -1;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
      if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof ph)) !=
          (ssize_t)sizeof ph)
        return -1;
      if (ph.p_type == PT_INTERP)
        return 1;
    }
    return 0;
  }
  if (ident[EI_CLASS] == ELFCLASS32) {
    Elf32_Ehdr eh;
    Elf32_Phdr ph;

    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || eh.e_phentsize != sizeof ph)
      return -1;
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
      return -1;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
      if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf32_Off)i * sizeof ph)) !=
          (ssize_t)sizeof ph)
        return -1;
      if (ph.p_type == PT_INTERP)
        return 1;
    }
    return 0;
  }
  return -1;
}

bool ls_program_traceable(const char *name, char *why, size_t why_size) {
  char path[4096];
  struct stat st;
  int fd, interp;

  if (!resolve(name, path, sizeof path))
    return true;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    return true;
  }
  /* The kernel sets AT_SECURE, and ld.so drops LD_PRELOAD, when the exec
   * changes the effective user or group: set-uid to another user, set-gid
   * to another group. Running a set-uid program one owns changes nothing. */
  if ((st.st_mode & S_ISUID) && st.st_uid != getuid()) {
    snprintf(why, why_size,
             "'%s' is set-uid: the dynamic loader ignores LD_PRELOAD for it, "
             "so leakscope cannot trace it",
             path);
    close(fd);
    return false;
  }
  if ((st.st_mode & S_ISGID) && st.st_gid != getgid()) {
    snprintf(why, why_size,
             "'%s' is set-gid: the dynamic loader ignores LD_PRELOAD for it, "
             "so leakscope cannot trace it",
             path);
    close(fd);
    return false;
  }
  interp = has_interpreter(fd);
  close(fd);
  if (interp == 0) {
    snprintf(why, why_size,
             "'%s' is statically linked: no dynamic loader runs, so "
             "LD_PRELOAD cannot load leakscope into it",
             path);
    return false;
  }
  return true;
}
