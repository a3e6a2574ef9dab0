/*
 * http_conn.c -- one client connection, on the loop thread.
 *
 * A connection is a pipeline: a list of requests in arrival order. The tail
 * may still be receiving its body (HX_PARSING); the others are complete and
 * either wait for their turn (HX_READY), run (HX_RUNNING, at most one per
 * connection) or have their response ready (HX_DONE). Three small steps
 * move it along, and after() runs them after every event (a read, a handler
 * done, a write done, a timer), so no event handler needs to know what the
 * others left pending:
 *
 *   parse     bytes -> requests, while the pipeline is shorter than
 *             max_pipeline and holds less than max_buffered_bytes of
 *             bodies and unwritten responses; bytes that arrive beyond
 *             that wait in `in`, and reading stops until the pipeline
 *             shrinks (back-pressure)
 *   dispatch  the first HX_READY request goes to the pool (503 if full),
 *             unless max_buffered_bytes of responses already wait
 *   pump      the head's response is written once it is HX_DONE, one write
 *             at a time, so responses leave in request order; a head still
 *             reading a body that expects 100-continue gets its 100 here,
 *             which is therefore also in order
 *
 * One timer covers the read side, re-armed by arm_timer() from the state:
 * the head deadline (header_timeout from the request's first byte, not
 * reset by later bytes, so a trickling client cannot keep it open), a body
 * that stalls or is not complete body_timeout_ms after its head (the same
 * reason), a fresh connection that sends nothing, a keep-alive
 * connection that stays idle, and the linger after the final response. No
 * timer runs while a handler works or while reading is paused on purpose.
 * A second timer, running while responses are being written, resets a
 * client that takes less than min_write_bytes of them per write_timeout_ms.
 *
 * Accepting. Past max_connections a connection is still accepted, answered
 * a 503 with Connection: close, and closed, so that its client knows.
 *
 * Closing. After a response that ends the connection (an error,
 * `Connection: close`, a shutdown) the write side is shut down and, for a
 * short while, whatever the client still sends is read and dropped: closing
 * a socket with unread input makes the kernel send a reset, which can
 * destroy the response before the client reads it. A hard close (errors,
 * timeouts) closes the three handles; the connection is freed when they are
 * closed *and* no request of it is in the pool -- a handler still running
 * for a client that left keeps its request, and so its connection, alive;
 * the request is marked cancelled so that a queued one is never run.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

#define HX_LINGER_MS 2000

enum { T_NONE, T_FRESH, T_IDLE, T_HEAD, T_BODY, T_LINGER };

struct hx_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;  /* read side, see arm_timer */
  uv_timer_t wtimer; /* write progress */
  uv_write_t wreq;
  uv_shutdown_t sreq;
  hx_server *srv;
  hx_conn *prev, *next;
  hx_parse parse;
  hx_req *head, *tail;
  unsigned depth; /* requests in the pipeline */
  unsigned jobs;  /* of them in the pool */
  pe_buf in;      /* input read but not parsed yet */
  size_t in_pos;
  pe_buf whead;             /* the head being written */
  pe_buf wbody;             /* bytes of a streamed response being written */
  hx_req *wr;               /* whose response is being written; NULL for a 100 */
  hx_req *wstream;          /* whose streamed bytes are being written */
  size_t wlen;              /* bytes of that write */
  uint64_t wdone, wmark;    /* bytes of queued writes completed; at the period's start */
  size_t held_in, held_out; /* bodies of complete requests; responses not yet out */
  char ip[INET6_ADDRSTRLEN];
  uint16_t port;
  int open_handles;
  int timer_mode;
  uint64_t timer_due;
  uint64_t accepted_ms, idle_since_ms, last_read_ms;
  unsigned served;
  bool reading, writing;
  bool no_more_input; /* parse nothing more: error, close, EOF, shutdown */
  bool read_eof;
  bool shutting, lingering, closing;
  bool refused; /* over max_connections: only a 503 for it */
};

static void after(hx_conn *c);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static uint64_t now_ms(hx_conn *c) { return uv_now(&c->srv->loop); }

/* ---- closing ---- */

static void maybe_free(hx_conn *c) {
  if (c->open_handles || c->jobs) return;
  hx_server *s = c->srv;
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->nconns--;
  if (c->refused) s->nrefused--;
  hx_parse_free(&c->parse); /* first: its request may be the tail */
  while (c->head) {
    hx_req *r = c->head;
    c->head = r->next;
    hx_req_free(r);
  }
  pe_buf_free(&c->in);
  pe_buf_free(&c->whead);
  pe_buf_free(&c->wbody);
  free(c);
  hx_server_conn_gone(s);
}

static void on_handle_closed(uv_handle_t *h) {
  hx_conn *c = h->data;
  c->open_handles--;
  maybe_free(c);
}

static void close_handles(hx_conn *c, bool reset) {
  if (c->closing) return;
  c->closing = true;
  c->reading = false;
  for (hx_req *r = c->head; r; r = r->next) {
    if (r->state == HX_RUNNING) atomic_store(&r->job.cancelled, true);
    hx_stream *st = r->state == HX_RUNNING || r->state == HX_DONE ? hx_req_stream(r) : NULL;
    if (st) hx_stream_gone(st); /* its handler's next write fails */
  }
  if (!reset || uv_tcp_close_reset(&c->tcp, on_handle_closed) != 0)
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->wtimer, on_handle_closed);
}

static void conn_close(hx_conn *c) { close_handles(c, false); }

/* For a client dropped for not reading: a reset rather than a FIN, so that
 * the kernel also gives up the megabytes of response in its send buffer
 * instead of going on offering them to a client that does not take them. */
static void conn_reset(hx_conn *c) { close_handles(c, true); }

static void on_timer(uv_timer_t *t);

static void on_shutdown(uv_shutdown_t *req, int status) {
  hx_conn *c = req->data;
  if (c->closing) return;
  if (status < 0 || c->read_eof) {
    conn_close(c);
    return;
  }
  c->lingering = true;
  if (!c->reading) {
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
      conn_close(c);
      return;
    }
    c->reading = true;
  }
  c->timer_mode = T_LINGER;
  uv_timer_start(&c->timer, on_timer, HX_LINGER_MS, 0);
}

/* After the last response: FIN, then linger (see the top). */
static void conn_finish(hx_conn *c) {
  c->shutting = true;
  c->no_more_input = true;
  uv_timer_stop(&c->timer);
  c->timer_mode = T_NONE;
  c->sreq.data = c;
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0) conn_close(c);
}

/* ---- the pipeline ---- */

static void push(hx_conn *c, hx_req *r) {
  r->conn = c;
  r->in_pipeline = true;
  r->next = NULL;
  if (c->tail)
    c->tail->next = r;
  else
    c->head = r;
  c->tail = r;
  c->depth++;
}

/* What a request makes its connection hold, counted again after it
 * changed: its body once complete, its response once ready. A running
 * request's response belongs to its worker, so it is not looked at. */
static void recount(hx_conn *c, hx_req *r) {
  size_t in = r->body.len, out = r->state == HX_DONE ? r->resp.body_len : 0;
  c->held_in = c->held_in - r->held_in + in;
  c->held_out = c->held_out - r->held_out + out;
  r->held_in = in;
  r->held_out = out;
}

static void forget(hx_conn *c, hx_req *r) {
  c->held_in -= r->held_in;
  c->held_out -= r->held_out;
  r->held_in = r->held_out = 0;
}

static void pop_head(hx_conn *c) {
  hx_req *r = c->head;
  c->head = r->next;
  if (!c->head) c->tail = NULL;
  c->depth--;
  forget(c, r);
}

/* Drops the request whose head or body was still arriving. */
static void drop_partial(hx_conn *c) {
  hx_req *r = hx_parse_take(&c->parse);
  if (!r) return;
  if (r->in_pipeline) { /* it is the tail */
    hx_req **pp = &c->head, *prev = NULL;
    while (*pp != r) {
      prev = *pp;
      pp = &(*pp)->next;
    }
    *pp = NULL;
    c->tail = prev;
    c->depth--;
    forget(c, r);
  }
  hx_req_free(r);
}

static hx_req *new_req(hx_conn *c) {
  hx_req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  hx_resp_init(&r->resp);
  r->resp.req = r;
  r->start_ms = now_ms(c);
  r->start_ns = uv_hrtime();
  return r;
}

/* Answers `status` after the requests already in, then closes. */
static void conn_fail(hx_conn *c, int status) {
  hx_req *r = hx_parse_take(&c->parse);
  if (!r && !(r = new_req(c))) {
    conn_close(c);
    return;
  }
  /* A head that was complete gives the access log its method and path. */
  if (r->method && !r->published) hx_req_publish(r, c->ip, c->port);
  hx_resp_error(&r->resp, status);
  r->state = HX_DONE;
  r->close_after = true;
  if (!r->in_pipeline) push(c, r);
  recount(c, r);
  c->no_more_input = true;
}

/* The pipeline limits apply between requests: a request already begun is
 * read to its end, else a connection whose only request is still receiving
 * its body (with max_pipeline 1) would wait for itself forever. Past
 * max_buffered_bytes of bodies and responses, reading waits for them to
 * go: pipelining must not multiply what one client makes us hold. */
static bool can_parse(const hx_conn *c) {
  const pe_http_config *cfg = &c->srv->cfg;
  return !c->closing && !c->no_more_input &&
         (c->parse.req ||
          (c->depth < cfg->max_pipeline && c->held_in + c->held_out < cfg->max_buffered_bytes));
}

/* Parses as much of data as the pipeline may take; returns how much. */
static size_t feed(hx_conn *c, const char *data, size_t len) {
  size_t off = 0;
  while (off < len && can_parse(c)) {
    size_t used;
    hx_event ev = hx_parse_feed(&c->parse, data + off, len - off, now_ms(c), &used);
    off += used;
    switch (ev) {
      case HX_MORE:
        if (used == 0) conn_fail(c, 400); /* cannot happen; never spin */
        break;
      case HX_HEAD: {
        hx_req *r = c->parse.req;
        r->state = HX_PARSING;
        push(c, r);
        if (!hx_req_publish(r, c->ip, c->port)) conn_fail(c, 500);
        break;
      }
      case HX_DONE_MSG: {
        hx_req *r = hx_parse_take(&c->parse);
        if (!r->in_pipeline) push(c, r);
        hx_req_publish(r, c->ip, c->port); /* the body only: cannot fail */
        r->state = HX_READY;
        recount(c, r);
        if (!r->keep_alive) {
          r->close_after = true;
          c->no_more_input = true;
        }
        break;
      }
      case HX_ERROR: conn_fail(c, c->parse.error); return len;
    }
  }
  return off;
}

static void parse_pending(hx_conn *c) {
  if (c->in_pos < c->in.len && can_parse(c))
    c->in_pos += feed(c, c->in.data + c->in_pos, c->in.len - c->in_pos);
  if (c->in_pos >= c->in.len || c->no_more_input || c->closing) {
    pe_buf_free(&c->in);
    c->in_pos = 0;
  }
}

static void run_job(hx_job *job) {
  hx_req *r = (hx_req *)job;
  hx_server *s = r->conn->srv;
  /* a worker owns the request now; the loop stays off it until job_done */
  PE_ASSERT(r->state == HX_RUNNING && !pthread_equal(pthread_self(), s->loop_thread));
  s->handler(&r->pub, &r->resp, s->user);
  if (pe_http_response_streaming(&r->resp))
    hx_stream_handler_done(&r->resp); /* breaks one the handler left open */
  else
    hx_resp_finish(&r->resp);
}

/* A handler runs only while less than max_buffered_bytes of responses wait
 * to be written: a client that pipelines requests for large responses and
 * reads none would otherwise have them all made and held. Writing the
 * head's response is what lifts the stop; a head not done yet (only an
 * error response is ever queued behind it) must run regardless. */
static bool responses_held(const hx_conn *c) {
  return c->held_out >= c->srv->cfg.max_buffered_bytes && c->head && c->head->state == HX_DONE;
}

static void dispatch(hx_conn *c) {
  HX_ON_LOOP(c->srv);
  if (c->jobs || c->closing || responses_held(c)) return;
  for (hx_req *r = c->head; r; r = r->next) {
    if (r->state == HX_RUNNING) return;
    if (r->state != HX_READY) continue;
    r->job.run = run_job;
    atomic_store(&r->job.cancelled, false);
    /* set before the submit: from it on, a worker may hold the request */
    r->state = HX_RUNNING;
    if (hx_pool_submit(c->srv->pool, &r->job)) {
      c->jobs++;
      return;
    }
    hx_resp_error(&r->resp, 503);
    r->state = HX_DONE;
    recount(c, r);
  }
}

void hx_conn_job_done(hx_job *job) {
  hx_req *r = (hx_req *)job;
  hx_conn *c = r->conn;
  HX_ON_LOOP(c->srv);
  PE_ASSERT(r->state == HX_RUNNING && c->jobs > 0);
  c->jobs--;
  r->state = HX_DONE;
  /* Nothing reads the body after the handler; it need not wait for the
   * response to be written. */
  pe_buf_free(&r->body);
  r->pub.body = (const uint8_t *)"";
  r->pub.body_len = 0;
  recount(c, r);
  if (c->closing) {
    maybe_free(c);
    return;
  }
  after(c);
}

/* ---- writing ---- */

static void log_req(hx_conn *c, hx_req *r, uint64_t bytes) {
  const pe_http_config *cfg = &c->srv->cfg;
  if (!cfg->log) return;
  pe_http_log_entry e = {
      .method = r->method ? r->method : "-",
      .path = r->published ? r->pub.path : "-",
      .client_ip = c->ip,
      .status = r->resp.status,
      .bytes = bytes,
      .duration_us = (uv_hrtime() - r->start_ns) / 1000,
  };
  cfg->log(&e, cfg->log_user);
}

/* Bytes of queued writes the kernel has taken, the current one included
 * (libuv counts down what is left of it). */
static uint64_t written(hx_conn *c) {
  if (!c->writing) return c->wdone;
  size_t left = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
  return c->wdone + (left < c->wlen ? c->wlen - left : 0);
}

/* In every write_timeout_ms that responses wait, the client must take
 * min_write_bytes of them (or all of them): with any progress enough, one
 * that reads a byte now and then held its connection and large responses
 * for as long as it liked. The period runs across consecutive writes, so a
 * pipeline of small responses does not restart it either. */
static void on_wtimer(uv_timer_t *t) {
  hx_conn *c = t->data;
  if (!c->writing) return;
  uint64_t now = written(c);
  bool all_taken = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0;
  if (all_taken || now - c->wmark >= c->srv->cfg.min_write_bytes) {
    c->wmark = now;
    uv_timer_start(&c->wtimer, on_wtimer, c->srv->cfg.write_timeout_ms, 0);
    return;
  }
  conn_reset(c);
}

/* A response is out (all of it handed to the kernel): log it and take it
 * off the pipeline. False when that ended the connection. */
static bool response_sent(hx_conn *c, hx_req *r) {
  if (!hx_req_stream(r)) log_req(c, r, r->is_head ? 0 : r->resp.body_len);
  pop_head(c);
  c->served++;
  c->idle_since_ms = now_ms(c);
  bool last = r->close_after;
  hx_req_free(r);
  if (last) {
    conn_finish(c);
    return false;
  }
  return true;
}

static void on_write(uv_write_t *w, int status) {
  hx_conn *c = w->data;
  c->writing = false;
  c->wdone += c->wlen;
  if (c->wstream) {
    hx_stream_written(hx_req_stream(c->wstream));
    c->wstream = NULL;
  }
  if (c->closing) return;
  if (status < 0) {
    conn_close(c);
    return;
  }
  hx_req *r = c->wr;
  c->wr = NULL;
  if (!r || response_sent(c, r)) after(c);
  /* Nothing more to write: the client owes no progress until there is. */
  if (!c->writing && !c->closing) uv_timer_stop(&c->wtimer);
}

static void start_write(hx_conn *c, hx_req *r, uv_buf_t *bufs, unsigned n) {
  c->wreq.data = c;
  c->wr = r;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, n, on_write) != 0) {
    conn_close(c);
    return;
  }
  c->writing = true;
  c->wlen = 0;
  for (unsigned i = 0; i < n; i++) c->wlen += bufs[i].len;
  if (c->srv->cfg.write_timeout_ms && !uv_is_active((uv_handle_t *)&c->wtimer)) {
    c->wmark = written(c);
    uv_timer_start(&c->wtimer, on_wtimer, c->srv->cfg.write_timeout_ms, 0);
  }
}

/* The head request streams its response (http_stream.c): writes what its
 * handler queued; once the handler is done and everything is out, the
 * response is complete (true, as for pump) or, broken, the connection
 * closes without the last chunk so the client cannot take it for whole. */
static bool pump_stream(hx_conn *c, hx_req *r, hx_stream *st) {
  bool ended, complete;
  hx_stream_take(st, &c->wbody, &ended, &complete);
  if (c->wbody.len) {
    uv_buf_t b = {.base = c->wbody.data, .len = c->wbody.len};
    c->wstream = r;
    start_write(c, NULL, &b, 1);
    return false;
  }
  if (r->state != HX_DONE || !ended) return false;
  pe_buf_free(&c->wbody); /* up to a stream's buffer: not kept by an idle connection */
  if (!complete) {
    log_req(c, r, st->body_bytes);
    conn_close(c);
    return false;
  }
  if (st->mode == HX_STREAM_RAW) r->close_after = true; /* the close ends the body */
  log_req(c, r, st->body_bytes);
  r->resp.body_len = 0;
  return response_sent(c, r);
}

/* Writes what can be written now. True when a response went out whole, so
 * the pipeline moved and after() should look at it again. */
static bool pump(hx_conn *c) {
  if (c->writing || c->closing || c->shutting || !c->head) return false;
  hx_req *r = c->head;
  hx_stream *st = r->state == HX_RUNNING || r->state == HX_DONE ? hx_req_stream(r) : NULL;
  if (st) return pump_stream(c, r, st);
  if (r->state == HX_PARSING) {
    /* A client that sent the body anyway does not need the 100. */
    if (r->need_continue && !r->continue_sent && r->body.len == 0) {
      static char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
      r->continue_sent = true;
      uv_buf_t b = {.base = cont, .len = sizeof cont - 1};
      start_write(c, NULL, &b, 1);
    }
    return false;
  }
  if (r->state != HX_DONE) return false;
  c->whead.len = 0;
  hx_conn_header ch = r->close_after              ? HX_CONN_CLOSE
                      : r->pub.version_minor == 0 ? HX_CONN_KEEP_ALIVE
                                                  : HX_CONN_DEFAULT;
  if (!hx_resp_head(&r->resp, ch, hx_server_date(c->srv), &c->whead)) {
    conn_close(c);
    return false;
  }
  uv_buf_t bufs[2] = {{.base = c->whead.data, .len = c->whead.len}};
  unsigned n = 1;
  if (!r->is_head && r->resp.body_len)
    bufs[n++] = (uv_buf_t){.base = r->resp.body, .len = r->resp.body_len};
  /* Most responses fit the socket buffer: written at once, they need no
   * write request, no callback on a later loop turn, and no change to what
   * the loop polls the socket for (libuv re-registers it after every
   * queued write). What does not fit goes out through uv_write. */
  size_t total = 0;
  for (unsigned i = 0; i < n; i++) total += bufs[i].len;
  int w = total <= INT_MAX ? uv_try_write((uv_stream_t *)&c->tcp, bufs, n) : UV_EAGAIN;
  if (w == (int)total) return response_sent(c, r);
  if (w < 0 && w != UV_EAGAIN) {
    conn_close(c);
    return false;
  }
  size_t done = w > 0 ? (size_t)w : 0;
  unsigned first = 0;
  while (done >= bufs[first].len) done -= bufs[first++].len;
  bufs[first].base += done;
  bufs[first].len -= done;
  start_write(c, r, bufs + first, n - first);
  return false;
}

/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  hx_conn *c = h->data;
  buf->base = c->srv->rbuf;
  buf->len = sizeof c->srv->rbuf;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  hx_conn *c = st->data;
  if (nread == 0 || c->closing) return;
  if (c->shutting || c->lingering) { /* only waiting for the client to go */
    if (nread < 0) conn_close(c);
    return;
  }
  if (nread < 0) {
    if (nread != UV_EOF) {
      conn_close(c);
      return;
    }
    /* Half-closed: answer what is complete, drop what is not. */
    c->read_eof = true;
    c->reading = false;
    uv_read_stop(st);
    drop_partial(c);
    c->no_more_input = true;
    if (c->tail) c->tail->close_after = true;
    after(c);
    return;
  }
  c->last_read_ms = now_ms(c);
  size_t len = (size_t)nread;
  size_t used = feed(c, buf->base, len);
  if (used < len && !c->no_more_input && !c->closing &&
      !pe_buf_append(&c->in, buf->base + used, len - used))
    conn_close(c);
  after(c);
}

static void update_reading(hx_conn *c) {
  bool want = !c->closing && !c->read_eof && can_parse(c) && c->in.len == 0;
  if (want && !c->reading) {
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
      conn_close(c);
      return;
    }
    c->reading = true;
  } else if (!want && c->reading) {
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
  }
}

/* ---- timers ---- */

static void on_timer(uv_timer_t *t) {
  hx_conn *c = t->data;
  int mode = c->timer_mode;
  c->timer_mode = T_NONE;
  c->timer_due = 0;
  if (c->closing) return;
  switch (mode) {
    case T_IDLE:
    case T_LINGER: conn_close(c); return;
    case T_FRESH:
    case T_HEAD:
    case T_BODY:
      conn_fail(c, 408);
      after(c);
      return;
    default: return;
  }
}

/* A body must keep coming (no stall of header_timeout_ms) and be complete
 * within body_timeout_ms of its head: the stall rule alone restarts with
 * every byte, so one byte every few seconds would hold the connection, and
 * the body buffered so far, for as long as the client likes. */
static uint64_t body_due(const hx_conn *c, const hx_req *r) {
  const pe_http_config *cfg = &c->srv->cfg;
  uint64_t due = r->head_ms + cfg->body_timeout_ms;
  if (cfg->header_timeout_ms && c->last_read_ms + cfg->header_timeout_ms < due)
    due = c->last_read_ms + cfg->header_timeout_ms;
  return due;
}

static void arm_timer(hx_conn *c) {
  if (c->closing || c->shutting || c->lingering) return;
  const pe_http_config *cfg = &c->srv->cfg;
  int mode = T_NONE;
  uint64_t due = 0;
  hx_req *r = c->parse.req;
  if (!c->reading) {
    /* waiting on a handler or on the client reading: not a read timeout */
  } else if (r && !c->parse.in_body) {
    mode = T_HEAD;
    due = r->start_ms + cfg->header_timeout_ms;
  } else if (r) {
    mode = T_BODY;
    due = body_due(c, r);
  } else if (!c->head && c->served == 0) {
    mode = T_FRESH;
    due = c->accepted_ms + cfg->header_timeout_ms;
  } else if (!c->head) {
    mode = T_IDLE;
    due = c->idle_since_ms + cfg->idle_timeout_ms;
  }
  if ((mode == T_IDLE && !cfg->idle_timeout_ms) ||
      ((mode == T_HEAD || mode == T_FRESH) && !cfg->header_timeout_ms))
    mode = T_NONE;
  if (mode == c->timer_mode && (mode == T_NONE || due == c->timer_due)) return;
  c->timer_mode = mode;
  c->timer_due = due;
  if (mode == T_NONE) {
    uv_timer_stop(&c->timer);
    return;
  }
  uint64_t now = now_ms(c);
  uv_timer_start(&c->timer, on_timer, due > now ? due - now : 0, 0);
}

/* ---- the step after every event ---- */

static void after(hx_conn *c) {
  if (c->closing || c->shutting || c->lingering) return;
  do {
    if (c->closing || c->shutting) return;
    parse_pending(c);
    dispatch(c);
  } while (pump(c));
  if (c->closing || c->shutting) return;
  /* Nothing left to answer and nothing more will come. */
  if (c->no_more_input && !c->head && !c->writing) {
    conn_close(c);
    return;
  }
  update_reading(c);
  arm_timer(c);
}

/* ---- accept, shutdown ---- */

static void spare_closed(uv_handle_t *h) {
  hx_server *s = h->data;
  s->spare_busy = false;
}

/* libuv stops watching the listener until a connection is accepted, so even
 * without memory for it one must be taken (and dropped). */
static void reject(hx_server *s) {
  if (s->spare_busy) return;
  s->spare_busy = true;
  s->spare.data = s;
  uv_tcp_init(&s->loop, &s->spare);
  uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&s->spare);
  uv_close((uv_handle_t *)&s->spare, spare_closed);
}

static void peer_address(hx_conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  snprintf(c->ip, sizeof c->ip, "?");
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
  if (ss.ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    uv_ip4_name(a, c->ip, sizeof c->ip);
    c->port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    uv_ip6_name(a, c->ip, sizeof c->ip);
    c->port = ntohs(a->sin6_port);
  }
}

/* Over max_connections: a complete 503 with Connection: close tells the
 * client what happened, where leaving it in the backlog or resetting it
 * would not. Refused connections take no slot, but each holds a socket
 * while it lingers, so beyond as many again they are closed unanswered. */
static void refuse_over_limit(hx_conn *c) {
  hx_server *s = c->srv;
  c->refused = true;
  s->nrefused++;
  if (s->nrefused > s->cfg.max_connections) {
    conn_close(c);
    return;
  }
  conn_fail(c, 503);
  after(c);
}

void hx_conn_accept(hx_server *s) {
  hx_conn *c = calloc(1, sizeof *c);
  if (!c) {
    reject(s);
    return;
  }
  c->srv = s;
  uv_tcp_init(&s->loop, &c->tcp);
  uv_timer_init(&s->loop, &c->timer);
  uv_timer_init(&s->loop, &c->wtimer);
  c->tcp.data = c->timer.data = c->wtimer.data = c;
  c->open_handles = 3;
  hx_parse_init(&c->parse, &s->cfg);
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  peer_address(c);
  c->accepted_ms = now_ms(c);
  if (s->nconns - s->nrefused > s->cfg.max_connections) {
    refuse_over_limit(c);
    return;
  }
  after(c);
}

hx_server *hx_req_server(hx_req *r) { return r->conn->srv; }

void hx_conns_stream_news(hx_server *s) {
  for (hx_conn *c = s->conns, *next; c; c = next) {
    next = c->next;
    if (c->closing) { /* a stream begun after the close: its writes must fail, not wait */
      for (hx_req *r = c->head; r; r = r->next)
        if (r->state == HX_RUNNING && hx_req_stream(r)) hx_stream_gone(hx_req_stream(r));
    } else if (c->head && c->head->state == HX_RUNNING && hx_req_stream(c->head)) {
      after(c);
    }
  }
}

void hx_conns_drain(hx_server *s) {
  for (hx_conn *c = s->conns, *next; c; c = next) {
    next = c->next;
    if (c->closing || c->shutting || c->lingering) continue;
    drop_partial(c);
    c->no_more_input = true;
    pe_buf_free(&c->in);
    c->in_pos = 0;
    if (c->tail) c->tail->close_after = true;
    after(c);
  }
}

void hx_conns_abort(hx_server *s) {
  for (hx_conn *c = s->conns, *next; c; c = next) {
    next = c->next;
    conn_close(c);
  }
}
