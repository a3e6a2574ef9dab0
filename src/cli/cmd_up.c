/*
 * cmd_up.c -- `pyedge up`: serve a Spin app (spin.toml) over HTTP; and
 * `pyedge build`: save each component's snapshot first.
 *
 * Both take the options of one table, up_options (cli_options.h): its order
 * is the order of --help, and its entries' groups are the help's headings.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_options.h"
#include "serve/pe_serve.h"
#include "util/pe_util.h"

static const char up_usage[] =
    "Usage: pyedge up [OPTIONS]\n"
    "\n"
    "Serves the app described by spin.toml over HTTP. Each Python component is\n"
    "started once and snapshotted; every request then runs in a fresh\n"
    "copy-on-write sandbox made from that snapshot and discarded afterwards.\n";

static const char up_footer[] =
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
    "It takes every option of pyedge up; with --up they apply to the serving\n"
    "that follows.\n";

/* Everything the options set: the server's own options, and the arrays the
 * repeatable ones fill (pe_serve_options points at them). */
typedef struct up_args {
  pe_serve_options o;
  const char *from;
  bool then_up;
  const char *env[256], *variables[256], *kv_seed[256], *sqlite[256], *proxies[64];
} up_args;

#define WARN_BUNDLE (50ull << 20) /* --max-bundle-size's help names it */

static void up_defaults(up_args *a) {
  memset(a, 0, sizeof *a);
  pe_serve_options *o = &a->o;
  a->from = "spin.toml";
  o->listen = "127.0.0.1:3000";
  o->max_memory = 128ull << 20;
  o->timeout_ns = 30ull * 1000000000ull;
  o->max_reuse = 1;
  o->max_bundle = 512ull << 20;
  o->warn_bundle = WARN_BUNDLE;
  o->max_log_size = PE_LOG_DEFAULT_MAX;
  o->seccomp = pe_seccomp_default();
  o->env = a->env;
  o->services.variables = a->variables;
  o->services.kv_seed = a->kv_seed;
  o->services.sqlite_stmts = a->sqlite;
  o->services.trusted_proxies = a->proxies;
}

/* Looked up now, so that a bad name is a usage error rather than a failure
 * after start-up; pe_serve looks it up again when it drops to it. */
static bool check_user(const char *spec, char *why, size_t whylen) {
  pe_lockdown_user u;
  return pe_lockdown_resolve_user(spec, &u, why, whylen);
}

/* the enum is stored through an int (CLI_OPT_ENUM) */
_Static_assert(sizeof(pe_seccomp_mode) == sizeof(int), "pe_seccomp_mode is an int");
static const char *const seccomp_modes[] = {
    [PE_SECCOMP_ON] = "on", [PE_SECCOMP_OFF] = "off", [PE_SECCOMP_LOG] = "log", NULL};

enum { UP = 1, BUILD = 2, BOTH = UP | BUILD };
#define F(member) offsetof(up_args, member)
#define LIST(store, count) \
  .off = F(store), .count_off = F(count), .max = sizeof(((up_args *)0)->store) / sizeof(char *)

static const cli_option up_options[] = {
    {.group = "App",
     .shortname = "-f",
     .name = "--from",
     .alias = "--file",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "MANIFEST|DIR",
     .off = F(from),
     .help = "the app: its spin.toml, or the directory holding it"},
    {.group = "App",
     .name = "--state-dir",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "DIR",
     .off = F(o.services.state_dir),
     .unset = ".spin next to the manifest",
     .help = "where pyedge keeps the app's state: logs/, the default key-value and SQLite "
             "stores, and pyedge/ with snapshots, pip bundles and `files` trees"},
    {.group = "App",
     .name = "--max-bundle-size",
     .cmds = BOTH,
     .kind = CLI_OPT_SIZE,
     .arg = "SIZE",
     .off = F(o.max_bundle),
     .min = 1,
     .help = "refuse a component whose files and installed packages exceed SIZE; a warning "
             "above 50M"},
    {.group = "App",
     .shortname = "-u",
     .name = "--up",
     .cmds = BUILD,
     .kind = CLI_OPT_FLAG,
     .off = F(then_up),
     .help = "serve the app once it is built, with these options"},
    {.group = "App",
     .name = "--build",
     .cmds = UP,
     .kind = CLI_OPT_FLAG,
     .off = F(then_up),
     .help = "build the app first, as pyedge build does (Spin's spin up --build)"},
    {.group = "App",
     .shortname = "-h",
     .name = "--help",
     .cmds = BOTH,
     .kind = CLI_OPT_HELP,
     .help = "print this help and exit"},

    {.group = "Serving",
     .name = "--listen",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "ADDR",
     .off = F(o.listen),
     .help = "the address to serve on"},
    {.group = "Serving",
     .name = "--workers",
     .cmds = BOTH,
     .kind = CLI_OPT_COUNT,
     .arg = "N",
     .off = F(o.workers),
     .min = 1,
     .max = 1024,
     .unset = "one per CPU",
     .help = "requests handled at once"},
    {.group = "Serving",
     .name = "--find-free-port",
     .cmds = BOTH,
     .kind = CLI_OPT_FLAG,
     .off = F(o.find_free_port),
     .help = "if the --listen port is in use, serve on the next free one (up to 99 further)"},
    {.group = "Serving",
     .name = "--quiet",
     .cmds = BOTH,
     .kind = CLI_OPT_FLAG,
     .off = F(o.quiet),
     .help = "no access log"},
    {.group = "Serving",
     .name = "--log-dir",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "DIR",
     .off = F(o.log_dir),
     .unset = "logs/ in the state directory",
     .help = "where each component's output files go; \"\" for none"},
    {.group = "Serving",
     .name = "--max-log-size",
     .cmds = BOTH,
     .kind = CLI_OPT_SIZE,
     .arg = "SIZE",
     .off = F(o.max_log_size),
     .min = PE_LOG_MIN_MAX,
     .help = "each output file is renamed to <file>.1, replacing the previous one, when it "
             "would grow past SIZE"},

    {.group = "Each request's sandbox",
     .shortname = "-e",
     .name = "--env",
     .cmds = BOTH,
     .kind = CLI_OPT_PAIRS,
     .arg = "K=V",
     LIST(env, o.nenv),
     .help = "an environment variable for every component"},
    {.group = "Each request's sandbox",
     .name = "--max-instance-memory",
     .cmds = BOTH,
     .kind = CLI_OPT_SIZE,
     .arg = "SIZE",
     .off = F(o.max_memory),
     .min = 16u << 20,
     .help = "memory limit per request"},
    {.group = "Each request's sandbox",
     .name = "--request-timeout",
     .cmds = BOTH,
     .kind = CLI_OPT_DURATION,
     .arg = "SECONDS",
     .off = F(o.timeout_ns),
     .help = "time limit per request, like 2, 0.5 or 250ms; 504 past it"},
    {.group = "Each request's sandbox",
     .name = "--max-instance-reuse-count",
     .cmds = BOTH,
     .kind = CLI_OPT_COUNT,
     .arg = "N",
     .off = F(o.max_reuse),
     .min = 1,
     .max = 1000000,
     .help = "requests one sandbox may serve before it is discarded; above 1, module "
             "globals persist between them"},

    {.group = "Services",
     .name = "--variable",
     .cmds = BOTH,
     .kind = CLI_OPT_PAIRS,
     .arg = "K=V",
     LIST(variables, o.services.nvariables),
     .help = "a value for an app variable; SPIN_VARIABLE_<NAME> in the environment sets "
             "one too"},
    {.group = "Services",
     .name = "--key-value",
     .cmds = BOTH,
     .kind = CLI_OPT_PAIRS,
     .arg = "K=V",
     LIST(kv_seed, o.services.nkv_seed),
     .help = "put K=V in the default key-value store first"},
    {.group = "Services",
     .name = "--sqlite",
     .cmds = BOTH,
     .kind = CLI_OPT_LIST,
     .arg = "STATEMENT|@FILE",
     LIST(sqlite, o.services.nsqlite_stmts),
     .help = "run SQL on the default database first"},
    {.group = "Services",
     .name = "--runtime-config-file",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "FILE",
     .off = F(o.services.runtime_config),
     .help = "TOML mapping store labels to backends, e.g. [key_value_store.shared] "
             "type = \"redis\""},
    {.group = "Services",
     .name = "--geoip-db",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "FILE.mmdb",
     .off = F(o.services.geoip_db),
     .help = "set x-user-location from the client address"},
    {.group = "Services",
     .name = "--trusted-proxy",
     .cmds = BOTH,
     .kind = CLI_OPT_LIST,
     .arg = "CIDR",
     LIST(proxies, o.services.ntrusted_proxies),
     .help = "peers whose own x-user-location is kept"},

    {.group = "Once start-up is done",
     .name = "--user",
     .cmds = BOTH,
     .kind = CLI_OPT_STRING,
     .arg = "NAME[:GROUP]",
     .off = F(o.user),
     .check = check_user,
     .help = "started as root: serve as this user (and its group, or GROUP); the state "
             "directory must be writable by it"},
    {.group = "Once start-up is done",
     .name = "--seccomp",
     .cmds = BOTH,
     .kind = CLI_OPT_ENUM,
     .off = F(o.seccomp),
     .choices = seccomp_modes,
     .help = "on: the server may make only the system calls serving needs (ARCHITECTURE.md "
             "lists them); off: no filter; log: refuse nothing, have the kernel log what "
             "would be refused"},
    {.name = NULL},
};

static const cli_command up_command = {"up", UP, up_options};
static const cli_command build_command = {"build", BUILD, up_options};

void cmd_up_print_options(FILE *f) {
  static up_args defaults;
  up_defaults(&defaults);
  cli_options_help(f, &up_command, &defaults);
}

static int up_or_build(int argc, char **argv, bool build) {
  /* static: large, and pe_serve's threads read the arrays until it returns */
  static up_args a;
  const cli_command *cmd = build ? &build_command : &up_command;
  up_defaults(&a);
  pe_serve_options *o = &a.o;
  /* for tests only (README, "Testing"): the size above which a bundle is
   * warned about, so a test need not write 50 MB */
  const char *warn_at = getenv("PYEDGE_TEST_BUNDLE_WARN_SIZE");
  if (warn_at && *warn_at && !cli_parse_size(warn_at, &o->warn_bundle)) {
    fprintf(stderr, "pyedge: PYEDGE_TEST_BUNDLE_WARN_SIZE wants a size, got '%s'\n", warn_at);
    return PE_EXIT_USAGE;
  }
  int r = cli_options_parse(cmd, &a, argc, argv);
  if (r == CLI_OPTIONS_HELP) {
    up_defaults(&a); /* the defaults, whatever came before --help */
    fputs(build ? build_usage : up_usage, stdout);
    cli_options_help(stdout, cmd, &a);
    if (!build) fputs(up_footer, stdout);
    return 0;
  }
  if (r != CLI_OPTIONS_DONE) return PE_EXIT_USAGE;
  const char *from = a.from;

  char manifest[PATH_MAX], exe[PATH_MAX], so[PATH_MAX], lib[PATH_MAX], sdk[PATH_MAX];
  struct stat st;
  if (stat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!pe_path_join(manifest, sizeof manifest, from, "spin.toml")) return PE_EXIT_USAGE;
  } else {
    snprintf(manifest, sizeof manifest, "%s", from);
  }
  if (access(manifest, R_OK) != 0) {
    fprintf(stderr, "pyedge %s: no manifest at %s (use -f MANIFEST|DIR)\n", cmd->name, manifest);
    return PE_EXIT_USAGE;
  }
  if (!pe_exe_dir(exe, sizeof exe) || !pe_path_join(so, sizeof so, exe, "lib/pyedge-python.so") ||
      !pe_path_join(lib, sizeof lib, exe, "python/lib") ||
      !pe_path_join(sdk, sizeof sdk, exe, "sdk")) {
    fprintf(stderr, "pyedge: cannot locate the pyedge installation\n");
    return PE_EXIT_HOST_ERROR;
  }
  if (access(so, R_OK) != 0 || access(lib, R_OK) != 0 || access(sdk, R_OK) != 0) {
    fprintf(stderr, "pyedge: the Python runtime is not built (%s, %s, %s); run `make`\n", so, lib,
            sdk);
    return PE_EXIT_HOST_ERROR;
  }
  o->manifest = manifest;
  o->python_so = so;
  o->stdlib_dir = lib;
  o->sdk_dir = sdk;
  /* pyedge up serves; pyedge build builds; build --up and up --build both */
  if (!build && !a.then_up) return pe_serve(o);
  o->build_only = true;
  int code = pe_serve(o);
  if (code != 0 || !a.then_up) return code;
  o->build_only = false;
  o->build_notes_said = true; /* the build just printed them */
  return pe_serve(o);
}

int cmd_up(int argc, char **argv) { return up_or_build(argc, argv, false); }
int cmd_build(int argc, char **argv) { return up_or_build(argc, argv, true); }
