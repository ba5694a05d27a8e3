/* SPDX-License-Identifier: MIT
 * report.c: snapshot -> filter -> group -> sort (see report.h), and the
 * emit path that turns a model into bytes in the output file.
 *
 * Groups are found through an open-addressing map keyed by
 * (kind, resource, stack); everything lives in mappings that grow by
 * doubling and are unmapped with the report. A FILE*'s I/O buffer is
 * dropped from the heap blocks: it belongs to the stream's one leak.
 */
#include "report.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <link.h>
#include <sys/auxv.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "arena.h"
#include "atomic.h"
#include "config.h"
#include "depot.h"
#include "python.h"
#include "suppress.h"
#include "guard.h"
#include "kind_mapping.h"
#include "reach.h"
#include "table.h"
#include "thread.h"
#include "track.h"

LS_STATIC_ASSERT((int)LS_GROUP_PROCESS == (int)LS_RULE_PROCESS &&
                     (int)LS_GROUP_THREAD == (int)LS_RULE_THREAD,
                 "suppression rule kinds follow the group kinds");

/* --- Growable arrays in mappings --- */

static bool grow_array(void **data, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return true;
  size_t ncap = *cap ? *cap * 2 : 256;
  while (ncap < need)
    ncap *= 2;
  void *p = *data ? mremap(*data, *cap * elem, ncap * elem, MREMAP_MAYMOVE)
                  : mmap(NULL, ncap * elem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
  if (p == MAP_FAILED)
    return false;
  *data = p;
  *cap = ncap;
  return true;
}

static void free_array(void *data, size_t cap, size_t elem) {
  if (data)
    munmap(data, cap * elem);
}

/* --- Building --- */

typedef struct builder {
  ls_report_t *r;
  uintptr_t loader_lo, loader_hi; /* ld.so's code */
  const ls_filter_t *f;
  uint32_t *map; /* group index + 1, 0 = empty; capacity map_cap (power of 2) */
  size_t map_cap;
  uintptr_t *buffers; /* sorted I/O buffers of live streams */
  size_t nbuffers, buffers_cap;
  ls_reach_block_t *maps; /* the program's mappings as the classifier saw
                             them (sorted; cls set), for visit_mappings */
  size_t nmaps, maps_cap;
  bool failed;
} builder_t;

static uint64_t group_key(ls_group_kind_t kind, ls_fd_kind_t res, uint32_t stack, uint8_t reach) {
  return (uint64_t)reach << 44 | (uint64_t)kind << 40 | (uint64_t)res << 32 | stack;
}

static uint64_t key_of(const ls_group_t *g) {
  return group_key(g->kind, g->resource, g->stack, g->reach);
}

static size_t slot_of_key(uint64_t key, size_t cap) {
  return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static bool rehash(builder_t *b) {
  size_t cap = b->map_cap ? b->map_cap * 2 : 1024;
  uint32_t *map = ls_map(cap * sizeof *map);
  if (!map)
    return false;
  for (size_t g = 0; g < b->r->ngroups; g++) {
    size_t i = slot_of_key(key_of(&b->r->groups[g]), cap);
    while (map[i])
      i = (i + 1) & (cap - 1);
    map[i] = (uint32_t)g + 1;
  }
  if (b->map)
    ls_unmap(b->map, b->map_cap * sizeof *b->map);
  b->map = map;
  b->map_cap = cap;
  return true;
}

/* The group for key, created empty if new; NULL when out of memory. */
static ls_group_t *group_for(builder_t *b, ls_group_kind_t kind, ls_fd_kind_t res, uint32_t stack,
                             uint8_t reach) {
  ls_report_t *r = b->r;
  if ((r->ngroups + 1) * 2 > b->map_cap && !rehash(b))
    return NULL;
  stack = ls_python_view_stack(stack); /* stacks the view shows alike group alike */
  uint64_t key = group_key(kind, res, stack, reach);
  size_t i = slot_of_key(key, b->map_cap);
  for (; b->map[i]; i = (i + 1) & (b->map_cap - 1))
    if (key_of(&r->groups[b->map[i] - 1]) == key)
      return &r->groups[b->map[i] - 1];
  if (!grow_array((void **)&r->groups, &r->groups_cap, r->ngroups + 1, sizeof(ls_group_t)))
    return NULL;
  b->map[i] = (uint32_t)r->ngroups + 1;
  ls_group_t *g = &r->groups[r->ngroups++];
  *g = (ls_group_t){.kind = kind, .resource = res, .stack = stack, .reach = reach,
                    .oldest = UINT32_MAX};
  return g;
}

bool ls_report_passes(const ls_report_builder_t *b, uint32_t stamp, uint16_t thread) {
  const ls_filter_t *f = b->f;
  return stamp >= f->since && (f->thread < 0 || f->thread == thread) &&
         b->r->now - stamp >= f->min_age_ms;
}

static void add_to(ls_group_t *g, uint64_t bytes, uint32_t stamp) {
  g->bytes += bytes;
  g->count++;
  if (stamp < g->oldest)
    g->oldest = stamp;
  if (stamp > g->newest)
    g->newest = stamp;
}

static int cmp_uintptr(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

static bool is_stream_buffer(const builder_t *b, uintptr_t addr) {
  return b->nbuffers &&
         bsearch(&addr, b->buffers, b->nbuffers, sizeof *b->buffers, cmp_uintptr) != NULL;
}

/* Blocks the dynamic loader allocated itself (dynamic TLS, DTVs: freed
 * by it when threads and modules go, or kept for the process's life) are
 * not the program's leaks (LeakSanitizer's use_ld_allocations rule). */
static bool from_loader(const builder_t *b, uint32_t stack) {
  uint32_t depth;
  const uintptr_t *pcs = ls_depot_get(stack, &depth);
  return depth && pcs[0] >= b->loader_lo && pcs[0] < b->loader_hi;
}

static int find_loader(struct dl_phdr_info *info, size_t size, void *ctx) {
  builder_t *b = ctx;
  if (info->dlpi_addr != getauxval(AT_BASE))
    return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
      b->loader_lo = info->dlpi_addr + ph->p_vaddr;
      b->loader_hi = b->loader_lo + ph->p_memsz;
    }
  }
  return 1;
}

/* Adds one live block of reachability class cls (LS_REACH_DEFINITE when
 * the report has none). */
static void add_block(builder_t *b, const ls_block_t *blk, int cls) {
  if (b->failed || !ls_report_passes(b, blk->stamp, blk->thread) || is_stream_buffer(b, blk->addr))
    return;
  if (from_loader(b, blk->stack)) {
    b->r->loader_bytes += blk->size;
    return;
  }
  if (cls == LS_REACH_GONE)
    return; /* freed while the report was being built */
  if (cls == LS_REACH_REACHABLE) {
    b->r->reachable_bytes += blk->size;
    b->r->reachable_blocks++;
    if (!ls_config.show_reachable)
      return;
  }
  ls_group_t *g = group_for(b, LS_GROUP_MEMORY, 0, blk->stack, (uint8_t)cls);
  if (!g) {
    b->failed = true;
    return;
  }
  add_to(g, blk->size, blk->stamp);
  b->r->memory_bytes += blk->size;
  b->r->memory_blocks++;
}

static void visit_block(const ls_block_t *blk, void *ctx) { add_block(ctx, blk, LS_REACH_DEFINITE); }

/* --- Reachability: every live block, classified, then added --- */

typedef struct snapshot {
  ls_block_t *blocks;
  size_t n, cap;
  bool failed;
} snapshot_t;

static void snapshot_block(const ls_block_t *blk, void *ctx) {
  snapshot_t *s = ctx;
  if (!s->failed && grow_array((void **)&s->blocks, &s->cap, s->n + 1, sizeof *s->blocks))
    s->blocks[s->n++] = *blk;
  else
    s->failed = true;
}

static int cmp_block_addr(const void *a, const void *b) {
  uintptr_t x = ((const ls_block_t *)a)->addr, y = ((const ls_block_t *)b)->addr;
  return x < y ? -1 : x > y;
}

static int cmp_reach_addr(const void *a, const void *b) {
  uintptr_t x = ((const ls_reach_block_t *)a)->addr, y = ((const ls_reach_block_t *)b)->addr;
  return x < y ? -1 : x > y;
}

/* Called with the world stopped: lock-free (a bisection of the builder's
 * own array, then the table). */
static bool block_still_live(uintptr_t addr, void *ctx) {
  const builder_t *b = ctx;
  ls_reach_block_t key = {.addr = addr};
  if (b->nmaps && bsearch(&key, b->maps, b->nmaps, sizeof key, cmp_reach_addr))
    return true;
  return ls_table_contains(addr);
}

/* The program's mappings join the reachability graph as blocks of their
 * first page (a pointer to a mapping's start keeps it reachable, as a
 * pointer to a block's does; reading no more than a page keeps a large
 * file mapping from being read whole). */
static void snapshot_mapping(const ls_kmap_info_t *m, void *ctx) {
  builder_t *b = ctx;
  if (grow_array((void **)&b->maps, &b->maps_cap, b->nmaps + 1, sizeof *b->maps))
    b->maps[b->nmaps++] =
        (ls_reach_block_t){.addr = m->start, .size = m->len < 4096 ? m->len : 4096};
}

int ls_report_mapping_class(const ls_report_builder_t *b, uintptr_t start) {
  ls_reach_block_t key = {.addr = start};
  const ls_reach_block_t *m =
      b->nmaps ? bsearch(&key, b->maps, b->nmaps, sizeof key, cmp_reach_addr) : NULL;
  return m ? m->cls : -1;
}

/* Classifies the whole live set, not only what passes the filter: a block
 * older than a checkpoint still holds pointers. Loader blocks and stream
 * buffers are in the graph too (dynamic TLS points to program blocks),
 * and left out of the listing as usual. */
static void visit_classified(builder_t *b) {
  snapshot_t s = {0};
  ls_table_foreach(snapshot_block, &s);
  if (b->f->mappings)
    ls_kmap_foreach(snapshot_mapping, b);
  if (b->nmaps)
    qsort(b->maps, b->nmaps, sizeof *b->maps, cmp_reach_addr);
  size_t n = s.n + b->nmaps;
  ls_reach_block_t *rb = s.failed ? NULL : ls_map(n * sizeof *rb + 1);
  int rc = -ENOMEM;
  if (rb) {
    qsort(s.blocks, s.n, sizeof *s.blocks, cmp_block_addr);
    /* heap blocks and mappings, merged in address order */
    for (size_t i = 0, j = 0, k = 0; k < n; k++)
      rb[k] = j == b->nmaps || (i < s.n && s.blocks[i].addr < b->maps[j].addr)
                  ? (ls_reach_block_t){.addr = s.blocks[i].addr, .size = s.blocks[i++].size}
                  : b->maps[j++];
    ls_thread_self(); /* registered now: block_still_live runs with the world stopped */
    rc = ls_reach_classify(rb, n, block_still_live, b);
  }
  b->failed |= !rb; /* out of memory: the report says it is incomplete */
  b->r->reach = rc >= 0;
  for (size_t i = 0, j = 0, k = 0; k < n || i < s.n; k++) {
    bool is_map = rb && k < n && j < b->nmaps && rb[k].addr == b->maps[j].addr &&
                  (i == s.n || s.blocks[i].addr != rb[k].addr);
    if (is_map)
      b->maps[j++].cls = rc >= 0 ? rb[k].cls : LS_REACH_DEFINITE;
    else if (i < s.n)
      add_block(b, &s.blocks[i++], rb && rc >= 0 ? rb[k].cls : LS_REACH_DEFINITE);
  }
  if (rb)
    ls_unmap(rb, n * sizeof *rb + 1);
  free_array(s.blocks, s.cap, sizeof *s.blocks);
}

/* Remembers the buffer a glibc FILE allocated for its I/O (NULL before
 * the first read or write). A buffer the program supplied with setvbuf is
 * excluded too: it lives as long as the stream. */
static void add_buffer(builder_t *b, FILE *fp) {
  uintptr_t buf = (uintptr_t)fp->_IO_buf_base;
  if (buf && grow_array((void **)&b->buffers, &b->buffers_cap, b->nbuffers + 1, sizeof buf))
    b->buffers[b->nbuffers++] = buf;
}

static void collect_buffer(int fd, const ls_fd_entry_t *e, void *ctx) {
  if (e->kind == LS_FD_STREAM && e->obj)
    add_buffer(ctx, e->obj);
}

/* --- Describing an fd: path, socket addresses, pipe inode --- */

static void put_sockaddr(ls_buf_t *t, const struct sockaddr_storage *ss, socklen_t len) {
  char host[INET6_ADDRSTRLEN];
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const void *)ss;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    ls_buf_printf(t, "%s:%u", host, ntohs(in->sin_port));
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const void *)ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    ls_buf_printf(t, "[%s]:%u", host, ntohs(in6->sin6_port));
  } else if (ss->ss_family == AF_UNIX) {
    const struct sockaddr_un *un = (const void *)ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (n == 0)
      ls_buf_puts(t, "unix:(unnamed)");
    else if (un->sun_path[0] == '\0') {
      ls_buf_puts(t, "unix:@");
      ls_buf_put(t, un->sun_path + 1, n - 1);
    } else {
      ls_buf_puts(t, "unix:");
      ls_buf_put(t, un->sun_path, strnlen(un->sun_path, n));
    }
  } else {
    ls_buf_printf(t, "family %u", (unsigned)ss->ss_family);
  }
}

/* Appends "local → peer" for a socket; false if fd is not a socket we
 * can name. Unnamed unix sockets (socketpair) get their inode instead. */
static bool describe_socket(ls_buf_t *t, int fd, const char *link) {
  struct sockaddr_storage local, peer;
  socklen_t llen = sizeof local, plen = sizeof peer;
  if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0)
    return false;
  bool has_peer = getpeername(fd, (struct sockaddr *)&peer, &plen) == 0;
  if (local.ss_family == AF_UNIX && llen <= offsetof(struct sockaddr_un, sun_path) &&
      (!has_peer || plen <= offsetof(struct sockaddr_un, sun_path))) {
    ls_buf_puts(t, link); /* socket:[inode] identifies both ends' pairing */
    return true;
  }
  put_sockaddr(t, &local, llen);
  if (has_peer) {
    ls_buf_puts(t, " \xe2\x86\x92 "); /* U+2192 RIGHTWARDS ARROW */
    put_sockaddr(t, &peer, plen);
  }
  return true;
}

/* Appends fd's description to r->text and returns its offset; fds whose
 * kind we could not know when they appeared (received with SCM_RIGHTS,
 * dups of fds from before we loaded) get one from the kernel's name for
 * them. *state says whether e still describes the fd (fdtable.h). */
static size_t describe_fd(ls_report_t *r, int fd, const ls_fd_entry_t *e, ls_fd_kind_t *kind,
                          ls_fd_state_t *state) {
  char proc[32], link[4096];
  ls_buf_t pb;
  ls_buf_fixed(&pb, proc, sizeof proc - 1);
  ls_buf_printf(&pb, "/proc/self/fd/%d", fd);
  proc[pb.len] = '\0';
  ssize_t n = readlink(proc, link, sizeof link - 1);
  link[n > 0 ? n : 0] = '\0';
  *state = ls_fdtable_check(fd, e, n > 0 ? link : NULL);
  if (*kind == LS_FD_OTHER)
    *kind = ls_fd_kind_of_link(link);
  size_t off = r->text.len;
  if (!(*kind == LS_FD_SOCKET && describe_socket(&r->text, fd, link)))
    ls_buf_puts(&r->text, n > 0 ? link : "?");
  ls_buf_putc(&r->text, '\0');
  return off;
}

static void visit_fd(int fd, const ls_fd_entry_t *e, void *ctx) {
  builder_t *b = ctx;
  ls_report_t *r = b->r;
  if (b->failed || !ls_report_passes(b, e->stamp, e->thread))
    return;
  /* The process's standard streams, whatever made them (a shell's
   * redirections are dup2s onto 0-2): not leaks, as in Valgrind. */
  if (fd <= STDERR_FILENO && !ls_config.show_std_fds)
    return;
  ls_fd_kind_t kind = e->kind;
  ls_fd_state_t state;
  size_t path = describe_fd(r, fd, e, &kind, &state);
  if (state != LS_FD_CURRENT) {
    r->text.len = path; /* drop its description */
    r->fds_stale += state == LS_FD_STALE;
    return;
  }
  ls_group_t *g = group_for(b, LS_GROUP_FD, kind, e->stack, 0);
  if (!g || !grow_array((void **)&r->fd_items, &r->fd_items_cap, r->nfd_items + 1,
                        sizeof(ls_fd_item_t))) {
    b->failed = true;
    return;
  }
  add_to(g, 0, e->stamp);
  r->fd_items[r->nfd_items++] = (ls_fd_item_t){.fd = fd, .group = (uint32_t)(g - r->groups), .path = path};
  r->fds++;
}

ls_report_t *ls_report_of(ls_report_builder_t *b) { return b->r; }

bool ls_report_add_item(ls_report_builder_t *b, ls_group_kind_t kind, int resource, uint32_t stack,
                        uint32_t stamp, uint64_t bytes, bool not_leak, ls_fd_item_t item,
                        const char *text) {
  ls_report_t *r = b->r;
  if (b->failed)
    return false;
  ls_group_t *g = group_for(b, kind, (ls_fd_kind_t)resource, stack, 0);
  if (!g || !grow_array((void **)&r->fd_items, &r->fd_items_cap, r->nfd_items + 1,
                        sizeof(ls_fd_item_t))) {
    b->failed = true;
    return false;
  }
  g->not_leak = not_leak;
  add_to(g, bytes, stamp);
  item.group = (uint32_t)(g - r->groups);
  item.path = r->text.len;
  ls_buf_puts(&r->text, text ? text : "");
  ls_buf_putc(&r->text, '\0');
  r->fd_items[r->nfd_items++] = item;
  return true;
}

/* Memory before fds; memory by bytes, fds by count; then by stack id so
 * the order is stable from one report to the next. */
static int cmp_groups(const void *a, const void *b) {
  const ls_group_t *x = a, *y = b;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->not_leak != y->not_leak)
    return x->not_leak ? 1 : -1;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  if (x->resource != y->resource)
    return x->resource < y->resource ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int cmp_fd_items(const void *a, const void *b) {
  const ls_fd_item_t *x = a, *y = b;
  if (x->group != y->group)
    return x->group < y->group ? -1 : 1;
  if (x->fd != y->fd)
    return x->fd < y->fd ? -1 : 1;
  return x->addr < y->addr ? -1 : x->addr > y->addr; /* mappings */
}

/* Sorts the groups and points each fd group at its slice of fd_items. */
static void order(ls_report_t *r) {
  /* Remember each group's old index in first_fd while sorting. */
  for (size_t g = 0; g < r->ngroups; g++)
    r->groups[g].first_fd = g;
  qsort(r->groups, r->ngroups, sizeof *r->groups, cmp_groups);
  uint32_t *rank = ls_map(r->ngroups * sizeof *rank + 1);
  if (rank) {
    for (size_t g = 0; g < r->ngroups; g++)
      rank[r->groups[g].first_fd] = (uint32_t)g;
    for (size_t i = 0; i < r->nfd_items; i++)
      r->fd_items[i].group = rank[r->fd_items[i].group];
    ls_unmap(rank, r->ngroups * sizeof *rank + 1);
  }
  qsort(r->fd_items, r->nfd_items, sizeof *r->fd_items, cmp_fd_items);
  for (size_t g = 0; g < r->ngroups; g++)
    r->groups[g].first_fd = r->groups[g].nfds = 0;
  for (size_t i = r->nfd_items; i-- > 0;) {
    ls_group_t *g = &r->groups[r->fd_items[i].group];
    g->first_fd = i;
    g->nfds++;
  }
}

int ls_report_build(ls_report_t *r, const ls_filter_t *f, ls_trigger_t trigger) {
  *r = (ls_report_t){
      .trigger = trigger,
      .pid = getpid(),
      .now = ls_now_ms(),
      .untracked = ls_track_untracked(),
  };
  ls_buf_dynamic(&r->text);
  builder_t b = {.r = r, .f = f};
  dl_iterate_phdr(find_loader, &b);
  ls_fdtable_foreach(collect_buffer, &b);
  /* The standard streams' buffers are the process's, like the streams. */
  add_buffer(&b, stdin);
  add_buffer(&b, stdout);
  add_buffer(&b, stderr);
  qsort(b.buffers, b.nbuffers, sizeof *b.buffers, cmp_uintptr);
  /* Threads and children first: the reachability scan's stop signal
   * cuts short the sleeps of the threads it stops. */
  ls_report_visit_kinds(&b, f);
  if (f->memory && f->reach)
    visit_classified(&b);
  else if (f->memory)
    ls_table_foreach(visit_block, &b);
  if (f->fds)
    ls_fdtable_foreach(visit_fd, &b);
  ls_report_visit_mappings(&b, f);
  order(r);
  if (b.map)
    ls_unmap(b.map, b.map_cap * sizeof *b.map);
  free_array(b.buffers, b.buffers_cap, sizeof *b.buffers);
  free_array(b.maps, b.maps_cap, sizeof *b.maps);
  return b.failed ? -ENOMEM : 0;
}

void ls_report_release(ls_report_t *r) {
  free_array(r->groups, r->groups_cap, sizeof *r->groups);
  free_array(r->fd_items, r->fd_items_cap, sizeof *r->fd_items);
  ls_buf_release(&r->text);
  *r = (ls_report_t){0};
}

/* A frame without libdw: the loader's own answer (module, exported
 * symbol), which needs no allocation. */
static ls_frame_info_t plain_frame(uintptr_t pc) {
  Dl_info info;
  if (!dladdr((void *)(pc - 1), &info) || !info.dli_fname)
    return (ls_frame_info_t){.offset = pc};
  return (ls_frame_info_t){.module = info.dli_fname,
                           .offset = pc - 1 - (uintptr_t)info.dli_fbase,
                           .function = info.dli_sname};
}

size_t ls_report_expand_pc(ls_symbolizer_t *sym, uintptr_t pc, uint32_t id, ls_frame_info_t *out,
                           size_t max) {
  if (!max)
    return 0;
  if (ls_python_pc(pc) && ls_python_frame(pc, out))
    return 1;
  if (sym)
    return (size_t)ls_sym_lookup(sym, pc, id, out, (int)max);
  out[0] = plain_frame(pc);
  return 1;
}

/* Whether pc is in the C library, by the loader's module list (no DWARF). */
static bool in_libc(uintptr_t pc) {
  Dl_info info;
  if (!dladdr((void *)(pc - 1), &info) || !info.dli_fname)
    return false;
  const char *base = strrchr(info.dli_fname, '/');
  return strncmp(base ? base + 1 : info.dli_fname, "libc.so", 7) == 0;
}

/* Below the program's entry points every stack ends in the same frames
 * of the C runtime: _start (the executable's entry point), then
 * __libc_start_main and __libc_start_call_main (libc) below main;
 * start_thread and clone3 (libc) below a thread's start routine. Like
 * Valgrind, reports leave them out (LEAKSCOPE_SHOW_BELOW_MAIN=1 keeps
 * them): they say nothing, and naming them would make libdw load the C
 * library's separate debug file, ~50 ms per process. Found by address,
 * without symbols, so stripped programs are covered: an outermost frame
 * in _start (AT_ENTRY) goes, with at most the two libc frames above it
 * (exit and __run_exit_handlers, for a block allocated by an atexit
 * handler, stay); a thread's stack loses its two outermost frames if both
 * are in libc and the walk was complete, which only the unwind-table
 * walkers tell (shorter than the capture depth; a frame-pointer walk may
 * have stopped at any libc frame). A frame-pointer walk of the main
 * thread usually stops in libc before _start: ls_report_frames also ends
 * a stack at the frame whose function is main. */
static uint32_t shown_pcs(const uintptr_t *pcs, uint32_t depth) {
  if (ls_config.show_below_main || depth < 2)
    return depth;
  /* A thread the program created runs its start routine from our
   * trampoline (kind_thread.c): that frame and the libc ones below it
   * (start_thread, clone3) go, whatever the walk. */
  extern const char __ehdr_start[] __attribute__((visibility("hidden")));
  extern const char __etext[] __attribute__((visibility("hidden")));
  for (uint32_t k = depth; k-- > 1 && depth - k <= 3;) {
    if (pcs[k] >= (uintptr_t)__ehdr_start && pcs[k] < (uintptr_t)__etext)
      return k;
    if (!in_libc(pcs[k]))
      break;
  }
  if (depth < 3)
    return depth;
  /* _start calls __libc_start_main within its first few instructions */
  if (pcs[depth - 1] - 1 - getauxval(AT_ENTRY) < 64) {
    depth--;
    for (int n = 0; n < 2 && depth > 1 && in_libc(pcs[depth - 1]); n++)
      depth--;
  } else if (depth < ls_config.depth && ls_config.unwind != LS_UNWIND_FP &&
             in_libc(pcs[depth - 1]) && in_libc(pcs[depth - 2])) {
    depth -= 2;
  }
  return depth;
}

static bool is_python_frame(uintptr_t pc) {
  ls_frame_info_t f;
  return ls_python_pc(pc) && ls_python_frame(pc, &f);
}

size_t ls_report_frames(ls_symbolizer_t *sym, uint32_t id, ls_frame_info_t *out, uintptr_t *pcs,
                        size_t max) {
  uint32_t depth;
  const uintptr_t *stack = ls_depot_get(id, &depth);
  depth = shown_pcs(stack, depth);
  /* The Python-only view keeps a Python stack's Python frames and its
   * innermost native frame (the C function that allocated or opened). */
  bool python_only = false;
  for (uint32_t i = 0; ls_config.python_view == 1 && i < depth && !python_only; i++)
    python_only = is_python_frame(stack[i]);
  size_t n = 0;
  for (uint32_t i = 0; i < depth && n < max; i++) {
    if (python_only && i > 0 && !is_python_frame(stack[i]))
      continue;
    size_t k = ls_report_expand_pc(sym, stack[i], id, out + n, max - n);
    for (size_t j = 0; pcs && j < k; j++)
      pcs[n + j] = stack[i];
    n += k;
    /* the last frame of a pc's inline chain is its physical function */
    if (!ls_config.show_below_main && !out[n - 1].python && out[n - 1].function &&
        !strcmp(out[n - 1].function, "main"))
      break;
  }
  return n;
}

void ls_report_suppress(ls_report_t *r, ls_symbolizer_t *sym) {
  static ls_frame_info_t frames[LS_MAX_FRAMES]; /* under the report lock */
  size_t nrules;
  ls_rule_t *rules = ls_suppress_rules(&nrules);
  for (size_t i = 0; i < nrules; i++)
    rules[i].groups = rules[i].bytes = rules[i].count = 0;
  r->listed = r->leak_groups = 0;
  for (size_t i = 0; i < r->ngroups; i++) {
    ls_group_t *g = &r->groups[i];
    /* the rule kinds follow the group kinds */
    ls_rule_t *rule = nrules ? ls_suppress_find((ls_rule_kind_t)g->kind, frames,
                                                ls_report_frames(sym, g->stack, frames, NULL, LS_MAX_FRAMES))
                             : NULL;
    if (!rule) {
      r->listed++;
      r->leak_groups += !g->not_leak;
      continue;
    }
    g->suppressed = true;
    rule->groups++;
    rule->bytes += g->bytes;
    rule->count += g->count;
    bool running = g->resource == (ls_fd_kind_t)LS_THREAD_RUNNING;
    switch (g->kind) {
    case LS_GROUP_MEMORY:
      r->memory_bytes -= g->bytes;
      r->memory_blocks -= g->count;
      break;
    case LS_GROUP_FD: r->fds -= g->count; break;
    case LS_GROUP_THREAD: *(running ? &r->threads_running : &r->threads) -= g->count; break;
    case LS_GROUP_MAPPING:
      r->mappings -= g->count;
      r->mapping_bytes -= g->bytes;
      break;
    case LS_GROUP_PROCESS:
      *(g->resource == (ls_fd_kind_t)LS_PROCESS_RUNNING ? &r->processes_running : &r->processes) -=
          g->count;
      break;
    }
  }
}

void ls_report_format(const ls_report_t *r, ls_symbolizer_t *sym, int format, ls_buf_t *out) {
  switch (format) {
  case LS_FORMAT_JSON: ls_report_json(r, sym, out); break;
  case LS_FORMAT_FOLDED: ls_report_folded(r, sym, out); break;
  default: ls_report_text(r, sym, out); break;
  }
}

/* --- Growth between reports --- */

/* The previous diff report's groups: keys sorted, with their totals. Only
 * touched under the report lock. */
typedef struct prev_group {
  uint64_t key, bytes, count;
} prev_group_t;

static prev_group_t *prev;
static size_t nprev, prev_cap;

static int cmp_prev(const void *a, const void *b) {
  uint64_t x = ((const prev_group_t *)a)->key, y = ((const prev_group_t *)b)->key;
  return x < y ? -1 : x > y;
}

/* Sets each group's growth against the previous diff report (a group not
 * in it grew from zero), then makes this report the previous one. */
static void apply_diff(ls_report_t *r) {
  r->diff = true;
  for (size_t i = 0; i < r->ngroups; i++) {
    ls_group_t *g = &r->groups[i];
    prev_group_t k = {.key = key_of(g)};
    const prev_group_t *p = nprev ? bsearch(&k, prev, nprev, sizeof *prev, cmp_prev) : NULL;
    g->growth_bytes = (int64_t)g->bytes - (p ? (int64_t)p->bytes : 0);
    g->growth_count = (int64_t)g->count - (p ? (int64_t)p->count : 0);
    g->has_growth = g->growth_bytes || g->growth_count;
  }
  nprev = 0;
  if (!grow_array((void **)&prev, &prev_cap, r->ngroups, sizeof *prev))
    return; /* the next report compares with nothing: all growth */
  for (size_t i = 0; i < r->ngroups; i++)
    prev[nprev++] = (prev_group_t){key_of(&r->groups[i]), r->groups[i].bytes, r->groups[i].count};
  qsort(prev, nprev, sizeof *prev, cmp_prev);
}

/* --- Output --- */

static _Atomic int report_lock;

void ls_report_lock(void) {
  int expected = 0;
  /* acquire: pairs with the release in ls_report_unlock */
  while (!ls_atomic_cas_acq_rel(&report_lock, &expected, 1)) {
    expected = 0;
    usleep(1000);
  }
}

void ls_report_unlock(void) { ls_atomic_store_release(&report_lock, 0); }

/* Whether this process holds the file `st` open on some fd (other than
 * `except`): then the file must keep its identity (`prog >> out` with
 * LEAKSCOPE_OUTPUT=out, a program's own log). Other processes holding it
 * cannot be seen cheaply; that is the one case the rename still changes. */
static bool held_by_us(const struct stat *st, int except) {
  int n = ls_fdtable_limit() > 1024 ? ls_fdtable_limit() : 1024;
  for (int fd = 0; fd < n; fd++) {
    struct stat other;
    if (fd != except && fstat(fd, &other) == 0 && other.st_ino == st->st_ino &&
        other.st_dev == st->st_dev)
      return true;
  }
  return false;
}

/* Appends b to the file at path so that a reader, or a crash, never sees
 * half of it: under an flock, a temporary file in the same directory gets
 * the old content plus the report and is renamed over the file. A kill
 * at any point leaves the old file or the new one (and at worst a stray
 * temporary). Only for a regular file with one name that this process
 * does not hold open: a device (/dev/null!), a hard-linked file or a file
 * the program writes to itself must keep its identity. Returns 0, or
 * -errno; -EXDEV means "not a file to replace" (the caller then appends in
 * place, with one write). */
static int replace_with_appended(const char *path, const ls_buf_t *b) {
  for (int attempt = 0; attempt < 8; attempt++) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return -errno;
    struct stat held, now;
    if (fstat(fd, &held) != 0 || !S_ISREG(held.st_mode) || held.st_nlink != 1 ||
        held_by_us(&held, fd)) {
      close(fd);
      return -EXDEV;
    }
    /* Another writer may have renamed a new file in while we waited for
     * the lock of the old one: then start again on the new one. */
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &held) != 0 || stat(path, &now) != 0 ||
        held.st_ino != now.st_ino || held.st_dev != now.st_dev) {
      close(fd);
      continue;
    }
    char tmp[4200];
    ls_buf_t tb;
    ls_buf_fixed(&tb, tmp, sizeof tmp - 1);
    ls_buf_printf(&tb, "%s.tmp.%d", path, getpid());
    tmp[tb.len] = '\0';
    int out = tb.truncated ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (out < 0) {
      int err = tb.truncated ? ENAMETOOLONG : errno;
      close(fd);
      return -err;
    }
    int rc = 0;
    off_t in_off = 0;
    while (rc == 0 && in_off < held.st_size) {
      ssize_t n = copy_file_range(fd, &in_off, out, NULL, (size_t)(held.st_size - in_off), 0);
      if (n <= 0)
        rc = n < 0 && errno != EINTR ? -errno : (n == 0 ? -EIO : 0);
    }
    if (rc == 0)
      rc = ls_write_all(out, b->data, b->len);
    fchmod(out, held.st_mode & 07777);
    close(out);
    if (rc == 0 && rename(tmp, path) != 0)
      rc = -errno;
    if (rc != 0)
      unlink(tmp);
    close(fd); /* drops the lock */
    return rc;
  }
  return -EAGAIN;
}

void ls_report_output(const ls_buf_t *b) {
  char path[LS_OUTPUT_PATH_MAX];
  if (!ls_config.output) {
    ls_write_all(2, b->data, b->len);
    return;
  }
  if (!ls_config_expand_output(ls_config.output, getpid(), path, sizeof path)) {
    ls_warn("report path too long; writing the report to stderr");
    ls_write_all(2, b->data, b->len);
    return;
  }
  int rc = replace_with_appended(path, b);
  if (rc == -EXDEV || rc == -EACCES || rc == -EPERM || rc == -EROFS || rc == -ENAMETOOLONG ||
      rc == -EAGAIN) {
    /* Not a file to replace, or a directory not ours to write: append in
     * place, one write, as the next best thing. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      struct stat st;
      bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
      off_t start = regular ? lseek(fd, 0, SEEK_END) : -1;
      rc = ls_write_all(fd, b->data, b->len);
      if (rc < 0 && start >= 0)
        (void)ftruncate(fd, start); /* never leave half a report */
      close(fd);
    } else {
      rc = -errno;
    }
  }
  if (rc < 0) {
    ls_warn("cannot write report file '%s' (%s); writing the report to stderr", path,
            strerror(-rc));
    ls_write_all(2, b->data, b->len);
  }
}

/* See report.h: an out-of-memory program gets libdw only if 32 MiB of
 * address space can be had now. */
ls_symbolizer_t *ls_report_symbolizer(void) {
  enum { LIBDW_ROOM = 32 << 20 };
  if (ls_track_out_of_memory()) {
    void *room = ls_map(LIBDW_ROOM);
    if (!room)
      return NULL;
    ls_unmap(room, LIBDW_ROOM);
  }
  return ls_sym_open();
}

int ls_report_render(ls_trigger_t trigger, const ls_filter_t *f, int format, ls_buf_t *out) {
  ls_guard_push();
  ls_report_lock();
  /* Numbered in the order written; counts taken through the API are not
   * reports. Under the report lock, so a plain counter. */
  static uint64_t reports;
  ls_report_t r;
  if (ls_report_build(&r, f, trigger) < 0)
    ls_warn("out of memory while building the report; it is incomplete");
  r.seq = ++reports;
  if (f->diff)
    apply_diff(&r);
  ls_symbolizer_t *sym = ls_report_symbolizer();
  ls_report_suppress(&r, sym);
  ls_report_format(&r, sym, format, out);
  if (sym)
    ls_sym_close(sym);
  int groups = out->truncated ? -1 : (int)r.leak_groups;
  if (out->truncated)
    ls_warn("out of memory while formatting the report; nothing written");
  ls_report_release(&r);
  ls_report_unlock();
  ls_guard_pop();
  return groups;
}

int ls_report_emit(ls_trigger_t trigger) {
  ls_filter_t f = {.thread = -1, .memory = true, .fds = true, .threads = true, .mappings = true,
                   .processes = true, .diff = ls_config.diff,
                   .reach = ls_config.reachability == LS_REACH_ALWAYS ||
                            (trigger == LS_TRIGGER_EXIT &&
                             ls_config.reachability == LS_REACH_AT_EXIT)};
  if (trigger == LS_TRIGGER_SIGNAL || trigger == LS_TRIGGER_PERIODIC)
    f.min_age_ms = (uint32_t)(ls_config.min_age * 1000);
  ls_buf_t out;
  ls_buf_dynamic(&out);
  int groups = ls_report_render(trigger, &f, ls_config.format, &out);
  if (groups >= 0) {
    ls_guard_push();
    ls_report_output(&out);
    ls_guard_pop();
  }
  ls_buf_release(&out);
  return groups;
}
