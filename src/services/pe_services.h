/*
 * pe_services.h -- the platform services a component reaches from Python
 * (outbound HTTP, key-value, SQLite, variables, crypto for JWT), served by
 * the host behind the guest's one generic call (src/hostapi/pe_hostcall.h).
 *
 * Two lifetimes:
 *   pe_services     one per app (pyedge up): the manifest, the stores and
 *                   databases opened, resolved variables, outbound rules.
 *                   Shared by every worker thread; each service guards its
 *                   own shared state.
 *   pe_svc_request  one per inbound request to a component: what that
 *                   request may use (its component's grants) and what it
 *                   has used (outbound calls made). Lives on the worker's
 *                   stack for the length of the request; its `hs` is what
 *                   the sandbox's WASI context points at.
 *
 * Dispatch: the service name is "<area>.<op>" ("kv.get", "http.send");
 * services.c routes by <area> to one svc_<area>.c file, which parses the
 * payload blobs (pe_hc_reader) and writes the reply. A name nobody serves
 * gets PE_HC_NO_SERVICE. Access checks (a store label the component was not
 * granted, a host not allowed) are made by the service, per request, from
 * the component's manifest entry.
 */
#ifndef PE_SERVICES_H
#define PE_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostapi/pe_abi.h"
#include "hostapi/pe_hostcall.h"
#include "manifest/pe_manifest.h"

typedef struct pe_services pe_services;

/* Set by `pyedge up` options; zeroed means defaults. */
typedef struct pe_services_options {
  const char *state_dir;        /* default stores live here (.spin); NULL: <app>/.spin */
  const char *runtime_config;   /* --runtime-config-file, or NULL */
  const char *const *variables; /* --variable k=v */
  int nvariables;
  const char *const *kv_seed; /* --key-value k=v, into the default store */
  int nkv_seed;
  const char *const *sqlite_stmts; /* --sqlite "stmt" or "@file.sql" */
  int nsqlite_stmts;
  const char *listen;                 /* the server's own address, for `self` */
  const char *geoip_db;               /* --geoip-db FILE.mmdb, or NULL */
  const char *const *trusted_proxies; /* --trusted-proxy CIDR */
  int ntrusted_proxies;
  uint64_t request_timeout_ns; /* inbound time limit: outbound calls end by then; 0 none */
} pe_services_options;

/* Opens what the app's components were granted; false (with a message that
 * names the variable, store or file) when the app cannot be served. */
pe_services *pe_services_new(const pe_manifest *m, const char *app_dir,
                             const pe_services_options *o, char *err, size_t errlen);
void pe_services_free(pe_services *s);

/* Where a streamed response goes (the "response" area, svc_response.c):
 * installed by the server for an inbound request, absent (NULL) for a
 * chained one, whose response goes back whole to its caller. The area has
 * checked the arguments; the server may still refuse a start (a status or
 * a header it cannot send: false with why). write waits at most
 * timeout_ms for the client to take earlier pieces; *done says how much of
 * the piece it took. */
typedef enum pe_svc_stream_status {
  PE_SVC_STREAM_OK,
  PE_SVC_STREAM_GONE,    /* the client went away */
  PE_SVC_STREAM_TIMEOUT, /* no room yet: ask again */
} pe_svc_stream_status;
typedef struct pe_svc_stream {
  bool (*start)(void *ctx, unsigned status, const pe_abi_header *headers, size_t n, char *why,
                size_t whylen);
  pe_svc_stream_status (*write)(void *ctx, const uint8_t *p, size_t n, unsigned timeout_ms,
                                size_t *done);
  void (*end)(void *ctx);
  void *ctx;
} pe_svc_stream;

typedef struct pe_svc_request {
  pe_host_services hs; /* hs.ctx points back at this struct */
  pe_services *app;
  const pe_manifest_component *component;
  unsigned outbound_calls;
  unsigned chain_depth; /* 0 from outside; +1 per service-chaining hop */
  uint64_t deadline_ns; /* CLOCK_MONOTONIC end of the inbound request; 0 none */
  void *kv, *sqlite;    /* the request's open stores and connections (svc_kv.c, svc_sqlite.c) */
  void *redis, *pg, *mysql, *mqtt; /* its outbound connections (svc_conns.h) */
  const pe_svc_stream *stream;     /* its response as a stream, or NULL */
  int stream_state;                /* svc_response.c: not started, started, ended */
} pe_svc_request;

/* Ready to install on a sandbox (pe_component_handle takes &r->hs). */
void pe_svc_request_init(pe_svc_request *r, pe_services *s, const pe_manifest_component *c);
/* Releases what the request still holds: open stores, database connections
 * (an open transaction is rolled back). Call once the guest is done with
 * the request; the struct may then be initialised again. */
void pe_svc_request_finish(pe_svc_request *r);

/* Service chaining (http://<id>.spin.internal, svc_http_chain.c): the
 * server routes the request to component `id` (as Spin does, on "/..."),
 * adds the spin-* headers as for an inbound request, runs it in this
 * thread with `child` as its services and leaves the encoded response
 * (docs/abi.md) in *response. */
typedef enum pe_chain_status {
  PE_CHAIN_OK,
  PE_CHAIN_NO_COMPONENT, /* not served (no trigger uses it) */
  PE_CHAIN_TIMEOUT,
  PE_CHAIN_FAILED,    /* trapped, or an unusable result */
  PE_CHAIN_NO_MEMORY, /* not started: the chain already holds the request's memory */
} pe_chain_status;

/* A chained request as the calling component sent it. */
typedef struct pe_chain_request {
  const char *method;
  const char *target; /* path and query */
  size_t target_len;
  const char *full_url; /* spin-full-url */
  size_t full_url_len;
  const pe_abi_header *headers; /* lower-case names; hop-by-hop ones removed */
  size_t n_headers;
  const uint8_t *body;
  size_t body_len;
} pe_chain_request;

typedef pe_chain_status (*pe_chain_fn)(void *ctx, const char *id, const pe_chain_request *req,
                                       pe_svc_request *child, pe_buf *response, char *why,
                                       size_t whylen);
void pe_services_set_chain(pe_services *s, pe_chain_fn fn, void *ctx);

#endif /* PE_SERVICES_H */
