/*
 * sqlite_exec.c -- one guest statement: decode the statement and its
 * parameters from the payload, prepare (exactly one statement; or reuse
 * the connection's earlier preparation of the same text), bind with
 * sqlite3_bind_* (values never touch the SQL text), step, and encode the
 * columns and rows into the reply (format in svc_sqlite.h).
 *
 * Everything from the guest is checked before use: the statement is UTF-8
 * without NUL and at most PE_SQL_MAX_STATEMENT bytes, every parameter blob
 * has a known type byte and the right length, the parameter count matches
 * the statement's. The reply is bounded by PE_SQLITE_MAX_RESULT; the
 * statement by its time limit and the request's deadline (progress
 * handler). Before returning, the statement is always reset (and kept in
 * the connection's cache, sql_cache.c) or finalized, so no read transaction
 * outlives the call.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "runtime/pe_rt.h"
#include "svc_sqlite.h"
#include "services/svc_utf8.h"

#define MAX_PARAMS 32766 /* SQLite's default SQLITE_MAX_VARIABLE_NUMBER */
#define META_BYTES 36    /* three 8-byte blobs: changes, last rowid, ncols */

static void put_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* Binds parameter i (1-based) from its blob; false with the reason. */
static bool bind_value(sqlite3_stmt *s, int i, const uint8_t *p, size_t n, char *why,
                       size_t whylen) {
  if (n == 0) {
    snprintf(why, whylen, "parameter %d: empty value blob (no type byte)", i);
    return false;
  }
  const uint8_t *v = p + 1;
  size_t vn = n - 1;
  int rc;
  switch (p[0]) {
    case 'i':
    case 'r':
      if (vn != 8) {
        snprintf(why, whylen, "parameter %d: a %s takes 8 bytes, not %zu", i,
                 p[0] == 'i' ? "integer" : "real", vn);
        return false;
      }
      if (p[0] == 'i') {
        rc = sqlite3_bind_int64(s, i, (sqlite3_int64)get_le64(v));
      } else {
        double d;
        uint64_t bits = get_le64(v);
        memcpy(&d, &bits, sizeof d);
        rc = sqlite3_bind_double(s, i, d);
      }
      break;
    case 't':
      if (!pe_svc_utf8_valid(v, vn)) {
        snprintf(why, whylen, "parameter %d: text is not valid UTF-8", i);
        return false;
      }
      rc = sqlite3_bind_text64(s, i, vn ? (const char *)v : "", vn, SQLITE_TRANSIENT, SQLITE_UTF8);
      break;
    case 'b':
      rc = sqlite3_bind_blob64(s, i, vn ? (const void *)v : "", vn, SQLITE_TRANSIENT);
      break;
    case 'n':
      if (vn) {
        snprintf(why, whylen, "parameter %d: a NULL has no payload", i);
        return false;
      }
      rc = sqlite3_bind_null(s, i);
      break;
    default:
      snprintf(why, whylen, "parameter %d: unknown value type 0x%02x", i, p[0]);
      return false;
  }
  if (rc != SQLITE_OK) {
    snprintf(why, whylen, "parameter %d: %s", i, sqlite3_errstr(rc));
    return false;
  }
  return true;
}

/* Appends column i of the current row as a value blob. */
static bool put_value(pe_buf *out, sqlite3_stmt *s, int i) {
  uint8_t head[9];
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      head[0] = 'i';
      put_le64(head + 1, (uint64_t)sqlite3_column_int64(s, i));
      return pe_hc_put_blob(out, head, 9);
    case SQLITE_FLOAT: {
      double d = sqlite3_column_double(s, i);
      uint64_t bits;
      memcpy(&bits, &d, sizeof bits);
      head[0] = 'r';
      put_le64(head + 1, bits);
      return pe_hc_put_blob(out, head, 9);
    }
    case SQLITE_NULL: return pe_hc_put_blob(out, "n", 1);
    default: {
      bool text = sqlite3_column_type(s, i) == SQLITE_TEXT;
      const void *p = text ? (const void *)sqlite3_column_text(s, i) : sqlite3_column_blob(s, i);
      int n = sqlite3_column_bytes(s, i);
      size_t len = n > 0 ? (size_t)n : 0;
      if (len > UINT32_MAX - 1) return false;
      uint8_t lenb[4] = {(uint8_t)(len + 1), (uint8_t)((len + 1) >> 8), (uint8_t)((len + 1) >> 16),
                         (uint8_t)((len + 1) >> 24)};
      head[0] = text ? 't' : 'b';
      return pe_buf_append(out, lenb, 4) && pe_buf_append(out, head, 1) &&
             pe_buf_append(out, p ? p : "", len);
    }
  }
}

/* The error reply for a failed prepare or step. */
static void sql_error(pe_sql_conn *c, int rc, pe_buf *out) {
  if (c->denied[0]) {
    pe_hc_error(out, PE_HC_BACKEND, "not authorized: %s", c->denied);
  } else if ((rc & 0xff) == SQLITE_INTERRUPT) {
    if (pe_rt_should_stop())
      pe_hc_error(out, PE_HC_TIMEOUT, "the statement was stopped: the request's deadline passed");
    else
      pe_hc_error(out, PE_HC_TIMEOUT, "the statement was stopped: it ran past its time limit");
  } else if ((rc & 0xff) == SQLITE_FULL) {
    pe_hc_error(out, PE_HC_LIMIT, "%s", sqlite3_errmsg(c->db));
  } else {
    pe_hc_error(out, PE_HC_BACKEND, "%s", sqlite3_errmsg(c->db));
  }
}

/* Binds the parameters left in r, steps s to the end and writes the reply.
 * The caller resets (or finalizes) s afterwards, whatever happened. */
static void run_statement(pe_sql_conn *c, sqlite3_stmt *s, pe_hc_reader *r, int64_t *changes,
                          int64_t *last_rowid, pe_buf *out) {
  int nparams = 0, want = sqlite3_bind_parameter_count(s);
  char why[256];
  const uint8_t *p;
  size_t n;
  while (r->left > 0) {
    if (!pe_hc_blob(r, &p, &n)) {
      pe_hc_error(out, PE_HC_INVALID, "malformed parameter blobs");
      return;
    }
    if (++nparams > MAX_PARAMS || nparams > want) {
      pe_hc_error(out, PE_HC_BACKEND, "too many parameters: the statement takes %d", want);
      return;
    }
    if (!bind_value(s, nparams, p, n, why, sizeof why)) {
      pe_hc_error(out, PE_HC_INVALID, "%s", why);
      return;
    }
  }
  if (nparams != want) {
    pe_hc_error(out, PE_HC_BACKEND, "the statement takes %d parameters, %d were given", want,
                nparams);
    return;
  }
  bool dml = c->dml;
  sqlite3_set_last_insert_rowid(c->db, INT64_MIN);
  /* the columns are read after the first step: a step may prepare the
   * statement again (the schema changed), and `SELECT *` then has others */
  int rc = sqlite3_step(s);
  int ncols = sqlite3_column_count(s);
  bool ok = pe_hc_ok(out);
  size_t meta = out->len;
  uint8_t zero[META_BYTES - 12] = {0};
  ok = ok && pe_buf_append(out, zero, sizeof zero) && pe_hc_put_u64(out, (uint64_t)ncols);
  for (int i = 0; ok && i < ncols; i++) {
    const char *name = sqlite3_column_name(s, i);
    ok = pe_hc_put_str(out, name ? name : "");
  }
  while (ok && rc == SQLITE_ROW) {
    for (int i = 0; ok && i < ncols; i++) ok = put_value(out, s, i);
    if (ok && out->len > PE_SQLITE_MAX_RESULT) {
      sqlite3_set_last_insert_rowid(c->db, *last_rowid);
      pe_hc_error(out, PE_HC_BACKEND, "the query result is larger than %u MiB; select fewer rows",
                  PE_SQLITE_MAX_RESULT >> 20);
      return;
    }
    if (ok) rc = sqlite3_step(s);
  }
  sqlite3_int64 rowid = sqlite3_last_insert_rowid(c->db);
  if (rowid != INT64_MIN)
    *last_rowid = rowid;
  else
    sqlite3_set_last_insert_rowid(c->db, *last_rowid);
  if (!ok) {
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  if (rc != SQLITE_DONE) {
    sql_error(c, rc, out);
    return;
  }
  if (dml) *changes = sqlite3_changes64(c->db);
  /* the two leading blobs, now that they are known */
  uint8_t *m = (uint8_t *)out->data + meta;
  m[0] = 8;
  m[1] = m[2] = m[3] = 0;
  put_le64(m + 4, (uint64_t)*changes);
  m[12] = 8;
  m[13] = m[14] = m[15] = 0;
  put_le64(m + 16, (uint64_t)*last_rowid);
}

void pe_sqlite_execute(pe_sql_conn *c, pe_hc_reader *r, uint64_t time_limit_ms, int64_t *changes,
                       int64_t *last_rowid, pe_buf *out) {
  const uint8_t *sql;
  size_t sql_len;
  if (!pe_hc_blob(r, &sql, &sql_len)) {
    pe_hc_error(out, PE_HC_INVALID, "sqlite.execute takes a handle, a statement and values");
    return;
  }
  if (sql_len > PE_SQL_MAX_STATEMENT) {
    pe_hc_error(out, PE_HC_BACKEND, "the statement is %zu bytes; the limit is %u", sql_len,
                PE_SQL_MAX_STATEMENT);
    return;
  }
  if (memchr(sql, 0, sql_len) || !pe_svc_utf8_valid(sql, sql_len)) {
    pe_hc_error(out, PE_HC_INVALID, "the statement must be UTF-8 text without NUL");
    return;
  }
  pe_sql_guard_deadline(c, time_limit_ms);
  bool cached_dml = false;
  sqlite3_stmt *s = pe_sql_cache_get(c, (const char *)sql, sql_len, &cached_dml);
  bool from_cache = s != NULL;
  if (from_cache) {
    c->dml = cached_dml;
  } else {
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(c->db, (const char *)sql, (int)sql_len, 0, &s, &tail);
    if (rc != SQLITE_OK) {
      sql_error(c, rc, out);
      return;
    }
    /* exactly one statement: what follows may only be blanks and comments */
    size_t rest = (size_t)((const char *)sql + sql_len - tail);
    if (rest) {
      sqlite3_stmt *more = NULL;
      bool dml = c->dml;
      int rc2 = sqlite3_prepare_v3(c->db, tail, (int)rest, 0, &more, NULL);
      sqlite3_finalize(more);
      c->dml = dml;
      if (rc2 != SQLITE_OK || more) {
        sqlite3_finalize(s);
        pe_hc_error(out, PE_HC_BACKEND,
                    "execute takes one SQL statement; this text has more after the first");
        return;
      }
    }
    if (!s) { /* only blanks or comments: an empty result */
      if (!pe_hc_ok(out) || !pe_hc_put_u64(out, (uint64_t)*changes) ||
          !pe_hc_put_u64(out, (uint64_t)*last_rowid) || !pe_hc_put_u64(out, 0))
        pe_hc_error(out, PE_HC_BACKEND, "out of memory");
      return;
    }
  }
  run_statement(c, s, r, changes, last_rowid, out);
  /* never leave a statement mid-way: it would hold a read transaction */
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (!from_cache && !pe_sql_cache_put(c, (const char *)sql, sql_len, s, c->dml))
    sqlite3_finalize(s);
}
