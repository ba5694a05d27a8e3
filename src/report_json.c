/* SPDX-License-Identifier: MIT
 * report_json.c: the JSON writer. One report is one line (JSON Lines), so
 * a file of reports is read line by line and a reader never sees half a
 * report. Field names are fixed by docs/report-format.md: add, never
 * rename; an addition bumps LS_JSON_VERSION_MINOR and is listed there.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "fingerprint.h"
#include "report_writer.h"
#include "suppress.h"

/* docs/report-format.md, "Versions": 1 = `command` and the summary's
 * per-class totals; 2 = the sampled mode's fields (summary `estimated`,
 * `sample_interval`, `sampled_bytes`, `sampled_blocks`; a memory group's
 * `estimated`, `sampled_bytes`, `sampled_count`); 3 = each group's
 * `fingerprint`, `in_baseline` and `suppression`, the summary's
 * `baseline_leak_groups` and `top`. */
#define LS_JSON_VERSION 1
#define LS_JSON_VERSION_MINOR 3

static void put_stack(ls_buf_t *b, const ls_frame_info_t *frames, const uintptr_t *pcs, size_t n) {
  ls_buf_puts(b, "\"stack\":[");
  for (size_t k = 0; k < n; k++) {
    const ls_frame_info_t *f = &frames[k];
    if (k)
      ls_buf_putc(b, ',');
    if (f->python) {
      /* a Python frame has no address; "language" marks it */
      ls_buf_puts(b, "{\"language\":\"python\",\"address\":null,\"module\":null,\"offset\":null");
    } else {
      ls_buf_puts(b, "{\"address\":\"");
      ls_buf_put_hex(b, pcs[k]);
      ls_buf_puts(b, "\",\"module\":");
      ls_buf_put_json_str(b, f->module);
      ls_buf_puts(b, ",\"offset\":\"");
      ls_buf_put_hex(b, f->offset);
      ls_buf_putc(b, '"');
    }
    ls_buf_puts(b, ",\"function\":");
    ls_buf_put_json_str(b, f->function);
    ls_buf_puts(b, ",\"file\":");
    ls_buf_put_json_str(b, f->file);
    ls_buf_puts(b, ",\"line\":");
    if (f->line > 0)
      ls_buf_put_i64(b, f->line);
    else
      ls_buf_puts(b, "null");
    ls_buf_printf(b, ",\"inlined\":%s}", f->inlined ? "true" : "false");
  }
  ls_buf_putc(b, ']');
}

static void put_prot(ls_buf_t *b, int prot) {
  ls_buf_putc(b, prot & PROT_READ ? 'r' : '-');
  ls_buf_putc(b, prot & PROT_WRITE ? 'w' : '-');
  ls_buf_putc(b, prot & PROT_EXEC ? 'x' : '-');
}

/* "threads":[...], "mappings":[...] or "processes":[...]: one object per
 * item of a thread, mapping or process group. */
static void put_items(ls_buf_t *b, const ls_report_t *r, const ls_group_t *g) {
  static const char *const lists[] = {[LS_GROUP_THREAD] = "threads",
                                      [LS_GROUP_MAPPING] = "mappings",
                                      [LS_GROUP_PROCESS] = "processes"};
  ls_buf_printf(b, ",\"%s\":[", lists[g->kind]);
  for (size_t i = 0; i < g->nfds; i++) {
    const ls_fd_item_t *it = &r->fd_items[g->first_fd + i];
    const char *text = r->text.data + it->path;
    if (i)
      ls_buf_putc(b, ',');
    switch (g->kind) {
    case LS_GROUP_THREAD:
      ls_buf_puts(b, "{\"tid\":");
      if (it->fd > 0) /* 0: the thread has not started running yet */
        ls_buf_put_i64(b, it->fd);
      else
        ls_buf_puts(b, "null");
      ls_buf_puts(b, ",\"name\":");
      if (*text)
        ls_buf_put_json_str(b, text);
      else
        ls_buf_puts(b, "null");
      ls_buf_printf(b, ",\"stack_size\":%lu}", (unsigned long)it->size);
      break;
    case LS_GROUP_MAPPING:
      ls_buf_puts(b, "{\"address\":\"");
      ls_buf_put_hex(b, it->addr);
      ls_buf_printf(b, "\",\"size\":%lu,\"prot\":\"", (unsigned long)it->size);
      put_prot(b, it->prot);
      ls_buf_puts(b, "\",\"path\":");
      ls_buf_put_json_str(b, text);
      ls_buf_putc(b, '}');
      break;
    default:
      ls_buf_printf(b, "{\"pid\":%d,\"state\":\"%s\",\"exit_code\":", it->fd,
                    it->status < 0 ? "running" : "zombie");
      if (it->status >= 0 && WIFEXITED(it->status))
        ls_buf_put_i64(b, WEXITSTATUS(it->status));
      else
        ls_buf_puts(b, "null");
      ls_buf_puts(b, ",\"signal\":");
      if (it->status >= 0 && WIFSIGNALED(it->status))
        ls_buf_put_i64(b, WTERMSIG(it->status));
      else
        ls_buf_puts(b, "null");
      ls_buf_putc(b, '}');
      break;
    }
  }
  ls_buf_putc(b, ']');
}

/* "suppression":"leak:#0:..." (null for a group without frames); the
 * rule is made in a buffer of its own, then escaped. */
static void put_rule(ls_buf_t *b, const ls_group_t *g, const ls_frame_info_t *frames, size_t n) {
  ls_buf_t rule;
  ls_buf_dynamic(&rule);
  bool made = ls_rw_put_rule(&rule, g, frames, n);
  ls_buf_putc(&rule, '\0');
  ls_buf_puts(b, ",\"suppression\":");
  if (made && !rule.truncated)
    ls_buf_put_json_str(b, rule.data);
  else
    ls_buf_puts(b, "null");
  ls_buf_release(&rule);
}

static void put_group(ls_buf_t *b, const ls_report_t *r, const ls_group_t *g,
                      ls_symbolizer_t *sym) {
  if (g->kind >= LS_GROUP_THREAD) {
    ls_buf_printf(b, "{\"kind\":\"%s\",\"resource\":\"%s\",\"leak\":%s",
                  ls_group_kind_name(g->kind), ls_kind_resource_name(g->kind, (int)g->resource),
                  g->not_leak ? "false" : "true");
    put_items(b, r, g);
  } else if (g->kind == LS_GROUP_MEMORY) {
    ls_buf_puts(b, "{\"kind\":\"memory\",\"resource\":\"heap\"");
  } else {
    ls_buf_printf(b, "{\"kind\":\"fd\",\"resource\":\"%s\",\"fds\":[",
                  ls_fd_kind_name(g->resource));
    for (size_t i = 0; i < g->nfds; i++)
      ls_buf_printf(b, "%s%d", i ? "," : "", r->fd_items[g->first_fd + i].fd);
    ls_buf_puts(b, "],\"paths\":[");
    for (size_t i = 0; i < g->nfds; i++) {
      if (i)
        ls_buf_putc(b, ',');
      ls_buf_put_json_str(b, r->text.data + r->fd_items[g->first_fd + i].path);
    }
    ls_buf_putc(b, ']');
  }
  if (r->reach && g->kind == LS_GROUP_MEMORY)
    ls_buf_printf(b, ",\"reachability\":\"%s\"", ls_reach_class_name(g->reach));
  ls_buf_printf(b, ",\"bytes\":%lu,\"count\":%lu,\"oldest_s\":", (unsigned long)g->bytes,
                (unsigned long)g->count);
  ls_rw_put_seconds(b, r->now - g->oldest, 3);
  ls_buf_puts(b, ",\"newest_s\":");
  ls_rw_put_seconds(b, r->now - g->newest, 3);
  if (r->diff)
    ls_buf_printf(b, ",\"growth\":{\"bytes\":%ld,\"count\":%ld}", (long)g->growth_bytes,
                  (long)g->growth_count);
  /* sampled mode: bytes, count and growth are estimates; what was recorded */
  if (r->sample_interval && g->kind == LS_GROUP_MEMORY)
    ls_buf_printf(b, ",\"estimated\":true,\"sampled_bytes\":%lu,\"sampled_count\":%lu",
                  (unsigned long)g->sampled_bytes, (unsigned long)g->sampled_count);
  const ls_frame_info_t *frames;
  const uintptr_t *pcs;
  size_t n = ls_rw_stack(sym, g->stack, &frames, &pcs);
  char fp[17];
  ls_fp_format(ls_report_fingerprint(g, frames, n), fp);
  ls_buf_printf(b, ",\"fingerprint\":\"%s\"", fp);
  if (r->baseline)
    ls_buf_printf(b, ",\"in_baseline\":%s", g->in_baseline ? "true" : "false");
  if (ls_config.gen_suppressions)
    put_rule(b, g, frames, n);
  ls_buf_putc(b, ',');
  put_stack(b, frames, pcs, n);
  ls_buf_putc(b, '}');
}

/* "suppressed":[{"rule":"leak:x","file":"f","line":3,"groups":1,"count":2,"bytes":9}] */
static void put_suppressed(ls_buf_t *b) {
  size_t n;
  const ls_rule_t *rules = ls_suppress_rules(&n);
  ls_buf_puts(b, ",\"suppressed\":[");
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    if (!rules[i].groups)
      continue;
    ls_buf_puts(b, first ? "{\"rule\":\"" : ",{\"rule\":\"");
    first = false;
    /* prefix and pattern in one string, the pattern escaped whatever its
     * length */
    ls_buf_printf(b, "%s:", ls_rule_kind_name(rules[i].kind));
    ls_buf_put_json_chars(b, rules[i].pattern);
    ls_buf_puts(b, "\",\"file\":");
    ls_buf_put_json_str(b, rules[i].file);
    ls_buf_printf(b, ",\"line\":%d,\"groups\":%lu,\"count\":%lu,\"bytes\":%lu}", rules[i].line,
                  (unsigned long)rules[i].groups, (unsigned long)rules[i].count,
                  (unsigned long)rules[i].bytes);
  }
  ls_buf_putc(b, ']');
}

/* "command":["prog","arg",...] ([] when unknown) */
static void put_command(ls_buf_t *b) {
  const char *const *argv;
  size_t argc = ls_report_command(&argv);
  ls_buf_puts(b, ",\"command\":[");
  for (size_t i = 0; i < argc; i++) {
    if (i)
      ls_buf_putc(b, ',');
    ls_buf_put_json_str(b, argv[i]);
  }
  ls_buf_putc(b, ']');
}

void ls_report_write_json(const ls_report_t *r, ls_symbolizer_t *sym, ls_buf_t *b) {
  ls_buf_printf(b,
                "{\"format\":\"leakscope-report\",\"version\":%d,\"version_minor\":%d,\"pid\":%d",
                LS_JSON_VERSION, LS_JSON_VERSION_MINOR, r->pid);
  put_command(b);
  ls_buf_printf(b,
                ",\"seq\":%lu,\"trigger\":\"%s\",\"summary\":{\"memory_bytes\":%lu,"
                "\"memory_blocks\":%lu,\"fds\":%lu,\"groups\":%zu,\"untracked\":%lu",
                (unsigned long)r->seq, ls_trigger_name(r->trigger), (unsigned long)r->memory_bytes,
                (unsigned long)r->memory_blocks, (unsigned long)r->fds, r->listed,
                (unsigned long)r->untracked);
  ls_buf_printf(b,
                ",\"leak_groups\":%zu,\"threads\":%lu,\"threads_running\":%lu,\"mappings\":%lu,"
                "\"mapping_bytes\":%lu,"
                "\"processes\":%lu,\"processes_running\":%lu",
                r->leak_groups, (unsigned long)r->threads, (unsigned long)r->threads_running,
                (unsigned long)r->mappings, (unsigned long)r->mapping_bytes,
                (unsigned long)r->processes, (unsigned long)r->processes_running);
  ls_buf_printf(b, ",\"fds_stale\":%lu", (unsigned long)r->fds_stale);
  /* memory figures are estimates in sampled mode; fds and the other kinds
   * are always exact */
  ls_buf_printf(b, ",\"estimated\":%s,\"sample_interval\":%lu",
                r->sample_interval ? "true" : "false", (unsigned long)r->sample_interval);
  if (r->sample_interval)
    ls_buf_printf(b, ",\"sampled_bytes\":%lu,\"sampled_blocks\":%lu",
                  (unsigned long)r->sampled_bytes, (unsigned long)r->sampled_blocks);
  if (r->baseline)
    ls_buf_printf(b, ",\"baseline_leak_groups\":%zu", r->baseline_groups);
  if (r->cut)
    ls_buf_printf(b, ",\"top\":%lu", (unsigned long)ls_config.top);
  if (r->reach) {
    ls_buf_printf(b, ",\"reachable_bytes\":%lu,\"reachable_blocks\":%lu",
                  (unsigned long)r->reachable_bytes, (unsigned long)r->reachable_blocks);
    ls_buf_printf(b, ",\"reachable_mappings\":%lu,\"reachable_mapping_bytes\":%lu",
                  (unsigned long)r->mappings_reachable, (unsigned long)r->mapping_bytes_reachable);
    static const int lost[] = {LS_REACH_DEFINITE, LS_REACH_INDIRECT, LS_REACH_POSSIBLE};
    for (size_t i = 0; i < LS_ARRAY_LEN(lost); i++)
      ls_buf_printf(b, ",\"%s_bytes\":%lu,\"%s_blocks\":%lu", ls_reach_class_name(lost[i]),
                    (unsigned long)r->by_class[lost[i]].bytes, ls_reach_class_name(lost[i]),
                    (unsigned long)r->by_class[lost[i]].blocks);
  }
  put_suppressed(b);
  ls_buf_puts(b, "},\"leaks\":[");
  bool first = true;
  for (size_t i = 0; i < r->ngroups; i++) {
    if (r->groups[i].suppressed)
      continue;
    if (!first)
      ls_buf_putc(b, ',');
    first = false;
    put_group(b, r, &r->groups[i], sym);
  }
  ls_buf_puts(b, "]}\n");
}
