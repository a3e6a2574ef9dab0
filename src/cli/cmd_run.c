/*
 * cmd_run.c -- `pyedge run`: any WASI preview1 command module.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pe_aot.h"

static const char run_usage[] =
    "Usage: pyedge run [SANDBOX OPTIONS] MODULE.wasm [ARGS...]\n"
    "\n"
    "Runs a WASI preview1 command module (its _start export). The module is\n"
    "compiled to native code on first use and cached by its hash. The guest's\n"
    "argv[0] is the module's file name; ARGS follow.\n"
    "\n";

int cmd_run(int argc, char **argv) {
  cli_sandbox s;
  memset(&s, 0, sizeof s);
  int i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(run_usage, stdout);
      fputs(cli_sandbox_help, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--")) {
      i++;
      break;
    }
    int r = cli_sandbox_option(&s, argc, argv, &i);
    if (r < 0) return PE_EXIT_USAGE;
    if (r == 0) {
      if (argv[i][0] == '-') {
        fprintf(stderr, "pyedge run: unknown option '%s' (see pyedge run --help)\n", argv[i]);
        return PE_EXIT_USAGE;
      }
      break;
    }
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
  return cli_exec(so, entries, 1, &s, gargc, gargv, gargv[0]);
}
