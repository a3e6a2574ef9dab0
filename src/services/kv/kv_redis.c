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
 * Waiting: connect gives up after 2 s and each read or write after 5 s
 * (socket timeouts). The reply loop is ours rather than redisGetReply's so
 * that it also stops when the request's deadline passes: after the deadline
 * the runtime interrupts the thread every millisecond, which hiredis would
 * otherwise retry forever.
 */
#include <ctype.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "kv_backend.h"
#include "runtime/pe_rt.h"

#define IDLE_MAX 64

typedef struct idle_conn {
  redisContext *rc;
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

/* ---- the url ------------------------------------------------------------- */

void pe_redis_url_free(pe_redis_url *u) {
  free(u->host);
  free(u->user);
  free(u->password);
  memset(u, 0, sizeof *u);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A percent-decoded copy of s[0..n); NULL if malformed or it decodes to NUL. */
static char *decode(const char *s, size_t n) {
  char *out = malloc(n + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      *o++ = s[i];
      continue;
    }
    int a = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
    int h = a < 0 || i + 2 >= n || hexval((unsigned char)s[i + 2]) < 0
                ? -1
                : a * 16 + hexval((unsigned char)s[i + 2]);
    if (h <= 0) {
      free(out);
      return NULL;
    }
    *o++ = (char)h;
    i += 2;
  }
  *o = 0;
  return out;
}

/* url for a message: a password in it is replaced by "***" (NEVER echo a
 * secret: these messages reach the terminal and logs). */
static void shown(const char *url, char *out, size_t outlen) {
  const char *auth = strstr(url, "://");
  auth = auth ? auth + 3 : url;
  size_t alen = strcspn(auth, "/?#");
  const char *at = memrchr(auth, '@', alen);
  const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
  if (!colon) {
    snprintf(out, outlen, "%s", url);
    return;
  }
  snprintf(out, outlen, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

bool pe_redis_url_parse(const char *url, pe_redis_url *u, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  u->port = 6379;
  static const char scheme[] = "redis://";
  char safe[512];
  shown(url ? url : "", safe, sizeof safe);
  url = url ? url : "";
  if (strncmp(url, scheme, sizeof scheme - 1) != 0) {
    snprintf(err, errlen, "'%s' does not start with redis:// (TLS, rediss://, is not supported)",
             safe);
    return false;
  }
  const char *p = url + sizeof scheme - 1;
  if (strpbrk(p, "?#")) {
    snprintf(err, errlen, "query and fragment are not supported in '%s'", safe);
    return false;
  }
  const char *path = strchr(p, '/');
  const char *end = path ? path : p + strlen(p);
  const char *at = memrchr(p, '@', (size_t)(end - p));
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *uend = colon ? colon : at;
    if (uend > p && !(u->user = decode(p, (size_t)(uend - p)))) goto bad_userinfo;
    if (colon && !(u->password = decode(colon + 1, (size_t)(at - colon - 1)))) goto bad_userinfo;
    p = at + 1;
  }
  const char *host_end;
  if (*p == '[') {
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close || close == p + 1) {
      snprintf(err, errlen, "bad IPv6 address in '%s'", safe);
      goto fail;
    }
    u->host = strndup(p + 1, (size_t)(close - p - 1));
    host_end = close + 1;
  } else {
    host_end = memchr(p, ':', (size_t)(end - p));
    if (!host_end) host_end = end;
    u->host = strndup(p, (size_t)(host_end - p));
  }
  if (!u->host) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  if (!u->host[0]) {
    snprintf(err, errlen, "no host in '%s'", safe);
    goto fail;
  }
  if (host_end < end) {
    if (*host_end != ':' || host_end + 1 == end) {
      snprintf(err, errlen, "bad port in '%s'", safe);
      goto fail;
    }
    long port = 0;
    for (const char *q = host_end + 1; q < end; q++) {
      if (!isdigit((unsigned char)*q) || (port = port * 10 + (*q - '0')) > 65535) {
        snprintf(err, errlen, "bad port in '%s'", safe);
        goto fail;
      }
    }
    if (port == 0) {
      snprintf(err, errlen, "bad port in '%s'", safe);
      goto fail;
    }
    u->port = (int)port;
  }
  if (path && path[1]) {
    long db = 0;
    for (const char *q = path + 1; *q; q++) {
      if (!isdigit((unsigned char)*q) || (db = db * 10 + (*q - '0')) > 1000000) {
        snprintf(err, errlen, "the path of '%s' must be a database number", safe);
        goto fail;
      }
    }
    u->db = db;
  }
  return true;
bad_userinfo:
  snprintf(err, errlen, "bad user or password encoding in the url");
fail:
  pe_redis_url_free(u);
  return false;
}

/* ---- connections --------------------------------------------------------- */

static void set_err(kv_redis *b, redisContext *rc, const char *what, char *err, size_t errlen) {
  snprintf(err, errlen, "redis %s: %s%s%s", b->where, what, rc && rc->err ? ": " : "",
           rc && rc->err ? rc->errstr : "");
}

/* Sends argv and reads one reply; NULL (message in err) on any failure,
 * after which the connection must not be reused. */
static redisReply *command(kv_redis *b, redisContext *rc, int argc, const char **argv,
                           const size_t *lens, char *err, size_t errlen) {
  if (redisAppendCommandArgv(rc, argc, argv, lens) != REDIS_OK) {
    set_err(b, rc, "cannot send a command", err, errlen);
    return NULL;
  }
  int done = 0;
  while (!done) {
    if (pe_rt_should_stop()) {
      set_err(b, NULL, "the request's deadline passed", err, errlen);
      return NULL;
    }
    if (redisBufferWrite(rc, &done) != REDIS_OK) {
      set_err(b, rc, "write failed", err, errlen);
      return NULL;
    }
  }
  for (;;) {
    void *reply = NULL;
    if (redisGetReplyFromReader(rc, &reply) != REDIS_OK) {
      set_err(b, rc, "bad reply", err, errlen);
      return NULL;
    }
    if (reply) return reply;
    if (pe_rt_should_stop()) {
      set_err(b, NULL, "the request's deadline passed", err, errlen);
      return NULL;
    }
    if (redisBufferRead(rc) != REDIS_OK) {
      set_err(b, rc, "read failed", err, errlen);
      return NULL;
    }
  }
}

/* For commands whose reply only needs to be a status. */
static bool setup_command(kv_redis *b, redisContext *rc, int argc, const char **argv, char *err,
                          size_t errlen) {
  size_t lens[3];
  for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
  redisReply *r = command(b, rc, argc, argv, lens, err, errlen);
  if (!r) return false;
  bool ok = r->type != REDIS_REPLY_ERROR;
  if (!ok) snprintf(err, errlen, "redis %s: %s: %.*s", b->where, argv[0], (int)r->len, r->str);
  freeReplyObject(r);
  return ok;
}

static redisContext *take(kv_redis *b, char *err, size_t errlen) {
  pthread_mutex_lock(&b->mu);
  idle_conn *ic = b->idle;
  if (ic) {
    b->idle = ic->next;
    b->nidle--;
  }
  pthread_mutex_unlock(&b->mu);
  if (ic) {
    redisContext *rc = ic->rc;
    free(ic);
    return rc;
  }
  struct timeval connect_tv = {2, 0}, io_tv = {5, 0};
  redisContext *rc = redisConnectWithTimeout(b->url.host, b->url.port, connect_tv);
  if (!rc || rc->err) {
    set_err(b, rc, "cannot connect", err, errlen);
    if (rc) redisFree(rc);
    return NULL;
  }
  if (redisSetTimeout(rc, io_tv) != REDIS_OK) {
    set_err(b, rc, "cannot set a timeout", err, errlen);
    redisFree(rc);
    return NULL;
  }
  bool ok = true;
  if (b->url.password) {
    const char *auth[3] = {"AUTH", b->url.user ? b->url.user : b->url.password, b->url.password};
    ok = setup_command(b, rc, b->url.user ? 3 : 2, auth, err, errlen);
  }
  if (ok && b->url.db) {
    char db[24];
    snprintf(db, sizeof db, "%ld", b->url.db);
    const char *sel[2] = {"SELECT", db};
    ok = setup_command(b, rc, 2, sel, err, errlen);
  }
  if (!ok) {
    redisFree(rc);
    return NULL;
  }
  return rc;
}

static void give_back(kv_redis *b, redisContext *rc) {
  idle_conn *ic = NULL;
  pthread_mutex_lock(&b->mu);
  if (b->nidle < IDLE_MAX && (ic = malloc(sizeof *ic))) {
    ic->rc = rc;
    ic->next = b->idle;
    b->idle = ic;
    b->nidle++;
  }
  pthread_mutex_unlock(&b->mu);
  if (!ic) redisFree(rc);
}

/* One command with a key (and a value); the reply, or NULL with err. */
static redisReply *run(kv_redis *b, const char *cmd, const uint8_t *key, size_t klen,
                       const uint8_t *val, size_t vlen, int argc, char *err, size_t errlen) {
  redisContext *rc = take(b, err, errlen);
  if (!rc) return NULL;
  const char *argv[3] = {cmd, (const char *)key, (const char *)val};
  size_t lens[3] = {strlen(cmd), klen, vlen};
  redisReply *r = command(b, rc, argc, argv, lens, err, errlen);
  if (!r) {
    redisFree(rc);
    return NULL;
  }
  give_back(b, rc);
  if (r->type == REDIS_REPLY_ERROR) {
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
  redisReply *r = run(b, "GET", key, klen, NULL, 0, 2, err, errlen);
  if (!r) return PE_HC_BACKEND;
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
  redisReply *r = run(b, "SET", key, klen, vlen ? val : (const uint8_t *)"", vlen, 3, err, errlen);
  if (!r) return PE_HC_BACKEND;
  freeReplyObject(r);
  return PE_HC_OK;
}

static pe_hc_status kv_del(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                           char *err, size_t errlen) {
  (void)store;
  kv_redis *b = (kv_redis *)bb;
  redisReply *r = run(b, "DEL", key, klen, NULL, 0, 2, err, errlen);
  if (!r) return PE_HC_BACKEND;
  freeReplyObject(r);
  return PE_HC_OK;
}

static pe_hc_status kv_exists(pe_kv_backend *bb, const char *store, const uint8_t *key, size_t klen,
                              bool *found, char *err, size_t errlen) {
  (void)store;
  kv_redis *b = (kv_redis *)bb;
  redisReply *r = run(b, "EXISTS", key, klen, NULL, 0, 2, err, errlen);
  if (!r) return PE_HC_BACKEND;
  if (r->type != REDIS_REPLY_INTEGER) return unexpected(b, r, "EXISTS", err, errlen);
  *found = r->integer > 0;
  freeReplyObject(r);
  return PE_HC_OK;
}

static pe_hc_status kv_keys(pe_kv_backend *bb, const char *store, pe_buf *out, size_t max_bytes,
                            char *err, size_t errlen) {
  kv_redis *b = (kv_redis *)bb;
  redisReply *r = run(b, "KEYS", (const uint8_t *)"*", 1, NULL, 0, 2, err, errlen);
  if (!r) return PE_HC_BACKEND;
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
    redisFree(ic->rc);
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
