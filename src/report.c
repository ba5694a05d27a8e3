/* SPDX-License-Identifier: MIT
 * report.c: the report model (see report.h): snapshot -> filter -> group
 * -> sort, the summary totals, growth between reports, suppression
 * marking, and the command line the reports name. Writes nothing.
 *
 * Groups are found through an open-addressing map keyed by
 * (kind, resource, stack); everything lives in mappings that grow by
 * doubling and are unmapped with the report. A FILE*'s I/O buffer is
 * dropped from the heap blocks: it belongs to the stream's one leak.
 */
#include "report.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "baseline.h"
#include "block_sort.h"
#include "config.h"
#include "depot.h"
#include "python.h"
#include "guard.h"
#include "kind_mapping.h"
#include "mbuf.h"
#include "reach.h"
#include "sample.h"
#include "report_fds.h"
#include "report_frames.h"
#include "suppress.h"
#include "table.h"
#include "thread.h"
#include "track.h"

LS_STATIC_ASSERT((int)LS_GROUP_PROCESS == (int)LS_RULE_PROCESS &&
                     (int)LS_GROUP_THREAD == (int)LS_RULE_THREAD,
                 "suppression rule kinds follow the group kinds");

const char *ls_group_kind_name(ls_group_kind_t k) {
#define LS_GROUP_KIND_NAME(id, name) name,
  static const char *const names[] = {LS_GROUP_KINDS(LS_GROUP_KIND_NAME)};
#undef LS_GROUP_KIND_NAME
  return (size_t)k < LS_ARRAY_LEN(names) ? names[k] : "?";
}

const char *ls_trigger_name(ls_trigger_t t) {
#define LS_TRIGGER_NAME(id, name) name,
  static const char *const names[] = {LS_REPORT_TRIGGERS(LS_TRIGGER_NAME)};
#undef LS_TRIGGER_NAME
  return (size_t)t < LS_ARRAY_LEN(names) ? names[t] : "?";
}

/* --- The command line --- */

/* argv as the process started, copied before main into one mapping (the
 * program may rewrite its argv, as setproctitle does). Written once by
 * capture_command, before any thread exists; read-only after. A fork
 * child inherits the copy; an exec'd program captures its own. */
static const char **command_argv;
static size_t command_argc;

/* glibc calls .init_array functions with (argc, argv, envp). */
static void capture_command(int argc, char **argv, char **envp) {
  (void)envp;
  if (argc <= 0 || !argv)
    return;
  size_t bytes = (size_t)argc * sizeof(char *);
  for (int i = 0; i < argc; i++)
    bytes += argv[i] ? strlen(argv[i]) + 1 : 1;
  char *mem = ls_map(bytes);
  if (!mem)
    return;
  const char **copy = (const char **)mem;
  char *text = mem + (size_t)argc * sizeof(char *);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i] ? argv[i] : "";
    size_t n = strlen(a) + 1;
    memcpy(text, a, n);
    copy[i] = text;
    text += n;
  }
  command_argv = copy;
  command_argc = (size_t)argc;
}
__attribute__((section(".init_array"),
               used)) static void (*const capture_command_entry)(int, char **,
                                                                 char **) = capture_command;

size_t ls_report_command(const char *const **argv) {
  *argv = command_argv;
  return command_argc;
}

/* --- Growable arrays in mappings --- */

/* mbuf.h's mappings: on ls_map_list, so the reachability scan knows
 * these are ours (they hold block addresses). */
static bool grow_array(void **data, size_t *cap, size_t need, size_t elem) {
  size_t old = *cap;
  if (!ls_mbuf_grow_array(data, cap, need, elem, 256))
    return false;
  if (*cap != old)
    ls_map_advise_filled(*data, *cap * elem); /* arrays fill from the start */
  return true;
}

static void free_array(void *data, size_t cap, size_t elem) { ls_mbuf_unmap(data, cap * elem); }

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
  /* sampled mode: estimated figures, rounded by finish_estimates */
  double loader_bytes, reachable_bytes, reachable_blocks;
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
  *g = (ls_group_t){
      .kind = kind, .resource = res, .stack = stack, .reach = reach, .oldest = UINT32_MAX};
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
 * the report has none). In sampled mode the block stands for w blocks
 * (sample.h): the estimates are summed here and rounded once, by
 * finish_estimates. */
static void add_block(builder_t *b, const ls_block_t *blk, int cls) {
  if (b->failed || !ls_report_passes(b, blk->stamp, blk->thread) || is_stream_buffer(b, blk->addr))
    return;
  bool sampled = b->r->sample_interval != 0;
  double w = sampled ? ls_sample_weight(blk->size) : 1.0;
  if (from_loader(b, blk->stack)) {
    b->r->loader_bytes += blk->size;
    b->loader_bytes += blk->size * w;
    return;
  }
  if (cls == LS_REACH_GONE)
    return; /* freed while the report was being built */
  if (cls == LS_REACH_REACHABLE) {
    b->r->reachable_bytes += blk->size;
    b->r->reachable_blocks++;
    b->reachable_bytes += blk->size * w;
    b->reachable_blocks += w;
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
  b->r->by_class[cls].bytes += blk->size;
  b->r->by_class[cls].blocks++;
  if (sampled) {
    g->sampled_bytes += blk->size;
    g->sampled_count++;
    g->est_bytes += blk->size * w;
    g->est_count += w;
  }
}

static uint64_t rounded(double x) { return x > 0 ? (uint64_t)(x + 0.5) : 0; }

/* Sampled mode: each memory group's figures become its estimates, and
 * the memory totals the sums of the groups' (so a summary and the groups
 * listed under it agree); what was recorded stays in the sampled fields. */
static void finish_estimates(builder_t *b) {
  ls_report_t *r = b->r;
  if (!r->sample_interval)
    return;
  r->sampled_bytes = r->memory_bytes;
  r->sampled_blocks = r->memory_blocks;
  r->memory_bytes = r->memory_blocks = 0;
  for (size_t c = 0; c < LS_REACH_CLASS_COUNT; c++)
    r->by_class[c] = (ls_class_total_t){0};
  for (size_t i = 0; i < r->ngroups; i++) {
    ls_group_t *g = &r->groups[i];
    if (g->kind != LS_GROUP_MEMORY)
      continue;
    g->bytes = rounded(g->est_bytes);
    g->count = rounded(g->est_count);
    r->memory_bytes += g->bytes;
    r->memory_blocks += g->count;
    r->by_class[g->reach].bytes += g->bytes;
    r->by_class[g->reach].blocks += g->count;
  }
  r->loader_bytes = rounded(b->loader_bytes);
  r->reachable_bytes = rounded(b->reachable_bytes);
  r->reachable_blocks = rounded(b->reachable_blocks);
}

static void visit_block(const ls_block_t *blk, void *ctx) {
  add_block(ctx, blk, LS_REACH_DEFINITE);
}

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
        (ls_reach_block_t){.addr = m->start,
                           .size = m->len < 4096 ? m->len : 4096,
                           .root = true /* a leaked mapping still holds pointers */};
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
  ls_blocks_sort_by_addr(s.blocks, s.n); /* in place: no qsort copy */
  ls_reach_block_t *rb = s.failed ? NULL : ls_map(n * sizeof *rb + 1);
  ls_map_advise_filled(rb, n * sizeof *rb + 1);
  int rc = -ENOMEM;
  if (rb) {
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
  size_t path = ls_report_describe_fd(&r->text, fd, e, &kind, &state);
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
  r->fd_items[r->nfd_items++] =
      (ls_fd_item_t){.fd = fd, .group = (uint32_t)(g - r->groups), .path = path};
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
      .sample_interval = ls_config.sample,
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
  finish_estimates(&b);
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

void ls_report_suppress(ls_report_t *r, ls_symbolizer_t *sym) {
  static ls_frame_info_t frames[LS_MAX_FRAMES]; /* under the report lock */
  size_t nrules;
  ls_rule_t *rules = ls_suppress_rules(&nrules);
  for (size_t i = 0; i < nrules; i++)
    rules[i].groups = rules[i].bytes = rules[i].count = 0;
  r->listed = r->leak_groups = r->baseline_groups = 0;
  r->baseline = ls_baseline_active();
  for (size_t i = 0; i < r->ngroups; i++) {
    ls_group_t *g = &r->groups[i];
    size_t n =
        nrules || r->baseline ? ls_report_frames(sym, g->stack, frames, NULL, LS_MAX_FRAMES) : 0;
    /* the rule kinds follow the group kinds */
    ls_rule_t *rule = nrules ? ls_suppress_find((ls_rule_kind_t)g->kind, frames, n) : NULL;
    if (!rule) {
      r->listed++;
      r->leak_groups += !g->not_leak;
      g->in_baseline = r->baseline && ls_baseline_has(ls_report_fingerprint(g, frames, n));
      r->baseline_groups += g->in_baseline && !g->not_leak;
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
      r->sampled_bytes -= g->sampled_bytes;
      r->sampled_blocks -= g->sampled_count;
      r->by_class[g->reach].bytes -= g->bytes;
      r->by_class[g->reach].blocks -= g->count;
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
    case LS_GROUP_KIND_COUNT: break;
    }
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

void ls_report_diff(ls_report_t *r) {
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

/* --- Order and length of the list (LEAKSCOPE_SORT, LEAKSCOPE_TOP) --- */

/* Kinds in report order; within one, the biggest growth first (bytes,
 * then count), then the report's own order (by size). Suppressed groups
 * go last: they are not listed. */
static int cmp_growth(const void *a, const void *b) {
  const ls_group_t *x = a, *y = b;
  if (x->suppressed != y->suppressed)
    return x->suppressed ? 1 : -1;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->growth_bytes != y->growth_bytes)
    return x->growth_bytes > y->growth_bytes ? -1 : 1;
  if (x->growth_count != y->growth_count)
    return x->growth_count > y->growth_count ? -1 : 1;
  return cmp_groups(a, b);
}

void ls_report_rank(ls_report_t *r, bool by_growth, size_t top) {
  /* Groups carry their fd items by first_fd/nfds, so moving them keeps
   * their items; fd_items[].group, an index from before, is not read
   * after order(). */
  if (by_growth && r->diff && r->ngroups > 1)
    qsort(r->groups, r->ngroups, sizeof *r->groups, cmp_growth);
  if (!top)
    return;
  size_t listed = 0;
  for (size_t i = 0; i < r->ngroups; i++) {
    if (r->groups[i].suppressed)
      continue;
    if (listed == top) {
      r->ngroups = i; /* the rest are not written; the summary keeps them */
      r->cut = true;
      return;
    }
    listed++;
  }
}
