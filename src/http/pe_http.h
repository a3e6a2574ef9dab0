/*
 * pe_http.h -- the HTTP/1.1 ingress: a server that calls a handler per request.
 *
 * Threads. One event-loop thread (libuv) owns every socket: it accepts,
 * reads, parses, writes and runs all timers, so connection state needs no
 * lock. Handlers run on a pool of worker threads
 * (config.workers, default one per CPU) because a handler runs a sandboxed
 * Python call that may take long; a slow handler must never stall other
 * connections. A request goes to the pool only once it is complete (head and
 * body buffered); the pool holds at most `workers + queue_size` requests,
 * running or waiting, and a request that finds it full is answered
 * `503 Service Unavailable` with `retry-after` at once, without running the
 * handler. Workers hand results back to the loop through a uv_async_t.
 *
 * Requests. Each connection keeps its requests in arrival order (a pipeline).
 * Pipelined requests are parsed while earlier ones run, but a connection has
 * at most one request in the pool at a time, so its requests run in order
 * and one client cannot fill the queue alone; responses are written strictly
 * in request order. When more than config.max_pipeline requests wait on one
 * connection, or they hold max_buffered_bytes (complete request bodies and
 * responses not yet written), the loop stops reading it (back-pressure)
 * until some responses are out; while max_buffered_bytes of responses wait,
 * its next handler does not run either. So what one connection makes the
 * server hold is bounded by that cap plus one body and one response, and
 * the whole server by max_connections times as much.
 *
 * Parsing. Node's classic http_parser (Debian's libhttp-parser) splits heads
 * and Content-Length bodies. Debian builds it non-strict, so each head is
 * also checked against the RFC 9112 grammar (CRLF line ends only, token
 * names, no obs-fold, no control bytes) and chunked bodies go through a
 * strict decoder of our own: framing is where a lenient parser lets a
 * request be smuggled past a proxy that reads it differently.
 *
 * Limits, and what a client gets when it breaks one (the connection is then
 * closed): a request line and headers over max_header_bytes, or more than
 * max_header_count headers -> 431;
 * a body over max_body_bytes -> 413, decided from Content-Length before any
 * of the body is read, and chunk by chunk for chunked bodies; a head not
 * complete within header_timeout_ms of its first byte (or of the accept) ->
 * 408; malformed syntax, bad chunk sizes, both Content-Length and
 * Transfer-Encoding, Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1), or
 * HTTP/1.1 without one Host -> 400; a transfer coding other than chunked,
 * or CONNECT -> 501; an Expect other than 100-continue -> 417; HTTP/2+ in
 * an HTTP/1 request line -> 505. A body that stalls for header_timeout_ms,
 * or is not complete body_timeout_ms after the end of its head however
 * steadily it trickles in -> 408. A keep-alive connection idle for
 * idle_timeout_ms is closed without a response. A client that takes less
 * than min_write_bytes of its responses in a write_timeout_ms while they
 * wait (reading a byte now and then does not count as reading) is dropped
 * with a reset. Past max_connections, a new connection is accepted, answered
 * 503 with `Connection: close` and closed.
 *
 * HTTP/1.1 semantics: keep-alive by default on 1.1, `Connection: close`
 * honoured, HTTP/1.0 closes unless it asked for keep-alive (and is then
 * answered `Connection: keep-alive`); pipelining;
 * `Expect: 100-continue` is answered `100 Continue` only once the body is
 * known to be acceptable and every earlier response is out; HEAD gets the
 * headers (with the Content-Length of the body the handler produced) and no
 * body; every response carries Date, Server: pyedge and Content-Length,
 * except 204 and 304, which have neither body nor Content-Length (RFC 9110),
 * and streamed responses (pe_http_response_stream_begin), which are
 * chunked instead (close-delimited for HTTP/1.0).
 *
 * Shutdown (pe_http_server_shutdown, safe from any thread and from a signal
 * handler): the listener closes at once (new connections are refused), idle
 * and half-received requests are dropped, requests already received are
 * answered (the last with `Connection: close`), then pe_http_server_run
 * returns. After shutdown_timeout_ms the remaining connections are closed
 * anyway; a handler still running is waited for.
 *
 * Strings in a request are NUL-terminated and also carry their length; the
 * request and its storage live until the handler returns.
 *
 * Files: http_server.c (lifetime), http_conn.c (a connection), http_parse.c,
 * http_head.c, http_chunked.c (input), http_workers.c (the pool),
 * http_response.c (output), http_stream.c (streamed responses); http_int.h
 * is what they share.
 */
#ifndef PE_HTTP_H
#define PE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pe_assert.h"

typedef struct pe_http_server pe_http_server;
typedef struct pe_http_response pe_http_response;

typedef struct pe_http_header {
  const char *name;  /* lower-cased */
  const char *value; /* surrounding blanks removed */
  size_t name_len, value_len;
} pe_http_header;

typedef struct pe_http_request {
  const char *method; /* "GET", "POST", ... */
  const char *target; /* the request-target as sent, up to any '#': "/a/b?x=1" */
  const char *path;   /* target without the query, not decoded */
  const char *query;  /* after '?', without it; "" when absent */
  size_t target_len, path_len, query_len;
  const pe_http_header *headers; /* in arrival order, duplicates kept */
  size_t header_count;
  const uint8_t *body; /* never NULL; the whole body (chunked: decoded) */
  size_t body_len;
  const char *client_ip; /* "127.0.0.1", "::1" */
  uint16_t client_port;
  int version_major, version_minor;
} pe_http_request;

/* The first header called `name` (any case), or NULL. */
const char *pe_http_request_header(const pe_http_request *req, const char *name);

/* Runs on a worker thread; fills `resp` (status 200 and an empty body when
 * left alone). The request and response are valid only during the call. */
typedef void (*pe_http_handler)(const pe_http_request *req, pe_http_response *resp, void *user);

/* A final status the server sends: 200..599. */
bool pe_http_status_valid(int status);
/* Sets it when pe_http_status_valid; false (and no change) otherwise. */
PE_MUST_CHECK bool pe_http_response_set_status(pe_http_response *resp, int status);
/* Adds a header as given. False if the name is not a token, the value holds
 * a control character other than tab, out of memory, or the name is one the
 * server writes itself: content-length, transfer-encoding, connection,
 * keep-alive, date, server. */
bool pe_http_response_add_header(pe_http_response *resp, const char *name, const char *value);
/* The framing headers the server writes itself (content-length,
 * transfer-encoding, connection, keep-alive, date, server). */
bool pe_http_header_reserved(const char *name);
/* A name that is a token and a value without control characters (tab
 * aside): what add_header takes, reserved names apart. */
bool pe_http_header_valid(const char *name, const char *value);
/* Replace or extend the body (copied). False when out of memory, and the
 * response then goes out as a 500 (as after add_header running out), so a
 * handler may ignore it. */
bool pe_http_response_set_body(pe_http_response *resp, const void *data, size_t len);
bool pe_http_response_append_body(pe_http_response *resp, const void *data, size_t len);
/* Takes a malloc'd buffer as the body; the server frees it. */
void pe_http_response_take_body(pe_http_response *resp, void *data, size_t len);

/* Streaming a response, from the handler while it runs (its worker
 * thread). begin sends the status and headers set so far and frames the
 * body as it comes: chunked for HTTP/1.1, up to the connection's close for
 * HTTP/1.0, no body at all for HEAD, 204 and 304 (the pieces are then
 * accepted and dropped). Status and headers must not change after it.
 * Pieces are handed to the loop thread, which writes them in order after
 * any earlier response of the connection; at most PE_HTTP_STREAM_BUFFER
 * bytes wait, so write blocks until a slow client has taken enough (or
 * timeout_ms passes: TIMEOUT, *done saying how much was taken). A client
 * that went away (or was dropped for not reading: write_timeout_ms) makes
 * every write GONE. end(complete) finishes the body (the last chunk);
 * end(false), or a handler returning without end, breaks it: what was
 * queued is written and the connection closed without the last chunk, so
 * the client sees an incomplete response, never a complete one. After
 * begin the response's own body is not sent. */
#define PE_HTTP_STREAM_BUFFER ((size_t)256 << 10)
typedef enum pe_http_stream_status {
  PE_HTTP_STREAM_OK,
  PE_HTTP_STREAM_GONE,    /* the client closed the connection, or was dropped */
  PE_HTTP_STREAM_TIMEOUT, /* no room within timeout_ms */
  PE_HTTP_STREAM_STATE,   /* not begun, or already ended */
} pe_http_stream_status;
PE_MUST_CHECK bool pe_http_response_stream_begin(pe_http_response *resp);
PE_MUST_CHECK pe_http_stream_status pe_http_response_stream_write(pe_http_response *resp,
                                                                  const void *data, size_t len,
                                                                  unsigned timeout_ms,
                                                                  size_t *done);
void pe_http_response_stream_end(pe_http_response *resp, bool complete);
bool pe_http_response_streaming(const pe_http_response *resp);

/* One line of an access log, given once a response is written (or given up
 * on). Called on the loop thread: it must be quick. method and path are "-"
 * when the request line could not be read. */
typedef struct pe_http_log_entry {
  const char *method, *path, *client_ip;
  int status;
  uint64_t bytes;       /* body bytes sent */
  uint64_t duration_us; /* first byte of the request to last byte of the response */
} pe_http_log_entry;
typedef void (*pe_http_log_fn)(const pe_http_log_entry *e, void *user);

typedef struct pe_http_config {
  const char *listen;           /* "127.0.0.1:3000", "[::1]:3000"; port 0 = any */
  size_t max_header_bytes;      /* request line + headers; 16 KiB, at most 80 KiB */
  unsigned max_header_count;    /* headers in a request, beyond: 431; 100 (as Spin's
                                   hyper); 0: the default, at most 1000 */
  size_t max_body_bytes;        /* 10 MiB */
  unsigned header_timeout_ms;   /* 10000 */
  unsigned body_timeout_ms;     /* 30000 from the end of the head; 0: the default */
  unsigned idle_timeout_ms;     /* 5000 */
  unsigned write_timeout_ms;    /* 30000: a client that takes less than min_write_bytes of
                                   its responses in this long is dropped */
  size_t min_write_bytes;       /* 64 KiB; 0: the default */
  unsigned shutdown_timeout_ms; /* 30000 */
  unsigned workers;             /* 0: one per CPU */
  unsigned queue_size;          /* requests waiting for a worker; 1024 */
  unsigned max_pipeline;        /* requests waiting on one connection; 16 */
  unsigned max_connections;     /* served at once, beyond: 503 and close; 1024; 0: the default */
  size_t max_buffered_bytes;    /* per connection, request bodies and responses not yet
                                   written; 32 MiB, at least max_body_bytes; 0: the default */
  size_t worker_stack_bytes;    /* 0: 8 MiB */
  unsigned port_tries;          /* a port in use: try the next, this many ports in all
                                   (pe_http_server_port says which); 0 or 1: only it */
  pe_http_log_fn log;           /* optional */
  void *log_user;
} pe_http_config;

/* Fills in the defaults above. */
void pe_http_config_init(pe_http_config *cfg);

/* Binds and listens (so the port is known at once) but serves nothing until
 * pe_http_server_run. cfg may be NULL for the defaults; it is copied. NULL
 * with a message in err on failure. */
pe_http_server *pe_http_server_new(const pe_http_config *cfg, pe_http_handler fn, void *user,
                                   char *err, size_t errlen);
/* The bound port (useful with port 0). */
int pe_http_server_port(const pe_http_server *s);
/* Serves until pe_http_server_shutdown; 0 then, -1 if it could not start. */
int pe_http_server_run(pe_http_server *s);
/* Thread-safe and async-signal-safe; may come before run (which then
 * returns at once) and any number of times, but not after pe_http_server_free. */
void pe_http_server_shutdown(pe_http_server *s);
/* Not while run is running. */
void pe_http_server_free(pe_http_server *s);

#endif /* PE_HTTP_H */
