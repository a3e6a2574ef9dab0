/*
 * test_http.h -- fixture shared by the tests/unit/test_http_*.c programs.
 *
 * A real server on 127.0.0.1, port 0, runs pe_http_server_run on a
 * background thread; tests talk to it with raw blocking sockets so they can
 * send exactly the bytes they mean (malformed, split, pipelined). Every
 * socket has a receive timeout, and main() arms alarm(), so no test can hang.
 *
 * The handler routes on the path:
 *   /hello          "hello"
 *   /echo           the request body back
 *   /info...        the request as text: "method=..\ntarget=..\n...", one
 *                   "h:name=value" line per header
 *   /slow?ms=N      sleeps N ms (300 by default), then "slow"
 *   /block          waits (at most 5 s) until the test posts `block`
 *   /status?code=N  answers status N
 *   /big?n=N        N bytes of a known pattern
 *   /headers        tries the response-header helper, good and bad names
 *   /sched          the scheduling policy of the thread that ran it: "batch",
 *                   "other" or a number
 *   anything else   404
 */
#ifndef TEST_HTTP_H
#define TEST_HTTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/pe_http.h"
#include "pe_test.h"

#define TH_RECV_TIMEOUT_MS 5000

typedef struct th_server {
  pe_http_server *srv;
  pthread_t thread;
  int port;
  int run_rc;
  atomic_int run_returned;
  atomic_int started; /* handler calls begun */
  atomic_int finished;
  sem_t block;
  sem_t entered;               /* posted by every handler call on entry */
  atomic_int stream_gone;      /* /stream: a write answered GONE */
  atomic_int stream_timeouts;  /* /stream: writes that waited past their timeout */
  atomic_llong stream_written; /* /stream: body bytes the handler has written */
  pthread_mutex_t log_lock;
  int log_count;
  char last_log[512];
} th_server;

static inline uint64_t th_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void th_sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The value of key=N in a query, or dflt. */
static inline long th_query_num(const char *q, const char *key, long dflt) {
  size_t kl = strlen(key);
  for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
    if (strncmp(p, key, kl) == 0 && p[kl] == '=') return strtol(p + kl + 1, NULL, 10);
  return dflt;
}

static inline void th_handler(const pe_http_request *req, pe_http_response *resp, void *user) {
  th_server *t = user;
  atomic_fetch_add(&t->started, 1);
  sem_post(&t->entered);
  const char *p = req->path;
  if (strcmp(p, "/hello") == 0) {
    pe_http_response_set_body(resp, "hello", 5);
  } else if (strcmp(p, "/echo") == 0) {
    char n[32];
    snprintf(n, sizeof n, "%zu", req->body_len);
    pe_http_response_add_header(resp, "x-body-len", n);
    pe_http_response_set_body(resp, req->body, req->body_len);
  } else if (strncmp(p, "/info", 5) == 0) {
    char line[1024];
    snprintf(line, sizeof line,
             "method=%s\ntarget=%s\npath=%s\nquery=%s\nversion=%d.%d\nip=%s\nport=%u\nbody=%zu\n",
             req->method, req->target, req->path, req->query, req->version_major,
             req->version_minor, req->client_ip, req->client_port, req->body_len);
    pe_http_response_append_body(resp, line, strlen(line));
    for (size_t i = 0; i < req->header_count; i++) {
      snprintf(line, sizeof line, "h:%s=%s\n", req->headers[i].name, req->headers[i].value);
      pe_http_response_append_body(resp, line, strlen(line));
    }
  } else if (strcmp(p, "/slow") == 0) {
    th_sleep_ms((unsigned)th_query_num(req->query, "ms", 300));
    pe_http_response_set_body(resp, "slow", 4);
  } else if (strcmp(p, "/block") == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    while (sem_timedwait(&t->block, &ts) != 0 && errno == EINTR) {
    }
    pe_http_response_set_body(resp, "unblocked", 9);
  } else if (strcmp(p, "/status") == 0) {
    /* an invalid code is refused and the response stays 200: the tests see that */
    bool taken = pe_http_response_set_status(resp, (int)th_query_num(req->query, "code", 200));
    (void)taken;
    pe_http_response_set_body(resp, "status", 6);
  } else if (strcmp(p, "/big") == 0) {
    size_t n = (size_t)th_query_num(req->query, "n", 0);
    char *b = malloc(n ? n : 1);
    for (size_t i = 0; b && i < n; i++) b[i] = (char)('a' + i % 23);
    pe_http_response_take_body(resp, b, b ? n : 0);
  } else if (strcmp(p, "/stream") == 0) {
    /* n pieces of `size` bytes (or a "piece i at <ms>" line when size is
     * 0), ms apart, streamed; fail=1 returns without ending the body */
    long n = th_query_num(req->query, "n", 3), ms = th_query_num(req->query, "ms", 0);
    size_t size = (size_t)th_query_num(req->query, "size", 0);
    pe_http_response_add_header(resp, "content-type", "text/plain");
    char *piece = malloc(size > 64 ? size : 64);
    long delay = th_query_num(req->query, "delay", 0); /* before the head */
    if (delay) th_sleep_ms((unsigned)delay);
    if (piece && pe_http_response_stream_begin(resp)) {
      for (long i = 0; i < n; i++) {
        size_t len = size;
        if (size == 0)
          len = (size_t)snprintf(piece, 64, "piece %ld at %llu\n", i,
                                 (unsigned long long)th_now_ms());
        else
          memset(piece, 'a' + (int)(i % 26), size);
        size_t off = 0, done = 0;
        pe_http_stream_status st;
        while ((st = pe_http_response_stream_write(resp, piece + off, len - off, 100, &done)) ==
               PE_HTTP_STREAM_TIMEOUT) {
          off += done;
          atomic_fetch_add(&t->stream_timeouts, 1);
        }
        atomic_fetch_add(&t->stream_written, (long long)(off + done));
        if (st == PE_HTTP_STREAM_GONE) {
          atomic_store(&t->stream_gone, 1);
          break;
        }
        if (ms) th_sleep_ms((unsigned)ms);
      }
      if (!th_query_num(req->query, "fail", 0)) pe_http_response_stream_end(resp, true);
    }
    free(piece);
  } else if (strcmp(p, "/sched") == 0) {
    char name[32];
    int policy = sched_getscheduler(0);
    if (policy == SCHED_BATCH)
      snprintf(name, sizeof name, "batch");
    else if (policy == SCHED_OTHER)
      snprintf(name, sizeof name, "other");
    else
      snprintf(name, sizeof name, "%d", policy);
    pe_http_response_set_body(resp, name, strlen(name));
  } else if (strcmp(p, "/headers") == 0) {
    char ok[64];
    snprintf(ok, sizeof ok, "%d%d%d%d%d%d", pe_http_response_add_header(resp, "X-Good", "yes"),
             pe_http_response_add_header(resp, "content-length", "1"),
             pe_http_response_add_header(resp, "Bad Name", "x"),
             pe_http_response_add_header(resp, "x-crlf", "a\r\nx-evil: 1"),
             pe_http_response_add_header(resp, "Server", "other"),
             pe_http_response_set_status(resp, 99));
    pe_http_response_set_body(resp, ok, strlen(ok));
  } else {
    bool valid = pe_http_response_set_status(resp, 404);
    PE_ASSERT(valid); /* (a worker thread: no cmocka assert here) */
    pe_http_response_set_body(resp, "not found", 9);
  }
  atomic_fetch_add(&t->finished, 1);
}

static inline void th_log(const pe_http_log_entry *e, void *user) {
  th_server *t = user;
  pthread_mutex_lock(&t->log_lock);
  t->log_count++;
  snprintf(t->last_log, sizeof t->last_log, "%s %s %s %d %llu", e->client_ip, e->method, e->path,
           e->status, (unsigned long long)e->bytes);
  pthread_mutex_unlock(&t->log_lock);
}

/* Defaults for tests: any port, four workers, short shutdown. */
static inline void th_config(pe_http_config *cfg) {
  pe_http_config_init(cfg);
  cfg->listen = "127.0.0.1:0";
  cfg->workers = 4;
  cfg->shutdown_timeout_ms = 5000;
}

static inline void *th_run(void *arg) {
  th_server *t = arg;
  t->run_rc = pe_http_server_run(t->srv);
  atomic_store(&t->run_returned, 1);
  return NULL;
}

static inline th_server *th_start(pe_http_config *cfg) {
  th_server *t = calloc(1, sizeof *t);
  assert_non_null(t);
  sem_init(&t->block, 0, 0);
  sem_init(&t->entered, 0, 0);
  pthread_mutex_init(&t->log_lock, NULL);
  pe_http_config dflt;
  if (!cfg) {
    th_config(&dflt);
    cfg = &dflt;
  }
  cfg->log = th_log;
  cfg->log_user = t;
  char err[256] = "";
  t->srv = pe_http_server_new(cfg, th_handler, t, err, sizeof err);
  if (!t->srv) fprintf(stderr, "pe_http_server_new: %s\n", err);
  assert_non_null(t->srv);
  t->port = pe_http_server_port(t->srv);
  assert_true(t->port > 0);
  assert_int_equal(pthread_create(&t->thread, NULL, th_run, t), 0);
  return t;
}

/* Waits for run to return (after a shutdown) and frees everything. */
static inline void th_finish(th_server *t) {
  pthread_join(t->thread, NULL);
  assert_int_equal(t->run_rc, 0);
  pe_http_server_free(t->srv);
  sem_destroy(&t->block);
  sem_destroy(&t->entered);
  pthread_mutex_destroy(&t->log_lock);
  free(t);
}

static inline void th_stop(th_server *t) {
  pe_http_server_shutdown(t->srv);
  th_finish(t);
}

/* Waits (at most 5 s) until a handler call has begun. */
static inline void th_wait_entered(th_server *t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 5;
  int rc;
  while ((rc = sem_timedwait(&t->entered, &ts)) != 0 && errno == EINTR) {
  }
  assert_int_equal(rc, 0);
}

/* ---- the client ---- */

typedef struct th_conn {
  int fd;
  char *buf;
  size_t len, cap;
} th_conn;

static inline void th_timeouts(int fd, int ms) {
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* -1 when the connection is refused. */
static inline int th_connect_fd(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  th_timeouts(fd, TH_RECV_TIMEOUT_MS);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static inline th_conn *th_open(int port) {
  th_conn *c = calloc(1, sizeof *c);
  assert_non_null(c);
  c->fd = th_connect_fd(port);
  assert_true(c->fd >= 0);
  return c;
}

static inline void th_close(th_conn *c) {
  if (!c) return;
  if (c->fd >= 0) close(c->fd);
  free(c->buf);
  free(c);
}

/* Closes with a reset, as a client that crashed or gave up. */
static inline void th_abort(th_conn *c) {
  struct linger l = {1, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  th_close(c);
}

static inline bool th_send(th_conn *c, const void *data, size_t n) {
  const char *p = data;
  while (n) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

static inline bool th_sendstr(th_conn *c, const char *s) { return th_send(c, s, strlen(s)); }

/* Reads more into the buffer: bytes read, 0 at EOF, -1 on error/timeout. */
static inline ssize_t th_fill(th_conn *c) {
  if (c->cap - c->len < 65536) {
    size_t cap = c->cap ? c->cap * 2 : 131072;
    while (cap - c->len < 65536) cap *= 2;
    char *b = realloc(c->buf, cap);
    assert_non_null(b);
    c->buf = b;
    c->cap = cap;
  }
  for (;;) {
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      c->len += (size_t)n;
      c->buf[c->len] = '\0';
    }
    return n;
  }
}

static inline void th_consume(th_conn *c, size_t n) {
  memmove(c->buf, c->buf + n, c->len - n);
  c->len -= n;
  if (c->buf) c->buf[c->len] = '\0';
}

typedef struct th_resp {
  int status;
  char head[16384]; /* status line and headers, NUL-terminated */
  char *body;       /* NUL-terminated */
  size_t body_len;
  long content_length; /* -1 if absent */
} th_resp;

/* The value of a response header (any case), copied, or NULL. */
static inline const char *th_header(const th_resp *r, const char *name) {
  static char val[1024];
  size_t nl = strlen(name);
  for (const char *l = strstr(r->head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
    const char *h = l + 2;
    if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
      const char *v = h + nl + 1;
      while (*v == ' ') v++;
      const char *e = strstr(v, "\r\n");
      size_t n = e ? (size_t)(e - v) : strlen(v);
      if (n >= sizeof val) n = sizeof val - 1;
      memcpy(val, v, n);
      val[n] = '\0';
      return val;
    }
  }
  return NULL;
}

static inline void th_resp_free(th_resp *r) {
  free(r->body);
  r->body = NULL;
}

/* Reads one response; head_req: a response to HEAD (no body). false on
 * EOF, timeout or garbage. */
static inline bool th_read(th_conn *c, th_resp *r, bool head_req) {
  memset(r, 0, sizeof *r);
  r->content_length = -1;
  char *end;
  while (!c->buf || !(end = strstr(c->buf, "\r\n\r\n")))
    if (th_fill(c) <= 0) return false;
  size_t hl = (size_t)(end - c->buf) + 2;
  if (hl >= sizeof r->head) return false;
  memcpy(r->head, c->buf, hl);
  r->head[hl] = '\0';
  th_consume(c, hl + 2);
  if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1) return false;
  const char *cl = th_header(r, "content-length");
  if (cl) r->content_length = strtol(cl, NULL, 10);
  size_t want = 0;
  if (!head_req && r->status >= 200 && r->status != 204 && r->status != 304)
    want = r->content_length > 0 ? (size_t)r->content_length : 0;
  while (c->len < want)
    if (th_fill(c) <= 0) return false;
  r->body = malloc(want + 1);
  assert_non_null(r->body);
  if (want) memcpy(r->body, c->buf, want);
  r->body[want] = '\0';
  r->body_len = want;
  th_consume(c, want);
  return true;
}

/* Reads and drops until the server closes (true) or ms pass (false). */
static inline bool th_wait_close(th_conn *c, int ms, size_t *extra) {
  th_timeouts(c->fd, ms);
  size_t got = c->len;
  c->len = 0;
  bool closed;
  for (;;) {
    ssize_t n = th_fill(c);
    if (n > 0) {
      got += (size_t)n;
      c->len = 0;
      continue;
    }
    closed = n == 0 || errno == ECONNRESET;
    break;
  }
  th_timeouts(c->fd, TH_RECV_TIMEOUT_MS);
  if (extra) *extra = got;
  return closed;
}

/* One request on a fresh connection; the response in *r. */
static inline bool th_roundtrip(int port, const char *raw, th_resp *r) {
  th_conn *c = th_open(port);
  bool ok = th_sendstr(c, raw) && th_read(c, r, strncmp(raw, "HEAD ", 5) == 0);
  th_close(c);
  return ok;
}

static inline void th_alarm(unsigned seconds) { alarm(seconds); }

#endif /* TEST_HTTP_H */
