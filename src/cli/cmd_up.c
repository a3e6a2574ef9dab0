/*
 * cmd_up.c -- `pyedge up`: serve a Spin app (spin.toml) over HTTP.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "serve/pe_serve.h"
#include "util/pe_util.h"

static const char up_usage[] =
    "Usage: pyedge up [OPTIONS]\n"
    "\n"
    "Serves the app described by spin.toml over HTTP. Each Python component is\n"
    "started once and snapshotted; every request then runs in a fresh\n"
    "copy-on-write sandbox made from that snapshot and discarded afterwards.\n"
    "\n"
    "Options:\n"
    "  -f, --from MANIFEST|DIR      the app (default: ./spin.toml)\n"
    "  --listen ADDR                address to serve on (default 127.0.0.1:3000)\n"
    "  -e, --env K=V                environment variable for every component\n"
    "  --max-instance-memory SIZE   memory limit per request (default 128M)\n"
    "  --request-timeout SECONDS    time limit per request (default 30); 504 past it\n"
    "  --workers N                  requests handled at once (default: one per CPU)\n"
    "  --max-instance-reuse-count N requests one sandbox may serve before it is\n"
    "                               discarded (default 1: a fresh sandbox for each;\n"
    "                               above 1, module globals persist between them)\n"
    "  --log-dir DIR                component output files (default: logs/ in the\n"
    "                               state directory; \"\" for none)\n"
    "  --max-log-size SIZE          each output file is renamed to <file>.1 (the\n"
    "                               previous .1 is deleted) when it would grow past\n"
    "                               SIZE (default 16M, at least 64K)\n"
    "  --quiet                      no access log\n"
    "  --state-dir DIR              where pyedge keeps the app's state: logs/, the\n"
    "                               default key-value and SQLite stores, and pyedge/\n"
    "                               (snapshots, pip bundles, `files` trees)\n"
    "                               (default: .spin next to the manifest)\n"
    "  --max-bundle-size SIZE       refuse a component whose files and installed\n"
    "                               packages exceed SIZE (default 512M; a warning\n"
    "                               above 50M)\n"
    "  --runtime-config-file FILE   TOML mapping store labels to backends, e.g.\n"
    "                               [key_value_store.shared] type = \"redis\"\n"
    "  --variable K=V               value for an app variable (repeatable; also\n"
    "                               SPIN_VARIABLE_<NAME> in the environment)\n"
    "  --key-value K=V              put K=V in the default key-value store first\n"
    "  --sqlite STATEMENT|@FILE     run SQL on the default database first\n"
    "  --geoip-db FILE.mmdb         set x-user-location from the client address\n"
    "  --trusted-proxy CIDR         peers whose own x-user-location is kept\n"
    "  --user NAME[:GROUP]          started as root: serve as this user (and its\n"
    "                               group, or GROUP) once start-up is done; the\n"
    "                               state directory must be writable by it\n"
    "  --seccomp on|off|log         after start-up the server may make only the\n"
    "                               system calls serving needs (ARCHITECTURE.md\n"
    "                               lists them); log: refuse nothing, have the\n"
    "                               kernel log what would be refused (default on)\n"
    "\n"
    "Stop with Ctrl-C (SIGINT) or SIGTERM: requests in flight are finished first.\n";

static const char build_usage[] =
    "Usage: pyedge build [--up] [OPTIONS]\n"
    "\n"
    "Builds every component of the app the way pyedge runs it, in place of its\n"
    "`componentize-py ... componentize MODULE -o app.wasm` build command (from\n"
    "which it takes MODULE and the -p paths):\n"
    "  - requirements.txt: spin-sdk and componentize-py lines are skipped (pyedge\n"
    "    provides both); anything else is installed with the host's pip\n"
    "    (python3 -m pip, honouring PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX)\n"
    "    into a bundle cached under pyedge/bundles/ in the state directory.\n"
    "    Only pure-Python packages run; native ones are refused by name.\n"
    "  - `files` of each component are gathered under pyedge/files/ and\n"
    "    mounted read-only at / in the sandbox, as Spin does.\n"
    "Then it pre-initializes each component (starts the interpreter and imports\n"
    "the app, once) and saves a snapshot file under pyedge/ in the state\n"
    "directory (default .spin next to spin.toml), named by a hash of the\n"
    "component's files, packages, SDK, runtime and environment. `pyedge up`\n"
    "starts from these files when they match, instead of importing the app\n"
    "again. A snapshot holds only the memory pages the start-up changed.\n"
    "\n"
    "  --up    serve the app afterwards (the options of pyedge up apply)\n"
    "\n";

static int up_or_build(int argc, char **argv, bool build) {
  bool then_up = false;
  pe_serve_options o;
  memset(&o, 0, sizeof o);
  o.listen = "127.0.0.1:3000";
  o.max_memory = 128ull << 20;
  o.timeout_ns = 30ull * 1000000000ull;
  o.max_bundle = 512ull << 20;
  o.max_log_size = PE_LOG_DEFAULT_MAX;
  o.warn_bundle = 50ull << 20;
  o.seccomp = pe_seccomp_default();
  /* for tests only (README, "Testing"): the size above which a bundle is
   * warned about, so a test need not write 50 MB */
  const char *warn_at = getenv("PYEDGE_TEST_BUNDLE_WARN_SIZE");
  if (warn_at && *warn_at && !cli_parse_size(warn_at, &o.warn_bundle)) {
    fprintf(stderr, "pyedge: PYEDGE_TEST_BUNDLE_WARN_SIZE wants a size, got '%s'\n", warn_at);
    return PE_EXIT_USAGE;
  }
  const char *from = "spin.toml";
  const char *env[256];
  static const char *variables[256], *kv_seed[256], *sqlite_stmts[256], *proxies[64];
  pe_services_options *svc = &o.services;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      if (build) fputs(build_usage, stdout);
      fputs(up_usage, stdout);
      return 0;
    } else if (build && !strcmp(a, "--up")) {
      then_up = true;
    } else if (!strcmp(a, "-f") || cli_is_option(a, "--from") || cli_is_option(a, "--file")) {
      if (!(from = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
    } else if (cli_is_option(a, "--listen")) {
      if (!(o.listen = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
    } else if (!strcmp(a, "-e") || cli_is_option(a, "--env")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (!strchr(v, '=') || o.nenv == 256) {
        fprintf(stderr, "pyedge up: --env wants K=V, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
      env[o.nenv++] = v;
    } else if (cli_is_option(a, "--max-instance-memory")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (!cli_parse_size(v, &o.max_memory) || o.max_memory < (16u << 20)) {
        fprintf(stderr, "pyedge up: --max-instance-memory wants a size of at least 16M, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
    } else if (cli_is_option(a, "--request-timeout")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (!cli_parse_duration(v, &o.timeout_ns)) {
        fprintf(stderr, "pyedge up: --request-timeout wants seconds > 0, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
    } else if (cli_is_option(a, "--workers")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 1 || n > 1024) {
        fprintf(stderr, "pyedge up: --workers wants 1..1024, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
      o.workers = (unsigned)n;
    } else if (cli_is_option(a, "--max-instance-reuse-count")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 1 || n > 1000000) {
        fprintf(stderr, "pyedge up: --max-instance-reuse-count wants 1..1000000, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
      o.max_reuse = (unsigned)n;
    } else if (cli_is_option(a, "--log-dir")) {
      if (!(o.log_dir = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
    } else if (cli_is_option(a, "--max-log-size")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (!cli_parse_size(v, &o.max_log_size) || o.max_log_size < PE_LOG_MIN_MAX) {
        fprintf(stderr, "pyedge up: --max-log-size wants a size of at least 64K, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--quiet")) {
      o.quiet = true;
    } else if (cli_is_option(a, "--max-bundle-size")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (!cli_parse_size(v, &o.max_bundle) || o.max_bundle == 0) {
        fprintf(stderr, "pyedge up: --max-bundle-size wants a size like 512M, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
    } else if (cli_is_option(a, "--state-dir")) {
      if (!(svc->state_dir = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
    } else if (cli_is_option(a, "--runtime-config-file")) {
      if (!(svc->runtime_config = cli_option_value(argc, argv, &i, "pyedge up")))
        return PE_EXIT_USAGE;
    } else if (cli_is_option(a, "--geoip-db")) {
      if (!(svc->geoip_db = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
    } else if (cli_is_option(a, "--variable") || cli_is_option(a, "--key-value")) {
      bool var = cli_is_option(a, "--variable");
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      int *n = var ? &svc->nvariables : &svc->nkv_seed;
      if (!strchr(v, '=') || v[0] == '=' || *n == 256) {
        fprintf(stderr, "pyedge up: %s wants K=V, got '%s'\n", var ? "--variable" : "--key-value", v);
        return PE_EXIT_USAGE;
      }
      (var ? variables : kv_seed)[(*n)++] = v;
    } else if (cli_is_option(a, "--sqlite")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (svc->nsqlite_stmts == 256) {
        fprintf(stderr, "pyedge up: too many --sqlite options\n");
        return PE_EXIT_USAGE;
      }
      sqlite_stmts[svc->nsqlite_stmts++] = v;
    } else if (cli_is_option(a, "--trusted-proxy")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (svc->ntrusted_proxies == 64) {
        fprintf(stderr, "pyedge up: too many --trusted-proxy options\n");
        return PE_EXIT_USAGE;
      }
      proxies[svc->ntrusted_proxies++] = v;
    } else if (cli_is_option(a, "--user")) {
      if (!(o.user = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      pe_lockdown_user u;
      char why[300];
      if (!pe_lockdown_resolve_user(o.user, &u, why, sizeof why)) {
        fprintf(stderr, "pyedge up: %s\n", why);
        return PE_EXIT_USAGE;
      }
    } else if (cli_is_option(a, "--seccomp")) {
      if (!(v = cli_option_value(argc, argv, &i, "pyedge up"))) return PE_EXIT_USAGE;
      if (!strcmp(v, "on")) o.seccomp = PE_SECCOMP_ON;
      else if (!strcmp(v, "off")) o.seccomp = PE_SECCOMP_OFF;
      else if (!strcmp(v, "log")) o.seccomp = PE_SECCOMP_LOG;
      else {
        fprintf(stderr, "pyedge up: --seccomp wants on, off or log, got '%s'\n", v);
        return PE_EXIT_USAGE;
      }
    } else {
      fprintf(stderr, "pyedge up: unknown argument '%s' (see pyedge up --help)\n", a);
      return PE_EXIT_USAGE;
    }
  }
  o.env = env;
  svc->variables = variables;
  svc->kv_seed = kv_seed;
  svc->sqlite_stmts = sqlite_stmts;
  svc->trusted_proxies = proxies;

  char manifest[PATH_MAX], exe[PATH_MAX], so[PATH_MAX], lib[PATH_MAX], sdk[PATH_MAX];
  struct stat st;
  if (stat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!pe_path_join(manifest, sizeof manifest, from, "spin.toml")) return PE_EXIT_USAGE;
  } else {
    snprintf(manifest, sizeof manifest, "%s", from);
  }
  if (access(manifest, R_OK) != 0) {
    fprintf(stderr, "pyedge up: no manifest at %s (use -f MANIFEST|DIR)\n", manifest);
    return PE_EXIT_USAGE;
  }
  if (!pe_exe_dir(exe, sizeof exe) || !pe_path_join(so, sizeof so, exe, "lib/pyedge-python.so") ||
      !pe_path_join(lib, sizeof lib, exe, "python/lib") || !pe_path_join(sdk, sizeof sdk, exe, "sdk")) {
    fprintf(stderr, "pyedge: cannot locate the pyedge installation\n");
    return PE_EXIT_HOST_ERROR;
  }
  if (access(so, R_OK) != 0 || access(lib, R_OK) != 0 || access(sdk, R_OK) != 0) {
    fprintf(stderr, "pyedge: the Python runtime is not built (%s, %s, %s); run `make`\n", so, lib,
            sdk);
    return PE_EXIT_HOST_ERROR;
  }
  o.manifest = manifest;
  o.python_so = so;
  o.stdlib_dir = lib;
  o.sdk_dir = sdk;
  if (!build) return pe_serve(&o);
  o.build_only = true;
  int code = pe_serve(&o);
  if (code != 0 || !then_up) return code;
  o.build_only = false;
  return pe_serve(&o);
}

int cmd_up(int argc, char **argv) { return up_or_build(argc, argv, false); }
int cmd_build(int argc, char **argv) { return up_or_build(argc, argv, true); }
