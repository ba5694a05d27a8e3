/* SPDX-License-Identifier: MIT
 * diff.c: `leakscope diff OLD.json NEW.json`, what grew between two reports
 * (two dumps of a running service, or the exit reports of two runs), the
 * biggest growth first.
 *
 * Groups are matched by fingerprint (src/fingerprint.h), not by stack id or
 * address, so two processes or two builds compare; groups of one
 * fingerprint (a stack split by reachability class, or two copies of an
 * inlined call) are summed. Memory groups come first, by bytes gained, then
 * fd groups by descriptors gained: a small group that grows fast sits
 * above a big stable one, which a report's own order (by size) hides.
 */
#include <stdlib.h>
#include <string.h>

#include "report_input.h"
#include "subcommands.h"

struct entry {
  char fp[17];
  bool memory;
  int64_t old_bytes, old_count, new_bytes, new_count;
  const json_value_t *group; /* from NEW when there, else from OLD */
};

struct table {
  struct entry *e;
  size_t n, cap;
};

static struct entry *find_or_add(struct table *t, const json_value_t *group) {
  char fp[17];

  ls_group_fingerprint(group, fp);
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->e[i].fp, fp))
      return &t->e[i];
  if (t->n == t->cap && !(t->e = realloc(t->e, (t->cap = t->cap ? 2 * t->cap : 64) * sizeof *t->e)))
    ls_cli_fatal(LS_CLI_ERROR, "out of memory");
  t->e[t->n] =
      (struct entry){.memory = !strcmp(ls_str(group, "kind", ""), "memory"), .group = group};
  memcpy(t->e[t->n].fp, fp, sizeof fp);
  return &t->e[t->n++];
}

static int64_t gained_bytes(const struct entry *e) { return e->new_bytes - e->old_bytes; }
static int64_t gained_count(const struct entry *e) { return e->new_count - e->old_count; }

static int by_growth(const void *pa, const void *pb) {
  const struct entry *a = pa, *b = pb;
  int64_t ka, kb;

  if (a->memory != b->memory)
    return a->memory ? -1 : 1;
  ka = a->memory ? gained_bytes(a) : gained_count(a);
  kb = a->memory ? gained_bytes(b) : gained_count(b);
  if (ka != kb)
    return ka > kb ? -1 : 1;
  if (gained_count(a) != gained_count(b))
    return gained_count(a) > gained_count(b) ? -1 : 1;
  return strcmp(a->fp, b->fp); /* a stable order for equal growth */
}

/* --sort size: the biggest in NEW first (memory by bytes, then fds by
 * count), as a report orders its groups. */
static int by_size(const void *pa, const void *pb) {
  const struct entry *a = pa, *b = pb;

  if (a->memory != b->memory)
    return a->memory ? -1 : 1;
  if (a->memory && a->new_bytes != b->new_bytes)
    return a->new_bytes > b->new_bytes ? -1 : 1;
  if (a->new_count != b->new_count)
    return a->new_count > b->new_count ? -1 : 1;
  return by_growth(pa, pb);
}

static void describe(FILE *out, const char *label, const char *path, const json_value_t *r) {
  fprintf(out, "%s %s: report %lld of pid %lld (%s), %lld bytes in %lld blocks and %lld fds\n",
          label, path, (long long)ls_int(r, "seq"), (long long)ls_int(r, "pid"),
          ls_str(r, "trigger", "?"), (long long)ls_int(json_get(r, "summary"), "memory_bytes"),
          (long long)ls_int(json_get(r, "summary"), "memory_blocks"),
          (long long)ls_int(json_get(r, "summary"), "fds"));
}

static void put_entry(FILE *out, const struct entry *e) {
  const json_value_t *stack = json_get(e->group, "stack");
  char frame[1024];

  if (e->memory)
    fprintf(out, "%+lld bytes in %+lld blocks (%lld -> %lld bytes, %lld -> %lld blocks)",
            (long long)gained_bytes(e), (long long)gained_count(e), (long long)e->old_bytes,
            (long long)e->new_bytes, (long long)e->old_count, (long long)e->new_count);
  else
    fprintf(out, "%+lld %s fds (%lld -> %lld)", (long long)gained_count(e),
            ls_str(e->group, "resource", "?"), (long long)e->old_count, (long long)e->new_count);
  fprintf(out, ", fingerprint %s, %s at:\n", e->fp, e->memory ? "allocated" : "created");
  for (size_t i = 0; i < json_len(stack); i++)
    fprintf(out, "    #%zu %s\n", i, ls_frame_text(json_at(stack, i), frame, sizeof frame));
  if (!json_len(stack))
    fputs("    (no stack recorded)\n", out);
  fputc('\n', out);
}

static void usage(FILE *out) {
  fputs("usage: leakscope diff OLD.json NEW.json [--sort growth|size] [--top N] [--all]\n"
        "                      [--output FILE]\n"
        "Compares the last report of each JSON report file, group by group\n"
        "(matched by fingerprint), and lists the groups that grew: memory by bytes\n"
        "gained, then fds by descriptors gained, biggest growth first.\n"
        "  --sort growth   biggest growth first (the default)\n"
        "  --sort size     biggest in NEW first, as a report orders its groups\n"
        "  --top N         only the first N groups\n"
        "  --all           also the groups that shrank or did not change\n"
        "  --output FILE   write there instead of stdout\n",
        out);
}

int ls_cmd_diff(int argc, char **argv) {
  const char *in[2] = {NULL, NULL}, *output = NULL;
  struct table t = {0};
  json_value_t *report[2];
  long top = -1;
  bool all = false, by_new_size = false;
  size_t shown = 0, grew = 0;
  int64_t bytes = 0, blocks = 0, fds = 0;
  FILE *out;

  for (int i = 1, n = 0; i < argc; i++) {
    char *end;

    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
      output = argv[++i];
    } else if (!strcmp(argv[i], "--sort") && i + 1 < argc) {
      i++;
      if (!strcmp(argv[i], "growth") || !strcmp(argv[i], "size"))
        by_new_size = !strcmp(argv[i], "size");
      else
        ls_cli_fatal(LS_CLI_USAGE, "invalid value '%s' for --sort: expected growth or size",
                     argv[i]);
    } else if (!strcmp(argv[i], "--all")) {
      all = true;
    } else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
      top = strtol(argv[++i], &end, 10);
      if (*end || top < 1 || argv[i][0] == '-' || argv[i][0] == ' ')
        ls_cli_fatal(LS_CLI_USAGE, "invalid value '%s' for --top: expected a number from 1",
                     argv[i]);
    } else if (n < 2 && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
      in[n++] = argv[i];
    } else {
      fprintf(stderr, "leakscope: diff: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return LS_CLI_USAGE;
    }
  }
  if (!in[1]) {
    usage(stderr);
    return LS_CLI_USAGE;
  }
  for (int side = 0; side < 2; side++) {
    report[side] = ls_report_load(in[side]);
    for (size_t i = 0; i < ls_report_groups(report[side]); i++) {
      const json_value_t *g = ls_report_group(report[side], i);
      struct entry *e = find_or_add(&t, g);

      if (side) {
        e->new_bytes += ls_int(g, "bytes");
        e->new_count += ls_int(g, "count");
        e->group = g;
      } else {
        e->old_bytes += ls_int(g, "bytes");
        e->old_count += ls_int(g, "count");
      }
    }
  }
  if (t.n)
    qsort(t.e, t.n, sizeof *t.e, by_new_size ? by_size : by_growth);
  for (size_t i = 0; i < t.n; i++) {
    if (gained_bytes(&t.e[i]) > 0 || gained_count(&t.e[i]) > 0) {
      grew++;
      if (t.e[i].memory) {
        bytes += gained_bytes(&t.e[i]);
        blocks += gained_count(&t.e[i]);
      } else {
        fds += gained_count(&t.e[i]);
      }
    }
  }
  out = ls_open_output(output);
  describe(out, "old", in[0], report[0]);
  describe(out, "new", in[1], report[1]);
  fprintf(out, "%zu group%s grew: %+lld bytes in %+lld blocks, %+lld fds\n\n", grew,
          grew == 1 ? "" : "s", (long long)bytes, (long long)blocks, (long long)fds);
  for (size_t i = 0; i < t.n && (top < 0 || (long)shown < top); i++) {
    if (!all && gained_bytes(&t.e[i]) <= 0 && gained_count(&t.e[i]) <= 0)
      continue;
    put_entry(out, &t.e[i]);
    shown++;
  }
  ls_close_output(out, output);
  json_free(report[0]);
  json_free(report[1]);
  free(t.e);
  return 0;
}
