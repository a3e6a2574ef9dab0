/*
 * main.c -- `pyedge`: dispatch to subcommands, help and version.
 *
 * Each subcommand lives in its own cmd_*.c and parses its own options.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "aot/pe_aot.h"
#include "util/pe_version.h"

static const char usage[] =
    "pyedge -- Python at the edge, each run in a WebAssembly sandbox\n"
    "\n"
    "Usage:\n"
    "  pyedge run [SANDBOX OPTIONS] MODULE.wasm [ARGS...]\n"
    "      run a WASI (preview1) command module; it is compiled to native code\n"
    "      on first use and cached. The module's exit code is pyedge's.\n"
    "  pyedge python [SANDBOX OPTIONS] [--] [PYTHON ARGS...]\n"
    "      run the bundled CPython " PE_PYTHON_VERSION
    " like python3, in the sandbox,\n"
    "      with its standard library mounted read-only\n"
    "  pyedge up [-f MANIFEST|DIR] [--listen ADDR] [...]\n"
    "      serve a Spin app (spin.toml) over HTTP, each request in a fresh\n"
    "      sandbox (see pyedge up --help)\n"
    "  pyedge new TEMPLATE NAME | pyedge watch [UP OPTIONS]\n"
    "      create an app from a template; serve one, restarting on changes\n"
    "  pyedge build [--up] [-f MANIFEST|DIR]\n"
    "      pre-initialize each component and save its snapshot file\n"
    "  pyedge compile MODULE.wasm\n"
    "      compile a module ahead of time and print the cached object's path\n"
    "  pyedge version\n"
    "  pyedge help | --help\n"
    "\n"
    "Exit codes: the guest's own; 124 timeout; 125 pyedge could not run it;\n"
    "134 the guest trapped (the trap kind is printed).\n"
    "\n"
    "Environment: PYEDGE_CACHE (compiled modules; default ~/.cache/pyedge),\n"
    "PYEDGE_CC and PYEDGE_OPT (compiler and flags for generated code).\n"
    "\n";

static void print_usage(FILE *f) {
  fputs(usage, f);
  fputs(cli_sandbox_help, f);
}

int cmd_compile(int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: pyedge compile MODULE.wasm\n");
    return argc == 2 && !strcmp(argv[1], "--help") ? 0 : PE_EXIT_USAGE;
  }
  char so[PATH_MAX], err[4096];
  if (!pe_aot_compile(argv[1], NULL, so, sizeof so, err, sizeof err)) {
    fprintf(stderr, "pyedge: %s\n", err);
    return PE_EXIT_HOST_ERROR;
  }
  printf("%s\n", so);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return PE_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    print_usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("pyedge %s (CPython %s for wasm32-wasi)\n", PE_VERSION, PE_PYTHON_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "python")) return cmd_python(argc - 1, argv + 1);
  if (!strcmp(cmd, "compile")) return cmd_compile(argc - 1, argv + 1);
  if (!strcmp(cmd, "up")) return cmd_up(argc - 1, argv + 1);
  if (!strcmp(cmd, "build")) return cmd_build(argc - 1, argv + 1);
  if (!strcmp(cmd, "new")) return cmd_new(argc - 1, argv + 1);
  if (!strcmp(cmd, "watch")) return cmd_watch(argc - 1, argv + 1);
  fprintf(stderr, "pyedge: unknown command '%s' (see pyedge --help)\n", cmd);
  return PE_EXIT_USAGE;
}
