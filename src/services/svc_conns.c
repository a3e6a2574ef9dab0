/*
 * svc_conns.c -- per-request tables of outbound connections (svc_conns.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_conns.h"

typedef struct conn_entry {
  uint64_t id;
  void *conn;
} conn_entry;

typedef struct conn_table {
  unsigned n;
  conn_entry e[]; /* max_open entries */
} conn_table;

bool pe_svc_conn_room(const pe_svc_conn_kind *k, void *const *table, pe_buf *out) {
  const conn_table *t = *table;
  if (!t || t->n < k->max_open) return true;
  pe_hc_error(out, PE_HC_LIMIT, "%s: %u connections are open in this request, the most allowed",
              k->area, k->max_open);
  return false;
}

void pe_svc_conn_add(const pe_svc_conn_kind *k, void **table, void *conn, pe_buf *out) {
  conn_table *t = *table;
  if (!t) {
    t = calloc(1, sizeof *t + k->max_open * sizeof t->e[0]);
    if (!t) {
      k->close(conn);
      pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", k->area);
      return;
    }
    *table = t;
  }
  if (!pe_svc_conn_room(k, table, out)) {
    k->close(conn);
    return;
  }
  uint64_t id = atomic_fetch_add(k->last_id, 1) + 1;
  t->e[t->n++] = (conn_entry){id, conn};
  if (!pe_hc_ok(out) || !pe_hc_put_u64(out, id)) {
    /* the reply cannot be written, so the guest never learns the handle */
    pe_svc_conn_close(k, t, id);
    pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", k->area);
  }
}

static conn_entry *entry_of(conn_table *t, uint64_t id) {
  for (unsigned i = 0; t && i < t->n; i++)
    if (t->e[i].id == id) return &t->e[i];
  return NULL;
}

void *pe_svc_conn_find(const pe_svc_conn_kind *k, void *table, pe_hc_reader *r, pe_buf *out) {
  uint64_t id;
  if (!pe_hc_u64(r, &id)) {
    pe_hc_error(out, PE_HC_INVALID, "%s: expected a connection handle (an 8-byte integer) first",
                k->area);
    return NULL;
  }
  conn_entry *e = entry_of(table, id);
  if (!e) {
    pe_hc_error(out, PE_HC_INVALID, "%s: no open %s connection with handle %llu", k->area, k->area,
                (unsigned long long)id);
    return NULL;
  }
  return e->conn;
}

bool pe_svc_conn_close(const pe_svc_conn_kind *k, void *table, uint64_t id) {
  conn_table *t = table;
  conn_entry *e = entry_of(t, id);
  if (!e) return false;
  k->close(e->conn);
  *e = t->e[--t->n];
  return true;
}

void pe_svc_conns_end(const pe_svc_conn_kind *k, void **table) {
  conn_table *t = *table;
  if (!t) return;
  while (t->n > 0) k->close(t->e[--t->n].conn);
  free(t);
  *table = NULL;
}

unsigned pe_svc_ms_left(const pe_svc_request *rq, unsigned cap_ms) {
  if (!rq->deadline_ns) return cap_ms;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  if (now >= rq->deadline_ns) return 0;
  uint64_t left = (rq->deadline_ns - now) / 1000000u;
  if (left == 0) left = 1;
  return left < cap_ms ? (unsigned)left : cap_ms;
}

uint64_t pe_svc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
