/*
 * sql_cache.c -- prepared guest statements kept per connection, by their
 * text (see sql_pool.h).
 *
 * Why: an app runs the same few statements over and over, and preparing
 * one costs more than running a point query; Python's own sqlite3 module
 * keeps a cache for the same reason. Why it is safe: a cached statement is
 * the one SQLite prepared (authorizer included) from exactly this text on
 * this connection; when the schema changes SQLite prepares it again and
 * the authorizer runs again. What is not cached: statements that tainted
 * the connection (it is closed after the request anyway), and texts over
 * PE_SQL_GUEST_CACHE_SQL bytes (so the cache stays small: at most
 * PE_SQL_GUEST_CACHE * 4 KiB of text per connection).
 */
#include <stdlib.h>
#include <string.h>

#include "sql_pool.h"

sqlite3_stmt *pe_sql_cache_get(pe_sql_conn *c, const char *sql, size_t len, bool *dml) {
  for (int i = 0; i < PE_SQL_GUEST_CACHE; i++) {
    pe_sql_cached *e = &c->cache[i];
    if (e->sql && e->len == len && memcmp(e->sql, sql, len) == 0) {
      e->used = ++c->cache_clock;
      sqlite3_reset(e->stmt);
      sqlite3_clear_bindings(e->stmt);
      *dml = e->dml;
      return e->stmt;
    }
  }
  return NULL;
}

bool pe_sql_cache_put(pe_sql_conn *c, const char *sql, size_t len, sqlite3_stmt *s, bool dml) {
  if (len > PE_SQL_GUEST_CACHE_SQL || c->tainted) return false;
  pe_sql_cached *victim = &c->cache[0];
  for (int i = 0; i < PE_SQL_GUEST_CACHE; i++) {
    pe_sql_cached *e = &c->cache[i];
    if (!e->sql) {
      victim = e;
      break;
    }
    if (e->used < victim->used) victim = e;
  }
  char *copy = malloc(len + 1);
  if (!copy) return false;
  memcpy(copy, sql, len);
  copy[len] = 0;
  if (victim->sql) {
    sqlite3_finalize(victim->stmt);
    free(victim->sql);
  }
  victim->sql = copy;
  victim->len = len;
  victim->stmt = s;
  victim->dml = dml;
  victim->used = ++c->cache_clock;
  return true;
}

void pe_sql_cache_clear(pe_sql_conn *c) {
  for (int i = 0; i < PE_SQL_GUEST_CACHE; i++) {
    pe_sql_cached *e = &c->cache[i];
    if (!e->sql) continue;
    sqlite3_finalize(e->stmt);
    free(e->sql);
    memset(e, 0, sizeof *e);
  }
}
