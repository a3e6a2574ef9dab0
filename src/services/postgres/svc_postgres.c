/*
 * svc_postgres.c -- the "postgres" area (svc_postgres.h): connections
 * through libpq's non-blocking API, waited on by our own poll() loop.
 *
 * Why our own loop: after the request's deadline the runtime interrupts
 * the thread every millisecond, and libpq's blocking calls retry EINTR
 * forever. Each wait here is bounded by the request's time left
 * (pe_svc_ms_left) and the operation's own cap; when it runs out the
 * server is asked to cancel the statement and the connection is dropped.
 * The cancel goes through a second connection made the same way (libpq's
 * PQcancel connects with a blocking connect(), which the deadline's
 * signals interrupt and libpq then gives up on), bounded by 2 s.
 *
 * What libpq may read from the host is closed off: the guest's string is
 * parsed by pg_conninfo.c (no service files, password files, certificate
 * paths, sockets), and pyedge adds passfile and the sslcert/sslkey/
 * sslrootcert/sslcrl paths pointing at a file that does not exist, so
 * libpq's defaults under $HOME are never read; a missing client
 * certificate means none is sent, a missing root certificate means
 * sslmode=require does not verify, as libpq documents.
 *
 * Results come row by row (single-row mode), so the reply's size is
 * checked as it grows and a huge result stops at PE_RDBMS_MAX_RESULT
 * without libpq ever holding all of it.
 */
#include <poll.h>
#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_manifest.h"
#include "pg_conninfo.h"
#include "runtime/pe_rt.h"
#include "services/http/svc_http.h"
#include "services/svc_conns.h"
#include "services/svc_rdbms.h"
#include "svc_postgres.h"
#include "util/pe_dl.h"

/* ---- libpq, loaded on first use -------------------------------------------- */

static PGconn *(*pq_connect_start_params)(const char *const *, const char *const *, int);
static PostgresPollingStatusType (*pq_connect_poll)(PGconn *);
static ConnStatusType (*pq_status)(const PGconn *);
static char *(*pq_error_message)(const PGconn *);
static int (*pq_socket)(const PGconn *);
static void (*pq_finish)(PGconn *);
static int (*pq_setnonblocking)(PGconn *, int);
static int (*pq_send_query_params)(PGconn *, const char *, int, const Oid *, const char *const *,
                                   const int *, const int *, int);
static int (*pq_set_single_row_mode)(PGconn *);
static int (*pq_flush)(PGconn *);
static int (*pq_consume_input)(PGconn *);
static int (*pq_is_busy)(PGconn *);
static PGresult *(*pq_get_result)(PGconn *);
static ExecStatusType (*pq_result_status)(const PGresult *);
static char *(*pq_result_error_field)(const PGresult *, int);
static char *(*pq_result_error_message)(const PGresult *);
static void (*pq_clear)(PGresult *);
static int (*pq_nfields)(const PGresult *);
static char *(*pq_fname)(const PGresult *, int);
static Oid (*pq_ftype)(const PGresult *, int);
static int (*pq_ntuples)(const PGresult *);
static int (*pq_getisnull)(const PGresult *, int, int);
static char *(*pq_getvalue)(const PGresult *, int, int);
static int (*pq_getlength)(const PGresult *, int, int);
static char *(*pq_cmd_tuples)(PGresult *);
static PQconninfoOption *(*pq_conninfo)(PGconn *);
static void (*pq_conninfo_free)(PQconninfoOption *);
static int (*pq_backend_pid)(const PGconn *);

static const pe_dl_sym pq_syms[] = {
    {"PQconnectStartParams", (void *)&pq_connect_start_params},
    {"PQconnectPoll", (void *)&pq_connect_poll},
    {"PQstatus", (void *)&pq_status},
    {"PQerrorMessage", (void *)&pq_error_message},
    {"PQsocket", (void *)&pq_socket},
    {"PQfinish", (void *)&pq_finish},
    {"PQsetnonblocking", (void *)&pq_setnonblocking},
    {"PQsendQueryParams", (void *)&pq_send_query_params},
    {"PQsetSingleRowMode", (void *)&pq_set_single_row_mode},
    {"PQflush", (void *)&pq_flush},
    {"PQconsumeInput", (void *)&pq_consume_input},
    {"PQisBusy", (void *)&pq_is_busy},
    {"PQgetResult", (void *)&pq_get_result},
    {"PQresultStatus", (void *)&pq_result_status},
    {"PQresultErrorField", (void *)&pq_result_error_field},
    {"PQresultErrorMessage", (void *)&pq_result_error_message},
    {"PQclear", (void *)&pq_clear},
    {"PQnfields", (void *)&pq_nfields},
    {"PQfname", (void *)&pq_fname},
    {"PQftype", (void *)&pq_ftype},
    {"PQntuples", (void *)&pq_ntuples},
    {"PQgetisnull", (void *)&pq_getisnull},
    {"PQgetvalue", (void *)&pq_getvalue},
    {"PQgetlength", (void *)&pq_getlength},
    {"PQcmdTuples", (void *)&pq_cmd_tuples},
    {"PQconninfo", (void *)&pq_conninfo},
    {"PQconninfoFree", (void *)&pq_conninfo_free},
    {"PQbackendPID", (void *)&pq_backend_pid},
};
static pe_dl_lib libpq = PE_DL_LIB("libpq.so.5", pq_syms);

/* ---- connections ------------------------------------------------------------- */

typedef struct pg_conn {
  PGconn *c;
  bool broken; /* timed out or over a limit mid-statement: unusable */
} pg_conn;

static void conn_close(void *p) {
  pg_conn *pc = p;
  if (pc->c) pq_finish(pc->c);
  free(pc);
}

static _Atomic uint64_t last_id;
static const pe_svc_conn_kind pg_kind = {"postgres", PE_RDBMS_MAX_OPEN, conn_close, &last_id};

/* Waits for fd to be readable (and writable if want_write) until the
 * operation's end or the request's deadline (pe_rdbms_poll). */
static bool wait_fd(pe_svc_request *rq, int fd, bool want_write, uint64_t end_ms) {
  struct pollfd p = {fd, (short)(POLLIN | (want_write ? POLLOUT : 0)), 0};
  return pe_rdbms_poll(rq, &p, end_ms) == PE_RDBMS_READY;
}

/* libpq's messages end with a newline; the guest's should not. */
static const char *trimmed(const char *m, char *buf, size_t n) {
  snprintf(buf, n, "%s", m ? m : "");
  size_t l = strlen(buf);
  while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == ' ')) buf[--l] = 0;
  return buf;
}

#define NOPE "/nonexistent/pyedge-no-file"
#define FORMATS                                                     \
  "-c DateStyle=ISO -c IntervalStyle=postgres -c bytea_output=hex " \
  "-c extra_float_digits=3 "

static void op_open(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  const uint8_t *s;
  size_t n;
  if (!pe_rdbms_open_arg(&pg_kind, &rq->pg, r, "the connection string", &s, &n, out)) return;
  pe_pg_conninfo ci;
  char err[512];
  if (!pe_pg_conninfo_parse((const char *)s, n, &ci, err, sizeof err)) {
    pe_hc_error(out, PE_HC_INVALID, "postgres.open: %s", err);
    pe_pg_conninfo_free(&ci);
    return;
  }
  char host[sizeof ci.host + 2], addr[PE_OB_ADDR_TEXT];
  snprintf(host, sizeof host, strchr(ci.host, ':') ? "[%s]" : "%s", ci.host);
  if (!pe_svc_outbound_check(rq, "postgres", host, ci.port, addr, out)) {
    pe_pg_conninfo_free(&ci);
    return;
  }
  if (!pe_dl_load(&libpq, err, sizeof err)) {
    pe_hc_error(out, PE_HC_BACKEND, "postgres.open: %s", err);
    pe_pg_conninfo_free(&ci);
    return;
  }
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)ci.port);
  /* ours first; the guest's options cannot name these keys (pg_conninfo.c) */
  const char *keys[PE_PG_MAX_OPTS + 20], *vals[PE_PG_MAX_OPTS + 20];
  size_t k = 0;
#define SET(a, b) (keys[k] = (a), vals[k] = (b), k++)
  SET("host", ci.host);
  SET("hostaddr", addr);
  SET("port", port);
  SET("passfile", NOPE);
  SET("sslcert", NOPE);
  SET("sslkey", NOPE);
  SET("sslrootcert", NOPE);
  SET("sslcrl", NOPE);
  SET("sslcrldir", NOPE);
  SET("gssencmode", "disable");
  SET("client_encoding", "UTF8");
  /* The text formats the SDK parses, whatever the server's or database's
   * defaults; the guest's own options come after, in the same string. */
  const char *theirs = pe_pg_conninfo_get(&ci, "options");
  char *opts = NULL;
  if (asprintf(&opts, "%s%s", FORMATS, theirs ? theirs : "") < 0) opts = NULL;
  if (!opts) {
    pe_hc_error(out, PE_HC_BACKEND, "postgres.open: out of memory");
    pe_pg_conninfo_free(&ci);
    return;
  }
  SET("options", opts);
  for (unsigned i = 0; i < ci.n; i++)
    if (strcmp(ci.key[i], "connect_timeout") && strcmp(ci.key[i], "options"))
      SET(ci.key[i], ci.val[i]);
  if (!pe_pg_conninfo_get(&ci, "user")) SET("user", "postgres"); /* never the host's login */
  keys[k] = vals[k] = NULL;
#undef SET
  pg_conn *pc = calloc(1, sizeof *pc);
  PGconn *c = pc ? pq_connect_start_params(keys, vals, 0) : NULL;
  pe_pg_conninfo_free(&ci);
  free(opts);
  if (!c) {
    free(pc);
    pe_hc_error(out, PE_HC_BACKEND, "postgres.open: out of memory");
    return;
  }
  pc->c = c;
  uint64_t end = pe_svc_now_ms() + PE_RDBMS_CONNECT_MS;
  PostgresPollingStatusType st = pq_status(c) == CONNECTION_BAD ? PGRES_POLLING_FAILED
                                                                : PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) {
      pe_hc_error(out, PE_HC_BACKEND, "postgres.open: cannot connect to %s:%s: %s", addr, port,
                  trimmed(pq_error_message(c), err, sizeof err));
      conn_close(pc);
      return;
    }
    bool w = wait_fd(rq, pq_socket(c), st == PGRES_POLLING_WRITING, end);
    if (!w) {
      pe_hc_error(out, PE_HC_TIMEOUT, "postgres.open: no connection to %s:%s in time", addr, port);
      conn_close(pc);
      return;
    }
    st = pq_connect_poll(c);
  }
  if (pq_setnonblocking(c, 1) != 0) {
    pe_hc_error(out, PE_HC_BACKEND, "postgres.open: %s",
                trimmed(pq_error_message(c), err, sizeof err));
    conn_close(pc);
    return;
  }
  pe_svc_conn_add(&pg_kind, &rq->pg, pc, out);
}

/* ---- statements --------------------------------------------------------------------------- */

/* The guest's error message for a failed statement: "ERROR 42P01: relation
 * ... does not exist", then "\nDETAIL: ..." when the server gave one
 * (spin_sdk parses it into a structured DbError). */
static void sql_error(PGresult *res, PGconn *c, pe_buf *out) {
  const char *sev = pq_result_error_field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char *code = pq_result_error_field(res, PG_DIAG_SQLSTATE);
  const char *msg = pq_result_error_field(res, PG_DIAG_MESSAGE_PRIMARY);
  const char *detail = pq_result_error_field(res, PG_DIAG_MESSAGE_DETAIL);
  char buf[900];
  if (!code || !msg) {
    const char *m = pq_result_error_message(res);
    pe_hc_error(out, PE_HC_BACKEND, "postgres: %s",
                trimmed(m && *m ? m : pq_error_message(c), buf, sizeof buf));
    return;
  }
  pe_hc_error(out, PE_HC_BACKEND, "%s %s: %s%s%s", sev ? sev : "ERROR", code, msg,
              detail ? "\nDETAIL: " : "", detail ? detail : "");
}

/* Asks the server to stop the connection's running statement, from a
 * second connection with the same settings (PQconninfo: the checked
 * address, the guest's user and password, pyedge's file paths), in at
 * most 2 s of its own: the request's time is usually over by now. */
static void cancel(PGconn *c) {
  PQconninfoOption *opts = pq_conninfo(c);
  if (!opts) return;
  size_t n = 0;
  for (PQconninfoOption *o = opts; o->keyword; o++) n++;
  const char **keys = calloc(n + 1, sizeof *keys), **vals = calloc(n + 1, sizeof *vals);
  size_t k = 0;
  for (PQconninfoOption *o = opts; keys && vals && o->keyword; o++)
    if (o->val && strcmp(o->keyword, "replication")) keys[k] = o->keyword, vals[k++] = o->val;
  PGconn *kc = keys && vals ? pq_connect_start_params(keys, vals, 0) : NULL;
  free(keys);
  free(vals);
  uint64_t end = pe_svc_now_ms() + 2000;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (kc && pq_status(kc) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
         st != PGRES_POLLING_FAILED &&
         wait_fd(NULL, pq_socket(kc), st == PGRES_POLLING_WRITING, end))
    st = pq_connect_poll(kc);
  char sql[64];
  snprintf(sql, sizeof sql, "SELECT pg_cancel_backend(%d)", pq_backend_pid(c));
  if (st == PGRES_POLLING_OK && pq_setnonblocking(kc, 1) == 0 &&
      pq_send_query_params(kc, sql, 0, NULL, NULL, NULL, NULL, 0)) {
    while (pq_flush(kc) == 1 && wait_fd(NULL, pq_socket(kc), true, end)) {
    }
    for (bool done = false; !done;) { /* the answer does not matter, only that it came */
      while (!done && !pq_is_busy(kc)) {
        PGresult *res = pq_get_result(kc);
        done = !res;
        if (res) pq_clear(res);
      }
      if (!done && (!wait_fd(NULL, pq_socket(kc), false, end) || !pq_consume_input(kc))) break;
    }
  }
  if (kc) pq_finish(kc);
  pq_conninfo_free(opts);
}

static void op_statement(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out, bool query) {
  const char *opname = query ? "postgres.query" : "postgres.execute";
  pg_conn *pc = pe_svc_conn_find(&pg_kind, rq->pg, r, out);
  if (!pc) return;
  char *sql;
  pe_rdbms_param *ps;
  size_t np;
  if (!pe_rdbms_begin(pc->broken, r, opname, &sql, &ps, &np, out)) return;
  Oid *types = calloc(np + 1, sizeof *types);
  const char **vals = calloc(np + 1, sizeof *vals);
  int *lens = calloc(np + 1, sizeof *lens), *fmts = calloc(np + 1, sizeof *fmts);
  char **texts = calloc(np + 1, sizeof *texts);
  PGconn *c = pc->c;
  char err[512];
  if (!types || !vals || !lens || !fmts || !texts) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", opname);
    goto done;
  }
  for (size_t i = 0; i < np; i++) {
    if (ps[i].kind == 'n') continue; /* NULL: no value, type left to the server */
    if (ps[i].kind == 'b') {         /* bytea, sent in binary: no escaping at all */
      types[i] = 17;
      fmts[i] = 1;
      vals[i] = ps[i].n ? (const char *)ps[i].p : "";
      lens[i] = (int)ps[i].n;
      continue;
    }
    types[i] = ps[i].type;
    texts[i] = malloc(ps[i].n + 1); /* libpq wants text NUL-terminated */
    if (!texts[i]) {
      pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", opname);
      goto done;
    }
    memcpy(texts[i], ps[i].p, ps[i].n);
    texts[i][ps[i].n] = 0;
    vals[i] = texts[i];
  }
  if (!pq_send_query_params(c, sql, (int)np, types, vals, lens, fmts, 0)) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: %s", opname,
                trimmed(pq_error_message(c), err, sizeof err));
    goto done;
  }
  (void)pq_set_single_row_mode(c); /* refused only when not right after a send */
  uint64_t end = pe_svc_now_ms() + PE_RDBMS_STATEMENT_MS;
  int fl;
  while ((fl = pq_flush(c)) == 1) {
    if (!wait_fd(rq, pq_socket(c), true, end)) goto timeout;
    if (!pq_consume_input(c)) break;
  }
  if (fl < 0) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: %s", opname,
                trimmed(pq_error_message(c), err, sizeof err));
    pc->broken = true;
    goto done;
  }
  bool header = false, failed = false;
  uint64_t rows = 0, affected = 0;
  if (!pe_hc_ok(out)) goto oom;
  for (;;) {
    while (pq_is_busy(c)) {
      if (!wait_fd(rq, pq_socket(c), false, end)) goto timeout;
      if (!pq_consume_input(c)) {
        pe_hc_error(out, PE_HC_BACKEND, "%s: connection lost: %s", opname,
                    trimmed(pq_error_message(c), err, sizeof err));
        pc->broken = true;
        goto done;
      }
    }
    PGresult *res = pq_get_result(c);
    if (!res) break;
    ExecStatusType st = pq_result_status(res);
    if (failed) {
      pq_clear(res);
      continue;
    }
    if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
      int nf = pq_nfields(res);
      bool ok = true;
      if (!header && query) {
        ok = pe_hc_put_u64(out, (uint64_t)nf);
        for (int i = 0; ok && i < nf; i++)
          ok = pe_hc_put_str(out, pq_fname(res, i)) && pe_hc_put_u64(out, pq_ftype(res, i));
      }
      header = true;
      int nt = pq_ntuples(res);
      for (int t = 0; ok && t < nt && query; t++)
        for (int i = 0; ok && i < nf; i++)
          ok = pq_getisnull(res, t, i) ? pe_rdbms_put_value(out, 'n', NULL, 0)
                                       : pe_rdbms_put_value(out, 't', pq_getvalue(res, t, i),
                                                            (size_t)pq_getlength(res, t, i));
      rows += (uint64_t)nt;
      if (st == PGRES_TUPLES_OK) affected = strtoull(pq_cmd_tuples(res), NULL, 10);
      pq_clear(res);
      if (!ok) goto oom;
      if (pe_rdbms_too_big(out, rows)) {
        pe_rdbms_too_big_reply(opname, out);
        cancel(c);
        pc->broken = true;
        goto done;
      }
    } else if (st == PGRES_COMMAND_OK) {
      affected = strtoull(pq_cmd_tuples(res), NULL, 10);
      pq_clear(res);
    } else if (st == PGRES_EMPTY_QUERY) {
      pq_clear(res);
    } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      pq_clear(res);
      pe_hc_error(out, PE_HC_BACKEND, "%s: COPY to or from the client is not supported", opname);
      pc->broken = true; /* libpq would wait for COPY data forever */
      goto done;
    } else {
      sql_error(res, c, out);
      pq_clear(res);
      failed = true; /* keep reading until libpq has no more results */
    }
  }
  if (failed) goto done;
  if (query) {
    if (!header && !pe_hc_put_u64(out, 0)) goto oom;
  } else {
    if (!pe_hc_ok(out) || !pe_hc_put_u64(out, affected)) goto oom;
  }
  goto done;
timeout:
  cancel(c);
  pc->broken = true;
  pe_hc_error(out, PE_HC_TIMEOUT, "%s: the statement did not finish in time (cancelled)", opname);
  goto done;
oom:
  pc->broken = true;
  pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", opname);
done:
  for (size_t i = 0; texts && i < np; i++) free(texts[i]);
  free(texts);
  free(types);
  free(vals);
  free(lens);
  free(fmts);
  free(ps);
  free(sql);
}

static void op_close(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  pe_rdbms_close(&pg_kind, rq->pg, r, out);
}

/* ---- the area ----------------------------------------------------------------------- */

/* libpq fills every option a connection does not set from these variables
 * of pyedge's environment: the operator's PGPASSWORD would be sent to
 * whatever server a component connects to without a password, PGSERVICE
 * would read a service file. A component's connections use only what it
 * gives, so they are removed from the environment at start-up (before any
 * worker thread reads it), saying which. */
static const char *const pg_env[] = {
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGSSLMODE",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLROOTCERT",
    "PGSSLCRL",
    "PGSSLCRLDIR",
    "PGSSLSNI",
    "PGREQUIREPEER",
    "PGSSLCOMPRESSION",
    "PGGSSENCMODE",
    "PGKRBSRVNAME",
    "PGGSSLIB",
    "PGCONNECT_TIMEOUT",
    "PGCLIENTENCODING",
    "PGTARGETSESSIONATTRS",
    "PGCHANNELBINDING",
    "PGSSLMINPROTOCOLVERSION",
    "PGSSLMAXPROTOCOLVERSION",
    "PGSYSCONFDIR",
    "PGLOCALEDIR",
    "PGDATESTYLE",
    "PGTZ",
    "PGGEQO",
};

bool pe_svc_postgres_open(pe_services *s, char *err, size_t errlen) {
  (void)err, (void)errlen;
  bool grants = false;
  for (size_t i = 0; i < s->m->n_components; i++)
    grants |= s->m->components[i].allowed_outbound_hosts.len > 0;
  for (size_t i = 0; grants && i < sizeof pg_env / sizeof *pg_env; i++)
    if (getenv(pg_env[i])) {
      fprintf(stderr,
              "pyedge: %s is ignored: components' postgres connections use only what "
              "they give\n",
              pg_env[i]);
      unsetenv(pg_env[i]);
    }
  return true;
}

void pe_svc_postgres_close(pe_services *s) { (void)s; }

bool pe_svc_postgres_preload(char *err, size_t errlen) { return pe_dl_load(&libpq, err, errlen); }

static const pe_rdbms_ops ops = {"postgres", op_open, op_statement, op_close};

void pe_svc_postgres_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                          pe_buf *out) {
  pe_rdbms_dispatch(&ops, rq, op, in, n, out);
}

void pe_svc_postgres_request_end(pe_svc_request *rq) { pe_svc_conns_end(&pg_kind, &rq->pg); }
