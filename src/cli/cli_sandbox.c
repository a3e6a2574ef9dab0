/*
 * cli_sandbox.c -- sandbox options shared by `run` and `python`, and
 * running a compiled module under them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "runtime/pe_rt.h"

const char cli_sandbox_help[] =
    "Sandbox options:\n"
    "  --dir HOST[::GUEST]     give the guest the directory HOST, seen as GUEST\n"
    "                          (default: the same path); nothing else of the host\n"
    "                          file system is visible\n"
    "  --ro-dir HOST[::GUEST]  the same, read-only\n"
    "  --env K=V               set an environment variable in the guest\n"
    "                          (the guest sees no host environment otherwise)\n"
    "  --max-memory SIZE       cap the guest's linear memory (e.g. 64M, 1G;\n"
    "                          default: the module's own maximum)\n"
    "  --timeout SECONDS       stop the guest after this wall-clock time\n"
    "                          (e.g. 2, 0.5, 250ms); exit code 124\n";

bool cli_parse_size(const char *s, uint64_t *out) {
  char *end;
  if (!*s || *s == '-') return false;
  unsigned long long v = strtoull(s, &end, 10);
  uint64_t mul = 1;
  if (!strcasecmp(end, "") || !strcasecmp(end, "b"))
    mul = 1;
  else if (!strcasecmp(end, "k") || !strcasecmp(end, "kib") || !strcasecmp(end, "kb"))
    mul = 1ull << 10;
  else if (!strcasecmp(end, "m") || !strcasecmp(end, "mib") || !strcasecmp(end, "mb"))
    mul = 1ull << 20;
  else if (!strcasecmp(end, "g") || !strcasecmp(end, "gib") || !strcasecmp(end, "gb"))
    mul = 1ull << 30;
  else
    return false;
  if (end == s || v > UINT64_MAX / mul) return false;
  *out = v * mul;
  return true;
}

bool cli_parse_duration(const char *s, uint64_t *out) {
  char *end;
  double v = strtod(s, &end);
  double scale = 1e9;
  if (end == s || !isfinite(v) || v <= 0) return false;
  if (!strcmp(end, "ms"))
    scale = 1e6;
  else if (strcmp(end, "") && strcmp(end, "s"))
    return false;
  double ns = v * scale;
  if (ns > 1e18 || ns < 1) return false;
  *out = (uint64_t)ns;
  return true;
}

void cli_sandbox_free(cli_sandbox *s) {
  for (int i = 0; i < s->ndirs; i++)
    if (s->owned[i]) free((void *)s->dirs[i].host_path);
  s->ndirs = 0;
}

int cli_sandbox_option(cli_sandbox *s, int argc, char **argv, int *i) {
  const char *a = argv[*i], *v;
  if (cli_is_option(a, "--dir") || cli_is_option(a, "--ro-dir")) {
    bool ro = cli_is_option(a, "--ro-dir");
    if (!(v = cli_option_value(argc, argv, i, "pyedge"))) return -1;
    if (s->ndirs == PE_CLI_MAX_DIRS) {
      fprintf(stderr, "pyedge: at most %d directories\n", PE_CLI_MAX_DIRS);
      return -1;
    }
    if (pe_wasi_parse_dir(v, ro, &s->dirs[s->ndirs]) != 0) {
      fprintf(stderr, "pyedge: bad directory mapping '%s' (expected HOST[::GUEST])\n", v);
      return -1;
    }
    s->owned[s->ndirs++] = true;
    return 1;
  }
  if (cli_is_option(a, "--env")) {
    if (!(v = cli_option_value(argc, argv, i, "pyedge"))) return -1;
    if (!strchr(v, '=') || v[0] == '=') {
      fprintf(stderr, "pyedge: --env wants K=V, got '%s'\n", v);
      return -1;
    }
    if (s->nenv == PE_CLI_MAX_ENV) {
      fprintf(stderr, "pyedge: at most %d environment variables\n", PE_CLI_MAX_ENV);
      return -1;
    }
    s->env[s->nenv++] = v;
    return 1;
  }
  if (cli_is_option(a, "--max-memory")) {
    if (!(v = cli_option_value(argc, argv, i, "pyedge"))) return -1;
    if (!cli_parse_size(v, &s->max_memory) || s->max_memory < PE_RT_PAGE_SIZE) {
      fprintf(stderr, "pyedge: --max-memory wants a size of at least 64K, like 128M; got '%s'\n",
              v);
      return -1;
    }
    return 1;
  }
  if (cli_is_option(a, "--timeout")) {
    if (!(v = cli_option_value(argc, argv, i, "pyedge"))) return -1;
    if (!cli_parse_duration(v, &s->timeout_ns)) {
      fprintf(stderr, "pyedge: --timeout wants seconds > 0, like 2 or 0.5 or 250ms; got '%s'\n", v);
      return -1;
    }
    return 1;
  }
  return 0;
}

int cli_sandbox_args(cli_sandbox *s, int argc, char **argv, const char *cmd, const char *usage,
                     bool unknown_is_positional) {
  memset(s, 0, sizeof *s);
  int i = 1;
  for (; i < argc; i++) {
    /* -h is python's own option under `pyedge python` */
    if (!strcmp(argv[i], "--help") || (!strcmp(argv[i], "-h") && !unknown_is_positional)) {
      fputs(usage, stdout);
      fputs(cli_sandbox_help, stdout);
      return -2;
    }
    if (!strcmp(argv[i], "--")) return i + 1;
    int r = cli_sandbox_option(s, argc, argv, &i);
    if (r < 0) return -1;
    if (r == 0) {
      if (argv[i][0] == '-' && !unknown_is_positional) {
        fprintf(stderr, "pyedge %s: unknown option '%s' (see pyedge %s --help)\n", cmd, argv[i],
                cmd);
        return -1;
      }
      break;
    }
  }
  return i;
}

static int report(const char *what, pe_outcome o, const cli_sandbox *s) {
  if (o.trap == PE_RT_TRAP_EXIT) return o.exit_code;
  if (o.trap == PE_RT_TRAP_TIMEOUT) {
    fprintf(stderr, "pyedge: %s: stopped after the %.3g s timeout\n", what,
            (double)s->timeout_ns / 1e9);
    return PE_EXIT_TIMEOUT;
  }
  fprintf(stderr, "pyedge: %s: trap: %s\n", what, pe_rt_trap_name(o.trap));
  return PE_EXIT_TRAP;
}

int cli_exec(const char *so_path, const char *const *entries, int nentries, const cli_sandbox *s,
             int argc, const char *const *argv, const char *what) {
  char err[2048];
  pe_module *m = pe_module_open(so_path, err, sizeof err);
  if (!m) {
    fprintf(stderr, "pyedge: %s: %s\n", what, err);
    return PE_EXIT_HOST_ERROR;
  }
  const pe_export *fns[8];
  for (int k = 0; k < nentries && k < 8; k++) {
    fns[k] = pe_module_find(m, entries[k]);
    if (!fns[k] && k + 1 < nentries) continue; /* optional initialiser */
    if (!fns[k]) {
      fprintf(stderr, "pyedge: %s: the module has no '%s' export (not a WASI command?)\n", what,
              entries[k]);
      pe_module_close(m);
      return PE_EXIT_HOST_ERROR;
    }
    if (strcmp(fns[k]->sig, ":") && strcmp(fns[k]->sig, ":i")) {
      fprintf(stderr, "pyedge: %s: export '%s' has signature %s, expected no parameters\n", what,
              entries[k], fns[k]->sig);
      pe_module_close(m);
      return PE_EXIT_HOST_ERROR;
    }
  }
  pe_wasi_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.argc = argc;
  cfg.argv = argv;
  cfg.envc = s->nenv;
  cfg.envp = s->env;
  cfg.npreopens = s->ndirs;
  cfg.preopens = s->dirs;
  cfg.stdout_mode = PE_WASI_STDIO_INHERIT;
  cfg.stderr_mode = PE_WASI_STDIO_INHERIT;
  pe_wasi *w = pe_wasi_new(&cfg, err, sizeof err);
  if (!w) {
    fprintf(stderr, "pyedge: %s: %s\n", what, err);
    pe_module_close(m);
    return PE_EXIT_HOST_ERROR;
  }
  pe_outcome o;
  pe_instance *inst = pe_instance_new(m, w, s->max_memory, &o, err, sizeof err);
  if (!inst) {
    fprintf(stderr, "pyedge: %s: %s\n", what, err);
    pe_wasi_free(w);
    pe_module_close(m);
    return o.trap == PE_RT_TRAP_MEMORY_LIMIT ? PE_EXIT_TRAP : PE_EXIT_HOST_ERROR;
  }
  wasm_rt_memory_t *mem = pe_instance_memory(inst);
  if (!mem) {
    fprintf(stderr, "pyedge: %s: the module exports no memory\n", what);
    pe_instance_free(inst);
    pe_wasi_free(w);
    pe_module_close(m);
    return PE_EXIT_HOST_ERROR;
  }
  pe_wasi_attach_memory(w, mem);
  int code = 0;
  for (int k = 0; k < nentries; k++) {
    if (!fns[k]) continue;
    uint64_t res[1] = {0};
    o = pe_instance_call(inst, fns[k], NULL, res, s->timeout_ns);
    if (o.trap != WASM_RT_TRAP_NONE) {
      code = report(what, o, s);
      break;
    }
    if (k == nentries - 1 && !strcmp(fns[k]->sig, ":i")) code = (int)(uint32_t)res[0];
  }
  fflush(stdout);
  pe_instance_free(inst);
  pe_wasi_free(w);
  pe_module_close(m);
  return code;
}
