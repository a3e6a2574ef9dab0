/*
 * kv_redis.c -- key-value stores of type "redis" (hiredis). Keys are Redis
 * keys as given, so two pyedge nodes (or pyedge and Spin) pointed at one
 * Redis database share their data.
 *
 * Connections: a stack of idle connections behind a mutex; a call takes one
 * (connecting when none is idle) and puts it back after a clean reply. A
 * connection that failed in any way (refused, reset, timed out, protocol
 * error) is freed instead, so the next call reconnects: a Redis restart
 * costs the calls that were in flight, nothing more.
 *
 * Waiting: connect gives up after 2 s and a command after 5 s; the socket
 * and its deadline-aware loop are services/svc_redis_conn.c's, shared with
 * the redis area (outbound connections the guest opens).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_backend.h"

#define IDLE_MAX 64

typedef struct idle_conn {
  pe_redis_conn *rc;
  struct idle_conn *next;
} idle_conn;

typedef struct {
  pe_kv_backend base;
  pe_redis_url url;
  char where[300]; /* host:port/db, for messages */
  pthread_mutex_t mu;
  idle_conn *idle;
  unsigned nidle;
} kv_redis;

/* ---- connections --------------------------------------------------------- */

/* Waits: 2 s to connect, 5 s for a command; the kv backends are not told
 * the request's deadline, so a command also ends when the runtime asks the
 * thread to stop (svc_redis_conn.c). A reply may be a keys() listing, whose
 * blobs stop at 16 MiB (svc_kv.c): twice that on the wire is plenty. */
static const pe_redis_limits kv_limits = {.connect_ms = 2000,
                                          .command_ms = 5000,
                                          .max_reply = 32u << 20};

static pe_redis_conn *take(kv_redis *b, pe_hc_status *st, char *err, size_t errlen) {
  pthread_mutex_lock(&b->mu);
  idle_conn *ic = b->idle;
  if (ic) {
    b->idle = ic->next;
    b->nidle--;
  }
  pthread_mutex_unlock(&b->mu);
  if (ic) {
    pe_redis_conn *rc = ic->rc;
    free(ic);
    return rc;
  }
  return pe_redis_connect(b->url.host, b->url.port, &b->url, b->where, &kv_limits, st, err, errlen);
}

static void give_back(kv_redis *b, pe_redis_conn *rc) {
  idle_conn *ic = NULL;
  pthread_mutex_lock(&b->mu);
  if (b->nidle < IDLE_MAX && (ic = malloc(sizeof *ic))) {
    ic->rc = rc;
    ic->next = b->idle;
    b->idle = ic;
    b->nidle++;
  }
  pthread_mutex_unlock(&b->mu);
  if (!ic) pe_redis_close(rc);
}

/* One command with a key (and a value); the reply, or NULL with *st
 * (BACKEND, TIMEOUT, LIMIT: svc_redis_conn.h; a Redis error reply is
 * BACKEND) and err. */
static redisReply *run(kv_redis *b, const char *cmd, const uint8_t *key, size_t klen,
                       const uint8_t *val, size_t vlen, int argc, pe_hc_status *st, char *err,
                       size_t errlen) {
  *st = PE_HC_BACKEND;
  pe_redis_conn *rc = take(b, st, err, errlen);
  if (!rc) return NULL;
  const char *argv[3] = {cmd, (const char *)key, (const char *)val};
  size_t lens[3] = {strlen(cmd), klen, vlen};
  redisReply *r = pe_redis_command(rc, argc, argv, lens, &kv_limits, st, err, errlen);
  if (!r) {
    pe_redis_close(rc);
    return NULL;
  }
  give_back(b, rc);
  if (r->type == REDIS_REPLY_ERROR) {
    *st = PE_HC_BACKEND;
    snprintf(err, errlen, "redis %s: %s: %.*s", b->where, cmd, (int)r->len, r->str);
    freeReplyObject(r);
    return NULL;
  }
  return r;
}

static pe_hc_status unexpected(kv_redis *b, redisReply *r, const char *cmd, char *err,
                               size_t errlen) {
  snprintf(err, errlen, "redis %s: unexpected reply type %d to %s", b->where, r->type, cmd);
  freeReplyObject(r);
  return PE_HC_BACKEND;
}

static pe_hc_status kv_get(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           pe_buf *out, bool *found, char *err, size_t errlen) {
  (void)store;
  kv_redis *b = (kv_redis *)bb;
  pe_hc_status fail;
  redisReply *r = run(b, "GET", key, klen, NULL, 0, 2, &fail, err, errlen);
  if (!r) return fail;
  *found = false;
  if (r->type == REDIS_REPLY_NIL) {
    freeReplyObject(r);
    return PE_HC_OK;
  }
  if (r->type != REDIS_REPLY_STRING) return unexpected(b, r, "GET", err, errlen);
  *found = true;
  bool ok = pe_hc_put_blob(out, r->str ? r->str : "", r->len);
  freeReplyObject(r);
  if (!ok) snprintf(err, errlen, "out of memory");
  return ok ? PE_HC_OK : PE_HC_BACKEND;
}

static pe_hc_status kv_set(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           const uint8_t *val, size_t vlen, char *err, size_t errlen) {
  (void)store;
  kv_redis *b = (kv_redis *)bb;
  pe_hc_status fail;
  redisReply *r =
      run(b, "SET", key, klen, vlen ? val : (const uint8_t *)"", vlen, 3, &fail, err, errlen);
  if (!r) return fail;
  freeReplyObject(r);
  return PE_HC_OK;
}

static pe_hc_status kv_del(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           char *err, size_t errlen) {
  (void)store;
  kv_redis *b = (kv_redis *)bb;
  pe_hc_status fail;
  redisReply *r = run(b, "DEL", key, klen, NULL, 0, 2, &fail, err, errlen);
  if (!r) return fail;
  freeReplyObject(r);
  return PE_HC_OK;
}

static pe_hc_status kv_exists(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                              bool *found, char *err, size_t errlen) {
  (void)store;
  kv_redis *b = (kv_redis *)bb;
  pe_hc_status fail;
  redisReply *r = run(b, "EXISTS", key, klen, NULL, 0, 2, &fail, err, errlen);
  if (!r) return fail;
  if (r->type != REDIS_REPLY_INTEGER) return unexpected(b, r, "EXISTS", err, errlen);
  *found = r->integer > 0;
  freeReplyObject(r);
  return PE_HC_OK;
}

static pe_hc_status kv_keys(pe_kv_backend *bb, const char *store, pe_buf *out, size_t max_bytes,
                            char *err, size_t errlen) {
  kv_redis *b = (kv_redis *)bb;
  pe_hc_status fail;
  redisReply *r = run(b, "KEYS", (const uint8_t *)"*", 1, NULL, 0, 2, &fail, err, errlen);
  if (!r) return fail;
  if (r->type != REDIS_REPLY_ARRAY) return unexpected(b, r, "KEYS", err, errlen);
  pe_hc_status st = PE_HC_OK;
  for (size_t i = 0; i < r->elements && st == PE_HC_OK; i++) {
    redisReply *k = r->element[i];
    if (!k || k->type != REDIS_REPLY_STRING) {
      snprintf(err, errlen, "redis %s: KEYS returned a non-string", b->where);
      st = PE_HC_BACKEND;
    } else {
      st = pe_kv_put_key(out, store, k->str, k->len, max_bytes, err, errlen);
    }
  }
  freeReplyObject(r);
  return st;
}

static void kv_free(pe_kv_backend *bb) {
  kv_redis *b = (kv_redis *)bb;
  if (!b) return;
  while (b->idle) {
    idle_conn *ic = b->idle;
    b->idle = ic->next;
    pe_redis_close(ic->rc);
    free(ic);
  }
  pthread_mutex_destroy(&b->mu);
  pe_redis_url_free(&b->url);
  free(b);
}

static const pe_kv_ops redis_ops = {
    .type = "redis",
    .get = kv_get,
    .set = kv_set,
    .del = kv_del,
    .exists = kv_exists,
    .keys = kv_keys,
    .free = kv_free,
};

pe_kv_backend *pe_kv_redis_open(const char *url, char *err, size_t errlen) {
  kv_redis *b = pe_kv_backend_alloc(sizeof *b, &redis_ops, err, errlen);
  if (!b) return NULL;
  if (!pe_redis_url_parse(url, &b->url, err, errlen)) {
    free(b);
    return NULL;
  }
  pthread_mutex_init(&b->mu, NULL);
  snprintf(b->where, sizeof b->where, "%s:%d/%ld", b->url.host, b->url.port, b->url.db);
  return &b->base;
}
