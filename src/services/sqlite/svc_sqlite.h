/*
 * svc_sqlite.h -- the "sqlite" service area: Spin SQLite databases for the
 * guest's spin_sdk.sqlite.
 *
 * Databases: "default" is <state dir>/sqlite_db.db unless the runtime
 * config defines [sqlite_database.default]; every other label a component
 * lists in `sqlite_databases` must be defined there (type "spin", with a
 * path, or in memory without one), or `pyedge up` stops. `--sqlite STMT`
 * and `--sqlite @FILE.sql` run against the default database, in order,
 * before serving; the first failure stops start-up with SQLite's message.
 * Guest SQL is guarded (sql_pool.h, sql_guard.c): no ATTACH, no
 * load_extension, a short list of PRAGMAs, size limits, a time limit per
 * statement (PE_SQLITE_STATEMENT_MS, or $PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS)
 * that also ends when the request's deadline does.
 *
 * A handle is per request and owns its connection while it needs one: a
 * statement runs on a pooled connection, which goes back to the pool when
 * the statement is done unless a transaction is open or the guest changed
 * per-connection state (TEMP objects, PRAGMAs); then the handle keeps it
 * until it is closed or the request ends (an open transaction is rolled
 * back then).
 *
 * Guest calls (docs/hostcall.md):
 *   sqlite.open     [label]                     -> OK [handle]
 *                   DENIED (not granted), NOT_FOUND (defined nowhere),
 *                   LIMIT (too many open)
 *   sqlite.execute  [handle, statement, value...] ->
 *                   OK [u64 changes][u64 last_insert_rowid (two's complement)]
 *                      [u64 ncols][column name]*ncols [value]*(ncols*nrows)
 *                   NOT_FOUND (handle not open in this request),
 *                   LIMIT (SQLITE_FULL: the database is full),
 *                   TIMEOUT (statement or request deadline),
 *                   INVALID (malformed payload), BACKEND (SQL error, result
 *                   over PE_SQLITE_MAX_RESULT)
 *   sqlite.close    [handle]                    -> OK | NOT_FOUND
 * A value (parameter or result) is one blob: a type byte, then
 *   'i' 8-byte little-endian two's complement | 'r' 8-byte IEEE double (LE)
 *   't' UTF-8 text | 'b' bytes | 'n' nothing (NULL)
 */
#ifndef PE_SVC_SQLITE_H
#define PE_SVC_SQLITE_H

#include "services/services_int.h"
#include "sql_pool.h"

#define PE_SQLITE_MAX_OPEN 32            /* handles open at once per request */
#define PE_SQLITE_MAX_RESULT (16u << 20) /* bytes of one execute reply */
#define PE_SQLITE_STATEMENT_MS 10000     /* default time limit of one statement */

bool pe_svc_sqlite_open(pe_services *s, char *err, size_t errlen);
void pe_svc_sqlite_close(pe_services *s);
void pe_svc_sqlite_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                        pe_buf *out);
/* Releases the request's connections (pe_svc_request_finish). */
void pe_svc_sqlite_request_end(pe_svc_request *rq);

/* sqlite_exec.c: one guest statement on c; fills out (a whole reply).
 * *changes and *last_rowid are updated when the statement changes them. */
void pe_sqlite_execute(pe_sql_conn *c, pe_hc_reader *r, uint64_t time_limit_ms, int64_t *changes,
                       int64_t *last_rowid, pe_buf *out);

#endif /* PE_SVC_SQLITE_H */
