/*
 * svc_rdbms.h -- the value encoding that the "postgres" and "mysql" areas
 * share (docs/hostcall.md, "postgres"): how the guest sends a statement's
 * parameters and how rows come back, so both areas read and write the same
 * bytes and the guest decodes them in one place (spin_sdk/wit/imports/
 * rdbms.py).
 *
 * A parameter is one blob: 'n' (NULL) | 't' u32-le type, text | 'b' bytes.
 * The type is the server's (a PostgreSQL type OID, a MySQL field type; 0:
 * let the server decide); the text is UTF-8 without NUL, in the server's
 * input syntax. A result value is one blob: 'n' | 't' text | 'b' bytes.
 *
 * Both areas also answer the same four ops the same way around their
 * client library (open's argument, a statement's start, close, the
 * dispatch) and wait on the library's socket with the same deadline
 * rules, so those live here too; what differs is only the library.
 */
#ifndef PE_SVC_RDBMS_H
#define PE_SVC_RDBMS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services_int.h"
#include "svc_conns.h"

#define PE_RDBMS_MAX_STATEMENT (1u << 20) /* bytes of SQL */
#define PE_RDBMS_MAX_PARAMS 4096u
#define PE_RDBMS_MAX_PARAM (16u << 20)  /* bytes of one parameter */
#define PE_RDBMS_MAX_RESULT (16u << 20) /* bytes of one reply */
#define PE_RDBMS_MAX_ROWS 1000000u
#define PE_RDBMS_MAX_OPEN 8u         /* connections per request */
#define PE_RDBMS_CONNECT_MS 10000u   /* to connect, at most */
#define PE_RDBMS_STATEMENT_MS 60000u /* one statement, at most */
#define PE_RDBMS_MAX_ADDRESS 4096u   /* bytes of a connection string */

typedef struct pe_rdbms_param {
  char kind;        /* 'n', 't' or 'b' */
  uint32_t type;    /* 't': the server's type, 0 if none */
  const uint8_t *p; /* into the guest's payload; for 't' text (no NUL) */
  size_t n;
} pe_rdbms_param;

/* Reads the statement and every parameter that follow the handle; the
 * statement is a malloc'd NUL-terminated copy, params points into r's
 * bytes (free only the array). false with the INVALID/LIMIT reply in out. */
PE_MUST_CHECK bool pe_rdbms_read(pe_hc_reader *r, const char *area, char **sql,
                                 pe_rdbms_param **params, size_t *n, pe_buf *out);

/* One result value, appended as a blob. */
PE_MUST_CHECK bool pe_rdbms_put_value(pe_buf *out, char kind, const void *p, size_t n);

/* ---- what both areas do around their client library ---- */

typedef enum { PE_RDBMS_READY, PE_RDBMS_TIMEOUT, PE_RDBMS_ERROR } pe_rdbms_wait;

/* Polls p (events set by the caller, revents left for it) until it is
 * ready or end_ms passes; with rq, also until the request's deadline or
 * the runtime asks the call to stop (NULL: end_ms alone, for cancelling
 * after the request's time is over). EINTR (the runtime's deadline
 * ticks) only loops back to the clock, where a blocking client would
 * retry forever. */
pe_rdbms_wait pe_rdbms_poll(pe_svc_request *rq, struct pollfd *p, uint64_t end_ms);

/* Op "open"'s one blob (what: "the address"), once the request may open
 * one more connection in *table. false with the reply written. */
PE_MUST_CHECK bool pe_rdbms_open_arg(const pe_svc_conn_kind *k, void *const *table, pe_hc_reader *r,
                                     const char *what, const uint8_t **s, size_t *n, pe_buf *out);

/* A statement's start: refuses a connection dropped mid-statement
 * (broken), then reads the statement and parameters (pe_rdbms_read). */
PE_MUST_CHECK bool pe_rdbms_begin(bool broken, pe_hc_reader *r, const char *opname, char **sql,
                                  pe_rdbms_param **params, size_t *n, pe_buf *out);

/* Whether a reply so far out->len bytes long and holding rows rows is
 * past PE_RDBMS_MAX_RESULT or PE_RDBMS_MAX_ROWS, checked as rows arrive. */
bool pe_rdbms_too_big(const pe_buf *out, uint64_t rows);
/* The LIMIT reply for a result past those limits (the caller then stops
 * the statement on the server and drops the connection). */
void pe_rdbms_too_big_reply(const char *opname, pe_buf *out);

/* Op "close": the handle's connection closed, or INVALID if not open. */
void pe_rdbms_close(const pe_svc_conn_kind *k, void *table, pe_hc_reader *r, pe_buf *out);

/* An area's ops: open, query and execute (statement's query true/false),
 * close; each reads its blobs from r and writes the whole reply. */
typedef struct pe_rdbms_ops {
  const char *area;
  void (*open)(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out);
  void (*statement)(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out, bool query);
  void (*close)(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out);
} pe_rdbms_ops;

/* The area's _call: runs op, or answers NO_SERVICE. */
void pe_rdbms_dispatch(const pe_rdbms_ops *ops, pe_svc_request *rq, const char *op,
                       const uint8_t *in, size_t n, pe_buf *out);

#endif /* PE_SVC_RDBMS_H */
