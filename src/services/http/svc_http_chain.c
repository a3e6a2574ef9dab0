/*
 * svc_http_chain.c -- service chaining: http://<component-id>.spin.internal
 * runs another component of the same app in-process, with no socket.
 *
 * The request is encoded exactly as the server encodes an inbound one
 * (docs/abi.md), with the spin-* headers the callee would see had it been
 * routed to (private components included: chaining is their only way in).
 * spin-* headers the caller set are dropped, as the server drops a
 * client's, so a component cannot forge them for another. The server's
 * callback (pe_services_set_chain) runs it on this thread, nested inside
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

#include "serve/pe_serve.h"
#include "svc_http.h"

/* The route the callee answers on: its trigger's, or "/..." when private
 * or when it has no trigger. */
static const char *route_of(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_triggers; i++)
    if (m->triggers[i].component && !strcmp(m->triggers[i].component, id))
      return m->triggers[i].route ? m->triggers[i].route : "/...";
  return "/...";
}

typedef struct spin_headers {
  char full_url[PE_OB_MAX_TARGET + 400];
  char route[512], component_route[512];
  const char *path_info;
  size_t path_info_len;
} spin_headers;

static void fill_spin_headers(spin_headers *sh, const pe_manifest *m, const char *id,
                              const pe_outbound_url *u) {
  char origin[PE_OB_MAX_HOST + 64];
  pe_outbound_url_origin(u, origin, sizeof origin);
  snprintf(sh->full_url, sizeof sh->full_url, "%s%s", origin, u->target);
  snprintf(sh->route, sizeof sh->route, "%s", route_of(m, id));
  snprintf(sh->component_route, sizeof sh->component_route, "%s", sh->route);
  size_t rl = strlen(sh->component_route);
  const char *path = u->target;
  size_t pl = strcspn(path, "?");
  sh->path_info = "";
  sh->path_info_len = 0;
  if (rl >= 4 && !strcmp(sh->component_route + rl - 4, "/...")) {
    sh->component_route[rl - 4] = 0;
    size_t prefix = rl - 4;
    if (pl >= prefix && !strncmp(path, sh->component_route, prefix)) {
      sh->path_info = path + prefix;
      sh->path_info_len = pl - prefix;
    }
  }
}

bool pe_svc_http_chain(pe_svc_request *rq, const ob_request *req, const char *id,
                       ob_response *resp, pe_hc_status *st, char *msg, size_t msglen) {
  pe_services *s = rq->app;
  const pe_manifest_component *mc = strchr(id, '.') ? NULL : pe_manifest_component_by_id(s->m, id);
  if (!mc || !s->chain) {
    *st = PE_HC_NOT_FOUND;
    snprintf(msg, msglen, "service chaining: the app has no component '%.100s'%s", id,
             mc ? " that is served" : "");
    return false;
  }
  if (rq->chain_depth >= PE_HTTP_MAX_CHAIN_DEPTH) {
    *st = PE_HC_LIMIT;
    snprintf(msg, msglen, "service chaining is nested more than %u deep (a component calling "
             "itself without end?)", PE_HTTP_MAX_CHAIN_DEPTH);
    return false;
  }
  spin_headers *sh = malloc(sizeof *sh);
  pe_abi_header *hs = malloc((req->nh + 8) * sizeof *hs);
  pe_buf enc = {0}, out = {0};
  bool ok = false;
  if (!sh || !hs) {
    *st = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
    goto done;
  }
  size_t n = 0;
  for (size_t i = 0; i < req->nh; i++) {
    const ob_header *h = &req->h[i];
    if (pe_http_hop_by_hop(h->name, h->name_len) ||
        (h->name_len >= 5 && !strncasecmp(h->name, "spin-", 5)))
      continue;
    hs[n++] = (pe_abi_header){h->name, h->value, h->name_len, h->value_len};
  }
  fill_spin_headers(sh, s->m, id, req->url);
  static const char client[] = "127.0.0.1:0", base[] = "/";
  hs[n++] = (pe_abi_header){"spin-full-url", sh->full_url, 13, strlen(sh->full_url)};
  hs[n++] = (pe_abi_header){"spin-path-info", sh->path_info, 14, sh->path_info_len};
  hs[n++] = (pe_abi_header){"spin-matched-route", sh->route, 18, strlen(sh->route)};
  hs[n++] = (pe_abi_header){"spin-base-path", base, 14, 1};
  hs[n++] = (pe_abi_header){"spin-raw-component-route", sh->route, 24, strlen(sh->route)};
  hs[n++] = (pe_abi_header){"spin-component-route", sh->component_route, 20,
                            strlen(sh->component_route)};
  hs[n++] = (pe_abi_header){"spin-client-addr", client, 16, sizeof client - 1};
  /* header names go to the guest lower-case, as the server sends them */
  char (*lower)[257] = malloc(n * sizeof *lower);
  if (!lower) {
    *st = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    size_t l = hs[i].name_len < 256 ? hs[i].name_len : 256;
    for (size_t k = 0; k < l; k++)
      lower[i][k] = (char)(hs[i].name[k] >= 'A' && hs[i].name[k] <= 'Z' ? hs[i].name[k] + 32
                                                                          : hs[i].name[k]);
    lower[i][l] = 0;
    hs[i].name = lower[i];
  }
  const pe_outbound_url *u = req->url;
  ok = pe_abi_encode_request(&enc, req->method, u->target, strlen(u->target), hs, n, req->body,
                             req->body_len);
  if (!ok) {
    free(lower);
    *st = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
    goto done;
  }
  pe_svc_request child;
  pe_svc_request_init(&child, s, mc);
  child.chain_depth = rq->chain_depth + 1;
  child.deadline_ns = rq->deadline_ns;
  child.outbound_calls = rq->outbound_calls;
  char why[256] = "";
  pe_chain_status cs = s->chain(s->chain_ctx, mc->id, (const uint8_t *)enc.data, enc.len, &child,
                                &out, why, sizeof why);
  pe_svc_request_finish(&child); /* the callee's open stores and connections */
  rq->outbound_calls = child.outbound_calls;
  free(lower);
  ok = false;
  pe_abi_response r;
  switch (cs) {
    case PE_CHAIN_NO_COMPONENT:
      *st = PE_HC_NOT_FOUND;
      snprintf(msg, msglen, "service chaining: component '%s' is not served by this app (no "
               "trigger uses it)", mc->id);
      break;
    case PE_CHAIN_TIMEOUT:
      resp->status = 504;
      ok = true;
      break;
    case PE_CHAIN_NO_MEMORY:
      *st = PE_HC_LIMIT;
      snprintf(msg, msglen,
               "service chaining: '%s' was not started: the calls of this chain already hold "
               "the memory one request may use (--max-instance-memory); a chain shares one "
               "budget", mc->id);
      break;
    case PE_CHAIN_FAILED:
      resp->status = 500;
      ok = true;
      break;
    case PE_CHAIN_OK:
      if (!pe_abi_decode_response((const uint8_t *)out.data, out.len, &r)) {
        resp->status = 500;
        ok = true;
        break;
      }
      resp->status = r.status;
      ok = true;
      for (size_t i = 0; ok && i < r.n_headers; i++)
        ok = ob_response_add_header(resp, r.headers[i].name, r.headers[i].name_len,
                                    r.headers[i].value, r.headers[i].value_len);
      if (ok && r.body_len > PE_HTTP_MAX_RESPONSE) {
        ok = false;
        *st = PE_HC_LIMIT;
        snprintf(msg, msglen, "the response body is larger than the limit of %u MiB",
                 PE_HTTP_MAX_RESPONSE >> 20);
      } else if (ok) {
        ok = pe_buf_append(&resp->body, r.body, r.body_len);
      }
      if (!ok && *st != PE_HC_LIMIT) {
        *st = PE_HC_BACKEND;
        snprintf(msg, msglen, "out of memory");
      }
      pe_abi_response_free(&r);
      break;
  }
  if (ok && (cs == PE_CHAIN_TIMEOUT || cs == PE_CHAIN_FAILED))
    ok = ob_response_add_header(resp, "content-length", 14, "0", 1);
done:
  free(sh);
  free(hs);
  pe_buf_free(&enc);
  pe_buf_free(&out);
  return ok;
}
