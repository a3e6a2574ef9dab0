/*
 * svc_mysql.c -- the "mysql" area (svc_mysql.h): connections through
 * libmariadb's non-blocking API (*_start / *_cont), waited on by our own
 * poll() loop bounded by the request's deadline (see svc_postgres.c for
 * why: the runtime's deadline signals would leave a blocking client
 * retrying EINTR).
 *
 * What the client could reach on the host is closed off: LOAD DATA LOCAL
 * INFILE is disabled (the server could otherwise ask for any file), no
 * option file is read, the plugin directory points nowhere and only
 * mysql_native_password may authenticate (no client plugin is loaded
 * from disk), TCP only (never the local socket), utf8mb4.
 *
 * Statements are prepared (binary protocol): parameters are bound, never
 * spliced into SQL, and one statement per call. Rows are fetched one at a
 * time (unbuffered) so the reply's size is checked as it grows. A
 * statement that runs out of time is killed on the server (KILL QUERY on
 * a second connection, bounded by 2 s) and the connection dropped.
 */
#include <errno.h>
#include <mariadb/mysql.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mysql_url.h"
#include "runtime/pe_rt.h"
#include "services/http/svc_http.h"
#include "services/svc_conns.h"
#include "services/svc_rdbms.h"
#include "svc_mysql.h"
#include "util/pe_dl.h"

/* ---- libmariadb, loaded on first use -------------------------------------------- */

static MYSQL *(*my_init)(MYSQL *);
static int (*my_optionsv)(MYSQL *, enum mysql_option, ...);
static int (*my_real_connect_start)(MYSQL **, MYSQL *, const char *, const char *, const char *,
                                    const char *, unsigned int, const char *, unsigned long);
static int (*my_real_connect_cont)(MYSQL **, MYSQL *, int);
static my_socket (*my_get_socket)(MYSQL *);
static unsigned int (*my_get_timeout_value_ms)(const MYSQL *);
static const char *(*my_error)(MYSQL *);
static void (*my_close)(MYSQL *);
static unsigned long (*my_thread_id)(MYSQL *);
static int (*my_real_query_start)(int *, MYSQL *, const char *, unsigned long);
static int (*my_real_query_cont)(int *, MYSQL *, int);
static MYSQL_STMT *(*my_stmt_init)(MYSQL *);
static int (*my_stmt_prepare_start)(int *, MYSQL_STMT *, const char *, unsigned long);
static int (*my_stmt_prepare_cont)(int *, MYSQL_STMT *, int);
static unsigned long (*my_stmt_param_count)(MYSQL_STMT *);
static my_bool (*my_stmt_bind_param)(MYSQL_STMT *, MYSQL_BIND *);
static int (*my_stmt_execute_start)(int *, MYSQL_STMT *);
static int (*my_stmt_execute_cont)(int *, MYSQL_STMT *, int);
static MYSQL_RES *(*my_stmt_result_metadata)(MYSQL_STMT *);
static unsigned int (*my_num_fields)(MYSQL_RES *);
static MYSQL_FIELD *(*my_fetch_fields)(MYSQL_RES *);
static void (*my_free_result)(MYSQL_RES *);
static my_bool (*my_stmt_bind_result)(MYSQL_STMT *, MYSQL_BIND *);
static int (*my_stmt_fetch_start)(int *, MYSQL_STMT *);
static int (*my_stmt_fetch_cont)(int *, MYSQL_STMT *, int);
static int (*my_stmt_fetch_column)(MYSQL_STMT *, MYSQL_BIND *, unsigned int, unsigned long);
static my_ulonglong (*my_stmt_affected_rows)(MYSQL_STMT *);
static const char *(*my_stmt_error)(MYSQL_STMT *);
static unsigned int (*my_stmt_errno)(MYSQL_STMT *);
static const char *(*my_stmt_sqlstate)(MYSQL_STMT *);
static int (*my_stmt_close_start)(my_bool *, MYSQL_STMT *);
static int (*my_stmt_close_cont)(my_bool *, MYSQL_STMT *, int);
static int (*my_server_init)(int, char **, char **);

static const pe_dl_sym my_syms[] = {
    {"mysql_init", (void *)&my_init},
    {"mysql_optionsv", (void *)&my_optionsv},
    {"mysql_real_connect_start", (void *)&my_real_connect_start},
    {"mysql_real_connect_cont", (void *)&my_real_connect_cont},
    {"mysql_get_socket", (void *)&my_get_socket},
    {"mysql_get_timeout_value_ms", (void *)&my_get_timeout_value_ms},
    {"mysql_error", (void *)&my_error},
    {"mysql_close", (void *)&my_close},
    {"mysql_thread_id", (void *)&my_thread_id},
    {"mysql_real_query_start", (void *)&my_real_query_start},
    {"mysql_real_query_cont", (void *)&my_real_query_cont},
    {"mysql_stmt_init", (void *)&my_stmt_init},
    {"mysql_stmt_prepare_start", (void *)&my_stmt_prepare_start},
    {"mysql_stmt_prepare_cont", (void *)&my_stmt_prepare_cont},
    {"mysql_stmt_param_count", (void *)&my_stmt_param_count},
    {"mysql_stmt_bind_param", (void *)&my_stmt_bind_param},
    {"mysql_stmt_execute_start", (void *)&my_stmt_execute_start},
    {"mysql_stmt_execute_cont", (void *)&my_stmt_execute_cont},
    {"mysql_stmt_result_metadata", (void *)&my_stmt_result_metadata},
    {"mysql_num_fields", (void *)&my_num_fields},
    {"mysql_fetch_fields", (void *)&my_fetch_fields},
    {"mysql_free_result", (void *)&my_free_result},
    {"mysql_stmt_bind_result", (void *)&my_stmt_bind_result},
    {"mysql_stmt_fetch_start", (void *)&my_stmt_fetch_start},
    {"mysql_stmt_fetch_cont", (void *)&my_stmt_fetch_cont},
    {"mysql_stmt_fetch_column", (void *)&my_stmt_fetch_column},
    {"mysql_stmt_affected_rows", (void *)&my_stmt_affected_rows},
    {"mysql_stmt_error", (void *)&my_stmt_error},
    {"mysql_stmt_errno", (void *)&my_stmt_errno},
    {"mysql_stmt_sqlstate", (void *)&my_stmt_sqlstate},
    {"mysql_stmt_close_start", (void *)&my_stmt_close_start},
    {"mysql_stmt_close_cont", (void *)&my_stmt_close_cont},
    {"mysql_server_init", (void *)&my_server_init},
};
static pe_dl_lib libmariadb = PE_DL_LIB("libmariadb.so.3", my_syms);
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

/* mysql_init would run the library's global set-up on first use, racing
 * between threads: run it once here. */
static void library_init(void) { init_ok = my_server_init(0, NULL, NULL) == 0; }

static bool load(char *err, size_t errlen) {
  if (!pe_dl_load(&libmariadb, err, errlen)) return false;
  pthread_once(&init_once, library_init);
  if (!init_ok) snprintf(err, errlen, "libmariadb's initialisation failed");
  return init_ok;
}

/* ---- waiting ----------------------------------------------------------------------------- */

/* Waits for what libmariadb asked (*st: MYSQL_WAIT_* bits) and leaves in
 * *st what happened, for the _cont call. false when end_ms or the
 * request's deadline (rq may be NULL: end_ms alone) came first; the
 * library's own timeout, when it asked for one, is a wait that happened. */
static bool wait_for(pe_svc_request *rq, MYSQL *m, int *st, uint64_t end_ms) {
  uint64_t lib_end = UINT64_MAX;
  if (*st & MYSQL_WAIT_TIMEOUT) lib_end = pe_svc_now_ms() + my_get_timeout_value_ms(m);
  for (;;) {
    struct pollfd p = {my_get_socket(m), 0, 0};
    if (*st & MYSQL_WAIT_READ) p.events |= POLLIN;
    if (*st & MYSQL_WAIT_WRITE) p.events |= POLLOUT;
    if (*st & MYSQL_WAIT_EXCEPT) p.events |= POLLPRI;
    pe_rdbms_wait w = pe_rdbms_poll(rq, &p, lib_end < end_ms ? lib_end : end_ms);
    if (w == PE_RDBMS_TIMEOUT && pe_svc_now_ms() >= lib_end) {
      *st = MYSQL_WAIT_TIMEOUT;
      return true;
    }
    if (w != PE_RDBMS_READY) return false;
    int ready = 0;
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) ready |= MYSQL_WAIT_READ;
    if (p.revents & (POLLOUT | POLLERR | POLLHUP)) ready |= MYSQL_WAIT_WRITE;
    if (p.revents & POLLPRI) ready |= MYSQL_WAIT_EXCEPT;
    int got = ready & (*st | MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
    if (got) {
      *st = got;
      return true;
    }
  }
}

/* Runs one non-blocking call to the end: `start` is its *_start call, `cont`
 * its *_cont call with the wait's status. */
#define DRIVE(rq, m, end, ok, start, cont)     \
  do {                                         \
    int st_ = (start);                         \
    (ok) = true;                               \
    while (st_) {                              \
      if (!wait_for((rq), (m), &st_, (end))) { \
        (ok) = false;                          \
        break;                                 \
      }                                        \
      st_ = (cont);                            \
    }                                          \
  } while (0)

/* ---- connections ------------------------------------------------------------------------ */

typedef struct my_conn {
  MYSQL *m;
  bool broken;      /* timed out or over a limit mid-statement: unusable */
  pe_mysql_url url; /* to kill a statement from a second connection */
  char addr[PE_OB_ADDR_TEXT];
} my_conn;

static void conn_close(void *p) {
  my_conn *c = p;
  if (c->m) {
    if (c->broken) /* whatever the server still sends must not be waited for */
      shutdown(my_get_socket(c->m), SHUT_RDWR);
    my_close(c->m);
    free(c->m);
  }
  pe_mysql_url_free(&c->url);
  free(c);
}

static _Atomic uint64_t last_id;
static const pe_svc_conn_kind my_kind = {"mysql", PE_RDBMS_MAX_OPEN, conn_close, &last_id};

#define NOPE "/nonexistent/pyedge-no-file"

/* A connected MYSQL, or NULL with the reason in err. */
static MYSQL *connect_to(pe_svc_request *rq, const pe_mysql_url *u, const char *addr, uint64_t end,
                         bool *timed_out, char *err, size_t errlen) {
  MYSQL *m = calloc(1, sizeof *m);
  *timed_out = false;
  if (!m || !my_init(m)) {
    free(m);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  unsigned int off = 0, tcp = MYSQL_PROTOCOL_TCP;
  bool ok = my_optionsv(m, MYSQL_OPT_NONBLOCK, 0) == 0 &&
            my_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &off) == 0 &&
            my_optionsv(m, MYSQL_OPT_PROTOCOL, &tcp) == 0 &&
            my_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") == 0 &&
            my_optionsv(m, MYSQL_PLUGIN_DIR, NOPE) == 0 &&
            my_optionsv(m, MARIADB_OPT_RESTRICTED_AUTH, "mysql_native_password") == 0;
  if (ok && u->tls) { /* TLS required, the certificate not verified (mysql_url.h) */
    my_bool yes = 1, no = 0;
    ok = my_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &yes) == 0 &&
         my_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no) == 0;
  }
  if (!ok) {
    snprintf(err, errlen, "cannot set the client's options: %s", my_error(m));
    my_close(m);
    free(m);
    return NULL;
  }
  MYSQL *ret = NULL;
  DRIVE(rq, m, end, ok,
        /* never NULL: libmariadb would take the user's login and MYSQL_PWD from
         * pyedge's environment */
        my_real_connect_start(&ret, m, addr, u->user ? u->user : "root",
                              u->password ? u->password : "", u->database, u->port, NULL, 0),
        my_real_connect_cont(&ret, m, st_));
  if (!ok || !ret) {
    *timed_out = !ok;
    snprintf(err, errlen, "%s", ok ? my_error(m) : "no connection in time");
    my_close(m);
    free(m);
    return NULL;
  }
  return m;
}

static void op_open(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  const uint8_t *s;
  size_t n;
  if (!pe_rdbms_open_arg(&my_kind, &rq->mysql, r, "the address", &s, &n, out)) return;
  my_conn *c = calloc(1, sizeof *c);
  char err[512];
  if (!c) {
    pe_hc_error(out, PE_HC_BACKEND, "mysql.open: out of memory");
    return;
  }
  if (!pe_mysql_url_parse((const char *)s, n, &c->url, err, sizeof err)) {
    pe_hc_error(out, PE_HC_INVALID, "mysql.open: %s", err);
    conn_close(c);
    return;
  }
  char host[sizeof c->url.host + 2];
  snprintf(host, sizeof host, strchr(c->url.host, ':') ? "[%s]" : "%s", c->url.host);
  if (!pe_svc_outbound_check(rq, "mysql", host, c->url.port, c->addr, out)) {
    conn_close(c);
    return;
  }
  if (!load(err, sizeof err)) {
    pe_hc_error(out, PE_HC_BACKEND, "mysql.open: %s", err);
    conn_close(c);
    return;
  }
  bool timed_out;
  c->m = connect_to(rq, &c->url, c->addr, pe_svc_now_ms() + PE_RDBMS_CONNECT_MS, &timed_out, err,
                    sizeof err);
  if (!c->m) {
    pe_hc_error(out, timed_out ? PE_HC_TIMEOUT : PE_HC_BACKEND,
                "mysql.open: cannot connect to %s:%u: %s", c->addr, (unsigned)c->url.port, err);
    conn_close(c);
    return;
  }
  pe_svc_conn_add(&my_kind, &rq->mysql, c, out);
}

/* ---- statements ------------------------------------------------------------------------- */

/* Stops the connection's running statement from a second connection; the
 * request's time is over by now, so this has its own 2 s. */
static void kill_query(my_conn *c) {
  char err[256], sql[64];
  bool timed_out, ok;
  MYSQL *k =
      connect_to(NULL, &c->url, c->addr, pe_svc_now_ms() + 2000, &timed_out, err, sizeof err);
  if (!k) return;
  snprintf(sql, sizeof sql, "KILL QUERY %lu", my_thread_id(c->m));
  int ret;
  DRIVE(NULL, k, pe_svc_now_ms() + 2000, ok, my_real_query_start(&ret, k, sql, strlen(sql)),
        my_real_query_cont(&ret, k, st_));
  (void)ok; /* best effort: the connection is dropped anyway */
  my_close(k);
  free(k);
}

static bool is_int_type(enum enum_field_types t) {
  return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_INT24 ||
         t == MYSQL_TYPE_LONG || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR;
}

/* Columns whose binary charset means bytes rather than text (numbers,
 * decimals, dates carry the binary charset too, and are text). */
static bool holds_bytes(const MYSQL_FIELD *f) {
  enum enum_field_types t = f->type;
  return f->charsetnr == 63 &&
         (t == MYSQL_TYPE_VARCHAR || t == MYSQL_TYPE_VAR_STRING || t == MYSQL_TYPE_STRING ||
          t == MYSQL_TYPE_TINY_BLOB || t == MYSQL_TYPE_MEDIUM_BLOB || t == MYSQL_TYPE_LONG_BLOB ||
          t == MYSQL_TYPE_BLOB || t == MYSQL_TYPE_BIT || t == MYSQL_TYPE_GEOMETRY);
}

typedef struct col_buf {
  long long i;
  double d;
  unsigned long len;
  my_bool null, error;
} col_buf;

static void stmt_error(MYSQL_STMT *st, const char *opname, pe_buf *out) {
  pe_hc_error(out, PE_HC_BACKEND, "ERROR %s (%u): %s", my_stmt_sqlstate(st), my_stmt_errno(st),
              my_stmt_error(st));
  (void)opname;
}

static void op_statement(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out, bool query) {
  const char *opname = query ? "mysql.query" : "mysql.execute";
  my_conn *c = pe_svc_conn_find(&my_kind, rq->mysql, r, out);
  if (!c) return;
  char *sql;
  pe_rdbms_param *ps;
  size_t np;
  if (!pe_rdbms_begin(c->broken, r, opname, &sql, &ps, &np, out)) return;
  MYSQL_BIND *pb = calloc(np + 1, sizeof *pb), *rb = NULL;
  long long *ints = calloc(np + 1, sizeof *ints);
  double *dbls = calloc(np + 1, sizeof *dbls);
  col_buf *cb = NULL;
  MYSQL_RES *meta = NULL;
  char *cell = NULL;
  size_t cell_cap = 0;
  uint64_t end = pe_svc_now_ms() + PE_RDBMS_STATEMENT_MS;
  bool ok;
  int ret = 0;
  MYSQL_STMT *st = pb && ints && dbls ? my_stmt_init(c->m) : NULL;
  if (!st) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", opname);
    goto done;
  }
  DRIVE(rq, c->m, end, ok, my_stmt_prepare_start(&ret, st, sql, strlen(sql)),
        my_stmt_prepare_cont(&ret, st, st_));
  if (!ok) goto timeout;
  if (ret) {
    stmt_error(st, opname, out);
    goto done;
  }
  if (my_stmt_param_count(st) != np) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: the statement takes %lu parameters, %zu were given",
                opname, my_stmt_param_count(st), np);
    goto done;
  }
  for (size_t i = 0; i < np; i++) {
    MYSQL_BIND *b = &pb[i];
    uint32_t t = ps[i].type & ~PE_MYSQL_UNSIGNED;
    if (ps[i].kind == 'n') {
      b->buffer_type = MYSQL_TYPE_NULL;
    } else if (ps[i].kind == 'b') {
      b->buffer_type = MYSQL_TYPE_BLOB;
      b->buffer = (void *)ps[i].p;
      b->buffer_length = ps[i].n;
    } else if (is_int_type((enum enum_field_types)t) || t == MYSQL_TYPE_DOUBLE ||
               t == MYSQL_TYPE_FLOAT) {
      char num[64], *e;
      if (ps[i].n == 0 || ps[i].n >= sizeof num) goto bad_number;
      memcpy(num, ps[i].p, ps[i].n);
      num[ps[i].n] = 0;
      errno = 0;
      if (t == MYSQL_TYPE_DOUBLE || t == MYSQL_TYPE_FLOAT) {
        dbls[i] = strtod(num, &e);
        b->buffer_type = MYSQL_TYPE_DOUBLE;
        b->buffer = &dbls[i];
      } else if (ps[i].type & PE_MYSQL_UNSIGNED) {
        ints[i] = (long long)strtoull(num, &e, 10);
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->is_unsigned = 1;
        b->buffer = &ints[i];
        if (num[0] == '-') goto bad_number;
      } else {
        ints[i] = strtoll(num, &e, 10);
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = &ints[i];
      }
      if (*e || errno) {
      bad_number:
        pe_hc_error(out, PE_HC_INVALID, "%s: parameter %zu is not a number", opname, i + 1);
        goto done;
      }
    } else {
      b->buffer_type = MYSQL_TYPE_STRING;
      b->buffer = (void *)ps[i].p;
      b->buffer_length = ps[i].n;
    }
  }
  if (np && my_stmt_bind_param(st, pb)) {
    stmt_error(st, opname, out);
    goto done;
  }
  DRIVE(rq, c->m, end, ok, my_stmt_execute_start(&ret, st), my_stmt_execute_cont(&ret, st, st_));
  if (!ok) goto timeout;
  if (ret) {
    stmt_error(st, opname, out);
    goto done;
  }
  meta = my_stmt_result_metadata(st);
  unsigned nf = meta ? my_num_fields(meta) : 0;
  MYSQL_FIELD *fields = meta ? my_fetch_fields(meta) : NULL;
  if (!pe_hc_ok(out) || (query && !pe_hc_put_u64(out, nf))) goto oom;
  if (nf) {
    rb = calloc(nf, sizeof *rb);
    cb = calloc(nf, sizeof *cb);
    if (!rb || !cb) goto oom;
    for (unsigned i = 0; i < nf; i++) {
      uint64_t type = fields[i].type;
      if (fields[i].flags & UNSIGNED_FLAG) type |= PE_MYSQL_UNSIGNED;
      if (holds_bytes(&fields[i])) type |= PE_MYSQL_BINARY;
      if (query && (!pe_hc_put_str(out, fields[i].name) || !pe_hc_put_u64(out, type))) goto oom;
      if (is_int_type(fields[i].type)) {
        rb[i].buffer_type = MYSQL_TYPE_LONGLONG;
        rb[i].buffer = &cb[i].i;
        rb[i].is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
      } else if (fields[i].type == MYSQL_TYPE_FLOAT || fields[i].type == MYSQL_TYPE_DOUBLE) {
        rb[i].buffer_type = MYSQL_TYPE_DOUBLE;
        rb[i].buffer = &cb[i].d;
      } else { /* everything else as text or bytes, fetched column by column */
        rb[i].buffer_type = holds_bytes(&fields[i]) ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
      }
      rb[i].length = &cb[i].len;
      rb[i].is_null = &cb[i].null;
      rb[i].error = &cb[i].error;
    }
    if (my_stmt_bind_result(st, rb)) {
      stmt_error(st, opname, out);
      goto done;
    }
    uint64_t rows = 0;
    for (;;) {
      DRIVE(rq, c->m, end, ok, my_stmt_fetch_start(&ret, st), my_stmt_fetch_cont(&ret, st, st_));
      if (!ok) goto timeout;
      if (ret == MYSQL_NO_DATA) break;
      if (ret == 1) {
        stmt_error(st, opname, out);
        c->broken = true; /* the rest of the result is still on the wire */
        goto done;
      }
      rows++;
      for (unsigned i = 0; query && i < nf; i++) {
        bool put;
        char num[40];
        if (cb[i].null) {
          put = pe_rdbms_put_value(out, 'n', NULL, 0);
        } else if (rb[i].buffer_type == MYSQL_TYPE_LONGLONG) {
          snprintf(num, sizeof num, rb[i].is_unsigned ? "%llu" : "%lld", cb[i].i);
          put = pe_rdbms_put_value(out, 't', num, strlen(num));
        } else if (rb[i].buffer_type == MYSQL_TYPE_DOUBLE) {
          snprintf(num, sizeof num, "%.17g", cb[i].d);
          put = pe_rdbms_put_value(out, 't', num, strlen(num));
        } else {
          size_t len = cb[i].len;
          if (len > PE_RDBMS_MAX_RESULT) goto too_big;
          if (len + 1 > cell_cap) {
            char *g = realloc(cell, len + 1);
            if (!g) goto oom;
            cell = g;
            cell_cap = len + 1;
          }
          MYSQL_BIND one = {0};
          unsigned long got = 0;
          one.buffer_type = rb[i].buffer_type;
          one.buffer = cell;
          one.buffer_length = len + 1;
          one.length = &got;
          if (len && my_stmt_fetch_column(st, &one, i, 0)) {
            stmt_error(st, opname, out);
            c->broken = true;
            goto done;
          }
          put =
              pe_rdbms_put_value(out, rb[i].buffer_type == MYSQL_TYPE_BLOB ? 'b' : 't', cell, len);
        }
        if (!put) goto oom;
      }
      if (pe_rdbms_too_big(out, rows)) goto too_big;
    }
  }
  if (!query) {
    uint64_t affected = my_stmt_affected_rows(st);
    if (!pe_hc_ok(out) || !pe_hc_put_u64(out, affected == (uint64_t)-1 ? 0 : affected)) goto oom;
  }
  goto done;
too_big:
  pe_rdbms_too_big_reply(opname, out);
  kill_query(c);
  c->broken = true;
  goto done;
timeout:
  kill_query(c);
  c->broken = true;
  pe_hc_error(out, PE_HC_TIMEOUT, "%s: the statement did not finish in time (killed)", opname);
  goto done;
oom:
  c->broken = true;
  pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", opname);
done:
  if (meta) my_free_result(meta);
  if (st) {
    if (c->broken) {
      /* closing would read the rest of the result: drop the socket first */
      shutdown(my_get_socket(c->m), SHUT_RDWR);
    }
    my_bool closed;
    DRIVE(rq, c->m, pe_svc_now_ms() + 1000, ok, my_stmt_close_start(&closed, st),
          my_stmt_close_cont(&closed, st, st_));
    if (!ok) c->broken = true;
  }
  free(cell);
  free(cb);
  free(rb);
  free(pb);
  free(ints);
  free(dbls);
  free(ps);
  free(sql);
}

static void op_close(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  pe_rdbms_close(&my_kind, rq->mysql, r, out);
}

/* ---- the area ------------------------------------------------------------------------ */

bool pe_svc_mysql_open(pe_services *s, char *err, size_t errlen) {
  (void)s, (void)err, (void)errlen;
  return true;
}

void pe_svc_mysql_close(pe_services *s) { (void)s; }

bool pe_svc_mysql_preload(char *err, size_t errlen) { return load(err, errlen); }

static const pe_rdbms_ops ops = {"mysql", op_open, op_statement, op_close};

void pe_svc_mysql_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                       pe_buf *out) {
  pe_rdbms_dispatch(&ops, rq, op, in, n, out);
}

void pe_svc_mysql_request_end(pe_svc_request *rq) { pe_svc_conns_end(&my_kind, &rq->mysql); }
