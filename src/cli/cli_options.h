/*
 * cli_options.h -- a command's options as one table, in the manner of
 * Redis's config.c: each entry names the option, the commands that take it,
 * the kind of its value, where the value goes and its help text. The parser
 * and --help both read the table, so the help cannot list an option the
 * parser does not take, nor a default or a range it does not apply.
 */
#ifndef PE_CLI_OPTIONS_H
#define PE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cli_opt_kind {
  CLI_OPT_HELP,     /* -h, --help: the parser returns CLI_OPTIONS_HELP */
  CLI_OPT_FLAG,     /* bool, set by the option alone */
  CLI_OPT_STRING,   /* const char *, pointing into argv; `check` may refuse it */
  CLI_OPT_SIZE,     /* uint64_t bytes: 4096, 64K, 128M, 1G; at least `min` */
  CLI_OPT_DURATION, /* uint64_t nanoseconds: 30, 0.5, 1.5s, 250ms; above 0 */
  CLI_OPT_COUNT,    /* unsigned in min..max */
  CLI_OPT_ENUM,     /* int: the index of the value in `choices` */
  CLI_OPT_LIST,     /* repeatable: each value appended to a const char *[max] */
  CLI_OPT_PAIRS,    /* the same, each value K=V with a non-empty K */
} cli_opt_kind;

typedef struct cli_option {
  const char *group;     /* its heading in --help (required); a group's entries are adjacent */
  const char *shortname; /* "-f", or NULL; matched exactly, the value follows */
  const char *name;      /* "--from": also the name errors use */
  const char *alias;     /* another long name it answers to, or NULL */
  unsigned cmds;         /* the commands that take it: a mask of cli_command.bit */
  cli_opt_kind kind;
  const char *arg;            /* the value's placeholder in --help; enums list their choices */
  size_t off;                 /* the field, from the start of the parsed struct */
  size_t count_off;           /* lists: the int count of values */
  uint64_t min, max;          /* size: min; count: min..max; lists: max values */
  const char *const *choices; /* enum: NULL-terminated names, in the order of their values */
  /* strings: false (with why filled in) refuses the value */
  bool (*check)(const char *value, char *why, size_t whylen);
  const char *unset; /* --help's default when the field starts 0 or NULL ("one per CPU") */
  const char *help;
} cli_option;

typedef struct cli_command {
  const char *name;          /* "up": messages begin "pyedge up: " */
  unsigned bit;              /* the table's entries whose cmds hold it are this command's */
  const cli_option *options; /* ends with an entry whose name is NULL */
} cli_command;

#define CLI_OPTIONS_DONE 0
#define CLI_OPTIONS_HELP 1
#define CLI_OPTIONS_ERROR (-1)

/* Parses argv[1..argc) into the struct at base. Returns CLI_OPTIONS_DONE,
 * CLI_OPTIONS_HELP at -h/--help (parsing stops there), or
 * CLI_OPTIONS_ERROR after printing one line to stderr. Positional arguments
 * are errors: the commands using this take none. */
int cli_options_parse(const cli_command *c, void *base, int argc, char **argv);

/* Prints c's options, grouped and aligned as in the table, each with its
 * range and with its default read from the struct at defaults. */
void cli_options_help(FILE *f, const cli_command *c, const void *defaults);

#endif /* PE_CLI_OPTIONS_H */
