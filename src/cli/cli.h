/*
 * cli.h -- the pyedge command line: subcommands and the sandbox options they
 * share (--dir, --ro-dir, --env, --max-memory, --timeout).
 */
#ifndef PE_CLI_H
#define PE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wasi/pe_wasi.h"

#define PE_CLI_MAX_DIRS 64
#define PE_CLI_MAX_ENV 256

/* Exit codes of pyedge itself (a guest's own exit code passes through). */
#define PE_EXIT_USAGE 2
#define PE_EXIT_TIMEOUT 124
#define PE_EXIT_HOST_ERROR 125
#define PE_EXIT_TRAP 134

typedef struct cli_sandbox {
  pe_wasi_preopen dirs[PE_CLI_MAX_DIRS];
  bool owned[PE_CLI_MAX_DIRS]; /* dirs[i] allocated by pe_wasi_parse_dir */
  int ndirs;
  const char *env[PE_CLI_MAX_ENV];
  int nenv;
  uint64_t max_memory; /* bytes; 0 = module's own maximum */
  uint64_t timeout_ns; /* 0 = none */
} cli_sandbox;

/* Whether arg is the option `name`, alone or as "name=value". */
bool cli_is_option(const char *arg, const char *name);
/* The value of the option at argv[*i]: after '=' in "--name=value", else the
 * next argument (*i advances). NULL when missing, with "WHO: OPT needs a
 * value" on stderr unless who is NULL. */
const char *cli_option_value(int argc, char **argv, int *i, const char *who);

/* If argv[*i] is a sandbox option, consumes it (and its value) and returns
 * 1; returns 0 if it is not one, -1 after printing an error. */
int cli_sandbox_option(cli_sandbox *s, int argc, char **argv, int *i);
extern const char cli_sandbox_help[];
/* Parses sandbox options from argv[1..] up to the first other argument (or
 * after "--"). Returns the index of that argument; -1 after a usage error
 * (printed); -2 after printing help for --help. Arguments starting with '-'
 * that are not sandbox options are an error unless unknown_is_positional
 * (python's own options, like -c, follow). */
int cli_sandbox_args(cli_sandbox *s, int argc, char **argv, const char *cmd, const char *usage,
                     bool unknown_is_positional);
void cli_sandbox_free(cli_sandbox *s);

/* Parses "128M", "1GiB", "4096" ... into bytes. */
bool cli_parse_size(const char *s, uint64_t *out);
/* Parses "2", "0.5", "1.5s", "250ms" into nanoseconds. */
bool cli_parse_duration(const char *s, uint64_t *out);

/* Runs an already-compiled module in a sandbox: instantiate, then call each
 * export in `entries` in order (e.g. "_initialize", "pyedge_command"); an
 * i32 result of the last one is the exit code. Returns the process exit
 * code to use. */
int cli_exec(const char *so_path, const char *const *entries, int nentries, const cli_sandbox *s,
             int argc, const char *const *argv, const char *what);

int cmd_run(int argc, char **argv);
int cmd_python(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_new(int argc, char **argv), cmd_watch(int argc, char **argv);
/* The options of pyedge up, as its --help lists them (watch passes them on). */
void cmd_up_print_options(FILE *f);

#endif /* PE_CLI_H */
