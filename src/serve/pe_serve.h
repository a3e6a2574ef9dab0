/*
 * pe_serve.h -- serving a Spin-style app: each request in a fresh sandbox.
 *
 * A *component* (serve_component.c) is one Python handler: at start-up the
 * CPython guest is instantiated once, its interpreter started and the app
 * imported (pyedge_init of the SDK's `pyedge_entry`), and the instance is
 * snapshotted. Every request then runs in a clone of that snapshot
 * (pe_instance_from_snapshot: copy-on-write memory), with a fresh WASI
 * context holding the same preopens, and the clone is discarded afterwards:
 * nothing a request does is seen by the next one.
 *
 * The *app* (serve_app.c) ties the manifest, the router and the HTTP server
 * together: it routes each request, adds Spin's `spin-*` headers, answers
 * the reserved /.well-known/spin/ routes and static responses itself, and
 * hands the rest to the component.
 *
 * Requests and responses cross into the guest in the byte format of
 * docs/abi.md (hostapi/pe_abi.h); Redis messages
 * ([[trigger.redis]], serve_redis.c) as "PEM1" buffers in the same calls.
 */
#ifndef PE_SERVE_H
#define PE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "build/pe_build.h"
#include "hostapi/pe_abi.h"
#include "services/pe_services.h"
#include "util/pe_util.h"

/* --- serve_component.c ------------------------------------------------------ */

typedef struct pe_component pe_component;

typedef struct pe_component_config {
  const char *id;
  const char *python_so;            /* the compiled CPython guest */
  const char *stdlib_dir;           /* mounted at /usr/local/lib */
  const char *sdk_dir;              /* mounted at /usr/local/pyedge */
  const char *app_dir;              /* mounted at /app */
  const char *app_module;           /* PYEDGE_APP */
  const pe_component_mount *mounts; /* more read-only directories, after /app */
  size_t nmounts;
  const char *python_path; /* PYTHONPATH; NULL: /app:/usr/local/pyedge */
  const char *const *env;  /* extra K=V */
  int nenv;
  uint64_t max_memory;       /* bytes */
  uint64_t timeout_ns;       /* per request */
  unsigned max_reuse;        /* requests one instance may serve; 0 or 1: fresh each time */
  const char *snapshot_file; /* start from this file when it loads (pyedge build made it) */
  bool save_snapshot;        /* pre-initialize and write snapshot_file */
} pe_component_config;

/* Starts the interpreter, imports the app and snapshots it; or, when
 * cfg->snapshot_file loads, starts from that file instead. */
pe_component *pe_component_new(const pe_component_config *cfg, char *err, size_t errlen);
void pe_component_free(pe_component *c);
const char *pe_component_id(const pe_component *c);
uint64_t pe_component_snapshot_bytes(const pe_component *c);
/* Whether it started from a snapshot file; its size when saved or loaded. */
bool pe_component_from_file(const pe_component *c);
uint64_t pe_component_file_bytes(const pe_component *c);

typedef enum pe_component_status {
  PE_COMPONENT_OK,        /* *resp_bytes holds an encoded response */
  PE_COMPONENT_TIMEOUT,   /* the deadline passed: 504 */
  PE_COMPONENT_FAILED,    /* trap, memory exhaustion, or an unusable result: 500 */
  PE_COMPONENT_NO_MEMORY, /* a chained call not started: its chain's memory is spent */
} pe_component_status;

typedef struct pe_component_result {
  pe_component_status status;
  pe_buf response;  /* encoded response when OK */
  pe_buf out, err;  /* what the guest wrote to stdout / stderr: at most
                         * 1 MiB each (serve_component.c); past it, a line
                         * saying how many bytes were dropped ends the text */
  char reason[256]; /* for the log when not OK */
  uint64_t instantiate_ns, call_ns;
  /* with PYEDGE_TRACE_PAGES=1 in pyedge's environment: the sandbox's mapped
   * and dirty (privately copied) pages after the request; else 0 */
  uint64_t resident_pages, dirty_pages;
} pe_component_result;

/* Runs one request (encoded per docs/abi.md) in a fresh clone. Thread-safe.
 * hs (may be NULL) answers the guest's host-service calls during it. */
struct pe_host_services;
void pe_component_handle(pe_component *c, const uint8_t *req, size_t len,
                         const struct pe_host_services *hs, pe_component_result *res);
void pe_component_result_free(pe_component_result *res);

/* --- serve_out.c: standard output in batches --------------------------------- */

typedef struct pe_out pe_out;
/* Starts the flusher thread; fd stays the caller's. */
pe_out *pe_out_open(int fd, char *err, size_t errlen);
/* Any thread; text is written in the order it is added, within 50 ms. */
void pe_out_write(pe_out *o, const char *p, size_t n);
void pe_out_printf(pe_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes what is left and frees; NULL is fine. */
void pe_out_close(pe_out *o);

/* Component log files (<id>_stdout.txt, _stderr.txt): appended to, and
 * renamed to <path>.1 (replacing it) before a write would take them past
 * their limit, so at most twice the limit is on disk per file. */
#define PE_LOG_DEFAULT_MAX (16ull << 20) /* --max-log-size */
#define PE_LOG_MIN_MAX (64ull << 10)     /* the smallest limit `pyedge up` takes */
typedef struct pe_log pe_log;
/* Opens (creates) path for appending; max_bytes 0: PE_LOG_DEFAULT_MAX. */
pe_log *pe_log_open(const char *path, uint64_t max_bytes, char *err, size_t errlen);
/* Any thread; one request's output at a time. A write of more than the
 * limit keeps its head and a line saying how many bytes were left out. */
void pe_log_write(pe_log *l, const void *p, size_t n);
/* NULL is fine. */
void pe_log_close(pe_log *l);

/* --- serve_app.c ------------------------------------------------------------ */

/* serve_lockdown.c: what the serving process gives up after start-up. */
typedef enum pe_seccomp_mode {
  PE_SECCOMP_ON, /* unlisted calls fail (EPERM), an attacker's calls kill */
  PE_SECCOMP_OFF,
  PE_SECCOMP_LOG, /* nothing refused; the kernel logs what would be */
} pe_seccomp_mode;

typedef struct pe_lockdown_user {
  uid_t uid;
  gid_t gid;
} pe_lockdown_user;

typedef struct pe_lockdown_options {
  const pe_lockdown_user *user; /* drop to it (needs root), or NULL */
  pe_seccomp_mode mode;
  bool outbound; /* a component may call out: load libcurl first */
  bool postgres; /* a rule may allow postgres://: load libpq first */
  bool mysql;    /* a rule may allow mysql://: load libmariadb first */
  bool mqtt;     /* a rule may allow mqtt://: load libmosquitto first */
} pe_lockdown_options;

/* ON, or OFF in sanitizer builds. */
pe_seccomp_mode pe_seccomp_default(void);
/* NAME or NAME:GROUP, looked up now (the files are out of reach later). */
bool pe_lockdown_resolve_user(const char *spec, pe_lockdown_user *u, char *err, size_t errlen);
/* Drops the user, sets no_new_privs, loads the seccomp filter on every
 * thread; false with a message (the caller stops: never serve half-locked). */
bool pe_lockdown(const pe_lockdown_options *o, char *err, size_t errlen);

typedef struct pe_serve_options {
  const char *manifest; /* spin.toml path */
  const char *listen;   /* "127.0.0.1:3000" */
  const char *python_so, *stdlib_dir, *sdk_dir;
  const char *const *env; /* -e K=V for every component */
  int nenv;
  uint64_t max_memory;
  uint64_t timeout_ns;
  unsigned workers;
  bool quiet;                   /* no access log */
  const char *log_dir;          /* NULL: <state dir>/logs; "": no log files */
  uint64_t max_log_size;        /* --max-log-size: each log file rotates there (0: 16 MiB) */
  unsigned max_reuse;           /* --max-instance-reuse-count */
  bool build_only;              /* pyedge build: pre-initialize, save snapshot files, exit */
  uint64_t max_bundle;          /* --max-bundle-size: refuse a component above (bytes; 0: none) */
  uint64_t warn_bundle;         /* warn above (bytes; 0: never) */
  pe_services_options services; /* platform services (state dir, stores, variables...) */
  bool find_free_port;          /* --find-free-port: a port in use moves on to the next */
  bool build_notes_said;        /* serving after `pyedge build` said them: not again */
  const char *user;             /* --user NAME[:GROUP], or NULL */
  pe_seccomp_mode seccomp;      /* --seccomp on|off|log */
} pe_serve_options;

/* Loads, pre-initializes and serves until SIGINT/SIGTERM. Returns the exit
 * code for the process. */
int pe_serve(const pe_serve_options *o);

#endif /* PE_SERVE_H */
