/* SPDX-License-Identifier: MIT
 * table.c: live heap blocks in 64 shards (8 groups, one per 64 MiB
 * region of addresses, see shard_of) of open-addressing tables with
 * linear probing (see table.h for the contract it relies on).
 *
 * A slot's key is the whole state machine:
 *   0 EMPTY, 1 TOMB (removed), 2 FROZEN (an EMPTY sealed by a migration:
 *   still ends probe chains), 3 FROZEN_TOMB (a TOMB sealed by a migration:
 *   probes go on past it, as past the TOMB it was),
 *   addr|tid<<48|BUSY  claimed, payload being written (or a migration's
 *                      copy not yet valid),
 *   addr|tid<<48       live,
 *   addr|tid<<48|MOVED live, and its copy is in the shard's next table.
 * Addresses are 4-aligned and below 2^48, leaving bits 0-1 and 48-63 free.
 * The payload (stack, size, stamp) is written while the slot is BUSY and
 * published by a release store of the key; readers load the key with
 * acquire. Tombstones are reused by inserts: safe because a key is never
 * inserted while another copy of it is live (table.h).
 *
 * Growth: a shard's first thread to see its sampled live count at 3/4 of
 * the slots (or to find no slot) becomes the migrator: it installs
 * `next`, waits for a grace period (thread.c: removes that began before
 * `next` existed may tombstone with a plain store), seals every slot of
 * the old table (EMPTY/TOMB -> FROZEN; live -> copy into next, then
 * MOVED), swaps `cur`, waits for a grace period and unmaps the old table.
 * A long search for an untracked address triggers the same migration at
 * the same size, which purges tombstones.
 * Meanwhile other threads keep going: inserts go to `next`, removes find
 * the key in the old table or follow MOVED into `next`. Only threads that
 * find the old table completely full wait, and only for this shard.
 * `busy` serialises migrations with each other, with ls_table_foreach (so
 * a visitor never sees a block twice) and with fork().
 */
#include "table.h"

#include <sched.h>
#include <sys/mman.h>

#include "arena.h"
#include "atomic.h"
#include "clock.h"
#include "debug.h"
#include "thread.h"

#define SHARD_BITS 6
#define SHARDS (1u << SHARD_BITS)
#define MIN_RUNS 8 /* a new shard's table: 8 runs of 16 slots */
#define KEY_EMPTY 0u
#define KEY_TOMB 1u
#define KEY_FROZEN 2u
#define KEY_FROZEN_TOMB 3u
#define KEY_LAST_STATE KEY_FROZEN_TOMB /* keys above are addresses */
#define KEY_BUSY 1u
#define KEY_MOVED 2u
#define KEY_ADDR_MASK 0x0000fffffffffffcull
#define KEY_TID_SHIFT 48
/* The shard counts the live keys of one address in LIVE_SAMPLE (chosen
 * by hash, so the insert and the remove of a key agree): an exact count
 * of a sample that estimates the load without every allocation writing a
 * shared cache line. */
#define LIVE_SAMPLE 8

/* The key state machine (checked by LS_DEBUG_ASSERT in the sanitizer
 * builds). A key is one of the four states EMPTY, TOMB, FROZEN and
 * FROZEN_TOMB, or an address key: address bits (never 0), the thread id
 * above KEY_TID_SHIFT, and at most one of the flag bits:
 *   EMPTY/TOMB -> addr|BUSY      an insert claims the slot (CAS)
 *   addr|BUSY  -> addr           the insert (or migration) publishes it
 *   addr|BUSY  -> TOMB           a migration copy a remover beat
 *   addr       -> TOMB           a remove
 *   addr       -> addr|MOVED     a migration copied it (old table only)
 *   addr       -> FROZEN_TOMB    a migration dropped it (no room)
 *   EMPTY      -> FROZEN, TOMB -> FROZEN_TOMB   a migration sealed it
 * FROZEN, FROZEN_TOMB and addr|MOVED are final: the table is retired. */
static inline bool key_valid(uint64_t k) {
  if (k <= KEY_LAST_STATE)
    return true;
  return (k & KEY_ADDR_MASK) != 0 && (k & (KEY_BUSY | KEY_MOVED)) != (KEY_BUSY | KEY_MOVED);
}

/* An address key as the table is given it: address bits, no flags. */
static inline bool key_is_plain_address(uint64_t k) {
  return k > KEY_LAST_STATE && (k & KEY_ADDR_MASK) != 0 && !(k & (KEY_BUSY | KEY_MOVED));
}
/* A search that ran this far without finding its key asks for a purge of
 * the shard's tombstones (a migration to a table of the same size). */
#define PURGE_PROBE 64
#define PURGE_MS 100 /* at most one purge per shard in this time */
#define MAX_PROBE 512
#define RETRY_MS 10

/* The payload is read by visitors while a slot may be reused, and
 * re-validated through the key (ls_table_foreach): relaxed atomics make
 * that race defined, and cost nothing on x86-64. */
typedef struct slot {
  _Atomic uint64_t key;
  _Atomic uint32_t stack;
  _Atomic uint32_t size;
} slot_t;
LS_STATIC_ASSERT(sizeof(slot_t) == 16, "a slot is 16 bytes");

typedef struct tab {
  size_t cap;    /* slots: runs << RUN_BITS */
  uint64_t runs; /* any number: tables grow by half, not by doubling */
  size_t limit;  /* no insert goes further than this from home, so no
                    search does: an untracked address in a full table
                    costs that much, not a pass over the table */
  size_t bytes;  /* size of this mapping */
  slot_t *slots;
  _Atomic uint32_t *stamps;
} tab_t;

enum { BUSY_FREE, BUSY_MIGRATING, BUSY_VISITING, BUSY_FORKING };

typedef struct shard {
  _Atomic(tab_t *) cur;
  _Atomic(tab_t *) next; /* non-NULL while a migration runs */
  _Atomic uint32_t busy;
  _Atomic uint32_t no_memory; /* 1 + ls_now_ms() of the last failure to get
                                 a new table, or 0 */
  _Atomic uint32_t purged;    /* ls_now_ms() of the last purge */
  /* Live sampled keys (LIVE_SAMPLE), whichever table holds them. Its own
   * cache line: written by 1 in LIVE_SAMPLE operations, while the line
   * above is read by all of them. Signed: a fork child may forget an
   * insert it counts, then see the remove. */
  _Atomic int32_t live __attribute__((aligned(LS_CACHE_LINE)));
} __attribute__((aligned(LS_CACHE_LINE))) shard_t;

static shard_t shards[SHARDS];
static _Atomic uint64_t table_dropped; /* entries a migration had to forget */
static _Atomic uint64_t migrations;    /* completed, a statistic */

/* Locality: the 16 granules (16 bytes each) of a 256-byte run of
 * addresses share a hash and land in 16 consecutive slots, so blocks that
 * an allocator hands out side by side are recorded side by side (a few
 * per cache line) instead of one cache miss each. The low 4 bits of the
 * hash are free for that; the rest is Fibonacci hashing of the run. */
#define RUN_BITS 4
static inline uint64_t hash_addr(uintptr_t a) {
  return ((uint64_t)(a >> 8) * 0x9E3779B97F4A7C15ull & ~(uint64_t)((1u << RUN_BITS) - 1)) |
         ((a >> 4) & ((1u << RUN_BITS) - 1));
}
/* Threads should not write the same cache lines: so blocks of different
 * heaps go to different shards. glibc gives each thread an arena of its
 * own, made of 64 MiB-aligned heaps (the main arena grows by brk, also
 * away from them). Each 64 MiB region of addresses is given one of
 * GROUPS groups of shards the first time a block in it is recorded,
 * round robin, so the first GROUPS regions never share a shard; within a
 * group the hash picks the shard. The map is 4 MiB of .bss: pages are
 * only committed where blocks are (one 4 KiB page per 256 GiB of
 * address space). */
#define REGION_SHIFT 26
#define GROUP_BITS 3
#define GROUPS (1u << GROUP_BITS)
#define REGIONS ((size_t)1 << (48 - REGION_SHIFT)) /* keys are below 2^48 */
/* group + 1 of each region, 0 until its first block; only ever set once
 * (by CAS), so relaxed loads suffice: a remover of a block loads after
 * the insert that set its region's group happened (the program frees
 * what was allocated), and sees it. */
static _Atomic uint8_t regions[REGIONS];
static _Atomic uint32_t next_group; /* relaxed: a round-robin counter */

static LS_NOINLINE unsigned claim_group(_Atomic uint8_t *r) {
  uint8_t expected = 0;
  uint8_t want = (uint8_t)(ls_atomic_add_relaxed(&next_group, 1) % GROUPS + 1);
  if (!ls_atomic_cas_acq_rel(r, &expected, want))
    return expected - 1u; /* another thread gave it a group first */
  return want - 1u;
}

static inline shard_t *shard_of(uintptr_t addr, uint64_t h) {
  _Atomic uint8_t *r = &regions[addr >> REGION_SHIFT];
  uint8_t g = ls_atomic_load_relaxed(r);
  unsigned group = ls_likely(g != 0) ? g - 1u : claim_group(r);
  return &shards[group << (SHARD_BITS - GROUP_BITS) | h >> (64 - SHARD_BITS + GROUP_BITS)];
}
static inline size_t home_of(const tab_t *t, uint64_t h) {
  /* The run: 32 hash bits below the shard's scaled to [0, runs) by a
   * multiply (Lemire's reduction), so a table may have any number of
   * runs. Its slots are consecutive: the granule bits are the low ones. */
  size_t run = (size_t)(((h << SHARD_BITS) >> 32) * t->runs >> 32) << RUN_BITS;
  return run | (size_t)(h & ((1u << RUN_BITS) - 1));
}
static inline size_t next_slot(const tab_t *t, size_t i) { return ++i == t->cap ? 0 : i; }

/* Whether h is one of the sampled keys: the run's bits just below the
 * shard's (well mixed even for arithmetic runs of addresses, where low
 * bits repeat) must equal the granule's: one in 8 of every run, so
 * allocations side by side do not all count or all not count. */
static inline bool sampled(uint64_t h) { return ((h << SHARD_BITS) >> (64 - 3)) == (h & 7); }
LS_STATIC_ASSERT(LIVE_SAMPLE == 8, "sampled() takes 3 bits");

static tab_t *tab_new(uint64_t runs) {
  size_t cap = (size_t)runs << RUN_BITS;
  size_t bytes = sizeof(tab_t) + cap * sizeof(slot_t) + cap * sizeof(uint32_t);
  tab_t *t = ls_map(bytes);
  if (!t)
    return NULL;
  /* Every slot will be probed soon: fault the pages in with one call
   * rather than twice each (a read maps the zero page, the first write
   * copies it). Best effort: older kernels lack it. */
  madvise(t, bytes, MADV_POPULATE_WRITE);
  t->cap = cap;
  t->limit = cap - 1 < MAX_PROBE ? cap - 1 : MAX_PROBE;
  t->runs = runs;
  t->bytes = bytes;
  t->slots = (slot_t *)(t + 1);
  t->stamps = (_Atomic uint32_t *)(t->slots + cap);
  return t;
}

enum { INS_OK, INS_FROZEN, INS_FULL };

/* Claims a slot for `key` in t and writes the payload. With publish, the
 * key becomes live; without, it stays BUSY (a migration copy, published
 * or discarded by the migrator). Inlined, as tab_remove: together they
 * are the table's hot path, and a call each cost ~50 instructions a
 * malloc+free pair. */
static LS_ALWAYS_INLINE int tab_insert(tab_t *t, uint64_t key, uint64_t h, const ls_block_t *b,
                                       bool publish, size_t *where) {
  LS_DEBUG_ASSERT(key_is_plain_address(key));
  size_t i = home_of(t, h);
  /* A probe this long means the table is as good as full (below 3/4 load
   * probes are a few slots): growing beats searching on, and when memory
   * for a bigger table is gone, each failed insert stays cheap. */
  size_t limit = t->limit;
  for (size_t n = 0; n <= limit; n++, i = next_slot(t, i)) {
    slot_t *s = &t->slots[i];
    /* relaxed: only a hint; the CAS below decides */
    uint64_t k = ls_atomic_load_relaxed(&s->key);
    LS_DEBUG_ASSERT(key_valid(k));
    while (k == KEY_EMPTY || k == KEY_TOMB) {
      /* acq_rel: acquire orders our payload writes after the claim; the
       * slot may be a tombstone whose old payload a visitor is reading,
       * which it re-validates by reloading the key. */
      if (ls_atomic_cas_acq_rel(&s->key, &k, key | KEY_BUSY)) {
        ls_atomic_store_relaxed(&s->stack, b->stack);
        ls_atomic_store_relaxed(&s->size, b->size);
        ls_atomic_store_relaxed(&t->stamps[i], b->stamp);
        /* BUSY: no one else writes the slot until we publish it */
        LS_DEBUG_ASSERT(ls_atomic_load_relaxed(&s->key) == (key | KEY_BUSY));
        if (publish)
          /* release: payload before key; pairs with acquire loads of the
           * key in tab_remove, migrate_slot and ls_table_foreach */
          ls_atomic_store_release(&s->key, key);
        *where = i;
        return INS_OK;
      }
    }
    if (k == KEY_FROZEN || k == KEY_FROZEN_TOMB)
      return INS_FROZEN;
  }
  return INS_FULL;
}

enum { RM_OK, RM_ABSENT, RM_MOVED };

/* *probes: how many slots an RM_ABSENT answer looked at. alone: no
 * migration can seal t's slots during this call (ls_table_remove). */
static LS_ALWAYS_INLINE int tab_remove(tab_t *t, uintptr_t addr, uint64_t h, ls_block_t *old,
                                       size_t *probes, bool alone) {
  size_t i = home_of(t, h);
  size_t limit = t->limit;
  for (size_t n = 0; n <= limit; n++, i = next_slot(t, i)) {
    slot_t *s = &t->slots[i];
    /* acquire: pairs with the release publishing the key */
    uint64_t k = ls_atomic_load_acquire(&s->key);
    LS_DEBUG_ASSERT(key_valid(k));
    *probes = n;
    if (k == KEY_EMPTY || k == KEY_FROZEN)
      return RM_ABSENT; /* end of the probe chain */
    if ((k & KEY_ADDR_MASK) != addr || (k & KEY_BUSY))
      continue; /* another key, or a migration copy not yet valid */
    if (k & KEY_MOVED)
      return RM_MOVED;
    if (old) /* stable: a live payload is never rewritten */
      *old = (ls_block_t){.addr = addr,
                          .size = ls_atomic_load_relaxed(&s->size),
                          .stack = ls_atomic_load_relaxed(&s->stack),
                          .stamp = ls_atomic_load_relaxed(&t->stamps[i]),
                          .thread = (uint16_t)(k >> KEY_TID_SHIFT)};
    if (alone) {
      /* no migration seals slots while we are alone: still our live key */
      LS_DEBUG_ASSERT(ls_atomic_load_relaxed(&s->key) == k && key_is_plain_address(k));
      /* release: the tombstone is ordered after our reads. Only this
       * thread removes this key and no migrator runs: no CAS needed. */
      ls_atomic_store_release(&s->key, (uint64_t)KEY_TOMB);
      return RM_OK;
    }
    /* acq_rel: as above; fails only if the migrator marked the slot MOVED
     * in between */
    if (ls_atomic_cas_acq_rel(&s->key, &k, (uint64_t)KEY_TOMB))
      return RM_OK;
    return RM_MOVED;
  }
  *probes = limit + 1;
  return RM_ABSENT;
}

/* Seals slot i of old, copying a live entry into new. Runs only in the
 * migrator (shard busy). */
static void migrate_slot(shard_t *sh, tab_t *old, tab_t *new, size_t i, uint64_t *dropped) {
  slot_t *s = &old->slots[i];
  for (;;) {
    uint64_t k = ls_atomic_load_acquire(&s->key);
    /* the migrator is the only one sealing: nothing here is final yet */
    LS_DEBUG_ASSERT(key_valid(k) && k != KEY_FROZEN && k != KEY_FROZEN_TOMB &&
                    !(k > KEY_LAST_STATE && (k & KEY_MOVED)));
    if (k == KEY_EMPTY || k == KEY_TOMB) {
      /* A sealed tombstone must not end the probe chains that ran through
       * it: a remover looking for a key further on keeps going. */
      if (ls_atomic_cas_acq_rel(&s->key, &k,
                                (uint64_t)(k == KEY_EMPTY ? KEY_FROZEN : KEY_FROZEN_TOMB)))
        return;
      continue;
    }
    if (k & KEY_BUSY) {
      ls_cpu_pause(); /* an insert is writing its payload: a few stores away */
      continue;
    }
    ls_block_t b = {.stack = ls_atomic_load_relaxed(&s->stack),
                    .size = ls_atomic_load_relaxed(&s->size),
                    .stamp = ls_atomic_load_relaxed(&old->stamps[i])};
    size_t j;
    uint64_t h = hash_addr(k & KEY_ADDR_MASK);
    if (tab_insert(new, k, h, &b, false, &j) != INS_OK) {
      /* A probe run longer than MAX_PROBE in a table at most 1/2 full:
       * not seen in practice, but the host must never pay for it. Forget
       * the block (a later free simply misses) rather than abort. */
      if (ls_atomic_cas_acq_rel(&s->key, &k, (uint64_t)KEY_FROZEN_TOMB)) {
        (*dropped)++;
        if (sampled(h))
          ls_atomic_sub_relaxed(&sh->live, 1);
        return;
      }
      continue; /* a remover took it first */
    }
    /* acq_rel: the copy exists (BUSY) before the old slot says MOVED; a
     * remover that then sees MOVED waits for the copy to be published */
    /* our copy in the new table is still claimed (BUSY) */
    LS_DEBUG_ASSERT(ls_atomic_load_relaxed(&new->slots[j].key) == (k | KEY_BUSY));
    if (ls_atomic_cas_acq_rel(&s->key, &k, k | KEY_MOVED)) {
      ls_atomic_store_release(&new->slots[j].key, k);
      return;
    }
    /* A remover won the race: drop our copy and seal the tombstone. */
    ls_atomic_store_release(&new->slots[j].key, (uint64_t)KEY_TOMB);
  }
}

static bool try_busy(shard_t *s, uint32_t why) {
  uint32_t expected = BUSY_FREE;
  /* acquire: pairs with the release in put_busy, so the previous holder's
   * table swap is visible */
  return ls_atomic_load_relaxed(&s->busy) == BUSY_FREE &&
         ls_atomic_cas_acq_rel(&s->busy, &expected, why);
}

static void take_busy(shard_t *s, uint32_t why) {
  while (!try_busy(s, why))
    sched_yield();
}

static void put_busy(shard_t *s) { ls_atomic_store_release(&s->busy, BUSY_FREE); }

/* Live keys (estimated) at 3/4 of t's slots. relaxed: a heuristic. */
static bool needs_growth(shard_t *s, const tab_t *t) {
  int32_t live = ls_atomic_load_relaxed(&s->live);
  return live > 0 && (uint64_t)live * LIVE_SAMPLE * 4 >= (uint64_t)t->cap * 3;
}

/* Whether this thread may migrate a shard now. The grace period does not
 * wait for the calling thread, so it must not be inside an operation (a
 * signal handler's malloc or free that interrupted an insert or a remove
 * on this thread), and the shared fallback record cannot tell whose
 * operation it counts. */
static bool may_migrate(ls_thread_t *self) {
  /* relaxed: only this thread writes its own count */
  return self != &ls_thread_fallback && ls_atomic_load_relaxed(&self->active) == 0;
}

/* Migrates shard s to a table sized for its live entries (which may be
 * the same size: that purges tombstones). Called outside any operation
 * (the grace period waits for every other thread's operations). Returns
 * false when there is no memory for a new table, or when this thread may
 * not migrate now (may_migrate). */
static bool grow(shard_t *s, bool force) {
  if (!may_migrate(ls_thread_self()))
    return false;
  /* relaxed: a hint. After a failure, retries wait RETRY_MS, so a full
   * shard does not pay for a pass over the table on every insert. */
  uint32_t failed = ls_atomic_load_relaxed(&s->no_memory);
  if (failed && ls_now_ms() - (failed - 1) < RETRY_MS)
    return false;
  if (!try_busy(s, BUSY_MIGRATING))
    return true; /* someone else is migrating or visiting this shard */
  tab_t *old = ls_atomic_load_acquire(&s->cur);
  if (!force && !needs_growth(s, old)) {
    put_busy(s); /* another migrator got here first */
    return true;
  }
  size_t cap = old->cap, live_guess = 0;
  for (size_t i = 0; i < cap; i++) {
    uint64_t k = ls_atomic_load_relaxed(&old->slots[i].key);
    live_guess += k > KEY_LAST_STATE;
  }
  /* The sample may overstate a small shard's load: sizing by it too
   * keeps a growth it triggered from repeating at the same size. */
  int32_t sampled_live = ls_atomic_load_relaxed(&s->live);
  if (!force && sampled_live > 0 && (size_t)sampled_live * LIVE_SAMPLE > live_guess)
    live_guess = (size_t)sampled_live * LIVE_SAMPLE;
  /* Half full after the move, so a growing shard grows by half each time
   * (3/4 -> 1/2): load stays between 1/2 and 3/4, and each live entry is
   * moved about three times in all. */
  uint64_t runs = (live_guess * 2 + (1u << RUN_BITS) - 1) >> RUN_BITS;
  /* Never smaller: other threads insert into the new table while the old
   * one is copied, and a purge of a big table with few live keys must not
   * leave them (or the copies) without room. */
  if (runs < old->runs)
    runs = old->runs;
  tab_t *new = tab_new(runs > MIN_RUNS ? runs : MIN_RUNS);
  if (!new) {
    ls_atomic_store_relaxed(&s->no_memory, ls_now_ms() + 1); /* 0 means "no failure" */
    put_busy(s);
    return false;
  }
  ls_atomic_store_relaxed(&s->no_memory, 0);
  /* release: the new table's header before anyone inserts into it */
  ls_atomic_store_release(&s->next, new);
  /* Operations that began before `next` was set finish before any slot is
   * sealed: a remover that saw no migration may then tombstone its slot
   * with a plain store (ls_table_remove). */
  ls_thread_quiesce();
  uint64_t dropped = 0;
  for (size_t i = 0; i < cap; i++)
    migrate_slot(s, old, new, i, &dropped);
  if (dropped)
    /* relaxed: a statistic */
    ls_atomic_add_relaxed(&table_dropped, dropped);
  /* release: every copy before the table becomes current */
  ls_atomic_store_release(&s->cur, new);
  ls_atomic_store_release(&s->next, NULL);
  ls_thread_quiesce(); /* nobody still reads `old` */
  ls_unmap(old, old->bytes);
  ls_atomic_add_relaxed(&migrations, 1); /* relaxed: a statistic */
  put_busy(s);
  return true;
}

void ls_table_init(void) {
  for (unsigned i = 0; i < SHARDS; i++) {
    if (ls_atomic_load_relaxed(&shards[i].cur))
      continue;
    tab_t *t = tab_new(MIN_RUNS);
    if (!t)
      ls_fatal("cannot map the block table");
    ls_atomic_store_release(&shards[i].cur, t);
  }
}

bool ls_table_insert(const ls_block_t *b) {
  if ((b->addr & ~KEY_ADDR_MASK) != 0)
    return false; /* not 4-aligned, or above 2^48: not representable */
  uint64_t h = hash_addr(b->addr);
  shard_t *s = shard_of(b->addr, h);
  uint64_t key = b->addr | (uint64_t)b->thread << KEY_TID_SHIFT;
  /* relaxed: a hint. The shard is full and had no memory to grow: the
   * block goes untracked without a probe, until a retry (in grow) finds
   * memory again. */
  if (ls_unlikely(ls_atomic_load_relaxed(&s->no_memory)) && !grow(s, true))
    return false;
  ls_thread_t *self = ls_thread_self();
  tab_t *t;
  size_t where;
  bool full = false;
  ls_thread_enter(self);
  for (;;) {
    /* acquire: pairs with the release stores of cur/next in grow() */
    t = ls_atomic_load_acquire(&s->cur);
    tab_t *n = ls_atomic_load_acquire(&s->next);
    if (n)
      t = n;
    int r = tab_insert(t, key, h, b, true, &where);
    if (r == INS_OK)
      break;
    if (r == INS_FULL) {
      /* Completely full: leave the operation so a migration (ours or
       * another thread's) can complete its grace period, then retry. With
       * no memory for a bigger table the block goes untracked: the
       * program must not wait for memory that may never come. */
      ls_thread_exit(self);
      if (!n && !grow(s, true))
        return false;
      sched_yield();
      ls_thread_enter(self);
    }
  }
  if (sampled(h)) {
    /* relaxed: a growth heuristic, nothing is published through it */
    ls_atomic_add_relaxed(&s->live, 1);
    full = needs_growth(s, t);
  }
  ls_thread_exit(self);
  if (full)
    (void)grow(s, false); /* out of memory: keep filling this table */
  return true;
}

/* Rate limit for purges: a search past PURGE_PROBE costs at most
 * MAX_PROBE slots, a purge a pass over the table and two grace periods. */
static bool purge_due(shard_t *s) {
  uint32_t now = ls_now_ms();
  /* relaxed: a hint; two threads purging at once find the shard busy */
  uint32_t last = ls_atomic_load_relaxed(&s->purged);
  if (last && now - last < PURGE_MS)
    return false;
  ls_atomic_store_relaxed(&s->purged, now ? now : 1);
  return true;
}

bool ls_table_remove(uintptr_t addr, ls_block_t *old) {
  if ((addr & ~KEY_ADDR_MASK) != 0)
    return false;
  uint64_t h = hash_addr(addr);
  shard_t *s = shard_of(addr, h);
  ls_thread_t *self = ls_thread_self();
  bool found = false;
  size_t probes = 0, more;
  ls_thread_enter(self);
  /* acquire: pairs with the release store of next in grow(). No migration
   * was running as this operation began; one that starts now waits for it
   * to end before sealing any slot (grow), so the remove needs no CAS and
   * `cur` cannot change under it. */
  bool alone = ls_atomic_load_acquire(&s->next) == NULL;
  for (;;) {
    tab_t *t = ls_atomic_load_acquire(&s->cur);
    int r = tab_remove(t, addr, h, old, &probes, alone);
    if (r == RM_OK) {
      found = true;
      break;
    }
    tab_t *n = ls_atomic_load_acquire(&s->next);
    if (r == RM_MOVED) {
      /* The copy is in `next` (or in `cur`, if the migration finished)
       * and is published right after MOVED was set. No second migration
       * can start meanwhile: the first one's grace period waits for us. */
      for (;;) {
        tab_t *n2 = n ? n : ls_atomic_load_acquire(&s->cur);
        if (tab_remove(n2, addr, h, old, &more, false) == RM_OK)
          break;
        ls_cpu_pause();
        n = ls_atomic_load_acquire(&s->next);
      }
      found = true;
      break;
    }
    /* Absent from t: it may have been inserted straight into `next`
     * during a migration, or t may have been replaced since we loaded it. */
    if (n) {
      found = tab_remove(n, addr, h, old, &more, false) == RM_OK;
      break;
    }
    if (ls_atomic_load_acquire(&s->cur) == t)
      break; /* never tracked */
  }
  ls_thread_exit(self);
  if (found && sampled(h))
    ls_atomic_sub_relaxed(&s->live, 1); /* relaxed: as in ls_table_insert */
  else if (!found && probes > PURGE_PROBE && purge_due(s))
    /* Tombstones (or a full table) made this search long: purge them, so
     * that untracked addresses stay cheap. */
    (void)grow(s, true);
  return found;
}

/* Whether t holds addr live: published, or MOVED (its copy in `next` may
 * not be published yet; the entry is live either way). */
static bool tab_contains(tab_t *t, uintptr_t addr, uint64_t h) {
  size_t i = home_of(t, h);
  size_t limit = t->limit;
  for (size_t n = 0; n <= limit; n++, i = next_slot(t, i)) {
    /* acquire: pairs with the release publishing the key */
    uint64_t k = ls_atomic_load_acquire(&t->slots[i].key);
    if (k == KEY_EMPTY || k == KEY_FROZEN)
      return false;
    if ((k & KEY_ADDR_MASK) == addr && k > KEY_LAST_STATE && !(k & KEY_BUSY))
      return true;
  }
  return false;
}

bool ls_table_contains(uintptr_t addr) {
  if ((addr & ~KEY_ADDR_MASK) != 0)
    return false;
  uint64_t h = hash_addr(addr);
  shard_t *s = shard_of(addr, h);
  ls_thread_t *self = ls_thread_self();
  ls_thread_enter(self); /* keeps a migration from unmapping what we read */
  /* acquire: pairs with the release stores of cur/next in grow() */
  tab_t *cur = ls_atomic_load_acquire(&s->cur), *next = ls_atomic_load_acquire(&s->next);
  bool found = (cur && tab_contains(cur, addr, h)) || (next && tab_contains(next, addr, h));
  ls_thread_exit(self);
  return found;
}

void ls_table_foreach(ls_table_visit_fn fn, void *ctx) {
  for (unsigned si = 0; si < SHARDS; si++) {
    shard_t *s = &shards[si];
    take_busy(s, BUSY_VISITING);
    tab_t *t = ls_atomic_load_acquire(&s->cur);
    size_t cap = t ? t->cap : 0;
    for (size_t i = 0; i < cap; i++) {
      slot_t *sl = &t->slots[i];
      /* acquire: pairs with the release that published the payload */
      uint64_t k = ls_atomic_load_acquire(&sl->key);
      if (k <= KEY_LAST_STATE || (k & (KEY_BUSY | KEY_MOVED)))
        continue;
      ls_block_t b = {.addr = k & KEY_ADDR_MASK,
                      .stack = ls_atomic_load_relaxed(&sl->stack),
                      .size = ls_atomic_load_relaxed(&sl->size),
                      .stamp = ls_atomic_load_relaxed(&t->stamps[i]),
                      .thread = (uint16_t)(k >> KEY_TID_SHIFT)};
      /* acquire fence + reload: the payload we read belongs to this key
       * (it was not removed and the slot reused while we read) */
      ls_atomic_fence_acquire();
      if (ls_atomic_load_relaxed(&sl->key) == k)
        fn(&b, ctx);
    }
    put_busy(s);
  }
}

uint64_t ls_table_dropped(void) { return ls_atomic_load_relaxed(&table_dropped); }

uint64_t ls_table_migrations(void) { return ls_atomic_load_relaxed(&migrations); }

size_t ls_table_bytes(void) {
  size_t total = 0;
  for (unsigned i = 0; i < SHARDS; i++) {
    tab_t *t = ls_atomic_load_acquire(&shards[i].cur);
    total += t ? t->bytes : 0;
  }
  return total;
}

void ls_table_before_fork(void) {
  for (unsigned i = 0; i < SHARDS; i++)
    take_busy(&shards[i], BUSY_FORKING);
}

void ls_table_after_fork(bool child) {
  for (unsigned i = 0; i < SHARDS; i++) {
    tab_t *t = ls_atomic_load_relaxed(&shards[i].cur);
    if (child && t) {
      /* Inserts that other threads had claimed but not published at the
       * fork will never be: those threads do not exist in the child. */
      size_t cap = t->cap;
      for (size_t j = 0; j < cap; j++) {
        uint64_t k = ls_atomic_load_relaxed(&t->slots[j].key);
        if (k > KEY_LAST_STATE && (k & KEY_BUSY))
          ls_atomic_store_relaxed(&t->slots[j].key, (uint64_t)KEY_TOMB);
      }
    }
    put_busy(&shards[i]);
  }
}
