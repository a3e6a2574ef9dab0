/*
 * serve_redis.c -- Spin's Redis trigger: messages published on a channel
 * run a component's handle_message.
 *
 * One subscriber thread per distinct address holds one hiredis connection
 * that SUBSCRIBEs to every channel of that address, and only reads: each
 * message is encoded ("PEM1", docs/abi.md) and put on its channel's queue.
 * A pool of worker threads runs the messages, each in a fresh sandbox of
 * the component (serve_app.c's callback, which is the HTTP path's
 * run_sandbox: same limits, services, logs). So a slow handler never
 * stops the subscriber from reading, and other channels go on.
 *
 * Order: a channel has at most one message running at a time, so each
 * channel's messages are handled in the order Redis delivered them (Spin's
 * subscriber, too, awaits each message before the next). Components sharing
 * a channel get each message one after the other.
 *
 * Bounds: a channel queues at most SR_QUEUE_MAX messages and SR_QUEUE_BYTES
 * bytes waiting; a message arriving past that is dropped (the newest, so
 * what is queued keeps its order), counted, and the count logged at most
 * once a second per channel. A message is at most SR_MESSAGE_MAX bytes
 * (Redis's own proto-max-bulk-len is 512 MiB); a bigger one is dropped.
 *
 * Outages: when the connection fails or breaks, the subscriber logs once,
 * then tries again with a backoff (0.1 s doubling to 5 s) without logging,
 * and logs once more when it is back and subscribed. Messages published
 * while it is away are lost: pub/sub keeps nothing for absent subscribers.
 *
 * Threads here block the process signals (SIGINT, SIGTERM, SIGPIPE...) as
 * the HTTP workers do, so they reach the thread that waits for them.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pe_serve.h"
#include "serve_int.h"
#include "services/kv/kv_backend.h"

#define SR_QUEUE_MAX 1024u
#define SR_QUEUE_BYTES (64u << 20)
#define SR_MESSAGE_MAX (16u << 20)
#define SR_BACKOFF_MIN_MS 100
#define SR_BACKOFF_MAX_MS 5000
#define SR_POLL_MS 100
#define SR_STACK (8u << 20)

typedef struct sr_msg {
  struct sr_msg *next;
  size_t len;
  uint8_t data[]; /* the encoded message */
} sr_msg;

typedef struct sr_server sr_server;

typedef struct sr_channel {
  char *name;
  size_t *comps; /* component indexes, in manifest order */
  size_t ncomps;
  sr_server *server;
  /* guarded by the trigger's lock */
  sr_msg *head, *tail;
  size_t queued, queued_bytes;
  bool busy;                 /* a worker runs one of its messages */
  struct sr_channel *next;   /* in the ready list: queued > 0 && !busy */
  uint64_t dropped;          /* not yet logged */
  uint64_t last_drop_log_ms; /* subscriber thread only */
} sr_channel;

struct sr_server {
  serve_redis *r;
  pe_redis_url url;
  char shown[300]; /* host:port, as Spin's console shows a server */
  sr_channel **channels;
  size_t nchannels;
  pthread_t thread;
  bool started;
};

struct serve_redis {
  serve_redis_run run;
  void *ctx;
  sr_server *servers;
  size_t nservers;
  sr_channel *channels;
  size_t nchannels;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  sr_channel *ready_head, *ready_tail;
  bool workers_stop; /* guarded by lock */
  atomic_bool stopping;
  pthread_t *workers;
  unsigned nworkers;
};

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- set-up ---------------------------------------------------------------- */

static sr_server *server_for(serve_redis *r, const pe_redis_url *u) {
  for (size_t i = 0; i < r->nservers; i++) {
    const pe_redis_url *o = &r->servers[i].url;
    if (o->port == u->port && !strcmp(o->host, u->host) && !o->user == !u->user &&
        (!o->user || !strcmp(o->user, u->user)) && !o->password == !u->password &&
        (!o->password || !strcmp(o->password, u->password)))
      return &r->servers[i];
  }
  return NULL;
}

serve_redis *serve_redis_new(const serve_redis_sub *subs, size_t n, unsigned workers,
                             serve_redis_run run, void *ctx, char *err, size_t errlen) {
  serve_redis *r = calloc(1, sizeof *r);
  if (!r || !(r->servers = calloc(n ? n : 1, sizeof *r->servers)) ||
      !(r->channels = calloc(n ? n : 1, sizeof *r->channels))) {
    free(r ? r->servers : NULL);
    free(r);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->wake, NULL);
  r->run = run;
  r->ctx = ctx;
  r->nworkers = workers ? workers : 1;
  for (size_t i = 0; i < n; i++) {
    pe_redis_url u;
    char why[600];
    if (!pe_redis_url_parse(subs[i].address, &u, why, sizeof why)) {
      snprintf(err, errlen, "%s: bad address: %s", subs[i].where, why);
      serve_redis_free(r);
      return NULL;
    }
    sr_server *s = server_for(r, &u);
    if (s) {
      pe_redis_url_free(&u);
    } else {
      s = &r->servers[r->nservers++];
      s->r = r;
      s->url = u;
      bool v6 = strchr(u.host, ':') != NULL;
      snprintf(s->shown, sizeof s->shown, "%s%.256s%s:%d", v6 ? "[" : "", u.host, v6 ? "]" : "",
               u.port);
    }
    sr_channel *ch = NULL;
    for (size_t k = 0; k < s->nchannels && !ch; k++)
      if (!strcmp(s->channels[k]->name, subs[i].channel)) ch = s->channels[k];
    if (!ch) {
      ch = &r->channels[r->nchannels++];
      ch->server = s;
      sr_channel **grown = realloc(s->channels, (s->nchannels + 1) * sizeof *grown);
      if (grown) s->channels = grown;
      if (!grown || !(ch->name = strdup(subs[i].channel))) {
        snprintf(err, errlen, "out of memory");
        serve_redis_free(r);
        return NULL;
      }
      s->channels[s->nchannels++] = ch;
    }
    bool have = false;
    for (size_t k = 0; k < ch->ncomps; k++) have |= ch->comps[k] == subs[i].component;
    if (have) continue; /* two triggers, same component and channel: once, as Spin's map */
    size_t *grown = realloc(ch->comps, (ch->ncomps + 1) * sizeof *grown);
    if (!grown) {
      snprintf(err, errlen, "out of memory");
      serve_redis_free(r);
      return NULL;
    }
    ch->comps = grown;
    ch->comps[ch->ncomps++] = subs[i].component;
  }
  return r;
}

void serve_redis_describe(const serve_redis *r, const char *const *component_ids, pe_out *out) {
  for (size_t i = 0; i < r->nservers; i++) {
    const sr_server *s = &r->servers[i];
    pe_out_printf(out, "Active Channels on %s:\n", s->shown);
    for (size_t k = 0; k < s->nchannels; k++) {
      const sr_channel *ch = s->channels[k];
      pe_out_printf(out, "\t%s/%s: [", s->shown, ch->name);
      for (size_t c = 0; c < ch->ncomps; c++)
        pe_out_printf(out, "%s%s", c ? "," : "", component_ids[ch->comps[c]]);
      pe_out_printf(out, "]\n");
    }
  }
}

size_t serve_redis_channels(const serve_redis *r) { return r->nchannels; }

/* ---- the queue --------------------------------------------------------------- */

static void make_ready(serve_redis *r, sr_channel *ch) {
  ch->next = NULL;
  if (r->ready_tail)
    r->ready_tail->next = ch;
  else
    r->ready_head = ch;
  r->ready_tail = ch;
  pthread_cond_signal(&r->wake);
}

/* Subscriber thread: one message for ch, or a drop when its queue is full. */
static void enqueue(sr_channel *ch, const char *payload, size_t len) {
  serve_redis *r = ch->server->r;
  size_t name_len = strlen(ch->name); /* a channel we subscribed to: short */
  sr_msg *m = NULL;
  if (len <= SR_MESSAGE_MAX && name_len <= SR_MESSAGE_MAX)
    m = malloc(sizeof *m + 12 + name_len + len);
  if (m) {
    m->next = NULL;
    m->len = 12 + name_len + len;
    uint8_t *p = m->data;
    memcpy(p, "PEM1", 4);
    put_u32(p + 4, (uint32_t)name_len);
    memcpy(p + 8, ch->name, name_len);
    put_u32(p + 8 + name_len, (uint32_t)len);
    if (len) memcpy(p + 12 + name_len, payload, len);
  }
  pthread_mutex_lock(&r->lock);
  if (!m || ch->queued >= SR_QUEUE_MAX || ch->queued_bytes + m->len > SR_QUEUE_BYTES) {
    ch->dropped++;
    free(m);
  } else {
    if (ch->tail)
      ch->tail->next = m;
    else
      ch->head = m;
    ch->tail = m;
    ch->queued_bytes += m->len;
    if (ch->queued++ == 0 && !ch->busy) make_ready(r, ch);
  }
  pthread_mutex_unlock(&r->lock);
}

/* Subscriber thread: says how many messages were dropped, at most once a
 * second per channel (and when the subscriber stops: force). */
static void log_drops(sr_server *s, bool force) {
  uint64_t now = now_ms();
  for (size_t k = 0; k < s->nchannels; k++) {
    sr_channel *ch = s->channels[k];
    if (!force && now - ch->last_drop_log_ms < 1000) continue;
    pthread_mutex_lock(&s->r->lock);
    uint64_t n = ch->dropped;
    ch->dropped = 0;
    pthread_mutex_unlock(&s->r->lock);
    if (!n) continue;
    ch->last_drop_log_ms = now;
    fprintf(stderr,
            "pyedge: redis trigger: %s/%s: %llu new messages dropped: %u messages (or %u MiB) "
            "were waiting, or a message was over %u MiB\n",
            s->shown, ch->name, (unsigned long long)n, SR_QUEUE_MAX, SR_QUEUE_BYTES >> 20,
            SR_MESSAGE_MAX >> 20);
  }
}

static void *worker_main(void *arg) {
  serve_redis *r = arg;
  pthread_mutex_lock(&r->lock);
  for (;;) {
    while (!r->ready_head && !r->workers_stop) pthread_cond_wait(&r->wake, &r->lock);
    if (!r->ready_head) break;
    sr_channel *ch = r->ready_head;
    r->ready_head = ch->next;
    if (!r->ready_head) r->ready_tail = NULL;
    sr_msg *m = ch->head;
    ch->head = m->next;
    if (!ch->head) ch->tail = NULL;
    ch->queued--;
    ch->queued_bytes -= m->len;
    ch->busy = true;
    pthread_mutex_unlock(&r->lock);
    for (size_t c = 0; c < ch->ncomps; c++)
      r->run(r->ctx, ch->comps[c], ch->server->shown, ch->name, m->data, m->len);
    free(m);
    pthread_mutex_lock(&r->lock);
    ch->busy = false;
    if (ch->queued) make_ready(r, ch);
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

/* ---- the subscriber ------------------------------------------------------------- */

/* Sleeps ms in short slices; false when stopping. */
static bool pause_ms(serve_redis *r, int ms) {
  while (ms > 0 && !atomic_load(&r->stopping)) {
    int slice = ms < SR_POLL_MS ? ms : SR_POLL_MS;
    struct timespec ts = {0, (long)slice * 1000000L};
    nanosleep(&ts, NULL);
    ms -= slice;
  }
  return !atomic_load(&r->stopping);
}

static bool reply_ok(redisContext *rc, redisReply *rep, char *why, size_t whylen) {
  if (!rep) {
    snprintf(why, whylen, "%s", rc->errstr[0] ? rc->errstr : "no reply");
    return false;
  }
  bool ok = rep->type != REDIS_REPLY_ERROR;
  if (!ok) snprintf(why, whylen, "%.*s", (int)(rep->len < 200 ? rep->len : 200), rep->str);
  freeReplyObject(rep);
  return ok;
}

/* Connects, authenticates and subscribes to every channel of s. */
static redisContext *subscribe(sr_server *s, char *why, size_t whylen) {
  struct timeval tv = {2, 0};
  redisContext *rc = redisConnectWithTimeout(s->url.host, s->url.port, tv);
  if (!rc || rc->err) {
    snprintf(why, whylen, "%s", rc ? rc->errstr : "out of memory");
    if (rc) redisFree(rc);
    return NULL;
  }
  bool ok = redisSetTimeout(rc, tv) == REDIS_OK;
  if (ok && s->url.password) {
    const char *argv[3] = {"AUTH", s->url.user ? s->url.user : s->url.password, s->url.password};
    int argc = s->url.user ? 3 : 2;
    ok = reply_ok(rc, redisCommandArgv(rc, argc, argv, NULL), why, whylen);
  } else if (!ok) {
    snprintf(why, whylen, "cannot set a socket timeout");
  }
  const char **argv = ok ? calloc(s->nchannels + 1, sizeof *argv) : NULL;
  if (ok && !argv) snprintf(why, whylen, "out of memory");
  if (argv) {
    argv[0] = "SUBSCRIBE";
    for (size_t k = 0; k < s->nchannels; k++) argv[k + 1] = s->channels[k]->name;
    /* the first confirmation answers; the others arrive as pushes, ignored */
    ok = reply_ok(rc, redisCommandArgv(rc, (int)s->nchannels + 1, argv, NULL), why, whylen);
    free(argv);
  }
  if (!argv || !ok) {
    redisFree(rc);
    return NULL;
  }
  return rc;
}

static sr_channel *channel_named(sr_server *s, const redisReply *name) {
  for (size_t k = 0; k < s->nchannels; k++)
    if (strlen(s->channels[k]->name) == name->len &&
        !memcmp(s->channels[k]->name, name->str, name->len))
      return s->channels[k];
  return NULL;
}

/* A push from the server: ["message", channel, payload] is queued;
 * subscription confirmations and anything else are ignored. */
static void on_reply(sr_server *s, const redisReply *rep) {
  if (rep->type != REDIS_REPLY_ARRAY) return; /* RESP2: pushes are arrays */
  if (rep->elements != 3) return;
  const redisReply *kind = rep->element[0], *chan = rep->element[1], *data = rep->element[2];
  if (kind->type != REDIS_REPLY_STRING || kind->len != 7 || memcmp(kind->str, "message", 7) ||
      chan->type != REDIS_REPLY_STRING || data->type != REDIS_REPLY_STRING)
    return;
  sr_channel *ch = channel_named(s, chan);
  if (ch) enqueue(ch, data->str, data->len);
}

/* Queues every reply the reader holds; false on a protocol error. */
static bool drain(sr_server *s, redisContext *rc, char *why, size_t whylen) {
  for (;;) {
    void *reply = NULL;
    if (redisGetReplyFromReader(rc, &reply) != REDIS_OK) {
      snprintf(why, whylen, "%s", rc->errstr[0] ? rc->errstr : "protocol error");
      return false;
    }
    if (!reply) return true;
    on_reply(s, reply);
    freeReplyObject(reply);
  }
}

/* Reads until the connection fails or the trigger stops; why says which.
 * The reader is drained first: the read that brought SUBSCRIBE's answer
 * may have brought the other confirmations and messages with it. */
static void read_messages(sr_server *s, redisContext *rc, char *why, size_t whylen) {
  serve_redis *r = s->r;
  while (!atomic_load(&r->stopping)) {
    if (!drain(s, rc, why, whylen)) return;
    struct pollfd p = {.fd = rc->fd, .events = POLLIN};
    int n = poll(&p, 1, SR_POLL_MS);
    log_drops(s, false);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(why, whylen, "poll: %s", strerror(errno));
      return;
    }
    if (n == 0) continue;
    if (redisBufferRead(rc) != REDIS_OK) {
      snprintf(why, whylen, "%s", rc->errstr[0] ? rc->errstr : "connection lost");
      return;
    }
  }
}

static void *subscriber_main(void *arg) {
  sr_server *s = arg;
  serve_redis *r = s->r;
  int backoff = SR_BACKOFF_MIN_MS;
  bool away = false, first = true;
  char why[512];
  while (!atomic_load(&r->stopping)) {
    redisContext *rc = subscribe(s, why, sizeof why);
    if (!rc) {
      if (!away)
        fprintf(stderr, "pyedge: redis trigger: cannot subscribe on %s: %s; retrying\n", s->shown,
                why);
      away = true;
      if (!pause_ms(r, backoff)) break;
      backoff = backoff * 2 > SR_BACKOFF_MAX_MS ? SR_BACKOFF_MAX_MS : backoff * 2;
      continue;
    }
    if (away || first)
      fprintf(stderr, "pyedge: redis trigger: %s on %s (%zu channel%s)\n",
              first ? "subscribed" : "subscribed again", s->shown, s->nchannels,
              s->nchannels == 1 ? "" : "s");
    away = first = false;
    backoff = SR_BACKOFF_MIN_MS;
    why[0] = 0;
    read_messages(s, rc, why, sizeof why);
    redisFree(rc);
    if (!atomic_load(&r->stopping)) {
      fprintf(stderr, "pyedge: redis trigger: lost %s: %s; reconnecting\n", s->shown, why);
      away = true;
      if (!pause_ms(r, backoff)) break;
    }
  }
  log_drops(s, true);
  return NULL;
}

/* ---- lifetime ------------------------------------------------------------------ */

bool serve_redis_start(serve_redis *r, char *err, size_t errlen) {
  r->workers = calloc(r->nworkers, sizeof *r->workers);
  if (!r->workers) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, SR_STACK);
  sigset_t procsigs, old;
  sigemptyset(&procsigs);
  static const int blocked[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,  SIGUSR1,
                                SIGUSR2, SIGCHLD, SIGALRM, SIGWINCH, SIGPIPE};
  for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++) sigaddset(&procsigs, blocked[i]);
  pthread_sigmask(SIG_BLOCK, &procsigs, &old); /* threads inherit it */
  int rc = 0;
  unsigned started = 0;
  for (; started < r->nworkers && rc == 0; started++)
    rc = pthread_create(&r->workers[started], &attr, worker_main, r);
  if (rc) started--;
  r->nworkers = started;
  for (size_t i = 0; i < r->nservers && rc == 0; i++) {
    rc = pthread_create(&r->servers[i].thread, &attr, subscriber_main, &r->servers[i]);
    r->servers[i].started = rc == 0;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc) {
    snprintf(err, errlen, "redis trigger: cannot start a thread: %s", strerror(rc));
    return false;
  }
  return true;
}

void serve_redis_stop(serve_redis *r) {
  if (!r) return;
  atomic_store(&r->stopping, true);
  for (size_t i = 0; i < r->nservers; i++)
    if (r->servers[i].started) pthread_join(r->servers[i].thread, NULL);
  /* what waits is not run: a handler still running finishes (its deadline
   * bounds it) */
  size_t left = 0;
  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < r->nchannels; i++) {
    sr_channel *ch = &r->channels[i];
    left += ch->queued;
    for (sr_msg *m = ch->head, *next; m; m = next) {
      next = m->next;
      free(m);
    }
    ch->head = ch->tail = NULL;
    ch->queued = ch->queued_bytes = 0;
  }
  r->ready_head = r->ready_tail = NULL;
  r->workers_stop = true;
  pthread_cond_broadcast(&r->wake);
  pthread_mutex_unlock(&r->lock);
  for (unsigned i = 0; i < r->nworkers; i++) pthread_join(r->workers[i], NULL);
  r->nworkers = 0;
  if (left) fprintf(stderr, "pyedge: redis trigger: %zu queued messages not handled\n", left);
}

void serve_redis_free(serve_redis *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nservers; i++) {
    pe_redis_url_free(&r->servers[i].url);
    free(r->servers[i].channels);
  }
  for (size_t i = 0; i < r->nchannels; i++) {
    free(r->channels[i].name);
    free(r->channels[i].comps);
  }
  pthread_mutex_destroy(&r->lock);
  pthread_cond_destroy(&r->wake);
  free(r->workers);
  free(r->servers);
  free(r->channels);
  free(r);
}
