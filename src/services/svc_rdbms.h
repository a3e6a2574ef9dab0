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
 */
#ifndef PE_SVC_RDBMS_H
#define PE_SVC_RDBMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services_int.h"

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

#endif /* PE_SVC_RDBMS_H */
