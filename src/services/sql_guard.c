/*
 * sql_guard.c -- what stands between guest SQL and the host (sql_pool.h).
 *
 * A sandboxed app may run any SQL on its own database, but SQL can reach
 * further than one file: ATTACH opens any path the pyedge process can
 * (VACUUM INTO writes one), load_extension runs native code, some PRAGMAs
 * change process-wide or durability settings or reveal host paths
 * (database_list), and a zeroblob(1e9) or a runaway recursive query costs
 * host memory and time. So, on every guest connection:
 *
 *  - the authorizer denies ATTACH/DETACH, the load_extension function and
 *    every PRAGMA outside `pragmas` below; PRAGMAs that change
 *    per-connection state and TEMP objects taint the connection (it is
 *    closed after the request instead of reused), and are refused outright
 *    on an in-memory database, whose one connection cannot be replaced;
 *  - SQLITE_DBCONFIG_DEFENSIVE (no writable_schema, no shadow-table writes),
 *    untrusted schema, extension loading off (also the C API);
 *  - limits: PE_SQL_MAX_VALUE for a string or blob, PE_SQL_MAX_STATEMENT
 *    for SQL text, no attached databases;
 *  - a progress handler every 1000 VM steps stops the statement when the
 *    per-statement deadline (pe_sql_guard_deadline) or the request's own
 *    deadline (pe_rt_should_stop) has passed.
 *
 * The busy handler (all connections) waits with growing sleeps up to
 * PE_SQL_BUSY_MS, and not at all once the request's deadline has passed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pe_rt.h"
#include "sql_pool.h"

enum { READ_ONLY, READ_WRITE, TAINTS };

/* name, what a value may do */
static const struct {
  const char *name;
  int mode;
} pragmas[] = {
    /* introspection; an argument names a table or index */
    {"table_info", READ_ONLY},    {"table_xinfo", READ_ONLY},       {"table_list", READ_ONLY},
    {"index_list", READ_ONLY},    {"index_info", READ_ONLY},        {"index_xinfo", READ_ONLY},
    {"foreign_key_list", READ_ONLY}, {"foreign_key_check", READ_ONLY},
    {"integrity_check", READ_ONLY}, {"quick_check", READ_ONLY},    {"collation_list", READ_ONLY},
    {"page_count", READ_ONLY},    {"freelist_count", READ_ONLY},    {"data_version", READ_ONLY},
    {"optimize", READ_ONLY},
    /* read-only settings (a value would be a change) */
    {"schema_version", -1},       {"encoding", -1},                 {"page_size", -1},
    {"journal_mode", -1},         {"synchronous", -1},              {"auto_vacuum", -1},
    /* stored in the database file: a change is the app's own business */
    {"user_version", READ_WRITE}, {"application_id", READ_WRITE},
    /* per-connection settings */
    {"foreign_keys", TAINTS},     {"defer_foreign_keys", TAINTS},   {"recursive_triggers", TAINTS},
    {"max_page_count", TAINTS},   {"cache_size", TAINTS},           {"case_sensitive_like", TAINTS},
};

/* msg may hold one %s, filled with a */
static int deny(pe_sql_conn *c, const char *msg, const char *a) {
  snprintf(c->denied, sizeof c->denied, msg, a ? a : "");
  return SQLITE_DENY;
}

static int pragma_rule(pe_sql_conn *c, const char *name, const char *value) {
  if (!name) return deny(c, "PRAGMA without a name is not allowed", NULL);
  for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
    if (strcmp(pragmas[i].name, name)) continue;
    switch (pragmas[i].mode) {
      case READ_ONLY:
      case READ_WRITE:
        return SQLITE_OK;
      case TAINTS:
        if (!value) return SQLITE_OK;
        if (c->memory) return deny(c, "PRAGMA %s cannot be changed on an in-memory database", name);
        c->tainted = true;
        return SQLITE_OK;
      default:
        if (!value) return SQLITE_OK;
        return deny(c, "PRAGMA %s may only be read", name);
    }
  }
  return deny(c, "PRAGMA %s is not allowed in pyedge", name);
}

static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *db,
                     const char *trigger) {
  (void)db;
  pe_sql_conn *c = ctx;
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return deny(c, "ATTACH, DETACH and VACUUM are not allowed in pyedge", NULL);
    case SQLITE_PRAGMA:
      return pragma_rule(c, a1, a2);
    case SQLITE_FUNCTION:
      if (a2 && !strcmp(a2, "load_extension")) return deny(c, "load_extension is not allowed in pyedge", NULL);
      return SQLITE_OK;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      /* the statement's own change, not a trigger's or the schema's (DDL
       * writes sqlite_schema): what changes() reports */
      if (!trigger && a1 && strcmp(a1, "sqlite_master") && strcmp(a1, "sqlite_temp_master"))
        c->dml = true;
      return SQLITE_OK;
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
      if (c->memory) return deny(c, "TEMP objects are not allowed on an in-memory database", NULL);
      c->tainted = true;
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

static int progress(void *ctx) {
  pe_sql_conn *c = ctx;
  if ((c->deadline_ns && pe_sql_now_ns() >= c->deadline_ns) || pe_rt_should_stop()) {
    c->interrupted = true;
    return 1;
  }
  return 0;
}

bool pe_sql_guard_install(pe_sql_conn *c, char *err, size_t errlen) {
  int on;
  if (sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK ||
      sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on) != SQLITE_OK ||
      sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on) != SQLITE_OK) {
    snprintf(err, errlen, "cannot configure the connection: %s", sqlite3_errmsg(c->db));
    return false;
  }
  sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, (int)PE_SQL_MAX_VALUE);
  sqlite3_limit(c->db, SQLITE_LIMIT_SQL_LENGTH, (int)PE_SQL_MAX_STATEMENT);
  sqlite3_limit(c->db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_set_authorizer(c->db, authorize, c);
  sqlite3_progress_handler(c->db, 1000, progress, c);
  return true;
}

void pe_sql_guard_deadline(pe_sql_conn *c, uint64_t ms) {
  c->interrupted = false;
  c->dml = false;
  c->denied[0] = 0;
  c->deadline_ns = ms ? pe_sql_now_ns() + ms * 1000000ull : 0;
}

int pe_sql_busy_wait(void *ctx, int attempt) {
  (void)ctx;
  static const int sleeps_ms[] = {1, 2, 5, 10, 15, 20, 25};
  const int n = (int)(sizeof sleeps_ms / sizeof sleeps_ms[0]);
  if (pe_rt_should_stop()) return 0;
  long waited = 0;
  for (int i = 0; i < attempt; i++) waited += sleeps_ms[i < n ? i : n - 1];
  if (waited >= PE_SQL_BUSY_MS) return 0;
  int ms = sleeps_ms[attempt < n ? attempt : n - 1];
  struct timespec ts = {0, (long)ms * 1000000L};
  nanosleep(&ts, NULL);
  return 1;
}
