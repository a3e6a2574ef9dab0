/*
 * serve_request.c -- the request a component receives (serve_int.h): the
 * client's headers, then the host's. One builder for both ways in -- a
 * request routed from outside (serve_app.c handle) and a call from another
 * component (service chaining, serve_app.c chain) -- so Spin's spin-*
 * headers are decided in one place, from the router's match.
 *
 * The host's headers go after the client's, each in a slot of its own
 * (PE_GUEST_HOST_HEADERS): a request with hundreds of headers can neither
 * hide spin-full-url from the guest nor make it see the client's copy.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve_int.h"

void guest_request_init(guest_request *g) { memset(g, 0, sizeof *g); }

void guest_request_free(guest_request *g) { pe_buf_free(&g->full_url); }

void guest_request_client_header(guest_request *g, const char *name, size_t name_len,
                                 const char *value, size_t value_len) {
  if (name_len >= 5 && strncasecmp(name, "spin-", 5) == 0) return;
  if (g->n_client == PE_GUEST_CLIENT_HEADERS) {
    g->dropped++;
    return;
  }
  g->h[g->n_client++] = (pe_abi_header){name, value, name_len, value_len};
}

void guest_request_host_header(guest_request *g, const char *name, const char *value,
                               size_t value_len) {
  /* the slots are counted for every header the host adds: never full */
  if (g->n_host == PE_GUEST_HOST_HEADERS) return;
  g->host[g->n_host++] = (pe_abi_header){name, value, strlen(name), value_len};
}

bool guest_request_spin_headers(guest_request *g, const pe_router_result *rr, const char *full_url,
                                size_t full_url_len, const char *client_addr) {
  g->full_url.len = 0;
  if (!pe_buf_append(&g->full_url, full_url, full_url_len) || !pe_buf_append(&g->full_url, "", 1))
    return false;
  snprintf(g->client, sizeof g->client, "%s", client_addr);
  guest_request_host_header(g, "spin-full-url", g->full_url.data, full_url_len);
  guest_request_host_header(g, "spin-path-info", rr->path_info, rr->path_info_len);
  guest_request_host_header(g, "spin-matched-route", rr->matched_route, strlen(rr->matched_route));
  guest_request_host_header(g, "spin-base-path", rr->base_path, strlen(rr->base_path));
  guest_request_host_header(g, "spin-raw-component-route", rr->raw_route, strlen(rr->raw_route));
  guest_request_host_header(g, "spin-component-route", rr->component_route,
                            strlen(rr->component_route));
  guest_request_host_header(g, "spin-client-addr", g->client, strlen(g->client));
  for (size_t i = 0; i < rr->n_captures; i++)
    /* a parameter name the manifest spelled too long for a header name */
    if (pe_router_capture_header(&rr->captures[i], g->capture_names[i], sizeof g->capture_names[i]))
      guest_request_host_header(g, g->capture_names[i], rr->captures[i].value,
                                rr->captures[i].value_len);
  return true;
}

bool guest_request_encode(guest_request *g, pe_buf *out, const char *method, const char *target,
                          size_t target_len, const uint8_t *body, size_t body_len) {
  for (size_t i = 0; i < g->n_host; i++) g->h[g->n_client + i] = g->host[i];
  return pe_abi_encode_request(out, method, target, target_len, g->h, g->n_client + g->n_host, body,
                               body_len);
}
