/*
 * sql_pool.c -- a pool of SQLite connections to one database (see
 * sql_pool.h for why and for the durability settings).
 *
 * Locking: the pool's mutex guards only the idle list and the count; a
 * connection is opened, used and closed outside it. Waiting for a free
 * connection (when PE_SQL_POOL_MAX are out, or the one in-memory connection
 * is) is a timed wait in short slices, so a request whose deadline passes
 * stops waiting.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/pe_rt.h"
#include "util/pe_util.h"
#include "sql_pool.h"

struct pe_sql_pool {
  char *path; /* NULL: in memory */
  pe_sql_role role;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pe_sql_conn *idle;
  unsigned total, max;
};

uint64_t pe_sql_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *pe_sql_pool_path(const pe_sql_pool *p) { return p->path ? p->path : ":memory:"; }

static bool exec_simple(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return true;
  snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
  sqlite3_free(msg);
  return false;
}

static void close_conn(pe_sql_conn *c) {
  if (!c) return;
  for (int i = 0; i < PE_SQL_STMT_CACHE; i++) sqlite3_finalize(c->stmts[i]);
  pe_sql_cache_clear(c);
  sqlite3_close_v2(c->db);
  free(c);
}

static pe_sql_conn *open_conn(pe_sql_pool *p, char *err, size_t errlen) {
  pe_sql_conn *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  c->pool = p;
  c->memory = p->path == NULL;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
              SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(pe_sql_pool_path(p), &c->db, flags, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", pe_sql_pool_path(p),
             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    close_conn(c);
    return NULL;
  }
  sqlite3_busy_handler(c->db, pe_sql_busy_wait, c);
  char why[400];
  /* journal_mode=WAL is a property of the file: the first connection sets
   * it once; asking again is cheap. An in-memory database has no WAL. */
  bool ok = (c->memory || exec_simple(c->db, "PRAGMA journal_mode=WAL", why, sizeof why)) &&
            exec_simple(c->db, "PRAGMA synchronous=FULL", why, sizeof why);
  if (ok && p->role == PE_SQL_GUEST) ok = pe_sql_guard_install(c, why, sizeof why);
  if (!ok) {
    snprintf(err, errlen, "cannot set up %s: %s", pe_sql_pool_path(p), why);
    close_conn(c);
    return NULL;
  }
  return c;
}

pe_sql_pool *pe_sql_pool_new(const char *path, pe_sql_role role, char *err, size_t errlen) {
  pe_sql_pool *p = calloc(1, sizeof *p);
  if (!p || (path && !(p->path = strdup(path)))) {
    free(p);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->role = role;
  p->max = path ? PE_SQL_POOL_MAX : 1;
  pthread_mutex_init(&p->mu, NULL);
  pe_cond_init_monotonic(&p->cv);
  pe_sql_conn *c = open_conn(p, err, errlen);
  if (!c) {
    pe_sql_pool_free(p);
    return NULL;
  }
  p->idle = c;
  p->total = 1;
  return p;
}

void pe_sql_pool_free(pe_sql_pool *p) {
  if (!p) return;
  while (p->idle) {
    pe_sql_conn *c = p->idle;
    p->idle = c->next;
    close_conn(c);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p->path);
  free(p);
}

pe_sql_conn *pe_sql_acquire(pe_sql_pool *p, char *err, size_t errlen) {
  uint64_t give_up = pe_sql_now_ns() + (uint64_t)PE_SQL_BUSY_MS * 1000000ull;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    if (p->idle) {
      pe_sql_conn *c = p->idle;
      p->idle = c->next;
      c->next = NULL;
      pthread_mutex_unlock(&p->mu);
      return c;
    }
    if (p->total < p->max) {
      p->total++;
      pthread_mutex_unlock(&p->mu);
      pe_sql_conn *c = open_conn(p, err, errlen);
      if (c) return c;
      pthread_mutex_lock(&p->mu);
      p->total--;
      pthread_cond_signal(&p->cv);
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    uint64_t now = pe_sql_now_ns();
    if (now >= give_up || pe_rt_should_stop()) {
      pthread_mutex_unlock(&p->mu);
      snprintf(err, errlen, "database %s is busy: all %u connections stayed in use for %d ms",
               pe_sql_pool_path(p), p->max, PE_SQL_BUSY_MS);
      return NULL;
    }
    uint64_t until = now + 20000000ull; /* 20 ms slices: notice a deadline */
    struct timespec ts = {(time_t)(until / 1000000000ull), (long)(until % 1000000000ull)};
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
  }
}

void pe_sql_release(pe_sql_conn *c) {
  if (!c) return;
  pe_sql_pool *p = c->pool;
  c->deadline_ns = 0;
  c->interrupted = false;
  if (!sqlite3_get_autocommit(c->db)) {
    char why[256];
    if (!exec_simple(c->db, "ROLLBACK", why, sizeof why) && !c->memory) c->tainted = true;
  }
  if (c->tainted && !c->memory) {
    close_conn(c);
    pthread_mutex_lock(&p->mu);
    p->total--;
  } else {
    c->tainted = false;
    pthread_mutex_lock(&p->mu);
    c->next = p->idle;
    p->idle = c;
  }
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

sqlite3_stmt *pe_sql_stmt(pe_sql_conn *c, int slot, const char *sql, char *err, size_t errlen) {
  if (slot < 0 || slot >= PE_SQL_STMT_CACHE) {
    snprintf(err, errlen, "statement slot %d out of range", slot);
    return NULL;
  }
  sqlite3_stmt *s = c->stmts[slot];
  if (s) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
  }
  if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "%s", sqlite3_errmsg(c->db));
    return NULL;
  }
  c->stmts[slot] = s;
  return s;
}

bool pe_sql_exec_trusted(pe_sql_pool *p, const char *sql, char *err, size_t errlen) {
  pe_sql_conn *c = pe_sql_acquire(p, err, errlen);
  if (!c) return false;
  /* the operator's statements may do what the guest may not (ATTACH for a
   * migration, any PRAGMA): the guards come off for this call only */
  if (p->role == PE_SQL_GUEST) sqlite3_set_authorizer(c->db, NULL, NULL);
  bool ok = exec_simple(c->db, sql, err, errlen);
  if (p->role == PE_SQL_GUEST) {
    char why[200];
    if (!pe_sql_guard_install(c, why, sizeof why)) c->tainted = true;
    /* per-connection state the operator set must not outlive this call */
    if (!c->memory) c->tainted = true;
  }
  pe_sql_release(c);
  return ok;
}
