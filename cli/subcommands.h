/* SPDX-License-Identifier: MIT
 * subcommands.h: the commands that live in their own files, one per file,
 * dispatched by cli/leakscope.c from this table.
 */
#ifndef LS_CLI_SUBCOMMANDS_H
#define LS_CLI_SUBCOMMANDS_H

/* Each takes argv[0] = its own name and returns the exit status. */
int ls_cmd_sarif(int argc, char **argv);
int ls_cmd_junit(int argc, char **argv);
int ls_cmd_diff(int argc, char **argv);
int ls_cmd_suppress(int argc, char **argv);

struct ls_subcommand {
  const char *name;
  int (*main)(int argc, char **argv);
};

static const struct ls_subcommand ls_subcommands[] = {
    {"sarif", ls_cmd_sarif},
    {"junit", ls_cmd_junit},
    {"diff", ls_cmd_diff},
    {"suppress", ls_cmd_suppress},
    {0, 0},
};

#endif
