/*
 * kv_sqlite.c -- key-value stores of type "spin": a SQLite database with one
 * table, spin_key_value(store, key, value), primary key (store, key). That
 * is the layout Spin uses, so a .spin/sqlite_key_value.db written by Spin
 * is read here and the other way round; several labels may share a file.
 *
 * Each operation takes a pooled connection (sql_pool.c: WAL,
 * synchronous=FULL, so a set is durable once it returns), runs one
 * statement prepared once per connection, and gives the connection back.
 * Every statement is a single autocommit statement, so the busy handler
 * covers writers queueing on the WAL lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_backend.h"
#include "services/sqlite/sql_pool.h"

typedef struct {
  pe_kv_backend base;
  pe_sql_pool *pool;
} kv_sqlite;

enum { ST_GET, ST_SET, ST_DEL, ST_EXISTS, ST_KEYS };

static const char *const sql_text[] = {
    [ST_GET] = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
    [ST_SET] =
        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
    [ST_DEL] = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
    [ST_EXISTS] = "SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2",
    [ST_KEYS] = "SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key",
};

/* A pooled connection and statement `which` with store (and key) bound. */
static sqlite3_stmt *begin(kv_sqlite *b, pe_sql_conn **conn, int which, const char *store,
                           const uint8_t *key, size_t klen, char *err, size_t errlen) {
  pe_sql_conn *c = pe_sql_acquire(b->pool, err, errlen);
  if (!c) return NULL;
  sqlite3_stmt *s = pe_sql_stmt(c, which, sql_text[which], err, errlen);
  if (s && (sqlite3_bind_text(s, 1, store, -1, SQLITE_STATIC) != SQLITE_OK ||
            (key &&
             sqlite3_bind_text(s, 2, (const char *)key, (int)klen, SQLITE_STATIC) != SQLITE_OK))) {
    snprintf(err, errlen, "%s", sqlite3_errmsg(c->db));
    s = NULL;
  }
  if (!s) {
    pe_sql_release(c);
    return NULL;
  }
  *conn = c;
  return s;
}

static pe_hc_status finish(pe_sql_conn *c, sqlite3_stmt *s, int rc, char *err, size_t errlen) {
  pe_hc_status st = PE_HC_OK;
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    snprintf(err, errlen, "key-value store %s: %s", pe_sql_pool_path(c->pool),
             sqlite3_errmsg(c->db));
    st = PE_HC_BACKEND;
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  pe_sql_release(c);
  return st;
}

static pe_hc_status kv_get(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           pe_buf *out, bool *found, char *err, size_t errlen) {
  kv_sqlite *b = (kv_sqlite *)bb;
  pe_sql_conn *c;
  sqlite3_stmt *s = begin(b, &c, ST_GET, store, key, klen, err, errlen);
  if (!s) return PE_HC_BACKEND;
  int rc = sqlite3_step(s);
  *found = rc == SQLITE_ROW;
  if (*found) {
    const void *v = sqlite3_column_blob(s, 0);
    int n = sqlite3_column_bytes(s, 0);
    if (!pe_hc_put_blob(out, v ? v : "", (size_t)(n > 0 ? n : 0))) {
      finish(c, s, SQLITE_DONE, err, errlen);
      snprintf(err, errlen, "out of memory");
      return PE_HC_BACKEND;
    }
  }
  return finish(c, s, rc, err, errlen);
}

static pe_hc_status kv_set(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           const uint8_t *val, size_t vlen, char *err, size_t errlen) {
  kv_sqlite *b = (kv_sqlite *)bb;
  pe_sql_conn *c;
  sqlite3_stmt *s = begin(b, &c, ST_SET, store, key, klen, err, errlen);
  if (!s) return PE_HC_BACKEND;
  if (sqlite3_bind_blob(s, 3, vlen ? (const void *)val : "", (int)vlen, SQLITE_STATIC) != SQLITE_OK)
    return finish(c, s, SQLITE_MISUSE, err, errlen);
  return finish(c, s, sqlite3_step(s), err, errlen);
}

static pe_hc_status kv_del(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           char *err, size_t errlen) {
  kv_sqlite *b = (kv_sqlite *)bb;
  pe_sql_conn *c;
  sqlite3_stmt *s = begin(b, &c, ST_DEL, store, key, klen, err, errlen);
  if (!s) return PE_HC_BACKEND;
  return finish(c, s, sqlite3_step(s), err, errlen);
}

static pe_hc_status kv_exists(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                              bool *found, char *err, size_t errlen) {
  kv_sqlite *b = (kv_sqlite *)bb;
  pe_sql_conn *c;
  sqlite3_stmt *s = begin(b, &c, ST_EXISTS, store, key, klen, err, errlen);
  if (!s) return PE_HC_BACKEND;
  int rc = sqlite3_step(s);
  *found = rc == SQLITE_ROW;
  return finish(c, s, rc, err, errlen);
}

static pe_hc_status kv_keys(pe_kv_backend *bb, const char *store, pe_buf *out, size_t max_bytes,
                            char *err, size_t errlen) {
  kv_sqlite *b = (kv_sqlite *)bb;
  pe_sql_conn *c;
  sqlite3_stmt *s = begin(b, &c, ST_KEYS, store, NULL, 0, err, errlen);
  if (!s) return PE_HC_BACKEND;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const unsigned char *k = sqlite3_column_text(s, 0);
    int n = sqlite3_column_bytes(s, 0);
    pe_hc_status st = pe_kv_put_key(out, store, k, (size_t)(n > 0 ? n : 0), max_bytes, err, errlen);
    if (st != PE_HC_OK) {
      finish(c, s, SQLITE_DONE, err, errlen); /* SQLITE_DONE: keeps err */
      return st;
    }
  }
  return finish(c, s, rc, err, errlen);
}

static void kv_free(pe_kv_backend *bb) {
  kv_sqlite *b = (kv_sqlite *)bb;
  if (!b) return;
  pe_sql_pool_free(b->pool);
  free(b);
}

static const pe_kv_ops sqlite_ops = {
    .type = "spin",
    .get = kv_get,
    .set = kv_set,
    .del = kv_del,
    .exists = kv_exists,
    .keys = kv_keys,
    .free = kv_free,
};

pe_kv_backend *pe_kv_sqlite_open(const char *path, char *err, size_t errlen) {
  kv_sqlite *b = pe_kv_backend_alloc(sizeof *b, &sqlite_ops, err, errlen);
  if (!b) return NULL;
  if (!(b->pool = pe_sql_pool_new(path, PE_SQL_HOST, err, errlen)) ||
      !pe_sql_exec_trusted(b->pool,
                           "CREATE TABLE IF NOT EXISTS spin_key_value ("
                           " store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
                           " PRIMARY KEY (store, key))",
                           err, errlen)) {
    kv_free(&b->base);
    return NULL;
  }
  return &b->base;
}
