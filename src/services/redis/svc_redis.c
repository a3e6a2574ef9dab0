/*
 * svc_redis.c -- the "redis" area (svc_redis.h): addresses checked against
 * allowed_outbound_hosts, one connection per redis.open kept in the
 * request's table (services/svc_conns.h), commands built from the guest's
 * blobs and replies flattened into typed blobs. The socket and its waits
 * are services/svc_redis_conn.c's, shared with the kv area's Redis stores.
 *
 * A connection on which a command failed (reset, timed out, a reply over
 * the limit) is dropped and the handle stays valid: the next command
 * connects again to the address checked at open, so a Redis restart costs
 * only the calls in flight. Server state set through execute (SELECT,
 * CLIENT SETNAME...) does not survive that reconnect; the url's AUTH and
 * database do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svc_redis.h"
#include "services/http/svc_http.h"
#include "services/svc_conns.h"
#include "services/svc_redis_conn.h"
#include "services/svc_utf8.h"

typedef struct rconn {
  pe_redis_conn *c;           /* NULL after a failure: the next command reconnects */
  pe_redis_url url;           /* AUTH and SELECT; host and port as the guest wrote them */
  char addr[PE_OB_ADDR_TEXT]; /* what the outbound check allowed */
  char where[PE_OB_ADDR_TEXT + 32];
} rconn;

static void rconn_free(void *p) {
  rconn *rc = p;
  if (!rc) return;
  pe_redis_close(rc->c);
  pe_redis_url_free(&rc->url);
  free(rc);
}

static _Atomic uint64_t last_id;

static const pe_svc_conn_kind kind = {.area = "redis",
                                      .max_open = PE_REDIS_MAX_OPEN,
                                      .close = rconn_free,
                                      .last_id = &last_id};

bool pe_svc_redis_open(pe_services *s, char *err, size_t errlen) { return true; }

void pe_svc_redis_close(pe_services *s) {}

void pe_svc_redis_request_end(pe_svc_request *rq) { pe_svc_conns_end(&kind, &rq->redis); }

static pe_redis_limits limits_of(const pe_svc_request *rq) {
  return (pe_redis_limits){.connect_ms = PE_REDIS_CONNECT_MS,
                           .command_ms = PE_REDIS_COMMAND_MS,
                           .max_reply = PE_REDIS_MAX_REPLY,
                           .deadline_ns = rq->deadline_ns};
}

static bool connect_rc(pe_svc_request *rq, rconn *rc, pe_buf *out) {
  pe_redis_limits lim = limits_of(rq);
  pe_hc_status st = PE_HC_BACKEND;
  char err[600];
  rc->c = pe_redis_connect(rc->addr, rc->url.port, &rc->url, rc->where, &lim, &st, err, sizeof err);
  if (!rc->c) pe_hc_error(out, st, "%s", err);
  return rc->c != NULL;
}

static void op_open(pe_svc_request *rq, pe_hc_reader *r, pe_buf *out) {
  const uint8_t *a;
  size_t alen;
  if (!pe_hc_blob(r, &a, &alen) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "redis.open takes one blob, the address");
    return;
  }
  if (alen > PE_REDIS_MAX_ADDRESS || memchr(a, 0, alen) || !pe_svc_utf8_valid(a, alen)) {
    pe_hc_error(out, PE_HC_INVALID,
                "redis.open: the address must be UTF-8 without NUL, at most %u bytes",
                PE_REDIS_MAX_ADDRESS);
    return;
  }
  char *text = strndup((const char *)a, alen);
  rconn *rc = calloc(1, sizeof *rc);
  char why[600];
  if (!text || !rc) {
    free(text);
    free(rc);
    pe_hc_error(out, PE_HC_BACKEND, "redis: out of memory");
    return;
  }
  bool parsed = pe_redis_url_parse(text, &rc->url, why, sizeof why);
  free(text);
  if (!parsed) {
    free(rc);
    pe_hc_error(out, PE_HC_INVALID, "redis.open: invalid address: %s", why);
    return;
  }
  if (!pe_svc_conn_room(&kind, &rq->redis, out)) {
    rconn_free(rc);
    return;
  }
  char host[PE_REDIS_MAX_ADDRESS + 3]; /* the whole host, bracketed: never cut short */
  snprintf(host, sizeof host, strchr(rc->url.host, ':') ? "[%s]" : "%s", rc->url.host);
  if (!pe_svc_outbound_check(rq, "redis", host, (uint16_t)rc->url.port, rc->addr, out)) {
    rconn_free(rc);
    return;
  }
  snprintf(rc->where, sizeof rc->where, strchr(rc->addr, ':') ? "[%s]:%d/%ld" : "%s:%d/%ld",
           rc->addr, rc->url.port, rc->url.db);
  if (!connect_rc(rq, rc, out)) {
    rconn_free(rc);
    return;
  }
  pe_svc_conn_add(&kind, &rq->redis, rc, out);
}

/* ---- one command ----------------------------------------------------------- */

typedef struct op_shape {
  const char *op, *command;
  unsigned min_args, max_args; /* blobs after the handle (execute: after the command) */
  bool last_binary;            /* the last blob is bytes (set's value, publish's payload) */
} op_shape;

static const op_shape shapes[] = {
    {"get", "GET", 1, 1, false},
    {"set", "SET", 2, 2, true},
    {"incr", "INCR", 1, 1, false},
    {"del", "DEL", 1, PE_REDIS_MAX_ARGS, false},
    {"sadd", "SADD", 2, PE_REDIS_MAX_ARGS, false},
    {"smembers", "SMEMBERS", 1, 1, false},
    {"srem", "SREM", 2, PE_REDIS_MAX_ARGS, false},
    {"publish", "PUBLISH", 2, 2, true},
    {"execute", NULL, 0, PE_REDIS_MAX_ARGS, false},
};

/* Commands after which the server no longer answers one reply per command
 * (pushed messages, a replication stream): the stream would be out of step. */
static const char *const refused[] = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
                                      "MONITOR",   "SYNC",       "PSYNC"};

typedef struct args {
  unsigned n;
  const char **v;
  size_t *len;
  char (*ints)[24]; /* execute's integer params, as decimal text */
} args;

static void args_free(args *a) {
  free(a->v);
  free(a->len);
  free(a->ints);
}

static void take_arg(args *a, const void *p, size_t n) {
  a->v[a->n] = p;
  a->len[a->n++] = n;
}

/* Reads the blobs after the handle into a (argv[0] the command); false
 * with the reply written. */
static bool read_args(const op_shape *s, pe_hc_reader *r, args *a, pe_buf *out) {
  pe_hc_reader count = *r;
  unsigned nblobs = 0;
  size_t total = 0;
  const uint8_t *p;
  size_t n;
  while (count.left > 0 && nblobs <= PE_REDIS_MAX_ARGS + 1 && pe_hc_blob(&count, &p, &n)) {
    nblobs++;
    total += n;
  }
  if (count.bad) {
    pe_hc_error(out, PE_HC_INVALID, "redis.%s: malformed payload (a truncated blob)", s->op);
    return false;
  }
  unsigned given = s->command ? nblobs : nblobs - (nblobs > 0);
  if (nblobs > PE_REDIS_MAX_ARGS + 1 || given > PE_REDIS_MAX_ARGS || total > PE_REDIS_MAX_SEND) {
    pe_hc_error(out, PE_HC_LIMIT, "redis.%s: a command takes at most %u arguments of %u MiB in all",
                s->op, PE_REDIS_MAX_ARGS, PE_REDIS_MAX_SEND >> 20);
    return false;
  }
  if (nblobs == 0 || given < s->min_args || given > s->max_args) {
    pe_hc_error(out, PE_HC_INVALID, "redis.%s: wrong number of blobs after the handle (%u)", s->op,
                nblobs);
    return false;
  }
  unsigned argc = given + 1;
  a->v = calloc(argc, sizeof *a->v);
  a->len = calloc(argc, sizeof *a->len);
  a->ints = s->command ? NULL : calloc(argc, sizeof *a->ints);
  if (!a->v || !a->len || (!s->command && !a->ints)) {
    pe_hc_error(out, PE_HC_BACKEND, "redis: out of memory");
    return false;
  }
  if (s->command) take_arg(a, s->command, strlen(s->command));
  for (unsigned i = 0; i < nblobs; i++) {
    if (NEVER(!pe_hc_blob(r, &p, &n))) { /* every blob was counted above */
      pe_hc_error(out, PE_HC_INVALID, "redis.%s: malformed payload", s->op);
      return false;
    }
    bool text = s->command ? !(s->last_binary && i == nblobs - 1) : i == 0;
    if (!s->command && i == 0 && n == 0) {
      pe_hc_error(out, PE_HC_INVALID, "redis.execute: the command is empty");
      return false;
    }
    if (text && !pe_svc_utf8_valid(p, n)) {
      pe_hc_error(out, PE_HC_INVALID, "redis.%s: blob %u is not valid UTF-8", s->op, i + 2);
      return false;
    }
    if (s->command || i == 0) {
      take_arg(a, p, n);
      continue;
    }
    /* execute's params: 'i' + 8 bytes, or 'b' + bytes */
    if (n == 9 && p[0] == 'i') {
      uint64_t u = 0;
      for (int k = 8; k >= 1; k--) u = u << 8 | p[k];
      int len = snprintf(a->ints[i], sizeof a->ints[i], "%lld", (long long)(int64_t)u);
      take_arg(a, a->ints[i], (size_t)len);
    } else if (n >= 1 && p[0] == 'b') {
      take_arg(a, p + 1, n - 1);
    } else {
      pe_hc_error(out, PE_HC_INVALID,
                  "redis.execute: parameter %u is neither 'i' + 8 bytes nor 'b' + bytes", i);
      return false;
    }
  }
  if (!s->command)
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++)
      if (a->len[0] == strlen(refused[k]) && !strncasecmp(a->v[0], refused[k], a->len[0])) {
        pe_hc_error(out, PE_HC_INVALID,
                    "redis.execute: %s is not supported: the connection would no longer answer "
                    "one reply per command",
                    refused[k]);
        return false;
      }
  return true;
}

/* ---- the reply ------------------------------------------------------------- */

/* Bytes of results one call may return (the encoding of ":1\r\n" is longer
 * than the wire's, so this is above PE_REDIS_MAX_REPLY). */
#define MAX_RESULTS (32u << 20)

static bool put_typed(pe_buf *out, char type, const void *p, size_t n) {
  uint8_t head[5] = {(uint8_t)(n + 1), (uint8_t)((n + 1) >> 8), (uint8_t)((n + 1) >> 16),
                     (uint8_t)((n + 1) >> 24), (uint8_t)type};
  return pe_buf_append(out, head, 5) && pe_buf_append(out, p, n);
}

/* Appends r's values in order, arrays flattened as Spin flattens them;
 * otherwise the status to answer, with why. */
static pe_hc_status flatten(const redisReply *r, pe_buf *out, char *why, size_t whylen,
                            unsigned depth) {
  if (out->len > MAX_RESULTS) {
    snprintf(why, whylen, "redis: the results are larger than %u MiB", MAX_RESULTS >> 20);
    return PE_HC_LIMIT;
  }
  bool ok = true;
  uint8_t v[8];
  for (int i = 0; i < 8; i++) v[i] = (uint8_t)((uint64_t)r->integer >> (8 * i));
  switch (r->type) {
    case REDIS_REPLY_NIL: ok = put_typed(out, 'n', "", 0); break;
    case REDIS_REPLY_INTEGER: ok = put_typed(out, 'i', v, 8); break;
    case REDIS_REPLY_STRING: ok = put_typed(out, 'b', r->str, r->len); break;
    case REDIS_REPLY_STATUS: ok = put_typed(out, 's', r->str, r->len); break;
    case REDIS_REPLY_ARRAY:
      if (depth > 16) { /* hiredis 0.14 stops at 9 levels; a newer one might not */
        snprintf(why, whylen, "redis: the reply nests arrays too deeply");
        return PE_HC_BACKEND;
      }
      for (size_t i = 0; i < r->elements; i++) {
        pe_hc_status st = flatten(r->element[i], out, why, whylen, depth + 1);
        if (st != PE_HC_OK) return st;
      }
      break;
    default: /* an error inside an array (EXEC's) */
      snprintf(why, whylen, "%.*s", (int)(r->len > 500 ? 500 : r->len), r->str ? r->str : "");
      return PE_HC_BACKEND;
  }
  if (!ok) snprintf(why, whylen, "redis: out of memory");
  return ok ? PE_HC_OK : PE_HC_BACKEND;
}

static void run(pe_svc_request *rq, rconn *rc, const args *a, pe_buf *out) {
  if (!rc->c && !connect_rc(rq, rc, out)) return;
  pe_redis_limits lim = limits_of(rq);
  pe_hc_status st = PE_HC_BACKEND;
  char err[700];
  redisReply *r = pe_redis_command(rc->c, (int)a->n, a->v, a->len, &lim, &st, err, sizeof err);
  if (!r) {
    pe_redis_close(rc->c);
    rc->c = NULL;
    pe_hc_error(out, st, "%s", err);
    return;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    pe_hc_error(out, PE_HC_BACKEND, "%.*s", (int)(r->len > 900 ? 900 : r->len), r->str);
  } else if (!pe_hc_ok(out)) {
    pe_hc_error(out, PE_HC_BACKEND, "redis: out of memory");
  } else if ((st = flatten(r, out, err, sizeof err, 0)) != PE_HC_OK) {
    pe_hc_error(out, st, "%s", err);
  }
  freeReplyObject(r);
}

void pe_svc_redis_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                       pe_buf *out) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  if (!strcmp(op, "open")) {
    op_open(rq, &r, out);
    return;
  }
  const op_shape *s = NULL;
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (!strcmp(op, shapes[i].op)) s = &shapes[i];
  if (!s && strcmp(op, "close") != 0) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'redis.%s'", op);
    return;
  }
  pe_hc_reader at = r;
  uint64_t id = 0;
  rconn *rc = pe_svc_conn_find(&kind, rq->redis, &r, out);
  if (!rc) return;
  if (!s) { /* close */
    if (!pe_hc_done(&r) || !pe_hc_u64(&at, &id)) {
      pe_hc_error(out, PE_HC_INVALID, "redis.close takes one blob, the handle");
      return;
    }
    (void)pe_svc_conn_close(&kind, rq->redis, id); /* found just above */
    if (!pe_hc_ok(out)) pe_hc_error(out, PE_HC_BACKEND, "redis: out of memory");
    return;
  }
  args a = {0};
  if (read_args(s, &r, &a, out)) run(rq, rc, &a, out);
  args_free(&a);
}
