/* SPDX-License-Identifier: MIT
 * report_text.c: the human-readable writer (docs/report-format.md, Text).
 * Reads the model (report.h) and the frames (report_frames.h); decides
 * nothing about what is in a report.
 */
#include <string.h>

#include "config.h"
#include "report_writer.h"
#include "suppress.h"

static void put_frame(ls_buf_t *b, size_t index, const ls_frame_info_t *fr,
                      const ls_frame_info_t *next) {
  ls_buf_printf(b, "    #%zu %s", index, fr->function ? fr->function : "??");
  if (fr->file) {
    ls_buf_printf(b, " (%s:%d", fr->file, fr->line);
    if (fr->inlined && next && next->function)
      ls_buf_printf(b, ", inlined into %s", next->function);
    ls_buf_putc(b, ')');
  } else if (fr->module) {
    ls_buf_printf(b, " (%s+0x%lx)", fr->module, (unsigned long)fr->offset);
  } else {
    ls_buf_printf(b, " (0x%lx)", (unsigned long)fr->offset);
  }
  ls_buf_putc(b, '\n');
}

/* The stack, then with LEAKSCOPE_GEN_SUPPRESSIONS the rule that takes
 * this group alone: "  suppression: leak:#0:^f (*f.c:3)$;^main$". */
static void put_stack(ls_buf_t *b, ls_symbolizer_t *sym, const ls_group_t *g) {
  const ls_frame_info_t *frames;
  size_t n = ls_rw_stack(sym, g->stack, &frames, NULL);
  if (n == 0)
    ls_buf_puts(b, "    (no stack recorded)\n");
  for (size_t i = 0; i < n; i++)
    put_frame(b, i, &frames[i], i + 1 < n ? &frames[i + 1] : NULL);
  if (ls_config.gen_suppressions && n) {
    ls_buf_puts(b, "  suppression: ");
    ls_rw_put_rule(b, g, frames, n);
    ls_buf_putc(b, '\n');
  }
}

/* "fd 7, 9: path" when every fd shares a description, else
 * "fd 7: path1; fd 9: path2". */
static void put_fds(ls_buf_t *b, const ls_report_t *r, const ls_group_t *g) {
  const ls_fd_item_t *items = r->fd_items + g->first_fd;
  bool same = true;
  for (size_t i = 1; i < g->nfds && same; i++)
    same = !strcmp(r->text.data + items[i].path, r->text.data + items[0].path);
  ls_buf_puts(b, " (fd ");
  for (size_t i = 0; i < g->nfds; i++) {
    if (i)
      ls_buf_puts(b, same ? ", " : "; fd ");
    ls_buf_put_i64(b, items[i].fd);
    if (!same)
      ls_buf_printf(b, ": %s", r->text.data + items[i].path);
  }
  if (same && g->nfds)
    ls_buf_printf(b, ": %s", r->text.data + items[0].path);
  ls_buf_putc(b, ')');
}

/* "≈" before a figure that is a sampled mode's estimate, else nothing. */
static const char *approx(const ls_report_t *r, const ls_group_t *g) {
  return r->sample_interval && (!g || g->kind == LS_GROUP_MEMORY) ? "\u2248" : "";
}

static void put_age(ls_buf_t *b, const ls_report_t *r, const ls_group_t *g) {
  if (r->trigger != LS_TRIGGER_EXIT) {
    ls_buf_puts(b, ", age ");
    ls_rw_put_seconds(b, r->now - g->newest, 1);
    if (g->newest != g->oldest) {
      ls_buf_puts(b, "-");
      ls_rw_put_seconds(b, r->now - g->oldest, 1);
    }
    ls_buf_puts(b, " s");
  }
  if (g->in_baseline)
    ls_buf_puts(b, ", in the baseline");
  if (g->has_growth)
    ls_buf_printf(b, ", %s%s%ld (%s%s%ld bytes) since the previous report", approx(r, g),
                  g->growth_count >= 0 ? "+" : "", (long)g->growth_count, approx(r, g),
                  g->growth_bytes >= 0 ? "+" : "", (long)g->growth_bytes);
}

/* "1 thread not joined (tid 7; stack 8388608 bytes)", "50 threads still
 * running (names: worker; stack 8388608 bytes each)", "2 mappings
 * (2097152 bytes: 0x7f..000 1048576 rw- [anonymous]; ...)", "1 zombie
 * process (pid 9: exited with status 3)", "1 child process still running
 * (pid 9)". */
static void put_kind_header(ls_buf_t *b, const ls_report_t *r, const ls_group_t *g) {
  const ls_fd_item_t *items = r->fd_items + g->first_fd;
  bool running = g->resource == (ls_fd_kind_t)LS_THREAD_RUNNING;
  if (g->kind == LS_GROUP_THREAD) {
    ls_buf_printf(b, "%lu %s %s (", (unsigned long)g->count,
                  ls_rw_plural(g->count, "thread", "threads"),
                  running ? "still running" : "not joined");
    bool named = false;
    for (size_t i = 0; i < g->nfds; i++) {
      const char *name = r->text.data + items[i].path;
      bool seen = !*name;
      for (size_t j = 0; j < i && !seen; j++)
        seen = !strcmp(name, r->text.data + items[j].path);
      if (!seen) {
        ls_buf_printf(b, "%s%s", named ? ", " : "names: ", name);
        named = true;
      }
    }
    if (named)
      ls_buf_puts(b, "; ");
    if (g->nfds == 1)
      ls_buf_printf(b, "tid %d; ", items[0].fd);
    ls_buf_printf(b, "stack %lu bytes%s)", (unsigned long)(g->nfds ? items[0].size : 0),
                  g->nfds > 1 ? " each" : "");
  } else if (g->kind == LS_GROUP_MAPPING) {
    ls_buf_printf(b, "%lu %s (%lu bytes: ", (unsigned long)g->count,
                  ls_rw_plural(g->count, "mapping", "mappings"), (unsigned long)g->bytes);
    for (size_t i = 0; i < g->nfds; i++) {
      int prot = items[i].prot;
      ls_buf_printf(b, "%s0x%lx %lu %c%c%c %s", i ? "; " : "", (unsigned long)items[i].addr,
                    (unsigned long)items[i].size, prot & 1 ? 'r' : '-', prot & 2 ? 'w' : '-',
                    prot & 4 ? 'x' : '-', r->text.data + items[i].path);
    }
    ls_buf_putc(b, ')');
  } else {
    bool child_running = g->resource == (ls_fd_kind_t)LS_PROCESS_RUNNING;
    ls_buf_printf(b, "%lu %s (", (unsigned long)g->count,
                  child_running ? ls_rw_plural(g->count, "child process still running",
                                               "child processes still running")
                                : ls_rw_plural(g->count, "zombie process", "zombie processes"));
    for (size_t i = 0; i < g->nfds; i++) {
      ls_buf_printf(b, "%spid %d", i ? "; " : "", items[i].fd);
      if (!child_running)
        ls_buf_printf(b, ": %s", r->text.data + items[i].path);
    }
    ls_buf_putc(b, ')');
  }
}

/* "B bytes in K blocks"; with approx "≈", "≈B bytes in ≈K blocks". */
static void put_bytes_blocks(ls_buf_t *b, uint64_t bytes, uint64_t blocks, const char *approx) {
  ls_buf_printf(b, "%s%lu %s in %s%lu %s", approx, (unsigned long)bytes,
                ls_rw_plural(bytes, "byte", "bytes"), approx, (unsigned long)blocks,
                ls_rw_plural(blocks, "block", "blocks"));
}

/* Without reachability: "B bytes in K blocks and F fds not released, in G
 * groups". With it, memory by class first, the classes a person triages
 * by: "definitely lost: B bytes in K blocks; indirectly lost: ...;
 * possibly lost: ...; F fds not released; G groups". */
static void put_headline(ls_buf_t *b, const ls_report_t *r) {
  if (!r->reach) {
    put_bytes_blocks(b, r->memory_bytes, r->memory_blocks, approx(r, NULL));
    ls_buf_printf(b, " and %lu %s not released, in %zu %s\n", (unsigned long)r->fds,
                  ls_rw_plural(r->fds, "fd", "fds"), r->listed,
                  ls_rw_plural(r->listed, "group", "groups"));
    return;
  }
  static const int classes[] = {LS_REACH_DEFINITE, LS_REACH_INDIRECT, LS_REACH_POSSIBLE};
  for (size_t i = 0; i < LS_ARRAY_LEN(classes); i++) {
    ls_buf_printf(b, "%s: ", ls_reach_class_words(classes[i]));
    put_bytes_blocks(b, r->by_class[classes[i]].bytes, r->by_class[classes[i]].blocks,
                     approx(r, NULL));
    ls_buf_puts(b, "; ");
  }
  if (ls_config.show_reachable) {
    ls_buf_printf(b, "%s: ", ls_reach_class_words(LS_REACH_REACHABLE));
    put_bytes_blocks(b, r->by_class[LS_REACH_REACHABLE].bytes,
                     r->by_class[LS_REACH_REACHABLE].blocks, approx(r, NULL));
    ls_buf_puts(b, "; ");
  }
  ls_buf_printf(b, "%lu %s not released; %zu %s\n", (unsigned long)r->fds,
                ls_rw_plural(r->fds, "fd", "fds"), r->listed,
                ls_rw_plural(r->listed, "group", "groups"));
}

void ls_report_write_text(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *b) {
  ls_buf_printf(b, "== leakscope: report %lu for pid %d (%s) ==\n", (unsigned long)r->seq, r->pid,
                ls_trigger_name(r->trigger));
  ls_buf_puts(b, "command: ");
  ls_rw_put_command(b);
  ls_buf_putc(b, '\n');
  put_headline(b, r);
  if (r->sample_interval)
    ls_buf_printf(b,
                  "sampled mode: about one heap allocation per %lu bytes allocated is recorded, "
                  "every block of %lu bytes or more; \u2248 marks estimates (recorded: %lu %s in "
                  "%lu %s)\n",
                  (unsigned long)r->sample_interval, (unsigned long)r->sample_interval,
                  (unsigned long)r->sampled_bytes, ls_rw_plural(r->sampled_bytes, "byte", "bytes"),
                  (unsigned long)r->sampled_blocks,
                  ls_rw_plural(r->sampled_blocks, "block", "blocks"));
  size_t nrules;
  const ls_rule_t *rules = ls_suppress_rules(&nrules);
  for (size_t i = 0; i < nrules; i++)
    if (rules[i].groups)
      ls_buf_printf(
          b, "suppressed by %s:%s (%s:%d): %lu %s, %lu bytes\n", ls_rule_kind_name(rules[i].kind),
          rules[i].pattern, rules[i].file, rules[i].line, (unsigned long)rules[i].groups,
          ls_rw_plural(rules[i].groups, "group", "groups"), (unsigned long)rules[i].bytes);
  if (r->baseline)
    ls_buf_printf(b, "baseline: %zu of %zu leak %s known (LEAKSCOPE_BASELINE), %zu new\n",
                  r->baseline_groups, r->leak_groups,
                  ls_rw_plural(r->leak_groups, "group", "groups"),
                  r->leak_groups - r->baseline_groups);
  if (r->reach) {
    put_bytes_blocks(b, r->reachable_bytes, r->reachable_blocks, approx(r, NULL));
    ls_buf_printf(
        b, " still reachable%s\n",
        ls_config.show_reachable ? "" : " (not listed; LEAKSCOPE_SHOW_REACHABLE=1 lists them)");
  }
  if (r->threads || r->threads_running || r->mappings || r->processes || r->processes_running)
    ls_buf_printf(b,
                  "threads: %lu not joined, %lu running; mappings: %lu (%lu bytes); child "
                  "processes: %lu zombie, %lu running\n",
                  (unsigned long)r->threads, (unsigned long)r->threads_running,
                  (unsigned long)r->mappings, (unsigned long)r->mapping_bytes,
                  (unsigned long)r->processes, (unsigned long)r->processes_running);
  if (r->untracked)
    ls_buf_printf(b,
                  "(%lu resources could not be tracked: out of memory, depot full or fd "
                  "beyond the table)\n",
                  (unsigned long)r->untracked);
  if (r->fds_stale)
    ls_buf_printf(b, "(%lu fd %s left out: closed or replaced where leakscope could not see it)\n",
                  (unsigned long)r->fds_stale, ls_rw_plural(r->fds_stale, "record", "records"));
  if (r->cut)
    ls_buf_printf(b, "(only the first %lu groups are listed: LEAKSCOPE_TOP%s)\n",
                  (unsigned long)ls_config.top,
                  ls_config.sort == LS_SORT_GROWTH && r->diff ? ", by growth" : "");
  for (size_t i = 0; i < r->ngroups; i++) {
    const ls_group_t *g = &r->groups[i];
    if (g->suppressed)
      continue;
    ls_buf_putc(b, '\n');
    if (g->kind >= LS_GROUP_THREAD) {
      put_kind_header(b, r, g);
      put_age(b, r, g);
      ls_buf_puts(b, ", created at:\n");
    } else if (g->kind == LS_GROUP_MEMORY) {
      put_bytes_blocks(b, g->bytes, g->count, approx(r, g));
      if (r->sample_interval)
        ls_buf_printf(b, " (recorded: %lu %s)", (unsigned long)g->sampled_count,
                      ls_rw_plural(g->sampled_count, "block", "blocks"));
      if (r->reach)
        ls_buf_printf(b, ", %s", ls_reach_class_words(g->reach));
      put_age(b, r, g);
      ls_buf_puts(b, ", allocated at:\n");
    } else {
      ls_buf_printf(b, "%lu %s still open", (unsigned long)g->count,
                    ls_fd_kind_word(g->resource, g->count != 1));
      put_fds(b, r, g);
      put_age(b, r, g);
      ls_buf_puts(b, ", created at:\n");
    }
    put_stack(b, sym, g);
  }
  ls_buf_printf(b, "\n== leakscope: end of report %lu (pid %d) ==\n", (unsigned long)r->seq,
                r->pid);
}
