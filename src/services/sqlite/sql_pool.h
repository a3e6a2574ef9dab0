/*
 * sql_pool.h -- SQLite connections to one database file, shared by the
 * worker threads, for the key-value store (type "spin") and for the SQLite
 * area.
 *
 * Why a pool: a sqlite3 connection must not be used by two threads at once,
 * and one connection behind a mutex would serialise every reader. A pool
 * hands each caller a connection of its own (opening another when none is
 * idle, up to PE_SQL_POOL_MAX), so readers run in parallel under WAL and
 * writers queue on SQLite's own lock (a busy handler that waits up to
 * PE_SQL_BUSY_MS and gives up early when the request's deadline passes).
 *
 * Durability: file databases are opened in WAL mode with synchronous=FULL,
 * so a change is on disk (fsync of the WAL) before the call that made it
 * returns; a crash or kill -9 loses nothing that was acknowledged.
 *
 * An in-memory database (path NULL) lives in its one connection: its pool
 * holds exactly that connection and never closes it until the pool is
 * freed; callers wait their turn for it.
 *
 * Guest connections (PE_SQL_GUEST, the SQLite area) run SQL a sandboxed
 * app wrote, so they are guarded (sql_guard.c): an authorizer refuses ATTACH
 * and DETACH (and so VACUUM INTO), every SQL function, virtual-table module
 * and PRAGMA outside its allow-list; defensive mode; no extension loading; limits on statement
 * and value sizes; a progress handler that interrupts a statement past its
 * deadline or the request's. A connection whose per-connection state the
 * guest changed (a TEMP object, a PRAGMA such as foreign_keys) is marked
 * tainted and closed on release instead of going back to the pool, so no
 * request sees another's settings; for an in-memory database such changes
 * are refused instead (its one connection cannot be replaced).
 */
#ifndef PE_SQL_POOL_H
#define PE_SQL_POOL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PE_SQL_POOL_MAX 64
#define PE_SQL_BUSY_MS 5000             /* waiting for SQLite's lock or a pooled connection */
#define PE_SQL_MAX_VALUE (16u << 20)    /* SQLITE_LIMIT_LENGTH of guest connections */
#define PE_SQL_MAX_STATEMENT (1u << 20) /* SQLITE_LIMIT_SQL_LENGTH of guest connections */
#define PE_SQL_STMT_CACHE 8             /* prepared statements kept per connection */
#define PE_SQL_GUEST_CACHE 16           /* guest statements kept per connection (sql_cache.c) */
#define PE_SQL_GUEST_CACHE_SQL 4096     /* longest statement text kept */
/* the largest page cache a guest may ask for (PRAGMA cache_size); SQLite's
 * default is 2000 KiB */
#define PE_SQL_MAX_CACHE_BYTES (16u << 20)
#define PE_SQL_MAX_CACHE_TEXT "16 MiB"
/* the largest in-memory database (a label with no path) */
#define PE_SQL_MAX_MEMORY_DB (256u << 20)

typedef struct pe_sql_cached {
  char *sql; /* the statement text, NULL: empty slot */
  size_t len;
  sqlite3_stmt *stmt;
  bool dml;      /* what the authorizer said when it was prepared */
  uint64_t used; /* for least-recently-used eviction */
} pe_sql_cached;

typedef enum pe_sql_role {
  PE_SQL_HOST,  /* SQL written by pyedge (the key-value tables) */
  PE_SQL_GUEST, /* SQL from the sandbox: guarded */
} pe_sql_role;

typedef struct pe_sql_pool pe_sql_pool;

typedef struct pe_sql_conn {
  sqlite3 *db;
  pe_sql_pool *pool;
  struct pe_sql_conn *next; /* idle list */
  bool memory;              /* the pool's in-memory database */
  bool tainted;             /* guest changed per-connection state */
  uint64_t deadline_ns;     /* progress handler: interrupt after this (0: none) */
  bool interrupted;         /* the progress handler stopped the last statement */
  bool dml;                 /* the statement being prepared is an INSERT, UPDATE or DELETE */
  int page_size;            /* bytes; read when the guards are installed */
  char denied[200];         /* the authorizer's reason for its last refusal */
  sqlite3_stmt *stmts[PE_SQL_STMT_CACHE];  /* host SQL prepared once (pe_sql_stmt) */
  pe_sql_cached cache[PE_SQL_GUEST_CACHE]; /* guest SQL prepared before (sql_cache.c) */
  uint64_t cache_clock;
} pe_sql_conn;

/* Opens the first connection right away (creating the file and switching
 * it to WAL), so a path that cannot be used fails at start-up. path NULL:
 * in memory. */
pe_sql_pool *pe_sql_pool_new(const char *path, pe_sql_role role, char *err, size_t errlen);
void pe_sql_pool_free(pe_sql_pool *p);
const char *pe_sql_pool_path(const pe_sql_pool *p); /* ":memory:" for memory */

/* A connection for this thread's exclusive use; NULL with a message when
 * none can be opened or all stay busy for PE_SQL_BUSY_MS. */
pe_sql_conn *pe_sql_acquire(pe_sql_pool *p, char *err, size_t errlen);
/* Back to the pool: an open transaction is rolled back, a tainted
 * connection closed. */
void pe_sql_release(pe_sql_conn *c);

/* Host SQL prepared once per connection and kept in slot `slot` (each
 * caller numbers its own statements); returned reset with no bindings.
 * NULL with SQLite's message on failure. */
sqlite3_stmt *pe_sql_stmt(pe_sql_conn *c, int slot, const char *sql, char *err, size_t errlen);

/* Operator SQL (`pyedge up --sqlite`): every statement of `sql` in order,
 * without the guest guards. False with SQLite's message at the first
 * failure. */
bool pe_sql_exec_trusted(pe_sql_pool *p, const char *sql, char *err, size_t errlen);

/* sql_cache.c: guest statements by text. A hit comes back reset with no
 * bindings and its dml flag; put takes the statement (true) or leaves it
 * to the caller to finalize (false: too long, or the connection is
 * tainted). Every statement must be reset after use: a statement left
 * mid-way holds a read transaction. */
sqlite3_stmt *pe_sql_cache_get(pe_sql_conn *c, const char *sql, size_t len, bool *dml);
bool pe_sql_cache_put(pe_sql_conn *c, const char *sql, size_t len, sqlite3_stmt *s, bool dml);
void pe_sql_cache_clear(pe_sql_conn *c);

/* sql_guard.c */
/* Installs the guards on a new guest connection; false with a message. */
bool pe_sql_guard_install(pe_sql_conn *c, char *err, size_t errlen);
/* Before preparing a guest statement: clears the last refusal and the dml
 * flag, and makes the progress handler stop statements after `ms`
 * milliseconds (0: only the request's own deadline). */
void pe_sql_guard_deadline(pe_sql_conn *c, uint64_t ms);
/* The busy handler of every pooled connection. */
int pe_sql_busy_wait(void *ctx, int attempt);
uint64_t pe_sql_now_ns(void);

#endif /* PE_SQL_POOL_H */
