/*
 * serve_component.c -- one Python component: pre-initialize once, then one
 * fresh copy-on-write clone per request.
 *
 * The guest sees, in this order (the order is part of the snapshot: the
 * guest's libc numbered these descriptors at start-up, so every clone's WASI
 * context must open the same preopens in the same order):
 *   fd 3  /usr/local/lib     the standard library, read-only
 *   fd 4  /usr/local/pyedge  the SDK (spin_sdk, pyedge_entry), read-only
 *   fd 5  /app               the component's directory, read-only
 *   fd 6+ cfg->mounts          -p paths, the pip bundle, the `files` tree
 *                              (src/build/build_plan.c), read-only
 * and the environment PYTHONHOME, PYTHONPATH, PYEDGE_APP plus the
 * component's own variables.
 *
 * Reuse (max_reuse > 1, Spin's --max-instance-reuse-count): an instance
 * that answered cleanly goes back to a small idle list and may serve up to
 * max_reuse requests, so module globals persist between them. An instance
 * that trapped, timed out or failed is never reused. Reused instances keep
 * their WASI context; only output captured since the last request is
 * reported.
 *
 * Bytes cross the boundary through guest buffers: pyedge_alloc gives one,
 * the host copies the request in after checking it lies inside linear
 * memory, and reads the result back through pyedge_result_ptr/len with the
 * same check (the guest controls those numbers).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostapi/pe_hostcall.h"
#include "runtime/pe_rt.h"
#include "runtime/pe_rt_reuse.h"
#include "pe_serve.h"
#include "wasi/pe_wasi.h"

#define PE_COMPONENT_MAX_ENV 256
#define PE_COMPONENT_CAPTURE (1u << 20)

typedef struct {
  const pe_export *initialize, *alloc, *free, *init, *call, *result_ptr, *result_len;
} guest_exports;

#define PE_COMPONENT_MAX_IDLE 64

/* Where a sandbox is in its life: a request holds it (IN_USE); or it
 * answered cleanly, has served fewer than max_reuse requests and waits
 * with its globals for the next (IDLE). One that failed, or is used up,
 * is reset to the snapshot (a spare) or freed: never IDLE. */
typedef enum { SB_IN_USE, SB_IDLE } sandbox_state;

/* A sandbox that may serve another request (reuse). */
typedef struct {
  pe_wasi *w;
  pe_instance *inst;
  sandbox_state state;
  unsigned uses;
  size_t out_seen, err_seen; /* captured bytes already reported */
  uint64_t dropped_seen[2];  /* stdout, stderr bytes dropped already reported */
} sandbox;

struct pe_component {
  char *id;
  pe_module *module;
  guest_exports ex;
  pe_snapshot *snap;
  pe_wasi_preopen *preopens; /* npreopens; guest fds 3, 4, ... in this order */
  int npreopens;
  const char *env[PE_COMPONENT_MAX_ENV];
  int nenv;
  char *env_storage[4];
  char **dirs; /* owned copies of the preopens' host and guest paths (2 per preopen) */
  char *owned_env[PE_COMPONENT_MAX_ENV];
  int nowned_env;
  uint64_t timeout_ns;
  unsigned max_reuse;
  bool from_file;
  bool trace_pages;
  uint64_t file_bytes;
  pthread_mutex_t idle_lock;
  sandbox idle[PE_COMPONENT_MAX_IDLE];
  int nidle;
  /* clones already reset to the snapshot (pe_instance_reset), ready for a
   * fresh request, each with its WASI context reset too (pe_wasi_reset) or
   * none (w NULL: the request changed stdio or a preopen, so the next one
   * gets a new context); guarded by idle_lock */
  struct spare {
    pe_instance *inst;
    pe_wasi *w;
    pthread_t thread; /* that reset it, and so has its pages in cache */
  } spare[PE_COMPONENT_MAX_IDLE];
  int nspare;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool find_exports(pe_module *m, guest_exports *ex, char *err, size_t errlen) {
  struct {
    const pe_export **slot;
    const char *name, *sig;
  } want[] = {
      {&ex->initialize, "_initialize", ":"},
      {&ex->alloc, "pyedge_alloc", "i:i"},
      {&ex->free, "pyedge_free", "i:"},
      {&ex->init, "pyedge_init", "ii:i"},
      {&ex->call, "pyedge_call", "ii:i"},
      {&ex->result_ptr, "pyedge_result_ptr", ":i"},
      {&ex->result_len, "pyedge_result_len", ":i"},
  };
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    *want[i].slot = pe_module_find(m, want[i].name);
    if (!*want[i].slot || strcmp((*want[i].slot)->sig, want[i].sig) != 0) {
      snprintf(err, errlen, "the Python runtime lacks export %s(%s)", want[i].name, want[i].sig);
      return false;
    }
  }
  return true;
}

static pe_wasi *new_context(const pe_component *c, bool capture, char *err, size_t errlen) {
  static const char *const argv[] = {"python3", NULL};
  pe_wasi_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.argc = 1;
  cfg.argv = argv;
  cfg.envc = c->nenv;
  cfg.envp = c->env;
  cfg.npreopens = c->npreopens;
  cfg.preopens = c->preopens;
  cfg.stdout_mode = capture ? PE_WASI_STDIO_CAPTURE : PE_WASI_STDIO_INHERIT;
  cfg.stderr_mode = capture ? PE_WASI_STDIO_CAPTURE : PE_WASI_STDIO_INHERIT;
  cfg.stdin_null = true;
  cfg.capture_limit = PE_COMPONENT_CAPTURE;
  return pe_wasi_new(&cfg, err, errlen);
}

/* Copies bytes into a fresh guest buffer; returns its address or 0. */
static uint32_t put_guest(pe_instance *inst, const guest_exports *ex, const void *p, size_t n,
                          uint64_t timeout_ns, pe_outcome *o) {
  if (n > UINT32_MAX / 2) return 0;
  uint64_t args[1] = {n}, res[1] = {0};
  *o = pe_instance_call(inst, ex->alloc, args, res, timeout_ns);
  if (o->trap != WASM_RT_TRAP_NONE) return 0;
  uint32_t ptr = (uint32_t)res[0];
  wasm_rt_memory_t *mem = pe_instance_memory(inst);
  if (ptr == 0 || (uint64_t)ptr + n > mem->size) return 0;
  if (n) memcpy(mem->data + ptr, p, n);
  return ptr;
}

static char *dup_printf(const char *fmt, const char *a, const char *b) {
  size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
  char *s = malloc(n);
  if (s) snprintf(s, n, fmt, a, b ? b : "");
  return s;
}

void pe_component_free(pe_component *c) {
  if (!c) return;
  for (int i = 0; i < c->nidle; i++) {
    pe_instance_free(c->idle[i].inst);
    pe_wasi_free(c->idle[i].w);
  }
  for (int i = 0; i < c->nspare; i++) {
    pe_instance_free(c->spare[i].inst);
    pe_wasi_free(c->spare[i].w);
  }
  pthread_mutex_destroy(&c->idle_lock);
  pe_snapshot_free(c->snap);
  pe_module_close(c->module);
  for (int i = 0; i < 4; i++) free(c->env_storage[i]);
  for (int i = 0; c->preopens && i < c->npreopens; i++)
    if (c->preopens[i].has_dir_fd) close(c->preopens[i].dir_fd);
  for (int i = 0; c->dirs && i < 2 * c->npreopens; i++) free(c->dirs[i]);
  free(c->dirs);
  free(c->preopens);
  for (int i = 0; i < c->nowned_env; i++) free(c->owned_env[i]);
  free(c->id);
  free(c);
}

/* Guest page statistics for each request's result (PYEDGE_TRACE_PAGES). */
static bool tracing_pages(void) {
  const char *tp = getenv("PYEDGE_TRACE_PAGES");
  return tp && *tp && strcmp(tp, "0") != 0;
}

/* Host and guest path of preopen i, in the fixed order of the top comment:
 * stdlib, SDK, app, then cfg->mounts. */
static void preopen_paths(const pe_component_config *cfg, int i, const char **host,
                          const char **guest) {
  *host = i == 0   ? cfg->stdlib_dir
          : i == 1 ? cfg->sdk_dir
          : i == 2 ? cfg->app_dir
                   : cfg->mounts[i - 3].host_dir;
  *guest = i == 0   ? "/usr/local/lib"
           : i == 1 ? "/usr/local/pyedge"
           : i == 2 ? "/app"
                    : cfg->mounts[i - 3].guest_path;
}

/* Preopen i, with copies of its paths. False: out of memory. */
static bool add_preopen(pe_component *c, int i, const char *host, const char *guest) {
  c->dirs[2 * i] = strdup(host);
  c->dirs[2 * i + 1] = strdup(guest);
  c->npreopens = i + 1;
  bool ok = c->dirs[2 * i] && c->dirs[2 * i + 1];
  c->preopens[i] = (pe_wasi_preopen){.host_path = c->dirs[2 * i],
                                     .guest_path = c->dirs[2 * i + 1],
                                     .read_only = true};
  /* each request's context opens these relative to a descriptor held
   * here, not by path: no path walk per request, and the directory the
   * component started with is the one every request sees */
  int fd = ok ? open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    c->preopens[i].has_dir_fd = true;
    c->preopens[i].dir_fd = fd;
  }
  return ok;
}

/* Every preopen (at most 1000 mounts): the caller's strings may not outlive
 * pe_component_new, so c keeps copies. False: out of memory, what was made
 * left for pe_component_free. */
static bool copy_preopens(pe_component *c, const pe_component_config *cfg) {
  int np = 3 + (int)(cfg->nmounts < 1000 ? cfg->nmounts : 1000);
  c->preopens = calloc((size_t)np, sizeof *c->preopens);
  c->dirs = calloc(2 * (size_t)np, sizeof *c->dirs);
  bool ok = c->preopens && c->dirs;
  for (int i = 0; ok && i < np; i++) {
    const char *host, *guest;
    preopen_paths(cfg, i, &host, &guest);
    ok = add_preopen(c, i, host, guest);
  }
  return ok;
}

/* The environment every component starts with. False: out of memory. */
static bool add_python_env(pe_component *c, const pe_component_config *cfg) {
  c->env_storage[0] = strdup("PYTHONHOME=/usr/local");
  c->env_storage[1] = dup_printf("PYTHONPATH=%s%s",
                                 cfg->python_path ? cfg->python_path : "/app:/usr/local/pyedge",
                                 NULL);
  c->env_storage[2] = dup_printf("PYEDGE_APP=%s%s", cfg->app_module, NULL);
  c->env_storage[3] = strdup("PYTHONDONTWRITEBYTECODE=1");
  for (int i = 0; i < 4; i++) {
    if (!c->env_storage[i]) return false;
    c->env[c->nenv++] = c->env_storage[i];
  }
  return true;
}

/* The component's own variables, as many as fit. False: out of memory. */
static bool add_component_env(pe_component *c, const pe_component_config *cfg) {
  for (int i = 0; i < cfg->nenv && c->nenv < PE_COMPONENT_MAX_ENV; i++) {
    char *kv = strdup(cfg->env[i]);
    if (!kv) return false;
    c->owned_env[c->nowned_env++] = kv;
    c->env[c->nenv++] = kv;
  }
  return true;
}

/* The instance the snapshot file holds, when there is one to load; NULL if
 * not, having said on stderr why a file was refused (start-up then runs as
 * if there were none). */
static pe_instance *load_snapshot_file(pe_component *c, const pe_component_config *cfg, pe_wasi *w,
                                       char *why, size_t whylen) {
  if (!cfg->snapshot_file || cfg->save_snapshot || access(cfg->snapshot_file, R_OK) != 0)
    return NULL;
  pe_instance *inst =
      pe_snapshot_load_file(c->module, cfg->snapshot_file, w, cfg->max_memory, why, whylen);
  if (!inst) {
    fprintf(stderr, "pyedge: %s: not using %s: %s\n", c->id, cfg->snapshot_file, why);
    return NULL;
  }
  pe_wasi_attach_memory(w, pe_instance_memory(inst));
  c->from_file = true;
  struct stat st;
  if (stat(cfg->snapshot_file, &st) == 0) c->file_bytes = (uint64_t)st.st_size;
  return inst;
}

/* A fresh instance with the interpreter started (_initialize). */
static pe_instance *start_interpreter(const pe_component *c, const pe_component_config *cfg,
                                      pe_wasi *w, char *why, size_t whylen) {
  pe_outcome o;
  pe_instance *inst = pe_instance_new(c->module, w, cfg->max_memory, &o, why, whylen);
  if (!inst) return NULL;
  pe_wasi_attach_memory(w, pe_instance_memory(inst));
  o = pe_instance_call(inst, c->ex.initialize, NULL, NULL, 0);
  if (o.trap == WASM_RT_TRAP_NONE) return inst;
  snprintf(why, whylen, "start-up trapped: %s", pe_rt_trap_name(o.trap));
  pe_instance_free(inst);
  return NULL;
}

/* pyedge_init imports the app through pyedge_entry; a failed import prints
 * its traceback. */
static bool import_app(const pe_component *c, pe_instance *inst, char *why, size_t whylen) {
  static const char entry[] = "pyedge_entry";
  pe_outcome o = {WASM_RT_TRAP_NONE, 0};
  uint32_t name = put_guest(inst, &c->ex, entry, sizeof entry - 1, 0, &o);
  uint64_t args[2] = {name, sizeof entry - 1}, res[1] = {0};
  if (name) o = pe_instance_call(inst, c->ex.init, args, res, 0);
  if (name && o.trap == WASM_RT_TRAP_NONE && (int32_t)res[0] == 0) return true;
  snprintf(why, whylen, "importing the app failed%s%s (see the traceback above)",
           o.trap ? ": " : "", o.trap ? pe_rt_trap_name(o.trap) : "");
  return false;
}

/* The snapshot every request clones: start-up as the snapshot file left it
 * when it can be used, else the interpreter started and the app imported
 * here (and saved to the file when asked). */
static bool take_start_snapshot(pe_component *c, const pe_component_config *cfg, char *why,
                                size_t whylen) {
  pe_wasi *w = new_context(c, false, why, whylen);
  if (!w) return false;
  pe_instance *inst = load_snapshot_file(c, cfg, w, why, whylen);
  if (!inst) inst = start_interpreter(c, cfg, w, why, whylen);
  bool ok = inst && import_app(c, inst, why, whylen);
  if (ok && !c->from_file && cfg->save_snapshot)
    ok = pe_snapshot_save_file(inst, cfg->snapshot_file, &c->file_bytes, why, whylen);
  if (ok) {
    c->snap = pe_snapshot_take(inst, why, whylen);
    ok = c->snap != NULL;
  }
  pe_instance_free(inst);
  pe_wasi_free(w);
  return ok;
}

pe_component *pe_component_new(const pe_component_config *cfg, char *err, size_t errlen) {
  pe_component *c = calloc(1, sizeof *c);
  if (!c || !(c->id = strdup(cfg->id))) {
    free(c);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  c->timeout_ns = cfg->timeout_ns;
  c->max_reuse = cfg->max_reuse ? cfg->max_reuse : 1;
  c->trace_pages = tracing_pages();
  pthread_mutex_init(&c->idle_lock, NULL);
  bool dirs_ok = copy_preopens(c, cfg);
  bool env_ok = add_python_env(c, cfg);
  if (!dirs_ok || !env_ok || !add_component_env(c, cfg)) {
    snprintf(err, errlen, "out of memory");
    pe_component_free(c);
    return NULL;
  }
  c->module = pe_module_open(cfg->python_so, err, errlen);
  if (!c->module || !find_exports(c->module, &c->ex, err, errlen)) {
    pe_component_free(c);
    return NULL;
  }
  char why[512];
  if (!take_start_snapshot(c, cfg, why, sizeof why)) {
    snprintf(err, errlen, "component %s: %s", c->id, why);
    pe_component_free(c);
    return NULL;
  }
  return c;
}

const char *pe_component_id(const pe_component *c) { return c->id; }
bool pe_component_from_file(const pe_component *c) { return c->from_file; }
uint64_t pe_component_file_bytes(const pe_component *c) { return c->file_bytes; }
uint64_t pe_component_snapshot_bytes(const pe_component *c) {
  return pe_snapshot_memory_bytes(c->snap);
}

/* Out of memory keeping a guest's output: it is lost, and said so. */
static void output_lost(int fd) {
  fprintf(stderr, "pyedge: out of memory: a request's %s output is lost\n",
          fd == 1 ? "standard" : "error");
}

/* What the capture dropped since the last report, as a line of its own at
 * the end of the output: the terminal and the log files then say that
 * output is missing, and how much, instead of just stopping. */
static void note_dropped(sandbox *sb, int fd, pe_buf *b) {
  uint64_t dropped = pe_wasi_capture_dropped(sb->w, fd);
  uint64_t *seen = &sb->dropped_seen[fd - 1];
  if (dropped <= *seen) return;
  char line[200];
  int n = snprintf(line, sizeof line,
                   "%s[pyedge: %" PRIu64
                   " more bytes of %s dropped: output is captured up to "
                   "%u KiB a stream]\n",
                   b->len && b->data[b->len - 1] != '\n' ? "\n" : "", dropped - *seen,
                   fd == 1 ? "stdout" : "stderr", PE_COMPONENT_CAPTURE >> 10);
  if (n > 0 && (size_t)n < sizeof line && !pe_buf_append(b, line, (size_t)n)) output_lost(fd);
  *seen = dropped;
}

/* Appends the output captured since the last report. */
static void keep_output(sandbox *sb, pe_component_result *res) {
  size_t n;
  const uint8_t *p = pe_wasi_captured(sb->w, 1, &n);
  if (p && n > sb->out_seen && !pe_buf_append(&res->out, p + sb->out_seen, n - sb->out_seen))
    output_lost(1);
  sb->out_seen = n;
  p = pe_wasi_captured(sb->w, 2, &n);
  if (p && n > sb->err_seen && !pe_buf_append(&res->err, p + sb->err_seen, n - sb->err_seen))
    output_lost(2);
  sb->err_seen = n;
  note_dropped(sb, 1, &res->out);
  note_dropped(sb, 2, &res->err);
}

/* An idle sandbox, or a fresh clone of the snapshot. */
static bool take_sandbox(pe_component *c, sandbox *sb, char *err, size_t errlen) {
  memset(sb, 0, sizeof *sb);
  if (c->max_reuse > 1) {
    pthread_mutex_lock(&c->idle_lock);
    if (c->nidle > 0) *sb = c->idle[--c->nidle];
    pthread_mutex_unlock(&c->idle_lock);
    if (sb->inst) {
      PE_ASSERT(sb->state == SB_IDLE && sb->uses < c->max_reuse);
      sb->state = SB_IN_USE;
      return true;
    }
  }
  /* Preferably the clone this thread reset last: the pages the reset
   * copied are still in this core's cache, and the request will write the
   * same ones again. */
  struct spare spare = {.inst = NULL, .w = NULL};
  pthread_t self = pthread_self();
  pthread_mutex_lock(&c->idle_lock);
  if (c->nspare > 0) {
    int i = c->nspare - 1;
    for (int k = i; k >= 0; k--)
      if (pthread_equal(c->spare[k].thread, self)) {
        i = k;
        break;
      }
    spare = c->spare[i];
    c->spare[i] = c->spare[--c->nspare];
  }
  pthread_mutex_unlock(&c->idle_lock);
  sb->w = spare.w ? spare.w : new_context(c, true, err, errlen);
  if (!sb->w) {
    pe_instance_free(spare.inst);
    return false;
  }
  if (spare.inst && !spare.w) pe_instance_set_host(spare.inst, sb->w);
  sb->inst = spare.inst ? spare.inst : pe_instance_from_snapshot(c->snap, sb->w, err, errlen);
  if (!sb->inst) {
    pe_wasi_free(sb->w);
    return false;
  }
  pe_instance_begin_use(sb->inst);
  pe_wasi_attach_memory(sb->w, pe_instance_memory(sb->inst));
  return true;
}

/* Keeps a sandbox that may serve again, or discards it. */
static void give_back(pe_component *c, sandbox *sb, bool reusable) {
  /* whatever comes next, no pointer to this request's grants stays */
  PE_ASSERT(sb->state == SB_IN_USE && pe_wasi_host_data(sb->w) == NULL);
  sb->uses++;
  if (reusable && sb->uses < c->max_reuse) {
    sb->state = SB_IDLE;
    pthread_mutex_lock(&c->idle_lock);
    bool kept = c->nidle < PE_COMPONENT_MAX_IDLE;
    if (kept) c->idle[c->nidle++] = *sb;
    pthread_mutex_unlock(&c->idle_lock);
    if (kept) return;
  }
  /* A fresh request needs a sandbox equal to the snapshot: recycling this
   * one costs only the pages it wrote, where a new clone would fault in
   * every page again. Whatever this request did -- trapped, timed out,
   * grew memory, opened files -- is undone by the resets, made here on the
   * thread that ran it (see pe_instance_reset). */
  if (!pe_wasi_reset(sb->w)) {
    pe_wasi_free(sb->w);
    sb->w = NULL;
  }
  if (!pe_instance_reset(sb->inst, c->snap, sb->w)) {
    pe_instance_free(sb->inst);
    pe_wasi_free(sb->w);
    return;
  }
  pthread_mutex_lock(&c->idle_lock);
  bool kept = c->nspare < PE_COMPONENT_MAX_IDLE;
  if (kept) c->spare[c->nspare++] = (struct spare){sb->inst, sb->w, pthread_self()};
  pthread_mutex_unlock(&c->idle_lock);
  if (!kept) {
    pe_instance_free(sb->inst);
    pe_wasi_free(sb->w);
  }
}

static void fail(pe_component_result *res, pe_outcome o, const char *what) {
  res->status = o.trap == PE_RT_TRAP_TIMEOUT        ? PE_COMPONENT_TIMEOUT
                : o.trap == PE_RT_TRAP_MEMORY_LIMIT ? PE_COMPONENT_NO_MEMORY
                                                    : PE_COMPONENT_FAILED;
  if (o.trap != WASM_RT_TRAP_NONE)
    snprintf(res->reason, sizeof res->reason, "%s: %s", what, pe_rt_trap_name(o.trap));
  else
    snprintf(res->reason, sizeof res->reason, "%s", what);
}

void pe_component_handle(pe_component *c, const uint8_t *req, size_t len,
                         const pe_host_services *hs, pe_component_result *res) {
  memset(res, 0, sizeof *res);
  char err[512];
  uint64_t t0 = now_ns();
  sandbox sb;
  if (!take_sandbox(c, &sb, err, sizeof err)) {
    res->status = PE_COMPONENT_FAILED;
    snprintf(res->reason, sizeof res->reason, "cannot create a sandbox: %.200s", err);
    return;
  }
  pe_instance *inst = sb.inst;
  /* the services answer for this request only: a reused sandbox must not
   * keep a pointer to a finished request's grants */
  pe_wasi_set_host_data(sb.w, (void *)hs);
  uint64_t t1 = now_ns();
  res->instantiate_ns = t1 - t0;

  pe_outcome o = {WASM_RT_TRAP_NONE, 0};
  uint32_t ptr = put_guest(inst, &c->ex, req, len, c->timeout_ns, &o);
  uint64_t r[1] = {0};
  if (!ptr) {
    fail(res, o, "cannot pass the request to the guest");
    goto out;
  }
  uint64_t args[2] = {ptr, len};
  o = pe_instance_call(inst, c->ex.call, args, r, c->timeout_ns);
  if (o.trap != WASM_RT_TRAP_NONE || (int32_t)r[0] != 0) {
    fail(res, o, o.trap == PE_RT_TRAP_EXIT ? "the handler exited" : "the handler failed");
    goto out;
  }
  uint64_t rp[1] = {0}, rl[1] = {0};
  o = pe_instance_call(inst, c->ex.result_ptr, NULL, rp, c->timeout_ns);
  if (o.trap == WASM_RT_TRAP_NONE)
    o = pe_instance_call(inst, c->ex.result_len, NULL, rl, c->timeout_ns);
  wasm_rt_memory_t *mem = pe_instance_memory(inst);
  uint32_t p = (uint32_t)rp[0], n = (uint32_t)rl[0];
  if (o.trap != WASM_RT_TRAP_NONE || (uint64_t)p + n > mem->size) {
    fail(res, o, "the handler's result lies outside its memory");
    goto out;
  }
  if (!pe_buf_append(&res->response, mem->data + p, n)) {
    fail(res, o, "out of memory");
    goto out;
  }
  /* a reused instance must not keep every request's buffer */
  if (c->max_reuse > 1) {
    uint64_t fargs[1] = {ptr};
    o = pe_instance_call(inst, c->ex.free, fargs, NULL, c->timeout_ns);
  }
  res->status = o.trap == WASM_RT_TRAP_NONE ? PE_COMPONENT_OK : PE_COMPONENT_FAILED;
out:
  res->call_ns = now_ns() - t1;
  if (c->trace_pages) pe_instance_page_stats(inst, &res->resident_pages, &res->dirty_pages);
  pe_wasi_set_host_data(sb.w, NULL);
  keep_output(&sb, res);
  give_back(c, &sb, res->status == PE_COMPONENT_OK);
}

void pe_component_result_free(pe_component_result *res) {
  pe_buf_free(&res->response);
  pe_buf_free(&res->out);
  pe_buf_free(&res->err);
}
