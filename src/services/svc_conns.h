/*
 * svc_conns.h -- what the areas that connect to a server named by the guest
 * share (outbound Redis, PostgreSQL, MySQL, MQTT): the per-request table of
 * open connections, and the time a request has left.
 *
 * ALWAYS one connection per open, closed when the request ends, NEVER
 * pooled across requests: a server session carries state the guest can set
 * (SELECT, SET, temporary tables, an open transaction, a SUBSCRIBE, MQTT's
 * will and session), and a pooled connection would hand it to the next
 * request, maybe another component's. A request that keeps a connection in
 * a global finds its handle invalid in the next one.
 *
 * Handles are ids from one counter per area for the whole process, never
 * reused, so a closed, forged or earlier request's handle is INVALID
 * rather than some other connection. An area's table (rq->redis, ...) is
 * allocated on its first open.
 */
#ifndef PE_SVC_CONNS_H
#define PE_SVC_CONNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "services_int.h"

typedef struct pe_svc_conn_kind {
  const char *area;  /* "redis": "redis.get: no open redis connection with handle 7" */
  unsigned max_open; /* connections open at once per request (LIMIT past it) */
  void (*close)(void *conn);
  _Atomic uint64_t *last_id; /* the area's handle counter */
} pe_svc_conn_kind;

/* Whether the request may open one more connection; false with the LIMIT
 * reply written. Ask before connecting, not after. */
PE_MUST_CHECK bool pe_svc_conn_room(const pe_svc_conn_kind *k, void *const *table, pe_buf *out);
/* Keeps conn in the request's table and writes OK [handle]; when that
 * fails (no room, no memory) conn is closed and the error written. */
void pe_svc_conn_add(const pe_svc_conn_kind *k, void **table, void *conn, pe_buf *out);
/* Reads a handle blob from r: its connection, or NULL after writing the
 * error reply (INVALID for a handle not open in this request). */
void *pe_svc_conn_find(const pe_svc_conn_kind *k, void *table, pe_hc_reader *r, pe_buf *out);
/* Closes and forgets the connection behind handle id, if open; true if it was. */
bool pe_svc_conn_close(const pe_svc_conn_kind *k, void *table, uint64_t id);
/* The request is over: closes every connection still open, frees the
 * table and sets *table to NULL. */
void pe_svc_conns_end(const pe_svc_conn_kind *k, void **table);

/* Milliseconds the request may still wait: cap_ms, or less when its
 * deadline is nearer; 0 when the deadline has passed. */
unsigned pe_svc_ms_left(const pe_svc_request *rq, unsigned cap_ms);
/* CLOCK_MONOTONIC in milliseconds: the clock the areas' own caps (a
 * connect, a statement, a broker's answer) are measured on. */
uint64_t pe_svc_now_ms(void);

#endif /* PE_SVC_CONNS_H */
