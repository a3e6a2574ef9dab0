/*
 * kv_backend.h -- what svc_kv.c needs from a key-value backend, so that the
 * area (handles, grants, limits, the wire format) is written once and the
 * storage behind a label is a detail of the runtime config:
 *
 *   kv_sqlite.c  type "spin": a SQLite file (or memory) with a table of
 *                (store, key) -> value, as Spin lays it out, so a Spin state
 *                directory works unchanged; WAL, synchronous=FULL
 *   kv_redis.c   type "redis": one Redis database; keys are used as given
 *   kv_backend.c what does not depend on the storage (allocation, the
 *                byte limit on a keys() reply)
 *
 * Contract: every operation runs on a worker thread, concurrently with the
 * others, and returns PE_HC_OK or an error status with a message (never
 * crashes on a backend failure: a lost Redis is PE_HC_BACKEND, a silent one
 * PE_HC_TIMEOUT). Keys and values arrive already checked against the
 * limits (svc_kv.c); `store` is the label, used by backends that keep
 * several stores in one place.
 */
#ifndef PE_KV_BACKEND_H
#define PE_KV_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostapi/pe_hostcall.h"
#include "services/svc_redis_conn.h"
#include "util/pe_util.h"

typedef struct pe_kv_backend pe_kv_backend;

typedef struct pe_kv_ops {
  const char *type; /* "spin" or "redis" */
  /* Appends the value as one blob to out when the key exists. */
  pe_hc_status (*get)(pe_kv_backend *b, const char *store, const uint8_t *key, size_t klen,
                      pe_buf *out, bool *found, char *err, size_t errlen);
  pe_hc_status (*set)(pe_kv_backend *b, const char *store, const uint8_t *key, size_t klen,
                      const uint8_t *val, size_t vlen, char *err, size_t errlen);
  pe_hc_status (*del)(pe_kv_backend *b, const char *store, const uint8_t *key, size_t klen,
                      char *err, size_t errlen);
  pe_hc_status (*exists)(pe_kv_backend *b, const char *store, const uint8_t *key, size_t klen,
                         bool *found, char *err, size_t errlen);
  /* Appends every key as a blob to out; PE_HC_LIMIT once out would pass
   * max_bytes. */
  pe_hc_status (*keys)(pe_kv_backend *b, const char *store, pe_buf *out, size_t max_bytes,
                       char *err, size_t errlen);
  void (*free)(pe_kv_backend *b);
} pe_kv_ops;

/* Backends start with this. */
struct pe_kv_backend {
  const pe_kv_ops *ops;
};

/* What the backends share (kv_backend.c). */

/* A zeroed backend of `size` bytes (its struct, which starts with a
 * pe_kv_backend) wired to ops; NULL with a message when out of memory. */
void *pe_kv_backend_alloc(size_t size, const pe_kv_ops *ops, char *err, size_t errlen);
/* One key of a keys() reply: appends it, or says why not (PE_HC_LIMIT once
 * the reply would pass max_bytes, PE_HC_BACKEND when out of memory). */
pe_hc_status pe_kv_put_key(pe_buf *out, const char *store, const void *key, size_t len,
                           size_t max_bytes, char *err, size_t errlen);

/* path NULL: a private in-memory database. */
pe_kv_backend *pe_kv_sqlite_open(const char *path, char *err, size_t errlen);
/* Connects lazily: a Redis that is down at start-up is an error per call,
 * not a refusal to serve. Fails only on a malformed url
 * (pe_redis_url_parse, services/svc_redis_conn.h). */
pe_kv_backend *pe_kv_redis_open(const char *url, char *err, size_t errlen);

#endif /* PE_KV_BACKEND_H */
