/*
 * cmd_python.c -- `pyedge python`: the bundled CPython, like python3.
 *
 * Layout next to the executable (made by `make python`):
 *   python/pyedge-python.wasm   our guest embedding linked with libpython
 *   python/lib/python313.zip    the standard library (sourceless .pyc)
 *   lib/pyedge-python.so        the module compiled ahead of time
 * The standard library directory is mounted read-only at /usr/local/lib
 * and PYTHONHOME=/usr/local, as CPython's WASI build expects.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "aot/pe_aot.h"
#include "util/pe_util.h"

static const char python_usage[] =
    "Usage: pyedge python [SANDBOX OPTIONS] [--] [PYTHON ARGS...]\n"
    "\n"
    "Runs CPython (compiled to WebAssembly, then to native code) in a sandbox.\n"
    "PYTHON ARGS are python3's: -c CODE, -m MODULE, SCRIPT, -S, -I, ...\n"
    "The guest sees only the directories given with --dir/--ro-dir, plus the\n"
    "standard library, read-only, at /usr/local/lib.\n"
    "\n"
    "Example: pyedge python -c \"import json; print(json.dumps([1]))\"\n"
    "\n";

int cmd_python(int argc, char **argv) {
  cli_sandbox s;
  int i = cli_sandbox_args(&s, argc, argv, "python", python_usage, true);
  if (i < 0) {
    cli_sandbox_free(&s);
    return i == -2 ? 0 : PE_EXIT_USAGE;
  }
  char exe[PATH_MAX], so[PATH_MAX], wasm[PATH_MAX], lib[PATH_MAX], err[4096];
  if (!pe_exe_dir(exe, sizeof exe)) {
    fprintf(stderr, "pyedge: cannot locate the pyedge executable\n");
    return PE_EXIT_HOST_ERROR;
  }
  if (!pe_path_join(so, sizeof so, exe, "lib/pyedge-python.so") ||
      !pe_path_join(wasm, sizeof wasm, exe, "python/pyedge-python.wasm") ||
      !pe_path_join(lib, sizeof lib, exe, "python/lib")) {
    fprintf(stderr, "pyedge: path of the pyedge executable too long\n");
    return PE_EXIT_HOST_ERROR;
  }
  if (access(lib, R_OK) != 0) {
    fprintf(stderr, "pyedge: the Python runtime is not built (%s missing); run `make`\n", lib);
    return PE_EXIT_HOST_ERROR;
  }
  /* PYEDGE_PYTHON_MODULE: another compiled build of the runtime, for
   * comparing compilers and flags (bench/). */
  const char *override = getenv("PYEDGE_PYTHON_MODULE");
  if (override && *override && (size_t)snprintf(so, sizeof so, "%s", override) >= sizeof so) {
    fprintf(stderr, "pyedge: PYEDGE_PYTHON_MODULE too long\n");
    return PE_EXIT_HOST_ERROR;
  }
  if (access(so, R_OK) != 0 && !pe_aot_compile(wasm, NULL, so, sizeof so, err, sizeof err)) {
    fprintf(stderr, "pyedge: %s\n", err);
    return PE_EXIT_HOST_ERROR;
  }
  if (s.ndirs == PE_CLI_MAX_DIRS || s.nenv + 1 >= PE_CLI_MAX_ENV) {
    fprintf(stderr, "pyedge: too many --dir or --env options\n");
    return PE_EXIT_USAGE;
  }
  /* The standard library first, so that fd 3 is always it. */
  memmove(&s.dirs[1], &s.dirs[0], (size_t)s.ndirs * sizeof s.dirs[0]);
  memmove(&s.owned[1], &s.owned[0], (size_t)s.ndirs * sizeof s.owned[0]);
  s.owned[0] = false;
  s.dirs[0] =
      (pe_wasi_preopen){.host_path = lib, .guest_path = "/usr/local/lib", .read_only = true};
  s.ndirs++;
  memmove(&s.env[1], &s.env[0], (size_t)s.nenv * sizeof s.env[0]);
  s.env[0] = "PYTHONHOME=/usr/local";
  s.nenv++;

  const char *gargv[1024];
  int gargc = 0;
  gargv[gargc++] = "python3";
  for (; i < argc; i++) {
    if (gargc == 1023) {
      fprintf(stderr, "pyedge: too many arguments\n");
      return PE_EXIT_USAGE;
    }
    gargv[gargc++] = argv[i];
  }
  gargv[gargc] = NULL;
  const char *entries[] = {"_initialize", "pyedge_command"};
  int code = cli_exec(so, entries, 2, &s, gargc, gargv, "python");
  cli_sandbox_free(&s);
  return code;
}
