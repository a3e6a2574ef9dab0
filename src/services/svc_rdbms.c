/*
 * svc_rdbms.c -- the parameter and value blobs of the postgres and mysql
 * areas, and the ops and waiting they do alike (svc_rdbms.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/pe_rt.h"

#include "svc_rdbms.h"
#include "svc_utf8.h"

bool pe_rdbms_read(pe_hc_reader *r, const char *area, char **sql, pe_rdbms_param **params,
                   size_t *n, pe_buf *out) {
  *sql = NULL;
  *params = NULL;
  *n = 0;
  const uint8_t *s;
  size_t slen;
  if (!pe_hc_blob(r, &s, &slen)) {
    pe_hc_error(out, PE_HC_INVALID, "%s: expected a statement after the handle", area);
    return false;
  }
  if (slen > PE_RDBMS_MAX_STATEMENT) {
    pe_hc_error(out, PE_HC_LIMIT, "%s: the statement is over %u bytes", area,
                PE_RDBMS_MAX_STATEMENT);
    return false;
  }
  if (memchr(s, 0, slen) || !pe_svc_utf8_valid(s, slen)) {
    pe_hc_error(out, PE_HC_INVALID, "%s: the statement is not UTF-8 text without NUL", area);
    return false;
  }
  pe_rdbms_param *ps = NULL;
  size_t np = 0;
  while (r->left > 0) {
    const uint8_t *p;
    size_t len;
    if (!pe_hc_blob(r, &p, &len)) {
      pe_hc_error(out, PE_HC_INVALID, "%s: malformed parameter blob", area);
      goto fail;
    }
    if (np == PE_RDBMS_MAX_PARAMS) {
      pe_hc_error(out, PE_HC_LIMIT, "%s: more than %u parameters", area, PE_RDBMS_MAX_PARAMS);
      goto fail;
    }
    if (len > PE_RDBMS_MAX_PARAM + 5) {
      pe_hc_error(out, PE_HC_LIMIT, "%s: parameter %zu is over %u bytes", area, np + 1,
                  PE_RDBMS_MAX_PARAM);
      goto fail;
    }
    if ((np & (np - 1)) == 0) { /* 0, 1, 2, 4...: grow */
      pe_rdbms_param *g = realloc(ps, (np ? np * 2 : 1) * sizeof *ps);
      if (!g) {
        pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", area);
        goto fail;
      }
      ps = g;
    }
    pe_rdbms_param *q = &ps[np];
    if (len == 1 && p[0] == 'n') {
      *q = (pe_rdbms_param){'n', 0, p + 1, 0};
    } else if (len >= 1 && p[0] == 'b') {
      *q = (pe_rdbms_param){'b', 0, p + 1, len - 1};
    } else if (len >= 5 && p[0] == 't') {
      uint32_t type = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
                      (uint32_t)p[4] << 24;
      *q = (pe_rdbms_param){'t', type, p + 5, len - 5};
      if (memchr(q->p, 0, q->n) || !pe_svc_utf8_valid(q->p, q->n)) {
        pe_hc_error(out, PE_HC_INVALID, "%s: parameter %zu is not UTF-8 text without NUL", area,
                    np + 1);
        goto fail;
      }
    } else {
      pe_hc_error(out, PE_HC_INVALID,
                  "%s: parameter %zu is malformed (expected 'n', 't' type text or 'b' bytes)", area,
                  np + 1);
      goto fail;
    }
    np++;
  }
  if (r->bad) {
    pe_hc_error(out, PE_HC_INVALID, "%s: malformed payload", area);
    goto fail;
  }
  *sql = malloc(slen + 1);
  if (!*sql) {
    pe_hc_error(out, PE_HC_BACKEND, "%s: out of memory", area);
    goto fail;
  }
  memcpy(*sql, s, slen);
  (*sql)[slen] = 0;
  *params = ps;
  *n = np;
  return true;
fail:
  free(ps);
  return false;
}

bool pe_rdbms_put_value(pe_buf *out, char kind, const void *p, size_t n) {
  if (n >= UINT32_MAX) return false;
  uint8_t head[5] = {(uint8_t)(n + 1), (uint8_t)((n + 1) >> 8), (uint8_t)((n + 1) >> 16),
                     (uint8_t)((n + 1) >> 24), (uint8_t)kind};
  return pe_buf_append(out, head, sizeof head) && (n == 0 || pe_buf_append(out, p, n));
}

pe_rdbms_wait pe_rdbms_poll(pe_svc_request *rq, struct pollfd *p, uint64_t end_ms) {
  for (;;) {
    uint64_t now = pe_svc_now_ms();
    if (now >= end_ms || (rq && pe_rt_should_stop())) return PE_RDBMS_TIMEOUT;
    unsigned left = (unsigned)(end_ms - now);
    if (rq) left = pe_svc_ms_left(rq, left);
    if (left == 0) return PE_RDBMS_TIMEOUT;
    int r = poll(p, 1, (int)left);
    if (r > 0) return PE_RDBMS_READY;
    if (r < 0 && errno != EINTR) return PE_RDBMS_ERROR;
  }
}

bool pe_rdbms_open_arg(const pe_svc_conn_kind *k, void *const *table, pe_hc_reader *r,
                       const char *what, const uint8_t **s, size_t *n, pe_buf *out) {
  if (!pe_hc_blob(r, s, n) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "%s.open: expected one blob, %s", k->area, what);
    return false;
  }
  return pe_svc_conn_room(k, table, out);
}

bool pe_rdbms_begin(bool broken, pe_hc_reader *r, const char *opname, char **sql,
                    pe_rdbms_param **params, size_t *n, pe_buf *out) {
  if (broken) {
    pe_hc_error(out, PE_HC_BACKEND,
                "%s: the connection was dropped after a statement ran out of time or space",
                opname);
    return false;
  }
  return pe_rdbms_read(r, opname, sql, params, n, out);
}

bool pe_rdbms_too_big(const pe_buf *out, uint64_t rows) {
  return out->len > PE_RDBMS_MAX_RESULT || rows > PE_RDBMS_MAX_ROWS;
}

void pe_rdbms_too_big_reply(const char *opname, pe_buf *out) {
  pe_hc_error(out, PE_HC_LIMIT, "%s: the result is larger than %u MiB or %u rows", opname,
              PE_RDBMS_MAX_RESULT >> 20, PE_RDBMS_MAX_ROWS);
}

void pe_rdbms_close(const pe_svc_conn_kind *k, void *table, pe_hc_reader *r, pe_buf *out) {
  uint64_t id;
  if (!pe_hc_u64(r, &id) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "%s.close: expected one blob, the handle", k->area);
    return;
  }
  if (!pe_svc_conn_close(k, table, id)) {
    pe_hc_error(out, PE_HC_INVALID, "%s.close: no open %s connection with handle %llu", k->area,
                k->area, (unsigned long long)id);
    return;
  }
  if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_BACKEND, "%s.close: out of memory", k->area);
}

void pe_rdbms_dispatch(const pe_rdbms_ops *ops, pe_svc_request *rq, const char *op,
                       const uint8_t *in, size_t n, pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  if (!strcmp(op, "open"))
    ops->open(rq, &r, out);
  else if (!strcmp(op, "query"))
    ops->statement(rq, &r, out, true);
  else if (!strcmp(op, "execute"))
    ops->statement(rq, &r, out, false);
  else if (!strcmp(op, "close"))
    ops->close(rq, &r, out);
  else
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named '%s.%.64s'", ops->area, op);
}
