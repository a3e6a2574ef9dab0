/*
 * svc_http_chain.c -- service chaining: http://<component-id>.spin.internal
 * runs another component of the same app in-process, with no socket.
 *
 * This file is the client's half: it checks the callee and the depth,
 * passes the caller's method, target, headers (hop-by-hop ones removed,
 * names lower-case as the server delivers them) and body, and turns the
 * callee's answer into the caller's response. The server's callback
 * (pe_services_set_chain) does the rest as it does for an inbound request:
 * routes through the router (Spin's rule: the callee answers as if on
 * "/...", private components included, chaining being their only way in)
 * and adds the spin-* headers, dropping any the caller set so a component
 * cannot forge them for another. It runs on this thread, nested inside
 * the caller's host call; the callee gets its own pe_svc_request with its
 * own grants, one more level of depth, the caller's deadline and the
 * caller's outbound-call count (a chain cannot multiply the budget).
 *
 * A callee that traps or fails answers 500 and one that times out 504,
 * what an HTTP client would have received. The whole chain shares one
 * memory budget, the inbound request's --max-instance-memory (the runtime
 * counts the enclosing calls' pages, rt_internal.h outer_pages): a callee
 * that does not fit is not started and the caller's send fails with LIMIT.
 * A chain deeper than
 * PE_HTTP_MAX_CHAIN_DEPTH is refused with LIMIT so runaway recursion stops
 * long before the native stack is in danger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_http.h"

/* The caller's headers as the callee gets them: hop-by-hop ones removed,
 * names lower-cased into `lower` (n slots of 257). */
static size_t pass_headers(const ob_request *req, pe_abi_header *hs, char (*lower)[257]) {
  size_t n = 0;
  for (size_t i = 0; i < req->nh; i++) {
    const ob_header *h = &req->h[i];
    if (pe_ob_hop_by_hop(h->name, h->name_len)) continue;
    size_t l = h->name_len < 256 ? h->name_len : 256;
    for (size_t k = 0; k < l; k++)
      lower[n][k] = (char)(h->name[k] >= 'A' && h->name[k] <= 'Z' ? h->name[k] + 32 : h->name[k]);
    lower[n][l] = 0;
    hs[n] = (pe_abi_header){lower[n], h->value, l, h->value_len};
    n++;
  }
  return n;
}

/* The callee's encoded response into resp; false with *st and msg set. */
static bool take_response(const pe_buf *out, ob_response *resp, pe_hc_status *st, char *msg,
                          size_t msglen) {
  pe_abi_response r;
  if (!pe_abi_decode_response((const uint8_t *)out->data, out->len, &r)) {
    resp->status = 500;
    return true;
  }
  resp->status = r.status;
  bool ok = true;
  for (size_t i = 0; ok && i < r.n_headers; i++)
    ok = ob_response_add_header(resp, r.headers[i].name, r.headers[i].name_len, r.headers[i].value,
                                r.headers[i].value_len);
  if (ok && r.body_len > PE_OB_MAX_RESPONSE) {
    pe_abi_response_free(&r);
    *st = PE_HC_LIMIT;
    snprintf(msg, msglen, "the response body is larger than the limit of %u MiB",
             PE_OB_MAX_RESPONSE >> 20);
    return false;
  }
  ok = ok && pe_buf_append(&resp->body, r.body, r.body_len);
  pe_abi_response_free(&r);
  if (!ok) {
    *st = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
  }
  return ok;
}

/* Runs the request on the callee through the server; the chain's status
 * into the caller's response or error. */
static bool run_callee(pe_svc_request *rq, const pe_manifest_component *mc,
                       const pe_chain_request *cr, ob_response *resp, pe_hc_status *st, char *msg,
                       size_t msglen) {
  pe_services *s = rq->app;
  pe_svc_request child;
  pe_svc_request_init(&child, s, mc);
  child.chain_depth = rq->chain_depth + 1;
  child.deadline_ns = rq->deadline_ns;
  child.outbound_calls = rq->outbound_calls;
  char why[256] = "";
  pe_buf out = {0};
  pe_chain_status cs = s->chain(s->chain_ctx, mc->id, cr, &child, &out, why, sizeof why);
  pe_svc_request_finish(&child); /* the callee's open stores and connections */
  rq->outbound_calls = child.outbound_calls;
  bool ok = false;
  switch (cs) {
    case PE_CHAIN_NO_COMPONENT:
      *st = PE_HC_NOT_FOUND;
      snprintf(msg, msglen,
               "service chaining: component '%s' is not served by this app (no "
               "trigger uses it)",
               mc->id);
      break;
    case PE_CHAIN_NO_MEMORY:
      *st = PE_HC_LIMIT;
      snprintf(msg, msglen,
               "service chaining: '%s' was not started: the calls of this chain already hold "
               "the memory one request may use (--max-instance-memory); a chain shares one "
               "budget",
               mc->id);
      break;
    case PE_CHAIN_TIMEOUT:
    case PE_CHAIN_FAILED:
      /* what an HTTP client would have received */
      resp->status = cs == PE_CHAIN_TIMEOUT ? 504 : 500;
      ok = ob_response_add_header(resp, "content-length", 14, "0", 1);
      if (!ok) {
        *st = PE_HC_BACKEND;
        snprintf(msg, msglen, "out of memory");
      }
      break;
    case PE_CHAIN_OK: ok = take_response(&out, resp, st, msg, msglen); break;
  }
  pe_buf_free(&out);
  return ok;
}

bool pe_svc_http_chain(pe_svc_request *rq, const ob_request *req, const char *id, ob_response *resp,
                       pe_hc_status *st, char *msg, size_t msglen) {
  pe_services *s = rq->app;
  const pe_manifest_component *mc = strchr(id, '.') ? NULL : pe_manifest_component_by_id(s->m, id);
  if (!mc || !s->chain) {
    *st = PE_HC_NOT_FOUND;
    snprintf(msg, msglen, "service chaining: the app has no component '%.100s'%s", id,
             mc ? " that is served" : "");
    return false;
  }
  if (rq->chain_depth >= PE_OB_MAX_CHAIN_DEPTH) {
    *st = PE_HC_LIMIT;
    snprintf(msg, msglen,
             "service chaining is nested more than %u deep (a component calling "
             "itself without end?)",
             PE_OB_MAX_CHAIN_DEPTH);
    return false;
  }
  pe_abi_header *hs = malloc((req->nh ? req->nh : 1) * sizeof *hs);
  char(*lower)[257] = malloc((req->nh ? req->nh : 1) * sizeof *lower);
  pe_buf full_url = {0};
  char origin[PE_OB_MAX_HOST + 64];
  pe_outbound_url_origin(req->url, origin, sizeof origin);
  if (!hs || !lower || !pe_buf_printf(&full_url, "%s%s", origin, req->url->target)) {
    free(hs);
    free(lower);
    pe_buf_free(&full_url);
    *st = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
    return false;
  }
  const char *target = req->url->target;
  pe_chain_request cr = {req->method,
                         target,
                         strlen(target),
                         full_url.data,
                         full_url.len,
                         hs,
                         pass_headers(req, hs, lower),
                         req->body,
                         req->body_len};
  bool ok = run_callee(rq, mc, &cr, resp, st, msg, msglen);
  free(hs);
  free(lower);
  pe_buf_free(&full_url);
  return ok;
}
