/*
 * http_int.h -- what the files of the HTTP server share (see pe_http.h for
 * the design).
 *
 *   http_server.c    listen address, run/shutdown, the server's lifetime
 *   http_conn.c      one connection: read, pipeline, write, timers, close
 *   http_parse.c     bytes -> hx_req with http_parser, and the head checks
 *   http_head.c      strict syntax check of a head (the library is lenient)
 *   http_chunked.c   strict decoder for chunked bodies
 *   http_workers.c   the worker pool and its bounded queue
 *   http_response.c  pe_http_response, serialising heads, error responses
 *
 * Ownership: everything is the loop thread's, except the pool's own state
 * (under its mutex) and an hx_req while it is in the pool: then the worker
 * owns its request and response (`pub`, `resp`), the loop touches only its
 * pipeline link and state and may set job.cancelled, and the request comes
 * back to the loop through the pool's completion callback. HX_ON_LOOP and
 * the state checks in http_conn.c hold the code to that.
 */
#ifndef PE_HTTP_INT_H
#define PE_HTTP_INT_H

#include <http_parser.h>
#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "pe_http.h"
#include "util/pe_assert.h"
#include "util/pe_util.h"

/* ---- worker pool (http_workers.c) ---- */

typedef struct hx_job hx_job;
struct hx_job {
  hx_job *next;
  void (*run)(hx_job *job); /* on a worker; not called when cancelled */
  atomic_bool cancelled;
};

typedef struct hx_pool hx_pool;
/* `done` runs on the loop thread for every submitted job, cancelled or not. */
hx_pool *hx_pool_new(uv_loop_t *loop, unsigned workers, unsigned queue_size, size_t stack,
                     void (*done)(hx_job *job), char *err, size_t errlen);
/* False when workers + queue_size jobs are already in. */
bool hx_pool_submit(hx_pool *p, hx_job *job);
/* Loop thread, once no job is in: closes the completion handle. */
void hx_pool_close(hx_pool *p);
/* After the loop has run the close: joins the workers and frees. */
void hx_pool_free(hx_pool *p);

/* ---- responses (http_response.c) ---- */

typedef struct hx_req hx_req;
typedef struct hx_stream hx_stream;

struct pe_http_response {
  int status;
  pe_buf headers; /* "Name: value\r\n" as the handler added them */
  char *body;
  size_t body_len, body_cap;
  bool oom;    /* something could not be stored: answer 500 instead */
  hx_req *req; /* whose response it is (streaming needs the connection) */
};

void hx_resp_init(pe_http_response *r);
void hx_resp_free(pe_http_response *r);
/* A plain-text error response (503 also gets retry-after). */
void hx_resp_error(pe_http_response *r, int status);
/* After the handler: 500 on a failed allocation, no body where none is
 * allowed. */
void hx_resp_finish(pe_http_response *r);
/* Whether the status carries a body and Content-Length at all. */
bool hx_status_has_body(int status);
/* What the head says about the connection: nothing (HTTP/1.1 keep-alive),
 * "close", or "keep-alive" (HTTP/1.0 clients need to be told). */
typedef enum { HX_CONN_DEFAULT, HX_CONN_CLOSE, HX_CONN_KEEP_ALIVE } hx_conn_header;
/* Appends the status line and headers; `date` is an IMF-fixdate. */
bool hx_resp_head(const pe_http_response *r, hx_conn_header conn, const char *date, pe_buf *out);
/* The head of a streamed response: Transfer-Encoding: chunked instead of a
 * Content-Length when `chunked`, neither otherwise. */
bool hx_resp_stream_head(const pe_http_response *r, bool chunked, hx_conn_header conn,
                         const char *date, pe_buf *out);
/* "Sun, 06 Nov 1994 08:49:37 GMT" */
void hx_http_date(char out[32], int64_t unix_seconds);

/* ---- requests (http_parse.c) ---- */

typedef enum {
  HX_PARSING, /* head in, body still arriving (only the pipeline tail) */
  HX_READY,   /* complete, waiting for its turn in the pool */
  HX_RUNNING, /* in the pool */
  HX_DONE,    /* response ready to write */
} hx_state;

/* ---- streamed responses (http_stream.c) ---- */

/* How a streamed body is framed on the wire. */
typedef enum { HX_STREAM_CHUNKED, HX_STREAM_RAW, HX_STREAM_NONE } hx_stream_mode;

/* Shared by the worker that writes a streamed response and the loop
 * thread that sends it; every field under `lock`. */
struct hx_stream {
  pthread_mutex_t lock;
  pthread_cond_t room; /* the worker waits here for the loop to send */
  pe_buf queued;       /* framed bytes (the head first) the loop has not taken */
  size_t inflight;     /* of them, taken by the loop and not yet written */
  hx_stream_mode mode;
  bool ended, complete; /* end() was called; with complete = true */
  bool gone;            /* the connection closed: writes fail */
  uint64_t body_bytes;  /* body bytes the handler wrote */
};

/* Loop thread: the request's stream, if its handler began one. */
hx_stream *hx_req_stream(hx_req *r);
/* Loop thread: takes what is queued into *out (swapping buffers) and
 * counts it in flight. */
void hx_stream_take(hx_stream *st, pe_buf *out, bool *ended, bool *complete);
/* Loop thread: the write of what was taken is over; wakes the worker. */
void hx_stream_written(hx_stream *st);
/* Loop thread: the connection is closing; wakes the worker, whose writes
 * now fail. */
void hx_stream_gone(hx_stream *st);
/* Worker, after the handler: breaks a stream the handler left open. */
void hx_stream_handler_done(pe_http_response *resp);
/* Loop thread, from hx_req_free. */
void hx_stream_free(hx_stream *st);

typedef struct hx_conn hx_conn;
struct hx_req {
  hx_job job; /* first: the pool hands back &job */
  hx_req *next;
  hx_conn *conn;
  hx_state state;
  /* Under construction: "target\0name\0value\0...", offsets below, turned
   * into `pub` once the message is complete. */
  pe_buf text;
  const char *method; /* http_parser's static name */
  size_t target_len;
  struct hx_hdr {
    size_t name_off, name_len, value_off, value_len;
  } * hdr;
  size_t nhdr, hdr_cap;
  pe_buf body;
  pe_http_header *headers;
  pe_http_request pub;
  pe_http_response resp;
  uint64_t start_ms;        /* loop time of the first byte (timeouts) */
  uint64_t head_ms;         /* loop time the head was complete (the body deadline) */
  uint64_t start_ns;        /* uv_hrtime of the first byte (the access log) */
  size_t held_in, held_out; /* what it counts in its connection's (http_conn.c) */
  bool keep_alive;          /* what the client asked for */
  bool is_head;
  bool need_continue, continue_sent;
  bool close_after; /* close the connection once this response is out */
  bool in_pipeline;
  bool published; /* pub is filled in (from the end of the head on) */
  /* Set once by the worker (release) when its handler begins streaming;
   * the loop reads it (acquire) to send what the stream holds. */
  _Atomic(hx_stream *) stream;
};

void hx_req_free(hx_req *r);

/* ---- strict syntax (http_head.c, http_chunked.c) ---- */

/* RFC 9110 tchar */
bool hx_tchar(unsigned char c);
/* raw: a head as received, blank lines before it included, up to the CR of
 * its final empty line (the LF is checked by the caller). */
bool hx_head_valid(const char *raw, size_t len);

typedef struct hx_chunked {
  int state;
  uint64_t size;  /* of the chunk being read, or left of it */
  size_t line;    /* bytes of the size line so far */
  size_t trailer; /* bytes of trailers so far */
} hx_chunked;

void hx_chunked_init(hx_chunked *d);
/* Decodes into body; returns the bytes taken. *done at the end of the body
 * (the bytes after it are the next request's); *status a refusal (400,
 * 413, 431, 500) with the decoder then unusable. */
size_t hx_chunked_feed(hx_chunked *d, const char *data, size_t len, pe_buf *body,
                       const pe_http_config *cfg, int *status, bool *done);

/* ---- parsing a connection's input (http_parse.c) ---- */

typedef enum { HX_MORE, HX_HEAD, HX_DONE_MSG, HX_ERROR } hx_event;

typedef struct hx_parse {
  http_parser hp;
  const pe_http_config *cfg;
  hx_req *req;       /* the request being read, from its first method byte */
  size_t head_bytes; /* since the last request (blank lines count) */
  pe_buf raw;        /* those bytes, for hx_head_valid */
  bool in_body;      /* req's head is complete */
  bool expect_lf;    /* the head's final LF is the next byte */
  bool chunked;      /* req's body goes through `chunked`, not http_parser */
  hx_chunked ch;
  bool last_value; /* the last header callback was a value */
  int error;       /* status to answer with, once HX_ERROR */
  uint64_t now_ms;
} hx_parse;

/* pe_http_config.max_header_count: the default (0 means it too) and the most. */
#define HX_MAX_HEADER_COUNT 100u
#define HX_MAX_HEADER_COUNT_LIMIT 1000u

void hx_parse_init(hx_parse *p, const pe_http_config *cfg);
/* Parses up to len bytes; *used says how many it took. HX_HEAD: p->req has
 * a complete, acceptable head (need_continue/keep_alive set); HX_DONE_MSG:
 * p->req is complete (take it); HX_ERROR: answer p->error and close. */
hx_event hx_parse_feed(hx_parse *p, const char *data, size_t len, uint64_t now_ms, size_t *used);
/* Hands over p->req (may be NULL) and readies for the next request. */
hx_req *hx_parse_take(hx_parse *p);
/* Fills req->pub from the buffers and the connection's address, once the
 * head is complete; false when out of memory. Called again once the body is
 * in, it only updates the body. */
bool hx_req_publish(hx_req *r, const char *ip, uint16_t port);
void hx_parse_free(hx_parse *p);

/* ---- connections (http_conn.c) and the server (http_server.c) ---- */

typedef struct hx_server {
  pe_http_config cfg;
  uv_async_t stream_async; /* a worker queued bytes of a streamed response */
  pe_http_handler handler;
  void *user;
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop_async;
  uv_timer_t stop_timer;
  hx_pool *pool;
  hx_conn *conns; /* every connection not yet freed */
  size_t nconns;
  size_t nrefused; /* of them, over max_connections: answered 503, closing */
  uv_tcp_t spare;  /* accepts and drops a connection when out of memory */
  bool spare_busy;
  atomic_int stop_requested;
  bool ran, draining, listening, finished;
  int port;
  char date[32]; /* cached per second */
  int64_t date_sec;
  char rbuf[65536];      /* every read lands here; the loop is single-threaded */
  pthread_t loop_thread; /* the thread in pe_http_server_run */
} hx_server;

/* The caller is on s's loop thread, which owns everything but the pool. */
#define HX_ON_LOOP(s) PE_ASSERT(pthread_equal(pthread_self(), (s)->loop_thread))

struct pe_http_server {
  hx_server s;
};

void hx_conn_accept(hx_server *s);
/* Shutdown: every connection answers what has arrived, then closes. */
void hx_conns_drain(hx_server *s);
/* shutdown_timeout_ms is over: close them all now. */
void hx_conns_abort(hx_server *s);
/* A worker queued something for a stream: every connection whose head
 * request streams is moved along. */
void hx_conns_stream_news(hx_server *s);
/* The server of a request in a connection's pipeline (any thread: a
 * request's connection and its server never change). */
hx_server *hx_req_server(hx_req *r);
/* Pool completion for a request job. */
void hx_conn_job_done(hx_job *job);
/* Called when a connection is freed, so shutdown can finish. */
void hx_server_conn_gone(hx_server *s);
const char *hx_server_date(hx_server *s);

#endif /* PE_HTTP_INT_H */
