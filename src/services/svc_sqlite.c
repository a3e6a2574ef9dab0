/*
 * svc_sqlite.c -- the "sqlite" area (svc_sqlite.h): which databases exist,
 * who may open them, per-request handles and the connections they hold,
 * and the start-up statements. Running one statement is sqlite_exec.c.
 *
 * App-wide state (labels -> connection pools) is built at start-up and only
 * read afterwards; each pool locks itself. A request's handles live in
 * rq->sqlite (allocated on the first sqlite.open); ids are never reused; pe_svc_sqlite_request_end gives every connection still
 * held back to its pool (rolling back an open transaction).
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_config.h"
#include "svc_sqlite.h"
#include "svc_utf8.h"

typedef struct sql_db {
  char *label;
  pe_sql_pool *pool; /* owned by the area's pool list */
} sql_db;

typedef struct sql_shared {
  char *path; /* NULL for a private in-memory database */
  pe_sql_pool *pool;
} sql_shared;

typedef struct sql_area {
  sql_db *dbs;
  size_t ndbs;
  sql_shared *pools;
  size_t npools;
  char **defined; /* "default" and the runtime config's labels */
  size_t ndefined;
  uint64_t statement_ms;
} sql_area;

typedef struct sql_handle {
  uint64_t id;
  const sql_db *db;
  pe_sql_conn *conn; /* held between statements (transaction, TEMP, PRAGMA) */
  int64_t changes, last_rowid;
} sql_handle;

typedef struct sql_req {
  sql_handle open[PE_SQLITE_MAX_OPEN];
  unsigned nopen;
} sql_req;

/* ---- start-up -------------------------------------------------------------- */

static void area_free(sql_area *a) {
  if (!a) return;
  for (size_t i = 0; i < a->ndbs; i++) free(a->dbs[i].label);
  for (size_t i = 0; i < a->npools; i++) {
    free(a->pools[i].path);
    pe_sql_pool_free(a->pools[i].pool);
  }
  for (size_t i = 0; i < a->ndefined; i++) free(a->defined[i]);
  free(a->dbs);
  free(a->pools);
  free(a->defined);
  free(a);
}

static const sql_db *find_db(const sql_area *a, const char *label) {
  for (size_t i = 0; i < a->ndbs; i++)
    if (!strcmp(a->dbs[i].label, label)) return &a->dbs[i];
  return NULL;
}

static bool is_defined(const sql_area *a, const char *label) {
  for (size_t i = 0; i < a->ndefined; i++)
    if (!strcmp(a->defined[i], label)) return true;
  return false;
}

static bool add_defined(sql_area *a, const char *label) {
  char **nd = realloc(a->defined, (a->ndefined + 1) * sizeof *nd);
  if (!nd) return false;
  a->defined = nd;
  return (a->defined[a->ndefined++] = strdup(label)) != NULL;
}

static pe_sql_pool *pool_for(sql_area *a, const pe_services *s, const char *label,
                             const pe_rc_entry *e, char *err, size_t errlen) {
  char path[PATH_MAX + 32];
  const char *file;
  if (!e) { /* the default database, not overridden */
    char dir[PATH_MAX];
    int n = s->o.state_dir ? snprintf(dir, sizeof dir, "%s", s->o.state_dir)
                           : snprintf(dir, sizeof dir, "%s/.spin", s->app_dir);
    if (n < 0 || (size_t)n >= sizeof dir ||
        (size_t)snprintf(path, sizeof path, "%s/sqlite_db.db", dir) >= sizeof path) {
      snprintf(err, errlen, "state directory path too long");
      return NULL;
    }
    if (!pe_mkdir_p(dir, err, errlen)) return NULL;
    file = path;
  } else {
    file = e->path; /* NULL: in memory */
  }
  for (size_t i = 0; file && i < a->npools; i++)
    if (a->pools[i].path && !strcmp(a->pools[i].path, file)) return a->pools[i].pool;
  sql_shared *np = realloc(a->pools, (a->npools + 1) * sizeof *np);
  if (!np) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  a->pools = np;
  char why[512];
  pe_sql_pool *p = pe_sql_pool_new(file, PE_SQL_GUEST, why, sizeof why);
  if (!p) {
    snprintf(err, errlen, "SQLite database '%s': %s", label, why);
    return NULL;
  }
  a->pools[a->npools].path = file ? strdup(file) : NULL;
  if (file && !a->pools[a->npools].path) {
    pe_sql_pool_free(p);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  a->pools[a->npools++].pool = p;
  return p;
}

static bool add_db(sql_area *a, const pe_services *s, const pe_runtime_config *rc,
                   const char *label, const char *component, char *err, size_t errlen) {
  if (find_db(a, label)) return true;
  const pe_rc_entry *e = pe_runtime_config_sqlite(rc, label);
  if (!e && strcmp(label, "default") != 0) {
    snprintf(err, errlen,
             "component '%s' uses SQLite database '%s', which is not defined: add "
             "[sqlite_database.%s] to %s%s",
             component, label, label,
             rc->file ? "the runtime config file " : "a runtime config file (--runtime-config-file)",
             rc->file ? rc->file : "");
    return false;
  }
  sql_db *nd = realloc(a->dbs, (a->ndbs + 1) * sizeof *nd);
  if (!nd) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  a->dbs = nd;
  pe_sql_pool *p = pool_for(a, s, label, e, err, errlen);
  if (!p) return false;
  if (!(a->dbs[a->ndbs].label = strdup(label))) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  a->dbs[a->ndbs++].pool = p;
  return true;
}

/* --sqlite STMT / --sqlite @FILE, in order, on the default database */
static bool run_startup(sql_area *a, const pe_services *s, char *err, size_t errlen) {
  const sql_db *db = find_db(a, "default");
  for (int i = 0; i < s->o.nsqlite_stmts; i++) {
    const char *arg = s->o.sqlite_stmts[i];
    pe_buf file = {0};
    const char *sql = arg;
    char why[1024];
    if (arg[0] == '@') {
      if (!pe_read_file(arg + 1, &file, why, sizeof why)) {
        snprintf(err, errlen, "--sqlite %s: %s", arg, why);
        pe_buf_free(&file);
        return false;
      }
      if (file.len && memchr(file.data, 0, file.len)) {
        snprintf(err, errlen, "--sqlite %s: the file contains a NUL byte", arg);
        pe_buf_free(&file);
        return false;
      }
      sql = file.data ? file.data : "";
    }
    bool ok = pe_sql_exec_trusted(db->pool, sql, why, sizeof why);
    pe_buf_free(&file);
    if (!ok) {
      snprintf(err, errlen, "--sqlite %.200s%s: %s", arg, strlen(arg) > 200 ? "..." : "", why);
      return false;
    }
  }
  return true;
}

bool pe_svc_sqlite_open(pe_services *s, char *err, size_t errlen) {
  pe_runtime_config rc;
  if (!pe_runtime_config_load(s->o.runtime_config, &rc, err, errlen)) return false;
  sql_area *a = calloc(1, sizeof *a);
  bool ok = a && add_defined(a, "default");
  for (size_t i = 0; ok && i < rc.nsqlite; i++) ok = add_defined(a, rc.sqlite[i].label);
  if (!ok) snprintf(err, errlen, "out of memory");
  if (ok) {
    a->statement_ms = PE_SQLITE_STATEMENT_MS;
    const char *env = getenv("PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS");
    if (env && *env) {
      char *end;
      unsigned long long v = strtoull(env, &end, 10);
      if (*end || v == 0 || v > 3600000ull) {
        snprintf(err, errlen, "PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS wants 1..3600000, got '%s'", env);
        ok = false;
      } else {
        a->statement_ms = v;
      }
    }
  }
  for (size_t c = 0; ok && c < s->m->n_components; c++) {
    const pe_manifest_component *mc = &s->m->components[c];
    for (size_t i = 0; ok && i < mc->sqlite_databases.len; i++)
      ok = add_db(a, s, &rc, mc->sqlite_databases.items[i], mc->id, err, errlen);
  }
  if (ok && s->o.nsqlite_stmts > 0) ok = add_db(a, s, &rc, "default", "(--sqlite)", err, errlen);
  if (ok) ok = run_startup(a, s, err, errlen);
  pe_runtime_config_free(&rc);
  if (!ok) {
    area_free(a);
    return false;
  }
  s->sqlite = a;
  return true;
}

void pe_svc_sqlite_close(pe_services *s) {
  area_free(s->sqlite);
  s->sqlite = NULL;
}

static void drop_handle(sql_req *q, unsigned i) {
  pe_sql_release(q->open[i].conn);
  q->open[i] = q->open[--q->nopen];
}

void pe_svc_sqlite_request_end(pe_svc_request *rq) {
  sql_req *q = rq->sqlite;
  while (q && q->nopen) drop_handle(q, q->nopen - 1);
  free(q);
  rq->sqlite = NULL;
}

/* ---- calls ----------------------------------------------------------------- */

/* One counter for the process: an id never names two connections, even
 * across requests (see svc_kv.c). */
static _Atomic uint64_t last_handle;

static bool granted(const pe_manifest_component *mc, const char *label) {
  for (size_t i = 0; mc && i < mc->sqlite_databases.len; i++)
    if (!strcmp(mc->sqlite_databases.items[i], label)) return true;
  return false;
}

static void op_open(pe_svc_request *rq, sql_area *a, pe_hc_reader *r, pe_buf *out) {
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "sqlite.open takes one blob: the database label");
    return;
  }
  if (n == 0 || n > 256 || memchr(p, 0, n) || !pe_svc_utf8_valid(p, n)) {
    pe_hc_error(out, PE_HC_INVALID, "a database label is 1 to 256 bytes of UTF-8 without NUL");
    return;
  }
  char label[257];
  memcpy(label, p, n);
  label[n] = 0;
  const sql_db *db = granted(rq->component, label) ? find_db(a, label) : NULL;
  if (!db) {
    if (!is_defined(a, label) || granted(rq->component, label))
      pe_hc_error(out, PE_HC_NOT_FOUND, "no SQLite database named '%s'", label);
    else
      pe_hc_error(out, PE_HC_DENIED,
                  "component '%s' may not use SQLite database '%s' (add it to sqlite_databases "
                  "in spin.toml)",
                  rq->component ? rq->component->id : "?", label);
    return;
  }
  sql_req *q = rq->sqlite;
  if (!q && !(q = rq->sqlite = calloc(1, sizeof *q))) {
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  if (q->nopen == PE_SQLITE_MAX_OPEN) {
    pe_hc_error(out, PE_HC_LIMIT, "too many SQLite connections open at once (%d); close some",
                PE_SQLITE_MAX_OPEN);
    return;
  }
  sql_handle *h = &q->open[q->nopen++];
  memset(h, 0, sizeof *h);
  h->id = atomic_fetch_add(&last_handle, 1) + 1;
  h->db = db;
  if (!pe_hc_ok(out) || !pe_hc_put_u64(out, h->id)) pe_hc_error(out, PE_HC_BACKEND, "out of memory");
}

void pe_svc_sqlite_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                        pe_buf *out) {
  sql_area *a = rq->app ? rq->app->sqlite : NULL;
  if (!a) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "SQLite databases are not available");
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  if (!strcmp(op, "open")) {
    op_open(rq, a, &r, out);
    return;
  }
  bool exec = !strcmp(op, "execute"), close = !strcmp(op, "close");
  if (!exec && !close) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'sqlite.%s'", op);
    return;
  }
  uint64_t id;
  if (!pe_hc_u64(&r, &id)) {
    pe_hc_error(out, PE_HC_INVALID, "expected a connection handle (an 8-byte integer) first");
    return;
  }
  sql_req *q = rq->sqlite;
  unsigned i = 0;
  while (q && i < q->nopen && q->open[i].id != id) i++;
  if (!q || i == q->nopen) {
    pe_hc_error(out, PE_HC_NOT_FOUND, "no open SQLite connection with handle %llu in this request",
                (unsigned long long)id);
    return;
  }
  sql_handle *h = &q->open[i];
  if (close) {
    if (!pe_hc_done(&r)) {
      pe_hc_error(out, PE_HC_INVALID, "sqlite.close takes only the handle");
      return;
    }
    drop_handle(q, i);
    if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  pe_sql_conn *c = h->conn;
  char why[512];
  if (!c && !(c = pe_sql_acquire(h->db->pool, why, sizeof why))) {
    pe_hc_error(out, PE_HC_BACKEND, "%s", why);
    return;
  }
  pe_sqlite_execute(c, &r, a->statement_ms, &h->changes, &h->last_rowid, out);
  /* keep the connection while it carries state this handle will need */
  if (!sqlite3_get_autocommit(c->db) || c->tainted) {
    h->conn = c;
  } else {
    h->conn = NULL;
    pe_sql_release(c);
  }
}
