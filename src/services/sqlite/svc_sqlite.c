/*
 * svc_sqlite.c -- the "sqlite" area (svc_sqlite.h): which databases exist,
 * who may open them and the per-request handles (through svc_labels.c,
 * shared with the kv area), the connections handles hold, and the start-up
 * statements. Running one statement is sqlite_exec.c.
 *
 * App-wide state (labels -> connection pools) is built at start-up and only
 * read afterwards; each pool locks itself. A request's handles live in
 * rq->sqlite (allocated on the first sqlite.open); ids are never reused;
 * pe_svc_sqlite_request_end gives every connection still held back to its
 * pool (rolling back an open transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/svc_labels.h"
#include "svc_sqlite.h"

typedef struct sql_area {
  pe_svc_labels *dbs;
  uint64_t statement_ms;
} sql_area;

typedef struct sql_handle {
  pe_svc_handle h;   /* first: the table's entries are these (svc_labels.h) */
  pe_sql_conn *conn; /* held between statements (transaction, TEMP, PRAGMA) */
  int64_t changes, last_rowid;
} sql_handle;

/* ---- start-up -------------------------------------------------------------- */

/* Handle ids: one counter for the process, an id never names two
 * connections, even across requests (svc_labels.h). */
static _Atomic uint64_t last_handle;

static const pe_manifest_list *sql_grants(const pe_manifest_component *mc) {
  return &mc->sqlite_databases;
}

static const pe_rc_entry *sql_section(const pe_runtime_config *rc, size_t *n) {
  *n = rc->nsqlite;
  return rc->sqlite;
}

static void *sql_pool_open(const char *file, const char *url, char *why, size_t whylen) {
  (void)url; /* a database is never a Redis URL (runtime_config.c) */
  return pe_sql_pool_new(file, PE_SQL_GUEST, why, whylen);
}

static void sql_pool_free(void *p) { pe_sql_pool_free(p); }

static const pe_svc_label_kind sql_kind = {
    .area = "sqlite",
    .what = "SQLite database",
    .label_name = "database label",
    .rc_table = "sqlite_database",
    .manifest_key = "sqlite_databases",
    .handle_name = "connection",
    .handle_what = "SQLite connection",
    .stale = PE_HC_NOT_FOUND,
    .default_file = "sqlite_db.db",
    .max_open = PE_SQLITE_MAX_OPEN,
    .handle_size = sizeof(sql_handle),
    .last_id = &last_handle,
    .grants = sql_grants,
    .rc_section = sql_section,
    .open = sql_pool_open,
    .free = sql_pool_free,
};

static void area_free(sql_area *a) {
  if (!a) return;
  pe_svc_labels_free(a->dbs);
  free(a);
}

/* --sqlite STMT / --sqlite @FILE, in order, on the default database */
static bool run_startup(const sql_area *a, const pe_services *s, char *err, size_t errlen) {
  const pe_svc_label *db = pe_svc_labels_find(a->dbs, "default");
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
    bool ok = pe_sql_exec_trusted(db->res, sql, why, sizeof why);
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
  bool ok = a && (a->dbs = pe_svc_labels_new(&sql_kind, &rc, err, errlen)) != NULL;
  if (!a) snprintf(err, errlen, "out of memory");
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
  if (ok)
    ok = pe_svc_labels_grant(a->dbs, s, &rc, s->o.nsqlite_stmts > 0 ? "(--sqlite)" : NULL, err,
                             errlen);
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

static void release_conn(pe_svc_handle *h) { pe_sql_release(((sql_handle *)h)->conn); }

void pe_svc_sqlite_request_end(pe_svc_request *rq) {
  pe_svc_handles_end(&rq->sqlite, release_conn);
}

/* ---- calls ----------------------------------------------------------------- */

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
    pe_svc_labels_op_open(a->dbs, rq, &rq->sqlite, &r, out);
    return;
  }
  bool exec = !strcmp(op, "execute"), close = !strcmp(op, "close");
  if (!exec && !close) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'sqlite.%s'", op);
    return;
  }
  sql_handle *h = (sql_handle *)pe_svc_handle_find(a->dbs, rq->sqlite, &r, out);
  if (!h) return;
  if (close) {
    if (!pe_hc_done(&r)) {
      pe_hc_error(out, PE_HC_INVALID, "sqlite.close takes only the handle");
      return;
    }
    release_conn(&h->h);
    pe_svc_handle_drop(rq->sqlite, &h->h);
    if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  pe_sql_conn *c = h->conn;
  char why[512];
  if (!c && !(c = pe_sql_acquire(h->h.lab->res, why, sizeof why))) {
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
