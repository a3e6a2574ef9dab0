/*
 * http_server.c -- the server's lifetime: configuration, the listening
 * socket, run, and the graceful shutdown.
 *
 * pe_http_server_new binds and listens at once, so a caller (or a test on
 * port 0) knows the port before run and a bad address fails early. run owns
 * the calling thread as the loop thread until the loop has nothing left.
 *
 * Shutdown may be requested from a signal handler, so the request is only
 * an atomic flag plus uv_async_send (async-signal-safe); the loop does the
 * work. Draining: close the listener, let every connection answer what it
 * has and close, then close the pool's handle and unref the async handle,
 * which lets uv_run return. The async handle itself stays open until
 * pe_http_server_free: a late shutdown request (a second Ctrl-C) after run
 * returned must still find a live handle -- libuv aborts on a send to a
 * closed loop.
 *
 * SIGPIPE: libuv writes to sockets with plain write(2), so a client that
 * went away raises SIGPIPE on the loop thread. run blocks it on that thread
 * (the write then fails with EPIPE, which closes the connection) and clears
 * any pending one before restoring the mask, so the process-wide
 * disposition is never touched.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"

#define HX_BACKLOG 511
#define HX_BODY_TIMEOUT_MS 30000
#define HX_MIN_WRITE_BYTES (64u * 1024)
#define HX_MAX_CONNECTIONS 1024
#define HX_MAX_BUFFERED_BYTES ((size_t)32 << 20)

void pe_http_config_init(pe_http_config *c) {
  memset(c, 0, sizeof *c);
  c->listen = "127.0.0.1:3000";
  c->max_header_bytes = 16 * 1024;
  c->max_header_count = HX_MAX_HEADER_COUNT;
  c->max_body_bytes = 10 * 1024 * 1024;
  c->header_timeout_ms = 10000;
  c->body_timeout_ms = HX_BODY_TIMEOUT_MS;
  c->idle_timeout_ms = 5000;
  c->write_timeout_ms = 30000;
  c->min_write_bytes = HX_MIN_WRITE_BYTES;
  c->shutdown_timeout_ms = 30000;
  c->queue_size = 1024;
  c->max_pipeline = 16;
  c->max_connections = HX_MAX_CONNECTIONS;
  c->max_buffered_bytes = HX_MAX_BUFFERED_BYTES;
}

/* "1.2.3.4:80", "[::1]:80" or "localhost:80" (numeric only: no resolver
 * on the way to listening). */
static bool parse_listen(const char *spec, struct sockaddr_storage *ss, char *err, size_t errlen) {
  char host[64];
  const char *port;
  if (spec[0] == '[') {
    const char *end = strchr(spec, ']');
    if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host) goto bad;
    memcpy(host, spec + 1, (size_t)(end - spec - 1));
    host[end - spec - 1] = '\0';
    port = end + 2;
  } else {
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) goto bad;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    port = colon + 1;
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  }
  if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port)) goto bad;
  long p = strtol(port, NULL, 10);
  if (p > 65535) goto bad;
  if (spec[0] == '[') {
    if (uv_ip6_addr(host, (int)p, (struct sockaddr_in6 *)ss) != 0) goto bad;
  } else if (uv_ip4_addr(host, (int)p, (struct sockaddr_in *)ss) != 0) {
    goto bad;
  }
  return true;
bad:
  snprintf(err, errlen, "bad listen address '%s' (want IPv4:PORT or [IPv6]:PORT)", spec);
  return false;
}

static bool check_config(pe_http_config *c, char *err, size_t errlen) {
  if (!c->listen) c->listen = "127.0.0.1:3000";
  if (c->max_header_bytes < 256 || c->max_header_bytes > HTTP_MAX_HEADER_SIZE) {
    snprintf(err, errlen, "max_header_bytes must be within 256..%d", HTTP_MAX_HEADER_SIZE);
    return false;
  }
  if (c->max_header_count == 0) c->max_header_count = HX_MAX_HEADER_COUNT;
  if (c->max_header_count > HX_MAX_HEADER_COUNT_LIMIT) {
    snprintf(err, errlen, "max_header_count must be within 1..%u", HX_MAX_HEADER_COUNT_LIMIT);
    return false;
  }
  if (c->max_pipeline == 0) {
    snprintf(err, errlen, "max_pipeline must be at least 1");
    return false;
  }
  if (c->workers == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = n > 0 && n < 4096 ? (unsigned)n : 1;
  }
  if (c->workers > 4096 || c->queue_size > UINT_MAX - c->workers) {
    snprintf(err, errlen, "too many workers or too long a queue");
    return false;
  }
  if (c->worker_stack_bytes == 0) c->worker_stack_bytes = 8u << 20;
  /* No body deadline at all would let a trickling client hold a connection
   * forever, so 0 means the default rather than "none". */
  if (c->body_timeout_ms == 0) c->body_timeout_ms = HX_BODY_TIMEOUT_MS;
  if (c->min_write_bytes == 0) c->min_write_bytes = HX_MIN_WRITE_BYTES;
  if (c->max_connections == 0) c->max_connections = HX_MAX_CONNECTIONS;
  if (c->max_buffered_bytes == 0) c->max_buffered_bytes = HX_MAX_BUFFERED_BYTES;
  /* The cap bounds pipelining, not requests (max_body_bytes does): below
   * one body it would turn pipelining off for every large one. */
  if (c->max_buffered_bytes < c->max_body_bytes) c->max_buffered_bytes = c->max_body_bytes;
  if (c->worker_stack_bytes < (size_t)PTHREAD_STACK_MIN) c->worker_stack_bytes = PTHREAD_STACK_MIN;
  return true;
}

static hx_server *S(pe_http_server *s) { return &s->s; }

static void on_connection(uv_stream_t *l, int status) {
  hx_server *s = l->data;
  if (status < 0 || s->draining) return;
  hx_conn_accept(s);
}

static void check_finished(hx_server *s) {
  if (!s->draining || s->finished || s->conns) return;
  s->finished = true;
  uv_close((uv_handle_t *)&s->stop_timer, NULL);
  uv_close((uv_handle_t *)&s->stream_async, NULL);
  if (s->pool) hx_pool_close(s->pool);
  uv_unref((uv_handle_t *)&s->stop_async);
}

void hx_server_conn_gone(hx_server *s) { check_finished(s); }

static void on_stop_timer(uv_timer_t *t) { hx_conns_abort(t->data); }

static void begin_drain(hx_server *s) {
  if (s->draining) return;
  s->draining = true;
  if (s->listening) {
    s->listening = false;
    uv_close((uv_handle_t *)&s->listener, NULL);
  }
  if (s->cfg.shutdown_timeout_ms) {
    uv_timer_start(&s->stop_timer, on_stop_timer, s->cfg.shutdown_timeout_ms, 0);
    uv_unref((uv_handle_t *)&s->stop_timer);
  }
  hx_conns_drain(s);
  check_finished(s);
}

static void on_stream_news(uv_async_t *h) { hx_conns_stream_news(h->data); }

static void on_stop(uv_async_t *h) {
  hx_server *s = h->data;
  if (atomic_load(&s->stop_requested)) begin_drain(s);
}

const char *hx_server_date(hx_server *s) {
  time_t now = time(NULL);
  if (now != s->date_sec || !s->date[0]) {
    s->date_sec = now;
    hx_http_date(s->date, now);
  }
  return s->date;
}

/* Closes whatever is still open and runs the loop until it is. */
static void close_all(hx_server *s) {
  uv_handle_t *hs[] = {(uv_handle_t *)&s->listener, (uv_handle_t *)&s->stop_async,
                       (uv_handle_t *)&s->stop_timer, (uv_handle_t *)&s->stream_async};
  for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
    if (hs[i]->loop && !uv_is_closing(hs[i])) uv_close(hs[i], NULL);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
}

/* Binds and listens on ss; with cfg.port_tries > 1, a port in use moves
 * the address on to the next port, that many ports in all (Spin's
 * --find-free-port). A libuv error, or 0. */
static int listen_on(hx_server *s, struct sockaddr_storage *ss) {
  unsigned tries = s->cfg.port_tries ? s->cfg.port_tries : 1;
  for (unsigned t = 1;; t++) {
    uv_tcp_init(&s->loop, &s->listener);
    s->listener.data = s;
    int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)ss, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, HX_BACKLOG, on_connection);
    uint16_t *port = ss->ss_family == AF_INET6 ? &((struct sockaddr_in6 *)ss)->sin6_port
                                               : &((struct sockaddr_in *)ss)->sin_port;
    if (rc != UV_EADDRINUSE || t >= tries || ntohs(*port) == 0 || ntohs(*port) == 65535) return rc;
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_run(&s->loop, UV_RUN_NOWAIT); /* the close completes: the handle may be set up again */
    *port = htons((uint16_t)(ntohs(*port) + 1));
  }
}

pe_http_server *pe_http_server_new(const pe_http_config *cfg, pe_http_handler fn, void *user,
                                   char *err, size_t errlen) {
  pe_http_server *ps = calloc(1, sizeof *ps);
  if (!ps) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  hx_server *s = S(ps);
  if (cfg)
    s->cfg = *cfg;
  else
    pe_http_config_init(&s->cfg);
  s->handler = fn;
  s->user = user;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (!fn) {
    snprintf(err, errlen, "no handler");
    free(ps);
    return NULL;
  }
  if (!check_config(&s->cfg, err, errlen) || !parse_listen(s->cfg.listen, &ss, err, errlen)) {
    free(ps);
    return NULL;
  }
  s->cfg.listen = NULL; /* the caller's string need not outlive this call */
  int rc = uv_loop_init(&s->loop);
  if (rc != 0) {
    snprintf(err, errlen, "uv_loop_init: %s", uv_strerror(rc));
    free(ps);
    return NULL;
  }
  uv_async_init(&s->loop, &s->stop_async, on_stop);
  uv_timer_init(&s->loop, &s->stop_timer);
  uv_async_init(&s->loop, &s->stream_async, on_stream_news);
  s->stop_async.data = s->stop_timer.data = s->stream_async.data = s;

  rc = listen_on(s, &ss);
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  if (rc == 0) rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  if (rc != 0) {
    snprintf(err, errlen, "cannot listen: %s", uv_strerror(rc));
    close_all(s);
    free(ps);
    return NULL;
  }
  s->listening = true;
  s->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  return ps;
}

int pe_http_server_port(const pe_http_server *ps) { return ps->s.port; }

int pe_http_server_run(pe_http_server *ps) {
  hx_server *s = S(ps);
  if (s->ran) return -1;
  s->ran = true;
  s->loop_thread = pthread_self();
  char err[128];
  s->pool = hx_pool_new(&s->loop, s->cfg.workers, s->cfg.queue_size, s->cfg.worker_stack_bytes,
                        hx_conn_job_done, err, sizeof err);
  if (!s->pool) {
    fprintf(stderr, "pyedge http: %s\n", err);
    return -1;
  }
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;

  uv_run(&s->loop, UV_RUN_DEFAULT);

  hx_pool_free(s->pool);
  s->pool = NULL;
  if (!was_pending) {
    static const struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0 || errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return 0;
}

void pe_http_server_shutdown(pe_http_server *ps) {
  hx_server *s = S(ps);
  atomic_store(&s->stop_requested, 1);
  uv_async_send(&s->stop_async);
}

void pe_http_server_free(pe_http_server *ps) {
  if (!ps) return;
  hx_server *s = S(ps);
  close_all(s);
  free(ps);
}
