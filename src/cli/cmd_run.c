/*
 * cmd_run.c -- `pyedge run`: any WASI preview1 command module.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "aot/pe_aot.h"

static const char run_usage[] =
    "Usage: pyedge run [SANDBOX OPTIONS] MODULE.wasm [ARGS...]\n"
    "\n"
    "Runs a WASI preview1 command module (its _start export). The module is\n"
    "compiled to native code on first use and cached by its hash. The guest's\n"
    "argv[0] is the module's file name; ARGS follow.\n"
    "\n";

int cmd_run(int argc, char **argv) {
  cli_sandbox s;
  int i = cli_sandbox_args(&s, argc, argv, "run", run_usage, false);
  if (i < 0) {
    cli_sandbox_free(&s);
    return i == -2 ? 0 : PE_EXIT_USAGE;
  }
  if (i >= argc) {
    fputs(run_usage, stderr);
    return PE_EXIT_USAGE;
  }
  const char *module = argv[i];
  char so[PATH_MAX], err[4096];
  if (!pe_aot_compile(module, NULL, so, sizeof so, err, sizeof err)) {
    fprintf(stderr, "pyedge: %s\n", err);
    return PE_EXIT_HOST_ERROR;
  }
  const char *slash = strrchr(module, '/');
  const char *gargv[1024];
  int gargc = 0;
  gargv[gargc++] = slash ? slash + 1 : module;
  for (int k = i + 1; k < argc; k++) {
    if (gargc == 1023) {
      fprintf(stderr, "pyedge: too many arguments\n");
      return PE_EXIT_USAGE;
    }
    gargv[gargc++] = argv[k];
  }
  gargv[gargc] = NULL;
  const char *entries[] = {"_start"};
  int code = cli_exec(so, entries, 1, &s, gargc, gargv, gargv[0]);
  cli_sandbox_free(&s);
  return code;
}
