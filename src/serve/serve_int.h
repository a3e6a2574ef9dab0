/*
 * serve_int.h -- what the serve_*.c files share and nothing outside serve
 * uses.
 */
#ifndef PE_SERVE_INT_H
#define PE_SERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostapi/pe_abi.h"
#include "router/pe_router.h"
#include "util/pe_util.h"

/* --- serve_request.c: the request as a component receives it ---------------- */

/* Headers passed on from the client (or, for service chaining, from the
 * calling component). The HTTP server refuses more than 100 with 431 and
 * a chained call sends at most 256, so none is dropped in practice; if one
 * ever is, it is counted and logged, never silent. */
#define PE_GUEST_CLIENT_HEADERS 256u
/* Slots kept for what the host adds, so no number of client headers can
 * push them out: seven spin-* headers, x-user-location and one
 * spin-path-match-<name> per route parameter. */
#define PE_GUEST_HOST_HEADERS (8u + PE_ROUTER_MAX_CAPTURES)

typedef struct guest_request {
  pe_abi_header h[PE_GUEST_CLIENT_HEADERS + PE_GUEST_HOST_HEADERS];
  size_t n_client, n_host; /* h[0..n_client) the client's, then the host's */
  size_t dropped;          /* client headers over PE_GUEST_CLIENT_HEADERS */
  pe_buf full_url;         /* spin-full-url; owned */
  char client[128];        /* spin-client-addr */
  char capture_names[PE_ROUTER_MAX_CAPTURES][160];
  pe_abi_header host[PE_GUEST_HOST_HEADERS];
} guest_request;

void guest_request_init(guest_request *g);
void guest_request_free(guest_request *g);
/* A header from the client. Its spin-* headers are dropped: only the host
 * sets them, so a client (or a calling component) cannot forge them. */
void guest_request_client_header(guest_request *g, const char *name, size_t name_len,
                                 const char *value, size_t value_len);
/* Spin's headers for a routed request: spin-full-url, -path-info,
 * -matched-route, -base-path, -raw-component-route, -component-route,
 * -client-addr and spin-path-match-<name> per captured parameter. rr, the
 * strings and client_addr must outlive the encoding. False only when out
 * of memory. */
PE_MUST_CHECK bool guest_request_spin_headers(guest_request *g, const pe_router_result *rr,
                                              const char *full_url, size_t full_url_len,
                                              const char *client_addr);
/* One more host header (x-user-location) in a reserved slot; value must
 * outlive the encoding. */
void guest_request_host_header(guest_request *g, const char *name, const char *value,
                               size_t value_len);
/* The request in docs/abi.md's format, appended to out; false when out of
 * memory. */
PE_MUST_CHECK bool guest_request_encode(guest_request *g, pe_buf *out, const char *method,
                                        const char *target, size_t target_len, const uint8_t *body,
                                        size_t body_len);

/* --- serve_redis.c: [[trigger.redis]] subscribers ---------------------------- */

typedef struct serve_redis serve_redis;

/* One trigger, its templates resolved. */
typedef struct serve_redis_sub {
  const char *address; /* redis://... */
  const char *channel;
  size_t component;  /* index in the manifest's components */
  const char *where; /* "spin.toml:12: [[trigger.redis]] 'x'", for messages */
} serve_redis_sub;

/* Runs one message (msg: "PEM1", docs/abi.md) on a component; called on
 * a worker thread, one message of a channel at a time. server is
 * "host:port". */
typedef void (*serve_redis_run)(void *ctx, size_t component, const char *server,
                                const char *channel, const uint8_t *msg, size_t len);

/* Checks the addresses and groups the subscriptions by server and channel;
 * NULL with a message naming the trigger of a bad address. Nothing
 * connects before serve_redis_start. */
serve_redis *serve_redis_new(const serve_redis_sub *subs, size_t n, unsigned workers,
                             serve_redis_run run, void *ctx, char *err, size_t errlen);
/* Spin's console lines: "Active Channels on host:port:", then one
 * "\thost:port/channel: [component,...]" per channel. */
struct pe_out;
void serve_redis_describe(const serve_redis *r, const char *const *component_ids,
                          struct pe_out *out);
size_t serve_redis_channels(const serve_redis *r);
/* Starts the workers and one subscriber thread per server. */
PE_MUST_CHECK bool serve_redis_start(serve_redis *r, char *err, size_t errlen);
/* Stops subscribing, drops what is queued (counted on stderr) and waits
 * for the handlers running. NULL is fine. */
void serve_redis_stop(serve_redis *r);
void serve_redis_free(serve_redis *r);

#endif /* PE_SERVE_INT_H */
