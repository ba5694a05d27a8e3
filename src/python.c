/* SPDX-License-Identifier: MIT
 * python.c: Python frames in captured stacks (see python.h).
 *
 * How frames are read (docs/design-decisions.md, "Python frames"):
 * CPython 3.11+ keeps each executing function in a _PyInterpreterFrame
 * record on a per-thread data stack, linked innermost first from the
 * thread state (3.11, 3.12: tstate->cframe->current_frame; 3.13:
 * tstate->current_frame). The thread state comes from
 * PyGILState_GetThisThreadState(), which reads the interpreter's
 * thread-specific key: it needs no GIL, and a thread inside malloc or
 * open with the GIL released still has its frames, unchanging, because
 * only the thread itself pushes or pops them. Each record gives the code
 * object and the instruction it is at; PyCode_Addr2Line (exported, a pure
 * read of the code's line table) turns those into the line.
 *
 * The layouts are the ones CPython's own headers declare for each
 * version (offsets below, checked against python3.11-dev and the 3.12 /
 * 3.13 headers by tests/python); nothing depends on debug information, so
 * a stripped interpreter works. Only 3.11, 3.12 and 3.13 are known; any
 * other version keeps Python frames off and says so once on stderr.
 *
 * Safety: every pointer read from the interpreter is checked to be a
 * plausible user-space address with the right alignment before it is
 * followed, every object is checked to be of the expected type (code
 * objects by PyCode_Type, strings by PyUnicode_Type), and every loop is
 * bounded. Captures only ever read the capturing thread's own frames.
 *
 * Cost: a Python frame costs a few loads plus one probe of a shared memo
 * keyed by (code object, instruction, name, file, line table); a miss
 * resolves the line and copies the names (~1-2 us), once per distinct
 * frame position. The memo is direct-mapped with a per-slot sequence
 * lock: readers retry nothing (a torn or busy slot is a miss), writers
 * that lose the slot's CAS skip the update. Resolved frames are depot
 * nodes (immutable, never freed), so a report never reads a code object
 * that may have been freed since.
 */
#include "python.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "atomic.h"
#include "config.h"
#include "depot.h"
#include "out.h"
#include "python_layout.h"
#include "stack.h"

/* _PyInterpreterFrame.owner values (the same in 3.11-3.13) */
enum { OWNED_BY_GENERATOR = 1, OWNED_BY_CSTACK = 3 };

/* The interpreter, found once by ls_python_init (before any capture can
 * see `on`): read-only afterwards. */
static const layout_t *L;
static void *(*get_tstate)(void);
static int (*addr2line)(void *code, int addrq);
static const void *code_type, *unicode_type;
static uintptr_t eval_lo, eval_hi; /* _PyEval_EvalFrameDefault's code */
static bool on;

/* Python frames per capture at most; deeper stacks keep their innermost. */
#define MAX_PY_FRAMES 192
/* Links followed per walk at most (frames plus entry markers). */
#define MAX_LINKS 1024
/* Bytes kept of a function name or file name (a longer file name keeps
 * its end, where the file is named). */
#define MAX_NAME 512

/* A pointer the interpreter may have stored: 8-aligned, in user space,
 * above the first page. */
static inline bool plausible(uintptr_t p) {
  return p >= 4096 && p < ((uintptr_t)1 << 47) && (p & 7) == 0;
}

static inline uintptr_t load_word(uintptr_t base, int off) {
  return *(const uintptr_t *)(base + (uintptr_t)off);
}

/* --- Resolving one frame --------------------------------------------- */

/* Appends code point c as UTF-8 to dst (cap bytes left); returns bytes
 * written (0 when it does not fit). */
static size_t put_utf8(char *dst, size_t cap, uint32_t c) {
  if (c < 0x80 && cap >= 1) {
    dst[0] = (char)c;
    return 1;
  }
  if (c < 0x800 && cap >= 2) {
    dst[0] = (char)(0xc0 | c >> 6);
    dst[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000 && cap >= 3) {
    dst[0] = (char)(0xe0 | c >> 12);
    dst[1] = (char)(0x80 | (c >> 6 & 0x3f));
    dst[2] = (char)(0x80 | (c & 0x3f));
    return 3;
  }
  if (c < 0x110000 && cap >= 4) {
    dst[0] = (char)(0xf0 | c >> 18);
    dst[1] = (char)(0x80 | (c >> 12 & 0x3f));
    dst[2] = (char)(0x80 | (c >> 6 & 0x3f));
    dst[3] = (char)(0x80 | (c & 0x3f));
    return 4;
  }
  return 0;
}

/* Copies Python str `obj` as UTF-8 into dst (cap > 0 bytes, NUL-terminated)
 * and returns its length; "?" for anything that is not a compact str. Reads
 * the object's own storage (the interpreter's cached UTF-8 copy when there
 * is one): asking the interpreter for UTF-8 could allocate. */
static size_t read_str(uintptr_t obj, char *dst, size_t cap, bool keep_end) {
  size_t n = 0;
  if (plausible(obj) && (const void *)load_word(obj, 8) == unicode_type) {
    size_t len = (size_t)load_word(obj, 16);
    uint32_t state = *(const uint32_t *)(obj + 32);
    unsigned kind = state >> 2 & 7, compact = state >> 5 & 1, ascii = state >> 6 & 1;
    if (compact && ascii) {
      const char *s = (const char *)(obj + (uintptr_t)L->unicode_ascii_size);
      size_t skip = len >= cap ? len - (cap - 1) : 0;
      n = len - skip;
      memcpy(dst, s + (keep_end ? skip : 0), n);
    } else if (compact && (kind == 1 || kind == 2 || kind == 4) && len < (1u << 20)) {
      const unsigned char *d = (const unsigned char *)(obj + (uintptr_t)L->unicode_compact_size);
      /* a long name keeps its end (for a file) or its start */
      size_t from = keep_end && len > cap / 4 ? len - cap / 4 : 0;
      for (size_t i = from; i < len; i++) {
        uint32_t c = kind == 1   ? d[i]
                     : kind == 2 ? ((const uint16_t *)d)[i]
                                 : ((const uint32_t *)d)[i];
        size_t k = put_utf8(dst + n, cap - 1 - n, c);
        if (!k)
          break;
        n += k;
      }
    }
  }
  if (n == 0)
    dst[n++] = '?';
  dst[n] = '\0';
  return n;
}

/* Frame records in the depot: [MAGIC, line, name length | file length <<
 * 32, "name\0file\0" packed into the following words]. */
#define RECORD_MAGIC ((uintptr_t)0x5079467261ull) /* "PyFra" */
#define RECORD_HEAD 3

/* Which depot ids are frame records: one bit per id (depot ids are below
 * 2^27), set before the id is first returned. A report tells a Python
 * pseudo-frame from a garbage return address with bit 63 set (a
 * frame-pointer walk through code without frame pointers can read one) by
 * this bit alone, never by reading a node the id may not start. relaxed
 * fetch_or: the bit is read by the thread that made the report's stacks
 * visible to it, after the depot's own release/acquire pairing. */
#define RECORD_ID_BITS 27
static _Atomic uint64_t *record_ids;

static bool is_record(uint32_t id) {
  return id < (1u << RECORD_ID_BITS) &&
         (ls_atomic_load_relaxed(&record_ids[id / 64]) >> (id % 64) & 1);
}

/* Interns the record for (code, lasti); 0 when the depot is full. */
static uint32_t resolve(uintptr_t code, int lasti) {
  uintptr_t rec[RECORD_HEAD + (2 * MAX_NAME + 2 + 7) / 8];
  char *text = (char *)(rec + RECORD_HEAD);
  size_t nlen = read_str(load_word(code, L->code_name), text, MAX_NAME, false);
  size_t flen = read_str(load_word(code, L->code_filename), text + nlen + 1, MAX_NAME, true);
  size_t bytes = nlen + 1 + flen + 1;
  memset(text + bytes, 0, (8 - bytes % 8) % 8);
  rec[0] = RECORD_MAGIC;
  rec[1] = (uintptr_t)(intptr_t)addr2line((void *)code, lasti < 0 ? -1 : lasti * 2);
  rec[2] = nlen | flen << 32;
  uint32_t id = ls_depot_intern_missed(rec, (uint32_t)(RECORD_HEAD + (bytes + 7) / 8));
  if (id >= (1u << RECORD_ID_BITS))
    return 0;
  if (id && !is_record(id))
    /* relaxed: a membership bit set once; readers tolerate a stale 0 */
    ls_atomic_or_relaxed(&record_ids[id / 64], (uint64_t)1 << (id % 64));
  return id;
}

/* The memo: (code, lasti, name, file, line table) -> record id. The key
 * has the name, file and line table besides the code object's address, so
 * a code object freed and another allocated at the same address is not
 * taken for it unless all of these match too (then it is the same
 * function from the same file, compiled again). */
#define MEMO_BITS 13
typedef struct memo_slot {
  /* Even: stable; odd: being written. A writer CASes even -> odd (acq_rel)
   * before writing the fields and stores odd + 1 (release) after; a reader
   * loads it (acquire) before and (after an acquire fence) again after
   * reading them, and uses the fields only when both loads are the same
   * even value. */
  _Atomic uint32_t seq;
  _Atomic uint32_t id;
  _Atomic int32_t lasti;
  _Atomic uintptr_t code, name, file, table;
} memo_slot_t;

static memo_slot_t *memo;

static uint32_t frame_id(uintptr_t code, int lasti) {
  uintptr_t name = load_word(code, L->code_name), file = load_word(code, L->code_filename),
            table = load_word(code, L->code_linetable);
  uint64_t h = (code ^ (uint64_t)(uint32_t)lasti << 3) * 0x9e3779b97f4a7c15ull;
  memo_slot_t *s = &memo[h >> (64 - MEMO_BITS)];
  uint32_t seq = ls_atomic_load_acquire(&s->seq);
  if (!(seq & 1)) {
    uint32_t id = ls_atomic_load_relaxed(&s->id);
    bool same =
        ls_atomic_load_relaxed(&s->code) == code && ls_atomic_load_relaxed(&s->lasti) == lasti &&
        ls_atomic_load_relaxed(&s->name) == name && ls_atomic_load_relaxed(&s->file) == file &&
        ls_atomic_load_relaxed(&s->table) == table;
    ls_atomic_fence_acquire(); /* the loads above complete before the re-check */
    if (same && id && ls_atomic_load_relaxed(&s->seq) == seq)
      return id;
  }
  uint32_t id = resolve(code, lasti);
  if (id && !(seq & 1) && ls_atomic_cas_acq_rel(&s->seq, &seq, seq + 1)) {
    ls_atomic_store_relaxed(&s->id, id);
    ls_atomic_store_relaxed(&s->code, code);
    ls_atomic_store_relaxed(&s->lasti, lasti);
    ls_atomic_store_relaxed(&s->name, name);
    ls_atomic_store_relaxed(&s->file, file);
    ls_atomic_store_relaxed(&s->table, table);
    ls_atomic_store_release(&s->seq, seq + 2);
  }
  return id;
}

/* --- Walking the thread's frames --------------------------------------- */

/* The thread's Python frames, innermost first, as tagged pseudo-pcs in
 * py[], and how many belong to each evaluation-loop invocation (innermost
 * first) in group[]. Returns the number of groups (0: no Python frames). */
static uint32_t walk(uintptr_t *py, uint32_t *npy, uint32_t *group, uint32_t max_groups) {
  uintptr_t tstate = (uintptr_t)get_tstate();
  *npy = 0;
  if (!plausible(tstate))
    return 0;
  uintptr_t frame;
  if (L->tstate_current >= 0) {
    frame = load_word(tstate, L->tstate_current);
  } else {
    uintptr_t cframe = load_word(tstate, L->tstate_cframe);
    if (!plausible(cframe))
      return 0;
    frame = load_word(cframe, L->cframe_current);
  }
  uint32_t ngroups = 0, n = 0, in_group = 0;
  for (int links = 0; frame && links < MAX_LINKS && ngroups < max_groups; links++) {
    if (!plausible(frame))
      break;
    uint8_t owner = *(const uint8_t *)(frame + (uintptr_t)L->frame_owner);
    bool entry = L->frame_is_entry >= 0 && *(const uint8_t *)(frame + (uintptr_t)L->frame_is_entry);
    if (owner == OWNED_BY_CSTACK && L->minor >= 12) {
      /* 3.12+: the evaluation loop's own entry record ends its group */
      group[ngroups++] = in_group;
      in_group = 0;
      frame = load_word(frame, L->frame_previous);
      continue;
    }
    uintptr_t code = load_word(frame, L->frame_code);
    if (plausible(code) && (const void *)load_word(code, 8) == code_type && n < MAX_PY_FRAMES) {
      uintptr_t first = code + (uintptr_t)L->code_adaptive;
      intptr_t lasti = ((intptr_t)load_word(frame, L->frame_instr) - (intptr_t)first) / 2;
      int traceable = *(const int *)(code + (uintptr_t)L->code_firsttraceable);
      /* A frame still running its prologue (copying free variables,
       * making a generator) is not yet a frame of the program: the
       * interpreter's own tracebacks skip it too. */
      bool incomplete = owner != OWNED_BY_GENERATOR && lasti < (intptr_t)traceable;
      if (!incomplete && lasti >= -1 && lasti < (1 << 28)) {
        uint32_t id = frame_id(code, (int)lasti);
        if (id) {
          py[n++] = LS_PY_PC_TAG | id;
          in_group++;
        }
      }
    }
    if (entry) {
      /* 3.11: the outermost frame of an evaluation-loop invocation */
      group[ngroups++] = in_group;
      in_group = 0;
    }
    frame = load_word(frame, L->frame_previous);
  }
  if (in_group && ngroups < max_groups)
    group[ngroups++] = in_group;
  *npy = n;
  return n ? ngroups : 0;
}

uint32_t ls_python_stack(uint32_t native) {
  if (!on || !native)
    return native;
  ls_python_alloc_install(get_tstate);
  uintptr_t py[MAX_PY_FRAMES];
  uint32_t group[MAX_PY_FRAMES], npy;
  uint32_t ngroups = walk(py, &npy, group, MAX_PY_FRAMES);
  if (!ngroups)
    return native;
  uint32_t depth;
  const uintptr_t *pcs = ls_depot_get(native, &depth);
  uintptr_t out[LS_MAX_DEPTH];
  uint32_t n = 0, g = 0, p = 0;
  /* Each evaluation-loop frame is replaced by its invocation's Python
   * frames; frames of code without a C frame for them (the native walk
   * stopped early or at the depth limit) follow the native frames. */
  for (uint32_t i = 0; i < depth && n < LS_MAX_DEPTH; i++) {
    if (pcs[i] - 1 - eval_lo < eval_hi - eval_lo && g < ngroups) {
      for (uint32_t k = 0; k < group[g] && n < LS_MAX_DEPTH; k++)
        out[n++] = py[p++];
      if (!group[g])
        out[n++] = pcs[i]; /* an invocation whose frames are all incomplete */
      g++;
    } else {
      out[n++] = pcs[i];
    }
  }
  while (p < npy && n < LS_MAX_DEPTH)
    out[n++] = py[p++];
  return ls_depot_intern(out, n);
}

uint32_t ls_python_view_stack(uint32_t id) {
  if (!on || ls_config.python_view != 1)
    return id;
  uint32_t depth;
  const uintptr_t *pcs = ls_depot_get(id, &depth);
  uintptr_t out[LS_MAX_DEPTH];
  uint32_t n = 0;
  for (uint32_t i = 0; i < depth && n < LS_MAX_DEPTH; i++)
    if (i == 0 || (ls_python_pc(pcs[i]) && pcs[i] - LS_PY_PC_TAG < (1u << RECORD_ID_BITS) &&
                   is_record((uint32_t)pcs[i])))
      out[n++] = pcs[i];
  if (n < 2)
    return id; /* no Python frame: the native stack as it is */
  uint32_t view = ls_depot_intern(out, n);
  return view ? view : id;
}

bool ls_python_frame(uintptr_t pc, ls_frame_info_t *out) {
  uint32_t depth;
  if (!on || !ls_python_pc(pc) || pc - LS_PY_PC_TAG >= (1u << RECORD_ID_BITS) ||
      !is_record((uint32_t)pc))
    return false;
  const uintptr_t *rec = ls_depot_get((uint32_t)pc, &depth);
  if (!rec || depth < RECORD_HEAD || rec[0] != RECORD_MAGIC)
    return false;
  const char *text = (const char *)(rec + RECORD_HEAD);
  *out = (ls_frame_info_t){.function = text,
                           .file = text + (rec[2] & 0xffffffffu) + 1,
                           .line = (int)(intptr_t)rec[1],
                           .python = true};
  return true;
}

/* --- Finding the interpreter ------------------------------------------ */

/* The version of the CPython runtime linked into the process (major <<
 * 8 | minor), 0 when there is none. Py_Version (3.11+) is a constant;
 * older runtimes only have Py_GetVersion(), which formats into a static
 * buffer without allocating. */
static unsigned runtime_version(void) {
  const unsigned long *hex = dlsym(RTLD_DEFAULT, "Py_Version");
  if (hex)
    return (unsigned)(*hex >> 16 & 0xffff);
  const char *(*get)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "Py_GetVersion");
  if (!get)
    return 0;
  const char *v = get();
  char *end;
  unsigned long major = strtoul(v, &end, 10);
  unsigned long minor = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
  return (unsigned)(major << 8 | (minor & 0xff));
}

void ls_python_init(void) {
  if (!dlsym(RTLD_DEFAULT, "Py_Initialize"))
    return; /* not a Python process */
  unsigned version = runtime_version();
  unsigned major = version >> 8, minor = version & 0xff;
  if (!ls_config.python)
    return;
  for (size_t i = 0; i < LS_ARRAY_LEN(layouts); i++)
    if (major == 3 && layouts[i].minor == minor)
      L = &layouts[i];
  if (!L) {
    ls_warn("Python frames off because CPython %u.%u is not supported (3.11, 3.12, 3.13 are); "
            "reports show the interpreter's C frames",
            major, minor);
    return;
  }
  get_tstate = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
  addr2line = (int (*)(void *, int))dlsym(RTLD_DEFAULT, "PyCode_Addr2Line");
  code_type = dlsym(RTLD_DEFAULT, "PyCode_Type");
  unicode_type = dlsym(RTLD_DEFAULT, "PyUnicode_Type");
  void *eval = dlsym(RTLD_DEFAULT, "_PyEval_EvalFrameDefault");
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (eval && dladdr1(eval, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size) {
    eval_lo = (uintptr_t)eval;
    eval_hi = eval_lo + sym->st_size;
  }
  memo = ls_map(sizeof(memo_slot_t) << MEMO_BITS);
  record_ids = ls_map(((size_t)1 << RECORD_ID_BITS) / 8);
  if (!get_tstate || !addr2line || !code_type || !unicode_type || !eval_hi || !memo ||
      !record_ids) {
    ls_warn("Python frames off because this CPython %u.%u does not export %s", major, minor,
            !get_tstate            ? "PyGILState_GetThisThreadState"
            : !addr2line           ? "PyCode_Addr2Line"
            : !code_type           ? "PyCode_Type"
            : !eval_hi             ? "_PyEval_EvalFrameDefault with its size"
            : !memo || !record_ids ? "(out of memory)"
                                   : "PyUnicode_Type");
    L = NULL;
    return;
  }
  on = true;
}
