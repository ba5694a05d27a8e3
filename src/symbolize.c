/* SPDX-License-Identifier: MIT
 * symbolize.c: return addresses -> source frames with libdw, modules
 * unloaded by dlclose() included (their history is modhist.c's).
 *
 * Owns: one live Dwfl over this process (built at ls_sym_open), one offline
 * Dwfl per history entry it needs (built on first use), a per-address cache
 * of results, every string it hands out, and the indexes that make a
 * lookup a bisection instead of a libdw scan (see "Symbol tables" and
 * "Scopes"). All of it dies in ls_sym_close.
 * Report time only. Never writes to stdout/stderr and never aborts: any
 * libdw failure degrades to a frame with fewer fields known.
 */
#include "symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <errno.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keptfd.h"
#include "modhist.h"

/* --- Opening module files wherever the program went --- */

/* The program may have chroot()ed (paths name other files, or nothing),
 * dropped privileges or run out of fds by the time of a report. So:
 *  - a path is opened as given, and if that fails, through the root
 *    directory kept from start-up (keptfd.h), which is outside any chroot;
 *  - a module's ELF file is read into a private mapping and its fd closed
 *    at once (elf_memory), so symbolizing holds no fd per module and works
 *    with the single free fd a report may have (keptfd.h);
 *  - every open is O_NONBLOCK and must give a regular file: a FIFO planted
 *    at a debug file's path cannot block the report. */

/* The symbolizer whose modules are being opened: libdw's find_elf
 * callback has no pointer of ours. One symbolizer at a time (the report
 * lock); set by ls_sym_open, cleared by ls_sym_close. */
static ls_symbolizer_t *ls_sym_active;

static int open_regular_at(int dirfd, const char *path) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

/* path opened read-only, here or under the original root. */
static int open_module_file(const char *path) {
  int fd = open_regular_at(AT_FDCWD, path);
  int root = ls_kept_root();
  if (fd < 0 && path[0] == '/' && root >= 0) {
    while (*path == '/')
      path++;
    fd = open_regular_at(root, *path ? path : ".");
  }
  return fd;
}

static void remember_image(ls_symbolizer_t *sym, void *p, size_t n);

/* An Elf over a private copy-on-write mapping of fd's file; fd is closed
 * either way. NULL on failure. */
static Elf *elf_from_fd(int fd) {
  struct stat st;
  void *p = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return NULL;
  Elf *elf = elf_memory(p, (size_t)st.st_size);
  if (elf == NULL || ls_sym_active == NULL) {
    if (elf != NULL)
      elf_end(elf);
    munmap(p, (size_t)st.st_size);
    return NULL;
  }
  remember_image(ls_sym_active, p, (size_t)st.st_size);
  return elf;
}

/* libdw's find_elf for the live process: module files by path (see
 * above); pseudo-modules such as the vDSO are libdw's own business. */
static int find_elf_kept(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                         char **file_name, Elf **elfp) {
  if (modname == NULL || modname[0] != '/')
    return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
  int fd = open_module_file(modname);
  if (fd < 0)
    return -1;
  Elf *elf = elf_from_fd(fd);
  if (elf == NULL)
    return -1;
  *file_name = strdup(modname);
  *elfp = elf;
  return -1; /* no fd: the Elf is all libdw needs */
}

/* --- Separate debug info, found locally only --- */

/* The gnu_debuglink checksum: CRC-32 (IEEE, reflected) of the whole file. */
static bool crc_matches(int fd, uint32_t want) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size == 0)
    return false;
  const unsigned char *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    return false;
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t crc = UINT32_MAX;
  for (off_t i = 0; i < st.st_size; i++)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  munmap((void *)p, (size_t)st.st_size);
  return ~crc == want;
}

/* The build-id tree's file for mod (/usr/lib/debug/.build-id/xx/rest.debug)
 * through open_module_file: what dwfl_build_id_find_debuginfo looks for,
 * found also after a chroot. */
static int build_id_file_kept(Dwfl_Module *mod, char **debuginfo_file_name) {
  const unsigned char *bits;
  GElf_Addr vaddr;
  int len = dwfl_module_build_id(mod, &bits, &vaddr);
  if (len <= 1)
    return -1;
  char path[PATH_MAX];
  int n = snprintf(path, sizeof path, "/usr/lib/debug/.build-id/%02x/", bits[0]);
  for (int i = 1; i < len && n + 3 < (int)sizeof path; i++)
    n += snprintf(path + n, sizeof path - (size_t)n, "%02x", bits[i]);
  if (n + 7 >= (int)sizeof path)
    return -1;
  memcpy(path + n, ".debug", 7);
  int fd = open_module_file(path);
  if (fd >= 0 && (*debuginfo_file_name = strdup(path)) == NULL) {
    close(fd);
    return -1;
  }
  return fd;
}

/* dwfl_standard_find_debuginfo, minus its last resort: when nothing is found
 * locally it dlopens libdebuginfod (and with it libcurl) into the host and,
 * if DEBUGINFOD_URLS is set, downloads debug info while the report waits.
 * So: the build-id tree first, then the .gnu_debuglink file in the places
 * GDB and libdw look (the module's directory, its .debug/ subdirectory and
 * the same directory under /usr/lib/debug), checked by CRC. */
static int find_debuginfo_local(Dwfl_Module *mod, void **userdata, const char *modname,
                                Dwarf_Addr base, const char *file_name, const char *debuglink,
                                GElf_Word crc, char **debuginfo_file_name) {
  int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
                                        debuginfo_file_name);
  if (fd < 0)
    fd = build_id_file_kept(mod, debuginfo_file_name);
  /* A zero CRC is libdw asking for a dwz alternate file, which the build-id
   * tree is the only place we look for. */
  if (fd >= 0 || debuglink == NULL || crc == 0 || file_name == NULL)
    return fd;
  const char *slash = strrchr(file_name, '/');
  int dirlen = slash == NULL ? 1 : (int)(slash - file_name);
  const char *dir = slash == NULL ? "." : file_name;
  static const char *const fmts[] = {"%.*s/%s", "%.*s/.debug/%s", "/usr/lib/debug%.*s/%s"};
  char path[PATH_MAX];
  for (size_t i = 0; i < LS_ARRAY_LEN(fmts); i++) {
    int len = snprintf(path, sizeof path, fmts[i], dirlen, dir, debuglink);
    if (len < 0 || (size_t)len >= sizeof path)
      continue;
    fd = open_module_file(path);
    if (fd < 0)
      continue;
    if (crc_matches(fd, crc) && (*debuginfo_file_name = strdup(path)) != NULL)
      return fd;
    close(fd);
  }
  return -1;
}

/* libdw keeps a pointer to the path variable; NULL means its default
 * (":.debug:/usr/lib/debug"), used by the build-id lookup. */
static char *ls_debuginfo_path;

static const Dwfl_Callbacks ls_dwfl_callbacks = {
    /* Only the live session calls find_elf: offline modules come with a
     * file name from dwfl_report_elf. */
    .find_elf = find_elf_kept,
    .find_debuginfo = find_debuginfo_local,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &ls_debuginfo_path,
};

/* --- The symbolizer --- */

typedef char *demangle_fn(const char *mangled, char *buf, size_t *len, int *status);

/* Results for one (pc, source) pair. source is 0 for the live process, or
 * i + 1 for history entry i: the same pc can mean different code before
 * and after a dlclose. */
typedef struct cache_slot {
  uintptr_t pc; /* 0: empty */
  uint32_t source;
  int n;
  ls_frame_info_t *frames;
} cache_slot_t;

/* A map from pointers to pointers: open addressing, power-of-two size. */
typedef struct ptr_slot {
  const void *key; /* NULL: empty */
  void *value;
} ptr_slot_t;

typedef struct ptr_map {
  ptr_slot_t *slots;
  size_t nslots, used;
} ptr_map_t;

struct ls_symbolizer {
  Dwfl *live;
  Dwfl_Module *exe_mod;  /* module holding the main program, or NULL */
  demangle_fn *demangle; /* __cxa_demangle if a C++ runtime is loaded */
  cache_slot_t *slots;   /* open addressing, power-of-two size */
  size_t nslots, used;
  /* Demangled names by the address of the mangled one: libdw returns the
   * same pointer (into .debug_str or a string table) for every address in
   * a function. */
  ptr_map_t names;
  ptr_map_t symtabs; /* symtab_t by Dwfl_Module, any session */
  ptr_map_t units;   /* cu_scopes_t by the address of the unit DIE */
  char **owned;      /* strings we allocated, freed at close */
  size_t nowned, capowned;
  const char *exe_path;       /* owned; see module_path */
  Dwfl *hist[LS_MODHIST_CAP]; /* by modhist.h entry */
  bool hist_tried[LS_MODHIST_CAP];
  struct image {
    void *p;
    size_t n;
  } * images; /* ELF files mapped by
                                                  elf_from_fd */
  size_t nimages, capimages;
};

/* Keeps an ELF image mapping to unmap at close (after dwfl_end, which
 * ends the Elf over it). Without room to remember it, it stays mapped: a
 * leak of address space for this report rather than a crash. */
static void remember_image(ls_symbolizer_t *sym, void *p, size_t n) {
  if (sym->nimages == sym->capimages) {
    size_t cap = sym->capimages ? 2 * sym->capimages : 32;
    struct image *a = realloc(sym->images, cap * sizeof *a);
    if (a == NULL)
      return;
    sym->images = a;
    sym->capimages = cap;
  }
  sym->images[sym->nimages++] = (struct image){p, n};
}

/* Takes ownership of s (freed at close). Returns s, or NULL (and frees s)
 * if it cannot be tracked. */
static char *own(ls_symbolizer_t *sym, char *s) {
  if (s != NULL && sym->nowned == sym->capowned) {
    size_t cap = sym->capowned ? 2 * sym->capowned : 64;
    char **p = realloc(sym->owned, cap * sizeof *p);
    if (p == NULL) {
      free(s);
      return NULL;
    }
    sym->owned = p;
    sym->capowned = cap;
  }
  if (s != NULL)
    sym->owned[sym->nowned++] = s;
  return s;
}

static size_t ptr_hash(const void *p, size_t mask) {
  /* Fibonacci hashing, as in slot_hash below. */
  return (size_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15u) >> 32) & mask;
}

static ptr_slot_t *ptr_map_find(const ptr_map_t *m, const void *key) {
  size_t mask = m->nslots - 1;
  size_t j = ptr_hash(key, mask);
  while (m->slots[j].key != NULL && m->slots[j].key != key)
    j = (j + 1) & mask;
  return &m->slots[j];
}

/* The value stored for key, or NULL. */
static void *ptr_map_get(const ptr_map_t *m, const void *key) {
  return m->nslots != 0 ? ptr_map_find(m, key)->value : NULL;
}

/* Stores value for key (not NULL, not yet in m). False if out of memory. */
static bool ptr_map_put(ptr_map_t *m, const void *key, void *value) {
  if (2 * (m->used + 1) > m->nslots) {
    ptr_map_t grown = {.nslots = m->nslots ? 2 * m->nslots : 256, .used = m->used};
    grown.slots = calloc(grown.nslots, sizeof *grown.slots);
    if (grown.slots == NULL)
      return false;
    for (size_t i = 0; i < m->nslots; i++)
      if (m->slots[i].key != NULL)
        *ptr_map_find(&grown, m->slots[i].key) = m->slots[i];
    free(m->slots);
    *m = grown;
  }
  *ptr_map_find(m, key) = (ptr_slot_t){.key = key, .value = value};
  m->used++;
  return true;
}

static const char *demangled(ls_symbolizer_t *sym, const char *name) {
  if (name == NULL || sym->demangle == NULL || strncmp(name, "_Z", 2) != 0)
    return name;
  const char *shown = ptr_map_get(&sym->names, name);
  if (shown != NULL)
    return shown;
  int status;
  char *d = own(sym, sym->demangle(name, NULL, NULL, &status));
  shown = d != NULL ? d : name;
  /* Not remembered if out of memory: demangled again next time. */
  (void)ptr_map_put(&sym->names, name, (void *)shown);
  return shown;
}

/* --- Symbol tables --- */

/* For code without DWARF the name comes from the symbol table. libdw's
 * dwfl_module_addrname reads the whole table for every address, each
 * entry through gelf_getshdr and friends, which made it most of the cost
 * of a report for a large stripped program. Here each module's table is
 * read once, sorted by address and bisected, with the same answer as
 * libdw's search (__libdwfl_addrsym, elfutils 0.188), rule for rule:
 *
 *  - Eligible symbols have a name and a section, are not STT_SECTION,
 *    STT_FILE or STT_TLS, and start at or below addr.
 *  - Pass 1 looks at the globals (from dwfl_module_getsymtab_first_global
 *    on, or everything if that is 0). Pass 2 looks at the locals, only if
 *    pass 1 found neither a sized symbol containing addr nor a sizeless
 *    one exactly at addr.
 *  - A pass folds the sized symbols containing addr in table order: a
 *    later one replaces the one kept if it starts higher or binds more
 *    strongly (GLOBAL > WEAK > LOCAL > others), or starts at the same
 *    address, is smaller and binds no less strongly.
 *  - With no sized symbol, libdw falls back to a sizeless one (an
 *    assembly label) in addr's section: it keeps the last one in search
 *    order that starts at or above the end of every eligible symbol seen
 *    so far, and returns it if it is at or above the end of all of them.
 *    That is the last one, in search order, starting exactly at the
 *    highest end of an eligible symbol (at most addr, as none contains
 *    addr).
 *
 * The rules above take a symbol's address as its value, which holds on
 * every target but ppc64 ELFv1, where libdw resolves function descriptors
 * and looks at both; there the libdw search is used as it is. */
#if defined(__powerpc64__) && (!defined(_CALL_ELF) || _CALL_ELF == 1)
#define LS_SYMTAB_INDEX false
#else
#define LS_SYMTAB_INDEX true
#endif

typedef struct sym_entry {
  GElf_Addr value; /* address in the session (load bias applied) */
  GElf_Addr reach; /* highest end of this entry and all before it */
  GElf_Xword size;
  const char *name; /* libdw's: lives as long as the session */
  int index;        /* position in libdw's table, the search order */
  int bind;         /* bind_rank */
  GElf_Word shndx;  /* as dwfl_module_getsym_info returns it */
} sym_entry_t;

/* The eligible symbols of one pass, sorted by (value, index). */
typedef struct sym_pass {
  sym_entry_t *e;
  size_t n;
} sym_pass_t;

typedef struct symtab {
  bool usable;        /* false: libdw has no table (addrname is NULL) */
  sym_pass_t pass[2]; /* globals, locals */
} symtab_t;

static int bind_rank(unsigned char info) {
  switch (GELF_ST_BIND(info)) {
  case STB_GLOBAL: return 3;
  case STB_WEAK: return 2;
  case STB_LOCAL: return 1;
  default: return 0;
  }
}

static int cmp_sym_entry(const void *a, const void *b) {
  const sym_entry_t *x = a, *y = b;
  if (x->value != y->value)
    return x->value < y->value ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Reads entries [from, to) of mod's table into p. False if out of memory. */
static bool sym_pass_fill(Dwfl_Module *mod, sym_pass_t *p, int from, int to) {
  if (to <= from)
    return true;
  p->e = malloc((size_t)(to - from) * sizeof *p->e);
  if (p->e == NULL)
    return false;
  for (int i = from; i < to; i++) {
    GElf_Sym s;
    GElf_Addr value;
    GElf_Word shndx;
    Elf *elf;
    const char *name = dwfl_module_getsym_info(mod, i, &s, &value, &shndx, &elf, NULL);
    int type = GELF_ST_TYPE(s.st_info);
    if (name == NULL || name[0] == '\0' || s.st_shndx == SHN_UNDEF || type == STT_SECTION ||
        type == STT_FILE || type == STT_TLS)
      continue;
    p->e[p->n++] = (sym_entry_t){.value = value,
                                 .size = s.st_size,
                                 .name = name,
                                 .index = i,
                                 .bind = bind_rank(s.st_info),
                                 .shndx = shndx};
  }
  qsort(p->e, p->n, sizeof *p->e, cmp_sym_entry);
  GElf_Addr reach = 0;
  for (size_t i = 0; i < p->n; i++) {
    sym_entry_t *e = &p->e[i];
    GElf_Addr end = e->value + e->size;
    if (end < e->value)
      end = UINT64_MAX; /* wrapped: contains everything above value */
    if (end > reach)
      reach = end;
    e->reach = reach;
  }
  return true;
}

static void symtab_free(symtab_t *t) {
  if (t == NULL)
    return;
  free(t->pass[0].e);
  free(t->pass[1].e);
  free(t);
}

/* The table of mod, read on first use. NULL only if out of memory. */
static symtab_t *symtab_of(ls_symbolizer_t *sym, Dwfl_Module *mod) {
  symtab_t *t = ptr_map_get(&sym->symtabs, mod);
  if (t != NULL)
    return t;
  t = calloc(1, sizeof *t);
  if (t == NULL)
    return NULL;
  int n = dwfl_module_getsymtab(mod);
  int first_global = n >= 0 ? dwfl_module_getsymtab_first_global(mod) : -1;
  if (first_global >= 0) {
    t->usable = true;
    bool ok = first_global == 0 ? sym_pass_fill(mod, &t->pass[0], 1, n)
                                : sym_pass_fill(mod, &t->pass[0], first_global, n) &&
                                      sym_pass_fill(mod, &t->pass[1], 1, first_global);
    if (!ok) {
      symtab_free(t);
      return NULL;
    }
  }
  if (!ptr_map_put(&sym->symtabs, mod, t)) {
    symtab_free(t);
    return NULL;
  }
  return t;
}

/* Index of the last entry of p starting at or below addr, or -1. */
static ptrdiff_t last_at_or_below(const sym_pass_t *p, GElf_Addr addr) {
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (p->e[mid].value <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (ptrdiff_t)lo - 1;
}

static int cmp_entry_index(const void *a, const void *b) {
  const sym_entry_t *x = *(const sym_entry_t *const *)a;
  const sym_entry_t *y = *(const sym_entry_t *const *)b;
  return (x->index > y->index) - (x->index < y->index);
}

/* Pass p's choice among its sized symbols containing addr, or NULL;
 * `top` is last_at_or_below(p, addr). *oom is set if memory ran out. */
static const sym_entry_t *sized_choice(const sym_pass_t *p, ptrdiff_t top, GElf_Addr addr,
                                       bool *oom) {
  const sym_entry_t *local[16], **cand = local;
  size_t n = 0, cap = LS_ARRAY_LEN(local);
  /* Walking down from top, `reach` tells when nothing lower can contain
   * addr: usually after an entry or two (one function and its aliases). */
  for (ptrdiff_t i = top; i >= 0 && p->e[i].reach > addr; i--) {
    const sym_entry_t *e = &p->e[i];
    if (e->size == 0 || addr - e->value >= e->size)
      continue;
    if (n == cap) {
      const sym_entry_t **more = malloc(2 * cap * sizeof *more);
      if (more == NULL) {
        *oom = true;
        break;
      }
      memcpy(more, cand, n * sizeof *more);
      if (cand != local)
        free(cand);
      cand = more;
      cap *= 2;
    }
    cand[n++] = e;
  }
  /* libdw's rule is not an order (binding can beat a higher start and
   * vice versa), so the fold must run in libdw's order. */
  qsort(cand, n, sizeof *cand, cmp_entry_index);
  const sym_entry_t *best = n > 0 ? cand[0] : NULL;
  for (size_t i = 1; i < n; i++) {
    const sym_entry_t *e = cand[i];
    if (best->value < e->value || best->bind < e->bind ||
        (best->value == e->value && best->size > e->size && best->bind <= e->bind))
      best = e;
  }
  if (cand != local)
    free(cand);
  return best;
}

/* True if addr is in the same section as entry e, as libdw decides it
 * for a sizeless symbol: equal for absolute and special symbols, else
 * the same section of the main file (none for both counts as the same). */
static bool same_section(Dwfl_Module *mod, const sym_entry_t *e, GElf_Addr addr) {
  if (e->shndx >= SHN_LORESERVE)
    return e->value == addr;
  Dwarf_Addr a = addr, v = e->value, bias;
  return dwfl_module_address_section(mod, &a, &bias) == dwfl_module_address_section(mod, &v, &bias);
}

/* The last sizeless entry of p, in search order, at `value` and in addr's
 * section, or NULL. */
static const sym_entry_t *sizeless_at(Dwfl_Module *mod, const sym_pass_t *p, GElf_Addr value,
                                      GElf_Addr addr) {
  for (ptrdiff_t i = last_at_or_below(p, value); i >= 0 && p->e[i].value == value; i--)
    if (p->e[i].size == 0 && same_section(mod, &p->e[i], addr))
      return &p->e[i];
  return NULL;
}

/* What dwfl_module_addrname(mod, addr) returns. */
static const char *symtab_name(ls_symbolizer_t *sym, Dwfl_Module *mod, GElf_Addr addr) {
  symtab_t *t = LS_SYMTAB_INDEX ? symtab_of(sym, mod) : NULL;
  if (t != NULL) {
    if (!t->usable)
      return NULL;
    bool oom = false;
    const sym_pass_t *g = &t->pass[0], *l = &t->pass[1];
    ptrdiff_t gtop = last_at_or_below(g, addr);
    const sym_entry_t *e = sized_choice(g, gtop, addr, &oom);
    GElf_Addr floor = gtop >= 0 ? g->e[gtop].reach : 0;
    const sym_entry_t *label = NULL;
    if (e == NULL && l->n > 0 && sizeless_at(mod, g, addr, addr) == NULL) {
      ptrdiff_t ltop = last_at_or_below(l, addr);
      e = sized_choice(l, ltop, addr, &oom);
      if (ltop >= 0 && l->e[ltop].reach > floor)
        floor = l->e[ltop].reach;
      if (e == NULL)
        label = sizeless_at(mod, l, floor, addr);
    }
    if (e == NULL && label == NULL)
      label = sizeless_at(mod, g, floor, addr);
    if (e == NULL)
      e = label;
    if (!oom)
      return e != NULL ? e->name : NULL;
  }
  return dwfl_module_addrname(mod, addr);
}

/* --- Scopes --- */

/* Which DWARF scopes hold an address. dwarf_getscopes walks the unit from
 * its first DIE for every address, and dwarf_getscopes_die (for the
 * physical nesting) walks it again up to the DIE found: in a large unit
 * that was almost all of the report's time. Here each unit is walked once
 * into an index of the DIEs that have address ranges, and every address
 * is then looked up in it, with dwarf_getscopes's answer:
 *
 *  - Its walk (__libdw_visit_scopes) goes through the children of the
 *    unit and, recursively, of every DIE that may own scopes (the tags in
 *    may_own_scopes) and has children. With a pc it skips DIEs whose
 *    ranges do not hold pc, and the innermost DIE is the end of the chain
 *    of first children, in DIE order, that hold it.
 *  - If that chain contains an inlined instance, the innermost one's
 *    DW_AT_abstract_origin must be a DIE the same walk visits (so in the
 *    same unit); if not, dwarf_getscopes returns no scopes at all.
 *
 * The index records the subprograms the walk visits to answer the second
 * point; an origin of another kind is left to libdw. Any walk error and
 * any imported unit (dwz, LTO) make the unit fall back to libdw too, as do
 * DIEs whose ranges libdw fails to read: pc_match ignores some of those
 * errors and not others, by codes libdw does not export. */

typedef struct scope_node {
  Dwarf_Die die;
  int tag;
  uint32_t parent;       /* index of the enclosing node; node 0 is the unit */
  uint32_t first, count; /* its children's ranges, in cu_scopes_t.spans */
} scope_node_t;

/* One range of one node, among its siblings' ranges sorted by lo. */
typedef struct scope_span {
  Dwarf_Addr lo, hi;
  Dwarf_Addr reach; /* highest hi of this span and its siblings before it */
  uint32_t parent, node;
} scope_span_t;

typedef struct cu_scopes {
  bool exact; /* false: use dwarf_getscopes for this unit */
  scope_node_t *nodes;
  size_t nnodes, capnodes;
  scope_span_t *spans;
  size_t nspans, capspans;
  const void **subprograms; /* DIE addresses, sorted */
  size_t nsubprograms, capsubprograms;
} cu_scopes_t;

static void cu_scopes_free(cu_scopes_t *u) {
  if (u == NULL)
    return;
  free(u->nodes);
  free(u->spans);
  free(u->subprograms);
  free(u);
}

/* Makes room for one more element in *v (holding *n of *cap). */
static bool grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return true;
  size_t c = *cap ? 2 * *cap : 64;
  void *p = realloc(*v, c * size);
  if (p == NULL)
    return false;
  *v = p;
  *cap = c;
  return true;
}

/* libdw's may_have_scopes (libdw_visit_scopes.c). */
static bool may_own_scopes(int tag) {
  switch (tag) {
  case DW_TAG_compile_unit:
  case DW_TAG_module:
  case DW_TAG_lexical_block:
  case DW_TAG_with_stmt:
  case DW_TAG_catch_block:
  case DW_TAG_try_block:
  case DW_TAG_entry_point:
  case DW_TAG_inlined_subroutine:
  case DW_TAG_subprogram:
  case DW_TAG_namespace:
  case DW_TAG_class_type:
  case DW_TAG_structure_type: return true;
  default: return false;
  }
}

/* Visits the children of `parent` as __libdw_visit_scopes does. `node` is
 * parent's index if a pc walk can reach it, else UINT32_MAX. False if the
 * unit must be left to libdw. */
static bool index_children(cu_scopes_t *u, Dwarf_Die *parent, uint32_t node) {
  Dwarf_Die child;
  int r = dwarf_child(parent, &child);
  if (r != 0)
    return r > 0; /* no children is fine */
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_imported_unit)
      return false;
    if (tag == DW_TAG_subprogram) {
      if (!grow((void **)&u->subprograms, &u->capsubprograms, u->nsubprograms,
                sizeof *u->subprograms))
        return false;
      u->subprograms[u->nsubprograms++] = child.addr;
    }
    uint32_t self = UINT32_MAX;
    if (node != UINT32_MAX) {
      /* The pc walk asks dwarf_haspc of this DIE: record what it reads. */
      if (u->nnodes >= UINT32_MAX - 1)
        return false;
      Dwarf_Addr base, lo, hi;
      ptrdiff_t off = 0;
      while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0) {
        if (lo >= hi)
          continue; /* holds no pc */
        if (!grow((void **)&u->spans, &u->capspans, u->nspans, sizeof *u->spans))
          return false;
        self = (uint32_t)u->nnodes;
        u->spans[u->nspans++] = (scope_span_t){.lo = lo, .hi = hi, .parent = node, .node = self};
      }
      if (off < 0)
        return false;
      if (self != UINT32_MAX) {
        if (!grow((void **)&u->nodes, &u->capnodes, u->nnodes, sizeof *u->nodes))
          return false;
        u->nodes[u->nnodes++] = (scope_node_t){.die = child, .tag = tag, .parent = node};
      }
    }
    if (may_own_scopes(tag) && dwarf_haschildren(&child) && !index_children(u, &child, self))
      return false;
  } while ((r = dwarf_siblingof(&child, &child)) == 0);
  return r > 0;
}

static int cmp_span(const void *a, const void *b) {
  const scope_span_t *x = a, *y = b;
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  if (x->lo != y->lo)
    return x->lo < y->lo ? -1 : 1;
  return (x->node > y->node) - (x->node < y->node);
}

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (const void *const *)a;
  uintptr_t y = (uintptr_t) * (const void *const *)b;
  return (x > y) - (x < y);
}

/* The index of the unit `cu`, built on first use. NULL if out of memory. */
static cu_scopes_t *cu_scopes_of(ls_symbolizer_t *sym, Dwarf_Die *cu) {
  cu_scopes_t *u = ptr_map_get(&sym->units, cu->addr);
  if (u != NULL)
    return u;
  u = calloc(1, sizeof *u);
  if (u == NULL)
    return NULL;
  u->nodes = malloc(sizeof *u->nodes);
  if (u->nodes != NULL) {
    u->capnodes = 1;
    u->nodes[u->nnodes++] = (scope_node_t){.die = *cu, .tag = dwarf_tag(cu), .parent = UINT32_MAX};
    u->exact = index_children(u, cu, 0);
  }
  if (u->exact) {
    /* Node indices follow DIE order, so among siblings holding pc the
     * lowest index is the one the walk meets first. */
    if (u->nspans > 1) /* qsort wants a non-null array even if empty */
      qsort(u->spans, u->nspans, sizeof *u->spans, cmp_span);
    for (size_t i = 0; i < u->nspans; i++) {
      scope_span_t *s = &u->spans[i];
      scope_node_t *p = &u->nodes[s->parent];
      bool first = p->count == 0;
      if (first)
        p->first = (uint32_t)i;
      p->count++;
      s->reach = first || s->hi > s[-1].reach ? s->hi : s[-1].reach;
    }
    if (u->nsubprograms > 1)
      qsort(u->subprograms, u->nsubprograms, sizeof *u->subprograms, cmp_ptr);
  } else {
    free(u->nodes);
    free(u->spans);
    free(u->subprograms);
    *u = (cu_scopes_t){0};
  }
  if (!ptr_map_put(&sym->units, cu->addr, u)) {
    cu_scopes_free(u);
    return NULL;
  }
  return u;
}

/* The first child of node `n` (in DIE order) whose ranges hold pc, or 0. */
static uint32_t child_at(const cu_scopes_t *u, uint32_t n, Dwarf_Addr pc) {
  const scope_span_t *s = &u->spans[u->nodes[n].first];
  size_t lo = 0, hi = u->nodes[n].count;
  while (lo < hi) { /* first span starting above pc */
    size_t mid = lo + (hi - lo) / 2;
    if (s[mid].lo <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  uint32_t best = 0;
  /* Walking down, `reach` tells when no earlier span can hold pc. */
  for (size_t i = lo; i-- > 0 && s[i].reach > pc;)
    if (pc < s[i].hi && (best == 0 || s[i].node < best))
      best = s[i].node;
  return best;
}

static bool has_subprogram(const cu_scopes_t *u, const void *addr) {
  return u->nsubprograms > 0 &&
         bsearch(&addr, u->subprograms, u->nsubprograms, sizeof *u->subprograms, cmp_ptr) != NULL;
}

/* Physical scope chain of pc in an exact unit, innermost first, as
 * dwarf_getscopes_die returns it for dwarf_getscopes's innermost scope
 * (the unit DIE excluded). Returns the number of scopes (0 if
 * dwarf_getscopes would find none), or -1 to ask libdw instead (also when
 * out of memory). *chain is malloc'd when the result is positive. */
static int indexed_scopes(cu_scopes_t *u, Dwarf_Addr pc, Dwarf_Die **chain) {
  uint32_t inner = 0, next, depth = 0;
  while (u->nodes[inner].count != 0 && (next = child_at(u, inner, pc)) != 0) {
    inner = next;
    depth++;
  }
  if (depth == 0)
    return 0;
  for (uint32_t n = inner; n != 0; n = u->nodes[n].parent) {
    if (u->nodes[n].tag != DW_TAG_inlined_subroutine)
      continue;
    /* The innermost inlined instance: its origin must be in the unit. */
    Dwarf_Attribute attr;
    Dwarf_Die origin;
    if (dwarf_formref_die(dwarf_attr(&u->nodes[n].die, DW_AT_abstract_origin, &attr), &origin) ==
        NULL)
      return 0;
    if (!has_subprogram(u, origin.addr))
      return dwarf_tag(&origin) == DW_TAG_subprogram ? 0 : -1;
    break;
  }
  *chain = malloc(depth * sizeof **chain);
  if (*chain == NULL)
    return -1;
  int i = 0;
  for (uint32_t n = inner; n != 0; n = u->nodes[n].parent)
    (*chain)[i++] = u->nodes[n].die;
  return i;
}

/* --- Lookup --- */

/* dl_iterate_phdr callback: reports one loaded module to the live Dwfl by
 * its path (the executable's from start-up) and the page range of its
 * segments, as /proc/PID/maps would. */
static int report_loaded_module(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  const char *name = info->dlpi_name;
  if (name == NULL || name[0] == '\0')
    name = ls_kept_exe();
  if (name[0] != '/')
    return 0; /* the vDSO, or an executable we never knew the path of */
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
    if (start < lo)
      lo = start;
    if (end > hi)
      hi = end;
  }
  long page = sysconf(_SC_PAGESIZE);
  if (hi > lo)
    dwfl_report_module(arg, name, lo & ~(uintptr_t)(page - 1),
                       (hi + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1));
  return 0;
}

ls_symbolizer_t *ls_sym_open(void) {
  ls_symbolizer_t *sym = calloc(1, sizeof *sym);
  if (sym == NULL)
    return NULL;
  sym->live = dwfl_begin(&ls_dwfl_callbacks);
  if (sym->live == NULL) {
    free(sym);
    return NULL;
  }
  ls_sym_active = sym;
  /* A failed report leaves some modules out: addresses in them become
   * unknown frames, which is all a report can do about it. Without
   * /proc/PID/maps (a chroot without /proc, no fd left), the loader's own
   * list gives the modules. */
  if (dwfl_linux_proc_report(sym->live, getpid()) != 0)
    dl_iterate_phdr(report_loaded_module, sym->live);
  dwfl_report_end(sym->live, NULL, NULL);
  sym->exe_mod = dwfl_addrmodule(sym->live, getauxval(AT_PHDR));
  /* Only present in C++ programs, which are the ones with mangled names;
   * linking libstdc++ ourselves would load it into every C host. */
  sym->demangle = (demangle_fn *)dlsym(RTLD_DEFAULT, "__cxa_demangle");
  return sym;
}

void ls_sym_close(ls_symbolizer_t *sym) {
  if (sym == NULL)
    return;
  for (size_t i = 0; i < sym->nslots; i++)
    free(sym->slots[i].frames);
  free(sym->slots);
  for (size_t i = 0; i < sym->nowned; i++)
    free(sym->owned[i]);
  free(sym->owned);
  free(sym->names.slots);
  for (size_t i = 0; i < sym->units.nslots; i++)
    cu_scopes_free(sym->units.slots[i].value);
  free(sym->units.slots);
  for (size_t i = 0; i < sym->symtabs.nslots; i++)
    symtab_free(sym->symtabs.slots[i].value);
  free(sym->symtabs.slots);
  for (size_t i = 0; i < LS_MODHIST_CAP; i++)
    if (sym->hist[i] != NULL)
      dwfl_end(sym->hist[i]);
  dwfl_end(sym->live);
  for (size_t i = 0; i < sym->nimages; i++)
    munmap(sym->images[i].p, sym->images[i].n);
  free(sym->images);
  if (ls_sym_active == sym)
    ls_sym_active = NULL;
  free(sym);
}

/* libdw names a live module by its path in /proc/self/maps, which is
 * absolute for every file mapping; the main program is resolved through
 * /proc/self/exe in case a loader ever reports it otherwise. Pseudo-modules
 * keep libdw's name (e.g. "[vdso: PID]"). */
static const char *module_path(ls_symbolizer_t *sym, Dwfl_Module *mod, const char *name) {
  if (name != NULL && name[0] == '/')
    return name;
  if (mod != sym->exe_mod)
    return name;
  if (sym->exe_path == NULL && ls_kept_exe()[0] != '\0')
    sym->exe_path = own(sym, strdup(ls_kept_exe()));
  if (sym->exe_path == NULL)
    sym->exe_path = own(sym, realpath("/proc/self/exe", NULL));
  return sym->exe_path != NULL ? sym->exe_path : name;
}

static const char *die_function(ls_symbolizer_t *sym, Dwarf_Die *die) {
  Dwarf_Attribute attr;
  /* _integrate follows DW_AT_abstract_origin and DW_AT_specification, so
   * inlined instances and out-of-line clones find the declaration's name. */
  const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
  if (linkage == NULL)
    linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
  /* The linkage name carries the namespace, class and parameters that
   * DW_AT_name lacks; C functions have none. */
  return linkage != NULL ? demangled(sym, linkage) : dwarf_diename(die);
}

/* The call site of an inlined instance, from its DW_AT_call_file/line. */
static void call_site(Dwarf_Die *inlined, ls_frame_info_t *f) {
  Dwarf_Attribute attr;
  Dwarf_Word val;
  Dwarf_Die cu;
  Dwarf_Files *files;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &val) == 0)
    f->line = (int)val;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &val) == 0 &&
      dwarf_diecu(inlined, &cu, NULL, NULL) != NULL && dwarf_getsrcfiles(&cu, &files, NULL) == 0)
    f->file = dwarf_filesrc(files, val, NULL, NULL);
}

/* The function-like scopes around addr, innermost first: the inlined
 * instances, then the subprogram they sit in (the physical nesting, where
 * dwarf_getscopes continues past an inlined instance into its abstract
 * definition). Returns a malloc'd array (NULL if there are none) and
 * sets *n. */
static Dwarf_Die *function_scopes(ls_symbolizer_t *sym, Dwfl_Module *mod, Dwarf_Addr addr, int *n) {
  *n = 0;
  Dwarf_Addr bias;
  Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
  if (cu == NULL)
    return NULL;
  /* With -gsplit-dwarf the unit here is a childless skeleton; its DIEs are
   * in the split unit (a .dwo or .dwp file next to it). */
  Dwarf_Die split;
  uint8_t unit_type;
  if (dwarf_cu_info(cu->cu, NULL, &unit_type, NULL, &split, NULL, NULL, NULL) == 0 &&
      unit_type == DW_UT_skeleton && dwarf_tag(&split) == DW_TAG_compile_unit)
    cu = &split;
  Dwarf_Die *chain = NULL;
  int nchain = -1;
  cu_scopes_t *u = cu_scopes_of(sym, cu);
  if (u != NULL && u->exact)
    nchain = indexed_scopes(u, addr - bias, &chain);
  if (nchain < 0) {
    /* The physical nesting is read back with dwarf_getscopes_die from the
     * innermost scope. */
    Dwarf_Die *scopes = NULL;
    if (dwarf_getscopes(cu, addr - bias, &scopes) <= 0)
      return NULL;
    nchain = dwarf_getscopes_die(&scopes[0], &chain);
    free(scopes);
  }
  for (int i = 0; i < nchain; i++) {
    int tag = dwarf_tag(&chain[i]);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram && tag != DW_TAG_entry_point)
      continue; /* lexical blocks between them */
    chain[(*n)++] = chain[i];
    /* A nested subprogram (a GNU C nested function) is its own frame. */
    if (tag != DW_TAG_inlined_subroutine)
      break;
  }
  if (*n == 0) {
    free(chain);
    return NULL;
  }
  return chain;
}

/* Frames for addr (= pc - 1) in mod; *n is set to their number (>= 1). */
static ls_frame_info_t *resolve_in_module(ls_symbolizer_t *sym, Dwfl_Module *mod, Dwarf_Addr addr,
                                          int *n) {
  int nfn;
  Dwarf_Die *fn = function_scopes(sym, mod, addr, &nfn);
  *n = nfn > 0 ? nfn : 1;
  ls_frame_info_t *frames = calloc((size_t)*n, sizeof *frames);
  if (frames == NULL) {
    free(fn);
    return NULL;
  }
  Dwarf_Addr bias, start;
  bool have_elf = dwfl_module_getelf(mod, &bias) != NULL;
  const char *name = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
  const char *path = module_path(sym, mod, name);
  for (int i = 0; i < *n; i++) {
    frames[i].module = path;
    /* See ls_frame_info_t.offset. Without the ELF file the bias is unknown
     * and the lowest mapping is the best guess (equal for usual DSOs). */
    frames[i].offset = addr - (have_elf ? bias : start);
    frames[i].inlined = i + 1 < nfn;
  }
  Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
  if (line != NULL)
    frames[0].file = dwfl_lineinfo(line, NULL, &frames[0].line, NULL, NULL, NULL);
  for (int i = 0; i < nfn; i++) {
    frames[i].function = die_function(sym, &fn[i]);
    if (i > 0)
      call_site(&fn[i - 1], &frames[i]);
  }
  /* No DWARF (or a nameless DIE): .symtab, else .dynsym. */
  if (frames[*n - 1].function == NULL)
    frames[*n - 1].function = demangled(sym, symtab_name(sym, mod, addr));
  free(fn);
  return frames;
}

/* The offline session for history entry i, opened on first use; NULL if
 * its file cannot be read any more. */
static Dwfl *history_dwfl(ls_symbolizer_t *sym, size_t i) {
  if (sym->hist_tried[i])
    return sym->hist[i];
  sym->hist_tried[i] = true;
  const ls_modhist_entry_t *e = ls_modhist_entry(i);
  Dwfl *dwfl = dwfl_begin(&ls_dwfl_callbacks);
  if (dwfl == NULL)
    return NULL;
  /* add_p_vaddr=false: place the file at load bias l_addr, as ld.so did. */
  if (dwfl_report_elf(dwfl, e->path, e->path, -1, e->bias, false) == NULL ||
      dwfl_report_end(dwfl, NULL, NULL) != 0) {
    dwfl_end(dwfl);
    return NULL;
  }
  sym->hist[i] = dwfl;
  return dwfl;
}

/* True if the live session maps the module of entry e at the same place:
 * its dlclose only dropped a reference, and the live module is just as
 * good and already open. */
static bool live_has(ls_symbolizer_t *sym, Dwarf_Addr addr, const ls_modhist_entry_t *e) {
  Dwfl_Module *mod = dwfl_addrmodule(sym->live, addr);
  Dwarf_Addr bias;
  if (mod == NULL || dwfl_module_getelf(mod, &bias) == NULL || bias != e->bias)
    return false;
  const char *name = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  return name != NULL && strcmp(name, e->path) == 0;
}

/* Which session holds the code addr meant when stack_id was captured:
 * the first history entry, in dlclose order, that was unloaded after the
 * capture and covered addr (returned as index + 1), else the live process
 * (0). Earlier unloads win because the range was theirs first. */
static uint32_t history_source(ls_symbolizer_t *sym, Dwarf_Addr addr, uint32_t stack_id) {
  size_t n = ls_modhist_count();
  for (size_t i = 0; i < n; i++) {
    /* An entry still being written (NULL) belongs to a module still
     * mapped. */
    const ls_modhist_entry_t *e = ls_modhist_entry(i);
    if (e == NULL || addr < e->start || addr >= e->end || stack_id >= ls_modhist_mark(e))
      continue;
    return live_has(sym, addr, e) ? 0 : (uint32_t)i + 1;
  }
  return 0;
}

static ls_frame_info_t *resolve(ls_symbolizer_t *sym, uintptr_t pc, uint32_t source, int *n) {
  Dwarf_Addr addr = pc - 1;
  Dwfl *dwfl = source == 0 ? sym->live : history_dwfl(sym, source - 1);
  Dwfl_Module *mod = dwfl != NULL ? dwfl_addrmodule(dwfl, addr) : NULL;
  if (mod != NULL)
    return resolve_in_module(sym, mod, addr, n);
  ls_frame_info_t *f = calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  *n = 1;
  f->offset = pc;
  if (source != 0) {
    /* The file is gone or unreadable, but where it was is still known. */
    const ls_modhist_entry_t *e = ls_modhist_entry(source - 1);
    f->module = e->path;
    f->offset = addr - e->bias;
  }
  return f;
}

static size_t slot_hash(uintptr_t pc, uint32_t source, size_t mask) {
  /* Fibonacci hashing: bits of the product's high half depend on all the
   * low bits of pc, which are the ones that vary. */
  uint64_t h = ((uint64_t)pc ^ ((uint64_t)source << 48)) * 0x9E3779B97F4A7C15u;
  return (size_t)(h >> 32) & mask;
}

/* The slot for (pc, source), or the empty slot where it belongs. NULL only
 * if the table cannot grow. */
static cache_slot_t *cache_slot(ls_symbolizer_t *sym, uintptr_t pc, uint32_t source) {
  if (2 * (sym->used + 1) > sym->nslots) {
    size_t nslots = sym->nslots ? 2 * sym->nslots : 1024;
    cache_slot_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
      return NULL;
    for (size_t i = 0; i < sym->nslots; i++) {
      const cache_slot_t *s = &sym->slots[i];
      if (s->pc == 0)
        continue;
      size_t j = slot_hash(s->pc, s->source, nslots - 1);
      while (slots[j].pc != 0)
        j = (j + 1) & (nslots - 1);
      slots[j] = *s;
    }
    free(sym->slots);
    sym->slots = slots;
    sym->nslots = nslots;
  }
  size_t mask = sym->nslots - 1;
  size_t j = slot_hash(pc, source, mask);
  while (sym->slots[j].pc != 0 && (sym->slots[j].pc != pc || sym->slots[j].source != source))
    j = (j + 1) & mask;
  return &sym->slots[j];
}

int ls_sym_lookup(ls_symbolizer_t *sym, uintptr_t pc, uint32_t stack_id, ls_frame_info_t *out,
                  int max) {
  if (max < 1)
    return 0;
  static const ls_frame_info_t unknown;
  *out = unknown;
  out->offset = pc;
  if (sym == NULL || pc == 0)
    return 1;
  uint32_t source = history_source(sym, pc - 1, stack_id);
  cache_slot_t *slot = cache_slot(sym, pc, source);
  if (slot == NULL)
    return 1;
  if (slot->pc == 0) {
    int n;
    ls_frame_info_t *frames = resolve(sym, pc, source, &n);
    if (frames == NULL)
      return 1;
    *slot = (cache_slot_t){.pc = pc, .source = source, .n = n, .frames = frames};
    sym->used++;
  }
  int n = slot->n < max ? slot->n : max;
  memcpy(out, slot->frames, (size_t)n * sizeof *out);
  return n;
}
