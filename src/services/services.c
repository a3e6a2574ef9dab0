/*
 * services.c -- the app-wide service set and the dispatcher that routes a
 * guest's "<area>.<op>" call to its area (see pe_services.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services_int.h"
#include "services/crypto/svc_crypto.h"
#include "services/http/svc_http.h"
#include "services/kv/svc_kv.h"
#include "services/redis/svc_redis.h"
#include "services/llm/svc_llm.h"
#include "services/mqtt/svc_mqtt.h"
#include "services/response/svc_response.h"
#include "services/mysql/svc_mysql.h"
#include "services/postgres/svc_postgres.h"
#include "services/sqlite/svc_sqlite.h"
#include "svc_vars.h"

/* The areas, in the order they are opened (closed in reverse): vars first,
 * because http's allowed_outbound_hosts may use {{ variables }}. A new area
 * is one row here (CONTRIBUTING.md). */
static const pe_svc_area areas[] = {
    {"vars", pe_svc_vars_open, pe_svc_vars_close, pe_svc_vars_call, NULL},
    {"http", pe_svc_http_open, pe_svc_http_close, pe_svc_http_call, NULL},
    {"crypto", pe_svc_crypto_open, pe_svc_crypto_close, pe_svc_crypto_call, NULL},
    {"kv", pe_svc_kv_open, pe_svc_kv_close, pe_svc_kv_call, pe_svc_kv_request_end},
    {"sqlite", pe_svc_sqlite_open, pe_svc_sqlite_close, pe_svc_sqlite_call,
     pe_svc_sqlite_request_end},
    {"redis", pe_svc_redis_open, pe_svc_redis_close, pe_svc_redis_call, pe_svc_redis_request_end},
    {"llm", pe_svc_llm_open, pe_svc_llm_close, pe_svc_llm_call, NULL},
    {"mqtt", pe_svc_mqtt_open, pe_svc_mqtt_close, pe_svc_mqtt_call, pe_svc_mqtt_request_end},
    {"response", pe_svc_response_open, pe_svc_response_close, pe_svc_response_call, NULL},
    {"postgres", pe_svc_postgres_open, pe_svc_postgres_close, pe_svc_postgres_call,
     pe_svc_postgres_request_end},
    {"mysql", pe_svc_mysql_open, pe_svc_mysql_close, pe_svc_mysql_call, pe_svc_mysql_request_end},
};
#define N_AREAS (sizeof areas / sizeof areas[0])

static void dispatch(void *ctx, const char *svc, size_t svc_len, const uint8_t *in, size_t in_len,
                     pe_buf *out) {
  pe_svc_request *rq = ctx;
  const char *dot = memchr(svc, '.', svc_len);
  char op[128];
  if (dot && (size_t)(svc + svc_len - dot - 1) < sizeof op) {
    size_t area_len = (size_t)(dot - svc), op_len = (size_t)(svc + svc_len - dot - 1);
    memcpy(op, dot + 1, op_len);
    op[op_len] = 0;
    for (size_t i = 0; i < N_AREAS; i++)
      if (strlen(areas[i].name) == area_len && memcmp(areas[i].name, svc, area_len) == 0) {
        areas[i].call(rq, op, in, in_len, out);
        return;
      }
  }
  pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named '%.*s'",
              (int)(svc_len > 100 ? 100 : svc_len), svc);
}

void pe_svc_request_init(pe_svc_request *r, pe_services *s, const pe_manifest_component *c) {
  memset(r, 0, sizeof *r);
  r->hs.call = dispatch;
  r->hs.ctx = r;
  r->app = s;
  r->component = c;
  if (s && s->o.request_timeout_ns) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r->deadline_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
                     s->o.request_timeout_ns;
  }
}

void pe_svc_request_finish(pe_svc_request *r) {
  for (size_t i = 0; i < N_AREAS; i++)
    if (areas[i].request_end) areas[i].request_end(r);
}

void pe_services_set_chain(pe_services *s, pe_chain_fn fn, void *ctx) {
  s->chain = fn;
  s->chain_ctx = ctx;
}

pe_services *pe_services_new(const pe_manifest *m, const char *app_dir,
                             const pe_services_options *o, char *err, size_t errlen) {
  pe_services *s = calloc(1, sizeof *s);
  if (!s || !(s->app_dir = strdup(app_dir))) {
    free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->m = m;
  if (o) s->o = *o;
  for (size_t i = 0; i < N_AREAS; i++)
    if (!areas[i].open(s, err, errlen)) {
      pe_services_free(s); /* every area's close takes one never opened */
      return NULL;
    }
  return s;
}

void pe_services_free(pe_services *s) {
  if (!s) return;
  for (size_t i = N_AREAS; i-- > 0;) areas[i].close(s);
  free(s->app_dir);
  free(s);
}
