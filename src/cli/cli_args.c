/*
 * cli_args.c -- the option-parsing steps every subcommand shares.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

bool cli_is_option(const char *arg, const char *name) {
  size_t n = strlen(name);
  return !strncmp(arg, name, n) && (arg[n] == 0 || arg[n] == '=');
}

const char *cli_option_value(int argc, char **argv, int *i, const char *who) {
  const char *eq = strchr(argv[*i], '=');
  if (eq && argv[*i][1] == '-') return eq + 1;
  if (*i + 1 >= argc) {
    if (who) fprintf(stderr, "%s: %s needs a value\n", who, argv[*i]);
    return NULL;
  }
  return argv[++*i];
}
