/* SPDX-License-Identifier: MIT
 * depot.c: the stack depot (see depot.h).
 *
 * Nodes live in one append-only region reserved at start (MAP_NORESERVE,
 * pages committed as they are touched); a node's id is its offset / 8, so
 * ids are 32 bits, ordered by interning time, and turn into pointers with
 * one addition. A fixed array of 2^18 buckets heads singly linked chains
 * (by id). Lookups are plain acquire loads; an insert appends a node and
 * links it with one CAS on the bucket head. A node is fully written before
 * the release CAS that links it and is never written again.
 */
#include "depot.h"

#include <string.h>

#include "arena.h"
#include "atomic.h"
#include "guard.h"

#define REGION_BYTES ((size_t)1 << 30)
#define BUCKET_BITS 18
#define GRANULE 8

typedef struct node {
  uint32_t next; /* id of the next node in the bucket chain, 0 ends it */
  uint32_t hash;
  uint32_t depth;
  uint32_t pad;
  uintptr_t frames[];
} node_t;

static char *region;
/* Published once by depot_init (release) after `region` is set; every
 * reader loads it with acquire before touching region or a bucket. */
static _Atomic(_Atomic uint32_t *) buckets;
/* Offset of the first free byte in region; starts at GRANULE so no node
 * has id 0. relaxed fetch_add: it only hands out disjoint ranges. */
static _Atomic size_t used = GRANULE;
static _Atomic uint32_t nodes;

static void depot_init(void) {
  /* Called with the guard held, possibly from two threads at once: the
   * loser of the CAS unmaps its copy. */
  char *r = ls_map(REGION_BYTES);
  _Atomic uint32_t *b = ls_map(sizeof(uint32_t) << BUCKET_BITS);
  if (!r || !b)
    ls_fatal("cannot reserve the stack depot");
  static _Atomic(char *) region_once;
  char *expected = NULL;
  if (!ls_atomic_cas_acq_rel(&region_once, &expected, r)) {
    ls_unmap(r, REGION_BYTES);
    ls_unmap((void *)b, sizeof(uint32_t) << BUCKET_BITS);
    /* acquire: pairs with the winner's release store below; the winner
     * is a few stores away from it */
    while (!ls_atomic_load_acquire(&buckets))
      ls_cpu_pause();
    return;
  }
  region = r;
  /* release: `region` is set before buckets becomes non-NULL, which is
   * what every other function checks */
  ls_atomic_store_release(&buckets, b);
}

static inline node_t *node_of(uint32_t id) { return (node_t *)(region + (size_t)id * GRANULE); }

static uint32_t lookup_or_insert(const uintptr_t *frames, uint32_t depth);

/* A rotate and an xor per frame (one cycle of latency, where a multiply
 * per frame costs five), then one strong mix for the bucket index: stacks
 * are tens of frames deep, and every match is verified frame by frame. */
static uint32_t hash_frames(const uintptr_t *f, uint32_t depth) {
  uint64_t h = depth;
  for (uint32_t i = 0; i < depth; i++)
    h = ((h << 7) | (h >> 57)) ^ f[i];
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (uint32_t)h;
}

/* Walks the chain from `id` up to (not including) `stop`. */
static uint32_t find(uint32_t id, uint32_t stop, uint32_t hash, const uintptr_t *f,
                     uint32_t depth) {
  for (; id && id != stop; id = node_of(id)->next) {
    const node_t *n = node_of(id);
    if (n->hash == hash && n->depth == depth && !memcmp(n->frames, f, depth * sizeof *f))
      return id;
  }
  return 0;
}

/* A thread tends to allocate from the same few stacks in a row (a loop):
 * comparing with the stacks it interned last is cheaper than hashing and
 * walking a bucket. The ids are this thread's own (TLS), nodes are
 * immutable, so no synchronisation is needed. */
static uint32_t recent(const uintptr_t *frames, uint32_t depth) {
  for (unsigned i = 0; i < LS_ARRAY_LEN(ls_tls.depot_recent); i++) {
    uint32_t id = ls_tls.depot_recent[i];
    if (!id)
      continue;
    const node_t *n = node_of(id);
    if (n->depth == depth && n->frames[0] == frames[0] &&
        !memcmp(n->frames, frames, depth * sizeof *frames))
      return id;
  }
  return 0;
}

static uint32_t remember(uint32_t id) {
  ls_tls.depot_recent[ls_tls.depot_next++ % LS_ARRAY_LEN(ls_tls.depot_recent)] = id;
  return id;
}

uint32_t ls_depot_intern(const uintptr_t *frames, uint32_t depth) {
  /* recent() reads only ids this thread got, so the depot exists then */
  uint32_t id = depth ? recent(frames, depth) : 0;
  return id ? id : remember(ls_depot_intern_missed(frames, depth));
}

uint32_t ls_depot_intern_missed(const uintptr_t *frames, uint32_t depth) {
  /* acquire: pairs with depot_init's release store */
  if (ls_unlikely(!ls_atomic_load_acquire(&buckets)))
    depot_init();
  return lookup_or_insert(frames, depth);
}

/* The depot proper: find the stack's node through its bucket, or link a
 * new one. */
static uint32_t lookup_or_insert(const uintptr_t *frames, uint32_t depth) {
  uint32_t hash = hash_frames(frames, depth);
  /* acquire: pairs with depot_init's release store (region is set) */
  _Atomic uint32_t *bucket = &ls_atomic_load_acquire(&buckets)[hash & ((1u << BUCKET_BITS) - 1)];
  /* acquire: pairs with the release CAS that linked each node */
  uint32_t head = ls_atomic_load_acquire(bucket);
  uint32_t id = find(head, 0, hash, frames, depth);
  if (id)
    return id;
  size_t bytes =
      (sizeof(node_t) + depth * sizeof(uintptr_t) + GRANULE - 1) & ~(size_t)(GRANULE - 1);
  size_t off = ls_atomic_add_relaxed(&used, bytes);
  if (off + bytes > REGION_BYTES)
    return 0; /* full: the caller counts the resource as untracked stack */
  id = (uint32_t)(off / GRANULE);
  node_t *n = node_of(id);
  n->hash = hash;
  n->depth = depth;
  memcpy(n->frames, frames, depth * sizeof *frames);
  for (;;) {
    n->next = head;
    uint32_t seen = head;
    /* release: the node's contents before it becomes reachable */
    if (ls_atomic_cas_acq_rel(bucket, &head, id))
      break;
    /* Someone linked other nodes first: one may be our stack. Our node is
     * then wasted, which is rare and bounded by the number of threads. */
    uint32_t dup = find(head, seen, hash, frames, depth);
    if (dup)
      return dup;
  }
  ls_atomic_add_relaxed(&nodes, 1);
  return id;
}

const uintptr_t *ls_depot_get(uint32_t id, uint32_t *depth) {
  /* acquire: pairs with depot_init's release store (region is set) */
  if (!id || !ls_atomic_load_acquire(&buckets) ||
      (size_t)id * GRANULE >= ls_atomic_load_relaxed(&used)) {
    *depth = 0;
    return NULL;
  }
  const node_t *n = node_of(id);
  *depth = n->depth;
  return n->frames;
}

uint32_t ls_depot_mark(void) { return (uint32_t)(ls_atomic_load_relaxed(&used) / GRANULE); }

size_t ls_depot_bytes(void) {
  /* relaxed (both): a statistic */
  return ls_atomic_load_relaxed(&used) +
         (ls_atomic_load_relaxed(&buckets) ? sizeof(uint32_t) << BUCKET_BITS : 0);
}

size_t ls_depot_count(void) { return ls_atomic_load_relaxed(&nodes); }
