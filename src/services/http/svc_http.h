/*
 * svc_http.h -- the "http" service area: outbound HTTP for components.
 *
 * Guest call (docs/hostcall.md):
 *   http.send [method, url, timeout_ms u64, header count u64,
 *              (name, value) x count, body]
 *     -> OK [status u64, header count u64, (name, value) x count, body]
 *        (names lower-case, in the order received; repeated names repeat)
 *     | DENIED (no allowed_outbound_hosts rule allows the URL)
 *     | INVALID (malformed payload, method, URL or header)
 *     | TIMEOUT | LIMIT (response too large, too many calls, chain too deep)
 *     | NOT_FOUND (service chaining to a component the app lacks)
 *     | BACKEND (connection, TLS or protocol failure)
 *
 * Three destinations, one policy (the component's allowed_outbound_hosts,
 * outbound_rules.c):
 *   - http(s)://host...            libcurl, on a per-thread handle
 *     (svc_http.c); a name allowed only through a CIDR rule is resolved
 *     here, checked, and the connection pinned to the checked address;
 *   - a relative URL "/path"       the app itself (`self`), at the server's
 *     own listen address, never at whatever Host the client sent;
 *   - http://<id>.spin.internal    service chaining: the component runs
 *     in-process through the server's callback, no socket
 *     (svc_http_chain.c).
 *
 * Limits per call: 30 s (or the guest's own shorter timeout; never past the
 * inbound request's deadline), 16 MiB of response body; per inbound request
 * 64 outbound calls (a service chain shares its caller's count) and chains
 * 10 deep.
 */
#ifndef PE_SVC_HTTP_H
#define PE_SVC_HTTP_H

#include "outbound_rules.h"
#include "services/services_int.h"

#define PE_OB_TIMEOUT_MS 30000u
#define PE_OB_MAX_RESPONSE (16u << 20)
#define PE_OB_MAX_CALLS 64u
#define PE_OB_MAX_CHAIN_DEPTH 10u
#define PE_OB_MAX_HEADERS 256u
#define PE_OB_MAX_HEADER_VALUE 16384u

bool pe_svc_http_open(pe_services *s, char *err, size_t errlen);
void pe_svc_http_close(pe_services *s);
void pe_svc_http_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out);

/* Numeric address text, IPv6 included, with its NUL. */
#define PE_OB_ADDR_TEXT 46

/* Whether the request's component may connect to scheme://host:port (the
 * areas that open connections: redis, postgres, mysql, mqtt). Decides by
 * allowed_outbound_hosts exactly as for http.send, then resolves the host
 * and leaves in addr the numeric address to connect to: the first one a
 * name rule allows, or the first inside a CIDR rule. Connecting to addr
 * (never to the name again) keeps what was checked what is reached.
 * host may be bracketed IPv6. false with the reply in out: DENIED (logged
 * with the rule to add, as http.send), INVALID (a malformed host), BACKEND
 * (the name does not resolve). */
PE_MUST_CHECK bool pe_svc_outbound_check(pe_svc_request *rq, const char *scheme, const char *host,
                                         uint16_t port, char addr[PE_OB_ADDR_TEXT], pe_buf *out);

/* --- shared by svc_http.c and svc_http_chain.c ------------------------------ */

typedef struct ob_header {
  const char *name, *value; /* into the guest's payload: not NUL-terminated */
  size_t name_len, value_len;
} ob_header;

typedef struct ob_request {
  char method[33];
  const pe_outbound_url *url;
  ob_header *h;
  size_t nh;
  const uint8_t *body;
  size_t body_len;
} ob_request;

typedef struct ob_response {
  long status;
  pe_buf headers; /* name NUL value NUL, nh times */
  size_t nh;
  pe_buf body;
} ob_response;

void ob_response_free(ob_response *r);
/* False only when out of memory. A name holding a NUL drops the header,
 * NULs in a value become spaces (RFC 9110 5.5). */
PE_MUST_CHECK bool ob_response_add_header(ob_response *r, const char *name, size_t nl,
                                          const char *value, size_t vl);

/* Headers a client must not forward (hop-by-hop ones, and host). */
bool pe_ob_hop_by_hop(const char *name, size_t len);

/* Runs req on component `id` of the same app. On false, *st and msg say why
 * (the message has no secret: the caller redacts anyway). */
bool pe_svc_http_chain(pe_svc_request *rq, const ob_request *req, const char *id, ob_response *resp,
                       pe_hc_status *st, char *msg, size_t msglen);

#endif /* PE_SVC_HTTP_H */
