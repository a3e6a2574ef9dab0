/*
 * sql_guard.c -- what stands between guest SQL and the host (sql_pool.h).
 *
 * A sandboxed app may run any SQL on its own database, but SQL can reach
 * further than one file: ATTACH opens any path the pyedge process can
 * (VACUUM INTO writes one), load_extension runs native code,
 * fts3_tokenizer() hands out host addresses and, with a bound blob, calls
 * through a guest-chosen one (SQLite accepts the two-argument form for bound
 * parameters whatever SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER says), some
 * PRAGMAs change process-wide or durability settings or reveal host paths
 * (database_list), sqlite_stmt shows the text of statements other requests
 * prepared on a pooled connection, and a zeroblob(1e9), a 4 GB cache_size or
 * a runaway recursive query costs host memory and time. So, on every guest
 * connection:
 *
 *  - the authorizer allows only the SQL functions in `functions` below
 *    (ALWAYS an allow-list: a function a newer SQLite adds is refused until
 *    somebody reads what it does), the virtual-table modules in `modules`,
 *    and the PRAGMAs in `pragmas`; it denies ATTACH/DETACH and reading
 *    sqlite_stmt. PRAGMAs that change per-connection state and TEMP objects
 *    taint the connection (it is closed after the request instead of
 *    reused), and are refused outright on an in-memory database, whose one
 *    connection cannot be replaced; cache_size is refused above
 *    PE_SQL_MAX_CACHE_BYTES (the sorter of a big ORDER BY grows to it);
 *  - SQLITE_DBCONFIG_DEFENSIVE (no writable_schema, no shadow-table writes),
 *    untrusted schema, extension loading off (also the C API), the
 *    fts3_tokenizer two-argument form off (belt and braces: the authorizer
 *    already refuses the function);
 *  - limits: PE_SQL_MAX_VALUE for a string or blob, PE_SQL_MAX_STATEMENT
 *    for SQL text, no attached databases;
 *  - a progress handler every 1000 VM steps stops the statement when the
 *    per-statement deadline (pe_sql_guard_deadline) or the request's own
 *    deadline (pe_rt_should_stop) has passed.
 *
 * The busy handler (all connections) waits with growing sleeps up to
 * PE_SQL_BUSY_MS, and not at all once the request's deadline has passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/pe_rt.h"
#include "sql_pool.h"

enum { READ_ONLY, READ_WRITE, TAINTS };

/* name, what a value may do */
static const struct {
  const char *name;
  int mode;
} pragmas[] = {
    /* introspection; an argument names a table or index */
    {"table_info", READ_ONLY},
    {"table_xinfo", READ_ONLY},
    {"table_list", READ_ONLY},
    {"index_list", READ_ONLY},
    {"index_info", READ_ONLY},
    {"index_xinfo", READ_ONLY},
    {"foreign_key_list", READ_ONLY},
    {"foreign_key_check", READ_ONLY},
    {"integrity_check", READ_ONLY},
    {"quick_check", READ_ONLY},
    {"collation_list", READ_ONLY},
    {"page_count", READ_ONLY},
    {"freelist_count", READ_ONLY},
    {"data_version", READ_ONLY},
    {"optimize", READ_ONLY},
    /* read-only settings (a value would be a change) */
    {"schema_version", -1},
    {"encoding", -1},
    {"page_size", -1},
    {"journal_mode", -1},
    {"synchronous", -1},
    {"auto_vacuum", -1},
    /* stored in the database file: a change is the app's own business */
    {"user_version", READ_WRITE},
    {"application_id", READ_WRITE},
    /* per-connection settings */
    {"foreign_keys", TAINTS},
    {"defer_foreign_keys", TAINTS},
    {"recursive_triggers", TAINTS},
    {"max_page_count", TAINTS},
    {"cache_size", TAINTS},
    {"case_sensitive_like", TAINTS},
};

/* Every SQL function of Debian's SQLite 3.40 (pragma_function_list) that a
 * guest may call. Left out, and why:
 *   load_extension       runs native code from a host file;
 *   fts3_tokenizer       returns a host pointer, or registers one to call;
 *   fts5                 hands out the FTS5 C API as a pointer (C callers only);
 *   sqlite_log           writes into the host's log;
 *   rtreenode, rtreedepth  debugging aids that decode a blob as an r-tree
 *                        node: parsers of guest bytes nobody needs. */
static const char *const functions[] = {
    /* core scalar */
    "abs",
    "changes",
    "char",
    "coalesce",
    "format",
    "glob",
    "hex",
    "ifnull",
    "iif",
    "instr",
    "last_insert_rowid",
    "length",
    "like",
    "likelihood",
    "likely",
    "lower",
    "ltrim",
    "max",
    "min",
    "nullif",
    "printf",
    "quote",
    "random",
    "randomblob",
    "replace",
    "round",
    "rtrim",
    "sign",
    "soundex",
    "sqlite_compileoption_get",
    "sqlite_compileoption_used",
    "sqlite_source_id",
    "sqlite_version",
    "substr",
    "substring",
    "total_changes",
    "trim",
    "typeof",
    "unicode",
    "unlikely",
    "upper",
    "zeroblob",
    "subtype",
    /* aggregates and windows */
    "avg",
    "count",
    "group_concat",
    "sum",
    "total",
    "cume_dist",
    "dense_rank",
    "first_value",
    "lag",
    "last_value",
    "lead",
    "nth_value",
    "ntile",
    "percent_rank",
    "rank",
    "row_number",
    /* date and time */
    "current_date",
    "current_time",
    "current_timestamp",
    "date",
    "datetime",
    "julianday",
    "strftime",
    "time",
    "unixepoch",
    /* math */
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "ceiling",
    "cos",
    "cosh",
    "degrees",
    "exp",
    "floor",
    "ln",
    "log",
    "log10",
    "log2",
    "mod",
    "pi",
    "pow",
    "power",
    "radians",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    /* JSON */
    "->",
    "->>",
    "json",
    "json_array",
    "json_array_length",
    "json_extract",
    "json_group_array",
    "json_group_object",
    "json_insert",
    "json_object",
    "json_patch",
    "json_quote",
    "json_remove",
    "json_replace",
    "json_set",
    "json_type",
    "json_valid",
    /* full-text search and r-tree, as their tables use them */
    "bm25",
    "fts5_source_id",
    "highlight",
    "match",
    "matchinfo",
    "offsets",
    "optimize",
    "snippet",
    "rtreecheck",
};

/* Virtual-table modules a guest may CREATE. dbstat, json_each/json_tree and
 * the pragma_* tables are eponymous (no CREATE needed; pragmas go through
 * pragma_rule); sqlite_stmt is refused as a table read. */
static const char *const modules[] = {"fts3",      "fts4",         "fts5",  "fts4aux",
                                      "fts5vocab", "fts3tokenize", "rtree", "rtree_i32"};

static bool listed(const char *const *list, size_t n, const char *name) {
  for (size_t i = 0; name && i < n; i++)
    if (!strcmp(list[i], name)) return true;
  return false;
}

/* msg may hold one %s, filled with a */
static int deny(pe_sql_conn *c, const char *msg, const char *a) {
  snprintf(c->denied, sizeof c->denied, msg, a ? a : "");
  return SQLITE_DENY;
}

/* cache_size = N: N pages if positive, N KiB if negative (SQLite's rule). */
static int cache_size_rule(pe_sql_conn *c, const char *value) {
  errno = 0;
  char *end;
  long long n = strtoll(value, &end, 10);
  if (errno || end == value || *end) return deny(c, "PRAGMA cache_size takes a whole number", NULL);
  unsigned long long bytes = n >= 0 ? (unsigned long long)n * (unsigned long long)c->page_size
                                    : (n < -(1LL << 40) ? ~0ull : (unsigned long long)-n * 1024u);
  if (n > (1LL << 32) || bytes > PE_SQL_MAX_CACHE_BYTES)
    return deny(c, "PRAGMA cache_size may be at most " PE_SQL_MAX_CACHE_TEXT " in pyedge", NULL);
  return SQLITE_OK;
}

static int pragma_rule(pe_sql_conn *c, const char *name, const char *value) {
  if (!name) return deny(c, "PRAGMA without a name is not allowed", NULL);
  for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
    if (strcmp(pragmas[i].name, name)) continue;
    switch (pragmas[i].mode) {
      case READ_ONLY:
      case READ_WRITE: return SQLITE_OK;
      case TAINTS:
        if (!value) return SQLITE_OK;
        if (c->memory) return deny(c, "PRAGMA %s cannot be changed on an in-memory database", name);
        if (!strcmp(name, "cache_size") && cache_size_rule(c, value) != SQLITE_OK)
          return SQLITE_DENY;
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
    case SQLITE_DETACH: return deny(c, "ATTACH, DETACH and VACUUM are not allowed in pyedge", NULL);
    case SQLITE_PRAGMA: return pragma_rule(c, a1, a2);
    case SQLITE_FUNCTION:
      if (!listed(functions, sizeof functions / sizeof *functions, a2))
        return deny(c, "the SQL function %s is not allowed in pyedge", a2);
      return SQLITE_OK;
    case SQLITE_CREATE_VTABLE:
      if (!listed(modules, sizeof modules / sizeof *modules, a2))
        return deny(c, "virtual tables of module %s are not allowed in pyedge", a2);
      return SQLITE_OK;
    case SQLITE_READ:
      if (a1 && !strcmp(a1, "sqlite_stmt"))
        return deny(c, "sqlite_stmt is not readable in pyedge", NULL);
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
    default: return SQLITE_OK;
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

/* Before the authorizer is installed: cache_size_rule needs it, and the page
 * size cannot change later (VACUUM is refused). */
static bool read_page_size(pe_sql_conn *c) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->db, "PRAGMA page_size", -1, &st, NULL) != SQLITE_OK) return false;
  bool ok = sqlite3_step(st) == SQLITE_ROW;
  c->page_size = ok ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return ok && c->page_size > 0;
}

bool pe_sql_guard_install(pe_sql_conn *c, char *err, size_t errlen) {
  int on;
  if (sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK ||
      sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on) != SQLITE_OK ||
      sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on) != SQLITE_OK ||
      sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, &on) != SQLITE_OK ||
      !read_page_size(c)) {
    snprintf(err, errlen, "cannot configure the connection: %s", sqlite3_errmsg(c->db));
    return false;
  }
  sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, (int)PE_SQL_MAX_VALUE);
  sqlite3_limit(c->db, SQLITE_LIMIT_SQL_LENGTH, (int)PE_SQL_MAX_STATEMENT);
  sqlite3_limit(c->db, SQLITE_LIMIT_ATTACHED, 0);
  /* an in-memory database is host memory: bounded like the page cache
   * (its one connection refuses a later max_page_count) */
  if (c->memory) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count=%u",
             PE_SQL_MAX_MEMORY_DB / (unsigned)c->page_size);
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
      snprintf(err, errlen, "cannot limit the in-memory database: %s", sqlite3_errmsg(c->db));
      return false;
    }
  }
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
