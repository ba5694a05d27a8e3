/* SPDX-License-Identifier: MIT
 * report_pprof.c: the pprof writer (LEAKSCOPE_FORMAT=pprof): a report as
 * one uncompressed profile.proto message, the format of `go tool pprof`,
 * gperftools/jeprof and continuous profilers (Pyroscope, Parca, Grafana).
 * docs/report-format.md ("pprof") is the reader's side.
 *
 * What goes where:
 *   - one Sample per listed group, with one value per sample type:
 *     inuse_objects/count and inuse_space/bytes for heap groups,
 *     open_fds/count for fd groups, threads/count, mappings/count and
 *     mapped_space/bytes, processes/count (a group's values for the other
 *     kinds are 0, so one profile holds every kind and -sample_index picks
 *     one);
 *   - labels: kind (memory, fd, thread, ...), resource (heap, file,
 *     socket, not-joined, ...),
 *     reachability (definite, ... in a report with reachability), and per
 *     fd its description as path (peer for a socket) and its number as fd;
 *   - one Location per return address, its inlined frames as Lines,
 *     innermost first and the function they were inlined into last (the
 *     order profile.proto asks for), each Line naming a Function (name,
 *     source file) and its source line;
 *   - one Mapping per module of this process that holds a location, with
 *     its address range and GNU build id; has_functions etc. set, since
 *     every location comes symbolized (pprof then does not look for the
 *     binaries).
 * Suppressed groups are left out, as in every format.
 *
 * Like the other writers it allocates nothing through malloc: the message
 * is assembled in ls_buf_t's (mmap) and the de-duplication tables come from
 * ls_map. Protobuf needs each sub-message's length before its bytes, so a
 * sub-message is built in a scratch buffer and then copied out. The
 * string table is written last (field order does not matter to protobuf).
 */
#include "report_writer.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <time.h>

#include "arena.h"

/* --- Protocol-buffer encoding (wire types 0 and 2 are all we need) --- */

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

static void pb_varint(ls_buf_t *b, uint64_t v) {
  char tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  ls_buf_put(b, tmp, n);
}

static void pb_key(ls_buf_t *b, unsigned field, unsigned wire) {
  pb_varint(b, (uint64_t)field << 3 | wire);
}

/* An integer field; 0 is proto3's default and is not written. */
static void pb_uint(ls_buf_t *b, unsigned field, uint64_t v) {
  if (!v)
    return;
  pb_key(b, field, WIRE_VARINT);
  pb_varint(b, v);
}

static void pb_bytes(ls_buf_t *b, unsigned field, const void *p, size_t n) {
  pb_key(b, field, WIRE_LEN);
  pb_varint(b, n);
  ls_buf_put(b, p, n);
}

/* Appends the sub-message in msg as field `field` of b and empties msg. */
static void pb_flush(ls_buf_t *b, unsigned field, ls_buf_t *msg) {
  pb_bytes(b, field, msg->data, msg->len);
  msg->len = 0;
}

/* --- De-duplication: a 64-bit key to a 32-bit id (0: none), open
 * addressing in an ls_map'd table that doubles at half full. --- */

typedef struct {
  uint64_t key;
  uint32_t id;
} slot_t;

typedef struct {
  slot_t *slot;
  size_t cap, n;
  bool failed; /* out of memory: the caller's output is cut short */
} idtab_t;

static uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= UINT64_C(0xff51afd7ed558ccd);
  k ^= k >> 33;
  return k;
}

static slot_t *idtab_find(idtab_t *t, uint64_t key) {
  for (size_t i = mix(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
    if (!t->slot[i].id || t->slot[i].key == key)
      return &t->slot[i];
}

/* The id stored for key, or 0. */
static uint32_t idtab_get(idtab_t *t, uint64_t key) { return t->cap ? idtab_find(t, key)->id : 0; }

static void idtab_put(idtab_t *t, uint64_t key, uint32_t id) {
  if (2 * (t->n + 1) > t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 1024;
    slot_t *old = t->slot, *fresh = ls_map(cap * sizeof *fresh);
    if (!fresh) {
      t->failed = true;
      return;
    }
    size_t old_cap = t->cap;
    t->slot = fresh;
    t->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
      if (old[i].id)
        *idtab_find(t, old[i].key) = old[i];
    if (old)
      ls_unmap(old, old_cap * sizeof *old);
  }
  slot_t *s = idtab_find(t, key);
  if (!s->id)
    t->n++;
  *s = (slot_t){key, id};
}

static void idtab_release(idtab_t *t) {
  if (t->slot)
    ls_unmap(t->slot, t->cap * sizeof *t->slot);
}

/* --- The modules of this process, for Mappings --- */

#define MAX_MODULES 1024

typedef struct {
  uintptr_t start, limit; /* lowest and highest address of its PT_LOADs */
  uint64_t file_offset;   /* file offset of the lowest PT_LOAD */
  const char *name;       /* the loader's name ("" for the executable) */
  char build_id[41];      /* hex, "" if none */
  uint32_t id;            /* Mapping id once a location uses it, else 0 */
  int64_t file;           /* string index of the file name */
} module_t;

typedef struct {
  module_t *m; /* ls_map'd, MAX_MODULES */
  size_t n;
} modules_t;

/* Copies the GNU build id of a loaded module from its PT_NOTE segments
 * (mapped, as every note of an ELF file lies in a PT_LOAD). */
static void read_build_id(const struct dl_phdr_info *info, char out[41]) {
  static const char hex[] = "0123456789abcdef";
  out[0] = '\0';
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE)
      continue;
    const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
      const char *name = p + sizeof *nh;
      const unsigned char *desc = (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
      if ((const char *)desc + nh->n_descsz > end)
        break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
        size_t n = nh->n_descsz < 20 ? nh->n_descsz : 20;
        for (size_t k = 0; k < n; k++) {
          out[2 * k] = hex[desc[k] >> 4];
          out[2 * k + 1] = hex[desc[k] & 15];
        }
        out[2 * n] = '\0';
        return;
      }
      p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg) {
  modules_t *mods = arg;
  if (mods->n == MAX_MODULES)
    return 1;
  module_t *m = &mods->m[mods->n];
  *m = (module_t){.start = UINTPTR_MAX, .name = info->dlpi_name ? info->dlpi_name : ""};
  uint64_t lowest = UINT64_MAX;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (ph->p_vaddr < lowest) {
      lowest = ph->p_vaddr;
      m->file_offset = ph->p_offset;
    }
    m->start = lo < m->start ? lo : m->start;
    m->limit = hi > m->limit ? hi : m->limit;
  }
  if (m->start < m->limit) {
    read_build_id(info, m->build_id);
    mods->n++;
  }
  return 0;
}

static module_t *module_of(modules_t *mods, uintptr_t pc) {
  for (size_t i = 0; i < mods->n; i++)
    if (pc >= mods->m[i].start && pc < mods->m[i].limit)
      return &mods->m[i];
  return NULL;
}

/* --- The profile being written --- */

typedef struct {
  ls_buf_t strings;  /* the string_table entries, encoded (field 6) */
  ls_buf_t str_meta; /* per string index: its offset in strings and length */
  int64_t nstrings;
  idtab_t str_ids;    /* FNV-1a of the bytes -> index + 1 */
  ls_buf_t locations; /* encoded Location fields (4) */
  ls_buf_t functions; /* encoded Function fields (5) */
  idtab_t loc_ids;    /* return address -> Location id */
  idtab_t fn_ids;     /* (name, file) string indexes -> Function id */
  uint32_t nlocations, nfunctions;
  ls_buf_t msg, line; /* scratch for one sub-message and one Line */
  modules_t mods;
} pprof_t;

typedef struct {
  uint32_t off, len;
} str_meta_t;

/* The string table index of s ("" is index 0, written first). */
static int64_t str_index(pprof_t *p, const char *s) {
  if (!s || !*s)
    return 0;
  size_t len = strlen(s);
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
  uint32_t known = idtab_get(&p->str_ids, h);
  if (known) {
    str_meta_t m;
    memcpy(&m, p->str_meta.data + (known - 1) * sizeof m, sizeof m);
    if (m.len == len && !memcmp(p->strings.data + m.off, s, len))
      return known - 1;
    /* A hash collision: the string gets its own entry, not the table's. */
  }
  pb_key(&p->strings, 6, WIRE_LEN);
  pb_varint(&p->strings, len);
  str_meta_t m = {(uint32_t)p->strings.len, (uint32_t)len};
  ls_buf_put(&p->strings, s, len);
  ls_buf_put(&p->str_meta, (const char *)&m, sizeof m);
  int64_t index = p->nstrings++;
  if (!known)
    idtab_put(&p->str_ids, h, (uint32_t)index + 1);
  return index;
}

/* The Function id for a frame: one per (name, file). A frame without a
 * name is called after its place, "module+0xoffset", as in text reports. */
static uint32_t function_id(pprof_t *p, const ls_frame_info_t *f) {
  char unnamed[4200];
  const char *name = f->function;
  if (!name) {
    ls_buf_t nb;
    ls_buf_fixed(&nb, unnamed, sizeof unnamed - 1);
    ls_buf_printf(&nb, "%s+0x%lx", f->module ? f->module : "??", (unsigned long)f->offset);
    unnamed[nb.len] = '\0';
    name = unnamed;
  }
  int64_t n = str_index(p, name), file = str_index(p, f->file);
  uint64_t key = (uint64_t)n << 32 | (uint64_t)file;
  uint32_t id = idtab_get(&p->fn_ids, key);
  if (id)
    return id;
  id = ++p->nfunctions;
  idtab_put(&p->fn_ids, key, id);
  pb_uint(&p->msg, 1, id);
  pb_uint(&p->msg, 2, (uint64_t)n); /* name */
  pb_uint(&p->msg, 3, (uint64_t)n); /* system_name */
  pb_uint(&p->msg, 4, (uint64_t)file);
  pb_flush(&p->functions, 5, &p->msg);
  return id;
}

/* The Location id for frames[0..n), the frames expanded from one return
 * address pc (inlined ones first). */
static uint32_t location_id(pprof_t *p, uintptr_t pc, const ls_frame_info_t *frames, size_t n) {
  /* pc 0: a frame not shared by address (never de-duplicated) */
  uint32_t id = pc ? idtab_get(&p->loc_ids, pc) : 0;
  if (id)
    return id;
  id = ++p->nlocations;
  if (pc)
    idtab_put(&p->loc_ids, pc, id);
  /* The Functions first: they use the scratch message buffer. */
  uint32_t fn[64];
  size_t lines = n < LS_ARRAY_LEN(fn) ? n : LS_ARRAY_LEN(fn);
  for (size_t k = 0; k < lines; k++)
    fn[k] = function_id(p, &frames[k]);
  module_t *m = pc ? module_of(&p->mods, pc) : NULL;
  if (m && !m->id) {
    m->id = (uint32_t)(m - p->mods.m) + 1;
    /* The frames' module path is canonical; the loader's name is "" for
     * the executable. */
    m->file = str_index(p, frames[0].module ? frames[0].module : m->name);
  }
  pb_uint(&p->msg, 1, id);
  pb_uint(&p->msg, 2, m ? m->id : 0);
  pb_uint(&p->msg, 3, pc ? pc - 1 : 0); /* inside the call, as offsets are */
  for (size_t k = 0; k < lines; k++) {
    pb_uint(&p->line, 1, fn[k]);
    pb_uint(&p->line, 2, frames[k].line > 0 ? (uint64_t)frames[k].line : 0);
    pb_flush(&p->msg, 4, &p->line);
  }
  pb_flush(&p->locations, 4, &p->msg);
  return id;
}

/* The sample types, in this order; a group's values are zero but for its
 * own kind's. A new resource kind adds its types here and in
 * ls_report_write_pprof. */
enum {
  VALUE_OBJECTS,   /* heap blocks */
  VALUE_SPACE,     /* heap bytes */
  VALUE_FDS,       /* fds, streams, dirs */
  VALUE_THREADS,   /* threads not joined or running */
  VALUE_MAPPINGS,  /* memory mappings */
  VALUE_MAPPED,    /* their bytes */
  VALUE_PROCESSES, /* child processes not waited for or running */
  VALUE_COUNT
};

static void put_label(pprof_t *p, ls_buf_t *sample, const char *key, const char *str, int64_t num) {
  pb_uint(&p->line, 1, (uint64_t)str_index(p, key));
  if (str)
    pb_uint(&p->line, 2, (uint64_t)str_index(p, str));
  else
    pb_uint(&p->line, 3, (uint64_t)num);
  pb_flush(sample, 3, &p->line);
}

static void put_sample(pprof_t *p, const ls_report_t *r, ls_symbolizer_t *sym, const ls_group_t *g,
                       ls_buf_t *out) {
  const ls_frame_info_t *frames;
  const uintptr_t *pcs;
  size_t n = ls_rw_stack(sym, g->stack, &frames, &pcs);
  ls_buf_t ids, sample;
  char ids_mem[LS_MAX_FRAMES * 5];
  ls_buf_fixed(&ids, ids_mem, sizeof ids_mem);
  for (size_t k = 0; k < n;) {
    size_t run = 1;
    /* A frame without a module (a Python frame, JIT code) is a Location of
     * its own: its pc is not known to name one place in a file. */
    bool native = frames[k].module != NULL;
    while (native && k + run < n && pcs[k + run] == pcs[k] && frames[k + run].module)
      run++;
    pb_varint(&ids, location_id(p, native ? pcs[k] : 0, &frames[k], run));
    k += run;
  }
  /* Labels may be many (one per fd): the sample goes through a dynamic
   * buffer. */
  ls_buf_dynamic(&sample);
  pb_bytes(&sample, 1, ids.data, ids.len);
  uint64_t values[VALUE_COUNT] = {0};
  const char *resource = "heap";
  switch (g->kind) {
  case LS_GROUP_MEMORY:
    values[VALUE_OBJECTS] = g->count;
    values[VALUE_SPACE] = g->bytes;
    break;
  case LS_GROUP_FD:
    values[VALUE_FDS] = g->count;
    resource = ls_fd_kind_name(g->resource);
    break;
  case LS_GROUP_THREAD: values[VALUE_THREADS] = g->count; break;
  case LS_GROUP_MAPPING:
    values[VALUE_MAPPINGS] = g->count;
    values[VALUE_MAPPED] = g->bytes;
    break;
  case LS_GROUP_PROCESS: values[VALUE_PROCESSES] = g->count; break;
  default: break;
  }
  if (g->kind >= LS_GROUP_THREAD)
    resource = ls_kind_resource_name(g->kind, (int)g->resource);
  char vmem[VALUE_COUNT * 10];
  ls_buf_t vb;
  ls_buf_fixed(&vb, vmem, sizeof vmem);
  for (size_t i = 0; i < VALUE_COUNT; i++)
    pb_varint(&vb, values[i]);
  pb_bytes(&sample, 2, vb.data, vb.len);
  put_label(p, &sample, "kind", ls_group_kind_name(g->kind), 0);
  put_label(p, &sample, "resource", resource, 0);
  if (g->kind == LS_GROUP_MEMORY && r->reach)
    put_label(p, &sample, "reachability", ls_reach_class_name(g->reach), 0);
  for (size_t i = 0; g->kind == LS_GROUP_FD && i < g->nfds; i++) {
    const ls_fd_item_t *it = &r->fd_items[g->first_fd + i];
    put_label(p, &sample, g->resource == LS_FD_SOCKET ? "peer" : "path", r->text.data + it->path,
              0);
    put_label(p, &sample, "fd", NULL, it->fd);
  }
  pb_flush(out, 2, &sample);
  if (sample.truncated || ids.truncated)
    out->truncated = true;
  ls_buf_release(&sample);
}

static void put_value_type(pprof_t *p, ls_buf_t *out, unsigned field, const char *type,
                           const char *unit) {
  pb_uint(&p->line, 1, (uint64_t)str_index(p, type));
  pb_uint(&p->line, 2, (uint64_t)str_index(p, unit));
  pb_flush(out, field, &p->line);
}

void ls_report_write_pprof(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *out) {
  pprof_t p = {0};
  ls_buf_dynamic(&p.strings);
  ls_buf_dynamic(&p.str_meta);
  ls_buf_dynamic(&p.locations);
  ls_buf_dynamic(&p.functions);
  ls_buf_dynamic(&p.msg);
  ls_buf_dynamic(&p.line);
  p.mods.m = ls_map(MAX_MODULES * sizeof *p.mods.m);
  if (p.mods.m)
    dl_iterate_phdr(add_module, &p.mods);
  /* Index 0 must be "" (str_index answers 0 for it without looking). */
  pb_bytes(&p.strings, 6, "", 0);
  ls_buf_put(&p.str_meta, (const char *)&(str_meta_t){0, 0}, sizeof(str_meta_t));
  p.nstrings = 1;

  put_value_type(&p, out, 1, "inuse_objects", "count");
  put_value_type(&p, out, 1, "inuse_space", "bytes");
  put_value_type(&p, out, 1, "open_fds", "count");
  put_value_type(&p, out, 1, "threads", "count");
  put_value_type(&p, out, 1, "mappings", "count");
  put_value_type(&p, out, 1, "mapped_space", "bytes");
  put_value_type(&p, out, 1, "processes", "count");
  for (size_t i = 0; i < r->ngroups; i++)
    if (!r->groups[i].suppressed)
      put_sample(&p, r, sym, &r->groups[i], out);
  for (size_t i = 0; i < p.mods.n; i++) {
    module_t *m = &p.mods.m[i];
    if (!m->id)
      continue;
    pb_uint(&p.msg, 1, m->id);
    pb_uint(&p.msg, 2, m->start);
    pb_uint(&p.msg, 3, m->limit);
    pb_uint(&p.msg, 4, m->file_offset);
    pb_uint(&p.msg, 5, (uint64_t)m->file);
    pb_uint(&p.msg, 6, (uint64_t)str_index(&p, m->build_id));
    for (unsigned f = 7; f <= 10; f++) /* has_functions ... has_inline_frames */
      pb_uint(&p.msg, f, 1);
    pb_flush(out, 3, &p.msg);
  }
  ls_buf_put(out, p.locations.data, p.locations.len);
  ls_buf_put(out, p.functions.data, p.functions.len);

  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  pb_uint(out, 9, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec); /* time_nanos */
  put_value_type(&p, out, 11, "space", "bytes");                               /* period_type */
  pb_uint(out, 12, 1);                                                         /* period */
  char comment[160];
  ls_buf_t cb;
  ls_buf_fixed(&cb, comment, sizeof comment - 1);
  ls_buf_printf(&cb, "leakscope report %lu of pid %d (%s)", (unsigned long)r->seq, r->pid,
                ls_trigger_name(r->trigger));
  if (r->sample_interval) /* heap values are estimates (report.h) */
    ls_buf_printf(&cb, "; sampled mode, interval %lu bytes: heap values are estimates",
                  (unsigned long)r->sample_interval);
  comment[cb.len] = '\0';
  pb_key(out, 13, WIRE_VARINT);
  pb_varint(out, (uint64_t)str_index(&p, comment));
  pb_uint(out, 14, (uint64_t)str_index(&p, "inuse_space")); /* default_sample_type */
  ls_buf_put(out, p.strings.data, p.strings.len);

  if (p.strings.truncated || p.str_meta.truncated || p.locations.truncated ||
      p.functions.truncated || p.msg.truncated || p.line.truncated || p.str_ids.failed ||
      p.loc_ids.failed || p.fn_ids.failed)
    out->truncated = true;
  ls_buf_release(&p.strings);
  ls_buf_release(&p.str_meta);
  ls_buf_release(&p.locations);
  ls_buf_release(&p.functions);
  ls_buf_release(&p.msg);
  ls_buf_release(&p.line);
  idtab_release(&p.str_ids);
  idtab_release(&p.loc_ids);
  idtab_release(&p.fn_ids);
  if (p.mods.m)
    ls_unmap(p.mods.m, MAX_MODULES * sizeof *p.mods.m);
}
