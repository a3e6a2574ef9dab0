/*
 * svc_http.c -- outbound HTTP: payload checks, the allow-list decision and
 * the libcurl transfer (see svc_http.h for the wire format and limits).
 *
 * Order of work for one http.send, cheapest refusal first: decode and
 * validate every blob (the guest is hostile), count the call against the
 * inbound request's budget, parse the URL strictly, decide by the
 * component's rules, then transfer. Curl never sees the guest's URL text:
 * it gets one rebuilt from the parsed parts, so what was checked is what is
 * contacted. A name that only a CIDR rule could allow is resolved here and
 * curl is pinned to the checked address (CURLOPT_RESOLVE), so a DNS answer
 * that changes between check and connect cannot redirect the request.
 *
 * Curl handles are per thread (a worker runs one request at a time) and
 * reset between calls, so keep-alive connections to an origin survive from
 * one request to the next. The inbound request's deadline bounds the
 * transfer (CURLOPT_TIMEOUT_MS) and the progress callback stops it when the
 * runtime asks the call to stop (pe_rt_should_stop).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "curl_lazy.h"
#include "runtime/pe_rt.h"
#include "svc_http.h"
#include "services/svc_vars.h"

typedef struct comp_rules {
  const char *id;
  pe_outbound_rules rules;
} comp_rules;

typedef struct http_state {
  comp_rules *c;
  size_t n;
  char *ca_file;         /* CURL_CA_BUNDLE or SSL_CERT_FILE from pyedge's environment */
  char self_origin[300]; /* "http://127.0.0.1:3000", or "" */
} http_state;

/* --- small helpers ---------------------------------------------------------- */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool is_tchar(unsigned char c) { return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)); }

static bool token(const char *p, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!is_tchar((unsigned char)p[i])) return false;
  return true;
}

bool pe_ob_hop_by_hop(const char *name, size_t len) {
  static const char *const names[] = {"connection",
                                      "keep-alive",
                                      "proxy-connection",
                                      "proxy-authenticate",
                                      "proxy-authorization",
                                      "transfer-encoding",
                                      "te",
                                      "trailer",
                                      "upgrade",
                                      "http2-settings",
                                      "host",
                                      NULL};
  for (const char *const *n = names; *n; n++)
    if (strlen(*n) == len && !strncasecmp(*n, name, len)) return true;
  return false;
}

static bool name_is(const ob_header *h, const char *name) {
  return h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len);
}

void ob_response_free(ob_response *r) {
  pe_buf_free(&r->headers);
  pe_buf_free(&r->body);
}

/* Headers are kept NUL-terminated (write_reply splits them with strlen), so
 * a NUL from a server or a chained component would shift every name and
 * value after it. RFC 9110 5.5: a name with one is no field name (the
 * header is dropped), a value's is replaced with SP. */
bool ob_response_add_header(ob_response *r, const char *name, size_t nl, const char *value,
                            size_t vl) {
  if (memchr(name, 0, nl)) return true;
  size_t at = r->headers.len;
  for (size_t i = 0; i < nl; i++) {
    char c = (char)tolower((unsigned char)name[i]);
    if (!pe_buf_append(&r->headers, &c, 1)) return false;
  }
  if (!pe_buf_append(&r->headers, "", 1) || !pe_buf_append(&r->headers, value, vl) ||
      !pe_buf_append(&r->headers, "", 1)) {
    r->headers.len = at;
    return false;
  }
  char *v = r->headers.data + r->headers.len - 1 - vl;
  for (size_t i = 0; i < vl; i++)
    if (!v[i]) v[i] = ' ';
  r->nh++;
  return true;
}

/* The guest's URL, printable and bounded, for messages. */
static void show_url(const uint8_t *p, size_t n, char *out, size_t cap) {
  size_t k = 0, lim = n > 300 ? 300 : n;
  for (size_t i = 0; i < lim && k + 1 < cap; i++)
    out[k++] = p[i] > 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
  if (n > lim && k + 4 < cap) {
    memcpy(out + k, "...", 3);
    k += 3;
  }
  out[k] = 0;
}

/* --- state ------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_key_t curl_key;
static bool curl_ready;

static void curl_handle_free(void *h) { curl_easy_cleanup(h); }

static char curl_error[256];

/* On the first outbound request, not at start-up: see curl_lazy.h. */
static void curl_setup(void) {
  if (!pe_curl_load(curl_error, sizeof curl_error)) return;
  curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK &&
               pthread_key_create(&curl_key, curl_handle_free) == 0;
  if (!curl_ready) snprintf(curl_error, sizeof curl_error, "libcurl failed to initialize");
}

static CURL *thread_curl(void) {
  pthread_once(&curl_once, curl_setup);
  if (!curl_ready) return NULL;
  CURL *h = pthread_getspecific(curl_key);
  if (h) {
    curl_easy_reset(h);
    return h;
  }
  h = curl_easy_init();
  if (h && pthread_setspecific(curl_key, h) != 0) {
    curl_easy_cleanup(h);
    return NULL;
  }
  return h;
}

/* "127.0.0.1:3000" -> "http://127.0.0.1:3000"; a wildcard address means
 * this machine's loopback. */
static void set_self(http_state *st, const char *listen) {
  st->self_origin[0] = 0;
  if (!listen || !*listen) return;
  const char *colon = strrchr(listen, ':');
  if (!colon || !colon[1] || !strcmp(colon + 1, "0")) return;
  char host[256];
  size_t hl = (size_t)(colon - listen);
  if (hl >= sizeof host) return;
  memcpy(host, listen, hl);
  host[hl] = 0;
  const char *h = host;
  if (!strcmp(h, "0.0.0.0") || !*h)
    h = "127.0.0.1";
  else if (!strcmp(h, "[::]") || !strcmp(h, "::"))
    h = "[::1]";
  snprintf(st->self_origin, sizeof st->self_origin, "http://%s:%s", h, colon + 1);
}

static bool add_rule(pe_services *s, pe_outbound_rules *rs, const pe_manifest_component *c,
                     const char *entry, const char *key, char *err, size_t errlen) {
  char why[512];
  char *resolved = pe_svc_vars_expand(s, entry, NULL, why, sizeof why);
  if (!resolved || !pe_outbound_rules_add(rs, resolved, entry, why, sizeof why)) {
    free(resolved);
    snprintf(err, errlen, "%s: component '%s': %s: %s", s->m->file ? s->m->file : "spin.toml",
             c->id, key, why);
    return false;
  }
  free(resolved);
  return true;
}

bool pe_svc_http_open(pe_services *s, char *err, size_t errlen) {
  http_state *st = calloc(1, sizeof *st);
  if (!st) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  s->http = st;
  const pe_manifest *m = s->m;
  st->c = calloc(m->n_components ? m->n_components : 1, sizeof *st->c);
  if (!st->c) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  for (size_t i = 0; i < m->n_components; i++) {
    const pe_manifest_component *c = &m->components[i];
    comp_rules *cr = &st->c[st->n++];
    cr->id = c->id;
    for (size_t k = 0; k < c->allowed_outbound_hosts.len; k++)
      if (!add_rule(s, &cr->rules, c, c->allowed_outbound_hosts.items[k], "allowed_outbound_hosts",
                    err, errlen))
        return false;
    /* the deprecated spelling: bare hosts meant http and https */
    for (size_t k = 0; k < c->allowed_http_hosts.len; k++) {
      const char *h = c->allowed_http_hosts.items[k];
      if (!strcmp(h, "insecure:allow-all")) {
        if (!add_rule(s, &cr->rules, c, "*://*:*", "allowed_http_hosts", err, errlen)) return false;
        continue;
      }
      for (int sch = 0; sch < 2; sch++) {
        char rule[600];
        if (strstr(h, "://"))
          snprintf(rule, sizeof rule, "%s", h);
        else
          snprintf(rule, sizeof rule, "%s://%s", sch ? "https" : "http", h);
        if (!add_rule(s, &cr->rules, c, rule, "allowed_http_hosts", err, errlen)) return false;
        if (strstr(h, "://")) break;
      }
    }
  }
  const char *ca = getenv("CURL_CA_BUNDLE");
  if (!ca || !*ca) ca = getenv("SSL_CERT_FILE");
  if (ca && *ca && !(st->ca_file = strdup(ca))) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  set_self(st, s->o.listen);
  return true;
}

void pe_svc_http_close(pe_services *s) {
  http_state *st = s->http;
  if (!st) return;
  for (size_t i = 0; i < st->n; i++) pe_outbound_rules_free(&st->c[i].rules);
  free(st->c);
  free(st->ca_file);
  free(st);
  s->http = NULL;
}

static const pe_outbound_rules *rules_of(const http_state *st, const char *id) {
  for (size_t i = 0; i < st->n; i++)
    if (!strcmp(st->c[i].id, id)) return &st->c[i].rules;
  return NULL;
}

/* --- the transfer ------------------------------------------------------------ */

typedef struct xfer {
  ob_response *resp;
  bool too_big, too_many_headers, stopped, oom;
} xfer;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  if (x->resp->body.len + n > PE_OB_MAX_RESPONSE) {
    x->too_big = true;
    return 0;
  }
  if (!pe_buf_append(&x->resp->body, p, n)) {
    x->oom = true;
    return 0;
  }
  return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  if (n >= 5 && !memcmp(p, "HTTP/", 5)) { /* a new response (after 1xx): start over */
    x->resp->headers.len = 0;
    x->resp->nh = 0;
    return n;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon || !token(p, (size_t)(colon - p))) return n; /* blank line, folding, junk */
  const char *v = colon + 1, *e = p + n;
  while (v < e && (*v == ' ' || *v == '\t')) v++;
  while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t')) e--;
  if (x->resp->nh >= 512) {
    x->too_many_headers = true;
    return 0;
  }
  if (!ob_response_add_header(x->resp, p, (size_t)(colon - p), v, (size_t)(e - v))) {
    x->oom = true;
    return 0;
  }
  return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)a, (void)b, (void)c, (void)d;
  xfer *x = ud;
  if (pe_rt_should_stop()) {
    x->stopped = true;
    return 1;
  }
  return 0;
}

static bool append_line(struct curl_slist **l, const char *line) {
  struct curl_slist *n = curl_slist_append(*l, line);
  if (!n) return false;
  *l = n;
  return true;
}

/* Adds "Name: value" (or "Name;" for an empty value, curl's spelling). */
static bool add_curl_header(struct curl_slist **l, const char *name, size_t nl, const char *value,
                            size_t vl) {
  size_t len = nl + vl + 3;
  char *line = malloc(len);
  if (!line) return false;
  if (vl)
    snprintf(line, len, "%.*s: %.*s", (int)nl, name, (int)vl, value);
  else
    snprintf(line, len, "%.*s;", (int)nl, name);
  bool ok = append_line(l, line);
  free(line);
  return ok;
}

typedef struct transfer_plan {
  char url[PE_OB_MAX_TARGET + 400];
  char resolve[PE_OB_MAX_HOST + 80]; /* "host:port:addr" or "" */
  uint64_t timeout_ms;
  bool by_deadline;
} transfer_plan;

/* The guest's headers as curl sends them (hop-by-hop ones and those curl
 * writes itself left out; curl's own defaults removed with "Name:"), and
 * the pinned address, if any. False when out of memory. */
static bool curl_lists(const ob_request *req, const transfer_plan *plan, struct curl_slist **hdrs,
                       struct curl_slist **resolve) {
  bool ok = true, has_accept = false, has_ctype = false;
  for (size_t i = 0; ok && i < req->nh; i++) {
    const ob_header *x = &req->h[i];
    if (pe_ob_hop_by_hop(x->name, x->name_len) || name_is(x, "content-length") ||
        name_is(x, "expect"))
      continue;
    has_accept |= name_is(x, "accept");
    has_ctype |= name_is(x, "content-type");
    ok = add_curl_header(hdrs, x->name, x->name_len, x->value, x->value_len);
  }
  if (ok) ok = append_line(hdrs, "Expect:");
  if (ok && !has_accept) ok = append_line(hdrs, "Accept:");
  if (ok && !has_ctype) ok = append_line(hdrs, "Content-Type:");
  if (ok && plan->resolve[0]) ok = append_line(resolve, plan->resolve);
  return ok;
}

/* Everything the handle needs for one transfer. The lists and errbuf must
 * outlive curl_easy_perform; forget_transfer drops them after. */
static void set_transfer(CURL *h, const http_state *st, const ob_request *req,
                         const transfer_plan *plan, struct curl_slist *hdrs,
                         struct curl_slist *resolve, xfer *x, char *errbuf) {
  curl_easy_setopt(h, CURLOPT_URL, plan->url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)plan->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)plan->timeout_ms);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  if (resolve) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
  if (st->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, st->ca_file);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (!strcmp(req->method, "HEAD")) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (!strcmp(req->method, "GET") && req->body_len == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body_len || !strcmp(req->method, "POST") || !strcmp(req->method, "PUT") ||
        !strcmp(req->method, "PATCH")) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? (const char *)req->body : "");
    }
  }
}

/* The handle outlives the transfer: it must not point at our lists. */
static void forget_transfer(CURL *h) {
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h, CURLOPT_RESOLVE, NULL);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
}

/* Why a transfer that did not end with CURLE_OK failed, as the guest's
 * status and message. */
static void explain_transfer(CURLcode rc, const xfer *x, const transfer_plan *plan,
                             const char *errbuf, pe_hc_status *code, char *msg, size_t msglen) {
  if (x->too_big) {
    *code = PE_HC_LIMIT;
    snprintf(msg, msglen, "the response body is larger than the limit of %u MiB",
             PE_OB_MAX_RESPONSE >> 20);
  } else if (x->too_many_headers) {
    *code = PE_HC_LIMIT;
    snprintf(msg, msglen, "the response has more than 512 header fields");
  } else if (x->oom) {
    *code = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
  } else if (x->stopped || rc == CURLE_OPERATION_TIMEDOUT) {
    *code = PE_HC_TIMEOUT;
    if (x->stopped || plan->by_deadline)
      snprintf(msg, msglen, "timed out: the inbound request's time limit was reached");
    else
      snprintf(msg, msglen, "timed out after %llu ms", (unsigned long long)plan->timeout_ms);
  } else {
    *code = PE_HC_BACKEND;
    const char *what = curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
      what = "the server's TLS certificate is not trusted";
    snprintf(msg, msglen, "%s%s%s", what, errbuf[0] ? ": " : "", errbuf);
  }
}

static bool do_transfer(const http_state *st, const ob_request *req, const transfer_plan *plan,
                        ob_response *resp, pe_hc_status *code, char *msg, size_t msglen) {
  CURL *h = thread_curl();
  if (!h) {
    *code = PE_HC_BACKEND;
    snprintf(msg, msglen, "cannot start an HTTP client: %s",
             curl_ready ? "out of memory" : curl_error);
    return false;
  }
  struct curl_slist *hdrs = NULL, *resolve = NULL;
  if (!curl_lists(req, plan, &hdrs, &resolve)) {
    curl_slist_free_all(hdrs);
    curl_slist_free_all(resolve);
    *code = PE_HC_BACKEND;
    snprintf(msg, msglen, "out of memory");
    return false;
  }
  xfer x = {.resp = resp};
  char errbuf[CURL_ERROR_SIZE] = "";
  set_transfer(h, st, req, plan, hdrs, resolve, &x, errbuf);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
  forget_transfer(h);
  curl_slist_free_all(hdrs);
  curl_slist_free_all(resolve);
  if (rc != CURLE_OK) {
    explain_transfer(rc, &x, plan, errbuf, code, msg, msglen);
    return false;
  }
  if (resp->status < 100 || resp->status > 999) {
    *code = PE_HC_BACKEND;
    snprintf(msg, msglen, "the server sent no valid HTTP status");
    return false;
  }
  return true;
}

/* --- the decision ------------------------------------------------------------- */

/* The first address of u->host allowed by a name rule (any address) or a
 * CIDR rule (an address inside it), as numeric text. */
static bool resolve_allowed(const pe_outbound_rules *rs, const pe_outbound_url *u, bool by_name,
                            char addr[PE_OB_ADDR_TEXT], char *seen, size_t seen_len,
                            bool *resolved) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  seen[0] = 0;
  *resolved = getaddrinfo(u->host, NULL, &hints, &res) == 0;
  if (!*resolved) return false;
  bool ok = false;
  size_t used = 0;
  for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
    pe_ob_addr a;
    memset(&a, 0, sizeof a);
    char text[INET6_ADDRSTRLEN];
    if (ai->ai_family == AF_INET) {
      a.family = 4;
      memcpy(a.b, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
      inet_ntop(AF_INET, a.b, text, sizeof text);
    } else if (ai->ai_family == AF_INET6) {
      a.family = 6;
      memcpy(a.b, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
      inet_ntop(AF_INET6, a.b, text, sizeof text);
    } else {
      continue;
    }
    if (by_name || pe_outbound_allows_addr(rs, u, &a)) {
      ok = true;
      snprintf(addr, PE_OB_ADDR_TEXT, "%s", text);
    } else if (used + strlen(text) + 3 < seen_len) {
      used += (size_t)snprintf(seen + used, seen_len - used, "%s%s", used ? ", " : "", text);
    }
  }
  freeaddrinfo(res);
  return ok;
}

/* Resolves a name that only a CIDR rule might allow; on success fills
 * plan->resolve with the first allowed address ("host:port:addr"). */
static bool allowed_by_address(const pe_outbound_rules *rs, const pe_outbound_url *u,
                               transfer_plan *plan, char *seen, size_t seen_len) {
  char addr[PE_OB_ADDR_TEXT];
  bool resolved;
  if (!resolve_allowed(rs, u, false, addr, seen, seen_len, &resolved)) {
    if (!resolved) snprintf(seen, seen_len, "(it does not resolve)");
    return false;
  }
  bool v6 = strchr(addr, ':') != NULL;
  snprintf(plan->resolve, sizeof plan->resolve, "%s:%u:%s%s%s", u->host, (unsigned)u->port,
           v6 ? "[" : "", addr, v6 ? "]" : "");
  return true;
}

static void deny(pe_svc_request *rq, const pe_outbound_rules *rs, const char *shown_url,
                 const pe_outbound_url *u, const char *addresses, pe_buf *out) {
  const char *id = rq->component ? rq->component->id : "?";
  /* the other areas (redis, postgres...) open connections, not requests */
  const char *what = u->relative || strncmp(u->scheme, "http", 4) == 0 ? "outbound request"
                                                                       : "outbound connection";
  char origin[PE_OB_MAX_HOST + 64], suggest[PE_OB_MAX_HOST + 64], rules[1024], msg[2048];
  if (u->relative) {
    snprintf(origin, sizeof origin, "self (a relative URL)");
    snprintf(suggest, sizeof suggest, "http://self");
  } else {
    pe_outbound_url_origin(u, origin, sizeof origin);
    pe_outbound_url tmp = *u;
    tmp.port_given = u->port != pe_ob_default_port(u->scheme);
    pe_outbound_url_origin(&tmp, suggest, sizeof suggest);
  }
  if (!rs || rs->n == 0) {
    snprintf(msg, sizeof msg,
             "%s to '%s' is not allowed: component '%s' has no "
             "allowed_outbound_hosts, so it may make no outbound requests (to allow this one, "
             "add \"%s\" to allowed_outbound_hosts in [component.%s])",
             what, shown_url, id, suggest, id);
  } else {
    pe_outbound_rules_describe(rs, rules, sizeof rules);
    snprintf(msg, sizeof msg,
             "%s to '%s' is not allowed: no allowed_outbound_hosts rule of "
             "component '%s' allows %s%s%s%s (rules: %s)",
             what, shown_url, id, origin, addresses && *addresses ? " (addresses: " : "",
             addresses ? addresses : "", addresses && *addresses ? ")" : "", rules);
  }
  pe_svc_vars_redact(rq->app, msg);
  pe_hc_error(out, PE_HC_DENIED, "%s", msg);
  char line[2300];
  snprintf(line, sizeof line,
           "pyedge: %s: %s to '%s' denied: not in "
           "allowed_outbound_hosts (to allow it, add \"%s\")\n",
           id, what, shown_url, suggest);
  pe_svc_vars_redact(rq->app, line);
  fputs(line, stderr);
}

static void fail(pe_svc_request *rq, pe_buf *out, pe_hc_status code, const char *shown_url,
                 const char *why) {
  char msg[1600];
  snprintf(msg, sizeof msg, "outbound request to '%s' failed: %s", shown_url, why);
  pe_svc_vars_redact(rq->app, msg);
  pe_hc_error(out, code, "%s", msg);
}

static bool write_reply(pe_buf *out, const ob_response *r) {
  if (!pe_hc_ok(out) || !pe_hc_put_u64(out, (uint64_t)r->status) || !pe_hc_put_u64(out, r->nh))
    return false;
  const char *p = r->headers.data;
  for (size_t i = 0; i < r->nh; i++) {
    size_t nl = strlen(p);
    const char *v = p + nl + 1;
    size_t vl = strlen(v);
    if (!pe_hc_put_blob(out, p, nl) || !pe_hc_put_blob(out, v, vl)) return false;
    p = v + vl + 1;
  }
  return pe_hc_put_blob(out, r->body.data ? r->body.data : "", r->body.len);
}

/* Decodes and validates the payload into req (pointers into `in`). */
static bool read_request(const uint8_t *in, size_t n, ob_request *req, const uint8_t **url,
                         size_t *url_len, uint64_t *timeout_ms, char *msg, size_t msglen) {
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  const uint8_t *m;
  size_t ml;
  uint64_t nh;
  if (!pe_hc_blob(&r, &m, &ml) || !pe_hc_blob(&r, url, url_len) || !pe_hc_u64(&r, timeout_ms) ||
      !pe_hc_u64(&r, &nh)) {
    snprintf(msg, msglen,
             "http.send takes [method, url, timeout_ms, header count, "
             "(name, value)..., body]");
    return false;
  }
  if (ml == 0 || ml >= sizeof req->method || !token((const char *)m, ml)) {
    snprintf(msg, msglen, "invalid HTTP method (it must be a token of 1 to 32 characters)");
    return false;
  }
  memcpy(req->method, m, ml);
  req->method[ml] = 0;
  /* each header needs at least two 4-byte lengths: bound the count first */
  if (nh > PE_OB_MAX_HEADERS || nh * 8 > r.left) {
    snprintf(msg, msglen, "too many request headers (the limit is %u)", PE_OB_MAX_HEADERS);
    return false;
  }
  for (uint64_t i = 0; i < nh; i++) {
    const uint8_t *hn, *hv;
    size_t hnl, hvl;
    if (!pe_hc_blob(&r, &hn, &hnl) || !pe_hc_blob(&r, &hv, &hvl)) {
      snprintf(msg, msglen, "truncated header list");
      return false;
    }
    if (hnl > 256 || !token((const char *)hn, hnl)) {
      snprintf(msg, msglen, "invalid header name (it must be a token of 1 to 256 characters)");
      return false;
    }
    if (hvl > PE_OB_MAX_HEADER_VALUE) {
      snprintf(msg, msglen, "the value of header '%.*s' is longer than %u bytes", (int)hnl, hn,
               PE_OB_MAX_HEADER_VALUE);
      return false;
    }
    for (size_t k = 0; k < hvl; k++)
      if ((hv[k] < 0x20 && hv[k] != '\t') || hv[k] == 0x7f) {
        snprintf(msg, msglen,
                 "the value of header '%.*s' contains a control character (CR, LF, "
                 "NUL...)",
                 (int)hnl, hn);
        return false;
      }
    req->h[req->nh++] = (ob_header){(const char *)hn, (const char *)hv, hnl, hvl};
  }
  if (!pe_hc_blob(&r, &req->body, &req->body_len) || !pe_hc_done(&r)) {
    snprintf(msg, msglen, "the payload must end with the body blob");
    return false;
  }
  return true;
}

/* A scheme ("file:", "gopher:", "data:"...) other than http and https, named
 * in *scheme; false when there is none or it is supported. */
static bool unsupported_scheme(const uint8_t *p, size_t n, char *scheme, size_t cap) {
  size_t i = 0;
  if (n == 0 || !isalpha(p[0])) return false;
  while (i < n && (isalnum(p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.')) i++;
  if (i == n || p[i] != ':' || i >= cap) return false;
  for (size_t k = 0; k < i; k++) scheme[k] = (char)tolower(p[k]);
  scheme[i] = 0;
  return strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0;
}

/* Parses the guest's URL strictly and decides with the component's
 * allowed_outbound_hosts; false with the reply written to out. */
static bool parse_and_allow(pe_svc_request *rq, const uint8_t *url_p, size_t url_len,
                            pe_outbound_url *u, transfer_plan *plan, const char *shown,
                            pe_buf *out) {
  http_state *st = rq->app->http;
  char msg[1024], scheme[16];
  if (unsupported_scheme(url_p, url_len, scheme, sizeof scheme)) {
    snprintf(msg, sizeof msg, "the URL scheme '%s' is not supported (only http and https)", scheme);
    fail(rq, out, PE_HC_INVALID, shown, msg);
    return false;
  }
  if (!pe_outbound_url_parse((const char *)url_p, url_len, u, msg, sizeof msg)) {
    fail(rq, out, PE_HC_INVALID, shown, msg);
    return false;
  }
  const pe_outbound_rules *rs = rq->component ? rules_of(st, rq->component->id) : NULL;
  char seen[256] = "";
  bool allowed = rs && pe_outbound_allows(rs, u);
  if (!allowed && rs && pe_outbound_has_cidr(rs, u))
    allowed = allowed_by_address(rs, u, plan, seen, sizeof seen);
  if (!allowed) deny(rq, rs, shown, u, seen, out);
  return allowed;
}

/* http://<id>.spin.internal: the component id, for service chaining. */
static bool internal_component(const pe_outbound_url *u, char id[PE_OB_MAX_HOST + 1]) {
  static const char internal[] = ".spin.internal";
  size_t hl = strlen(u->host), il = sizeof internal - 1;
  if (u->relative || u->host_is_ip || hl <= il || strcmp(u->host + hl - il, internal) != 0)
    return false;
  memcpy(id, u->host, hl - il);
  id[hl - il] = 0;
  return true;
}

/* Where the transfer goes (the app itself for a relative URL) and how long
 * it may take: 30 s, or the guest's shorter timeout, never past the inbound
 * request's deadline. False with *code and msg set. */
static bool plan_transfer(const http_state *st, const pe_svc_request *rq, const pe_outbound_url *u,
                          uint64_t guest_timeout, transfer_plan *plan, pe_hc_status *code,
                          char *msg, size_t msglen) {
  if (u->relative) {
    if (!st->self_origin[0]) {
      *code = PE_HC_BACKEND;
      snprintf(msg, msglen,
               "the app's own address is not known (relative URLs need `pyedge "
               "up --listen HOST:PORT` with a fixed port)");
      return false;
    }
    snprintf(plan->url, sizeof plan->url, "%s%s", st->self_origin, u->target);
  } else {
    char origin[PE_OB_MAX_HOST + 64];
    pe_outbound_url_origin(u, origin, sizeof origin);
    snprintf(plan->url, sizeof plan->url, "%s%s", origin, u->target);
  }
  plan->timeout_ms = PE_OB_TIMEOUT_MS;
  if (guest_timeout && guest_timeout < plan->timeout_ms) plan->timeout_ms = guest_timeout;
  if (!rq->deadline_ns) return true;
  uint64_t now = now_ns();
  if (now >= rq->deadline_ns) {
    *code = PE_HC_TIMEOUT;
    snprintf(msg, msglen, "timed out: the inbound request's time limit was reached");
    return false;
  }
  uint64_t left = (rq->deadline_ns - now) / 1000000u;
  if (left < plan->timeout_ms) {
    plan->timeout_ms = left ? left : 1;
    plan->by_deadline = true;
  }
  return true;
}

static void http_send(pe_svc_request *rq, const uint8_t *in, size_t n, pe_buf *out) {
  http_state *st = rq->app->http;
  ob_request req;
  memset(&req, 0, sizeof req);
  ob_header headers[PE_OB_MAX_HEADERS];
  req.h = headers;
  const uint8_t *url_p = NULL;
  size_t url_len = 0;
  uint64_t guest_timeout = 0;
  char msg[1024], shown[320];
  if (!read_request(in, n, &req, &url_p, &url_len, &guest_timeout, msg, sizeof msg)) {
    pe_hc_error(out, PE_HC_INVALID, "%s", msg);
    return;
  }
  show_url(url_p, url_len, shown, sizeof shown);
  pe_svc_vars_redact(rq->app, shown);
  if (rq->outbound_calls >= PE_OB_MAX_CALLS) {
    fail(rq, out, PE_HC_LIMIT, shown,
         "this request already made the maximum of 64 outbound "
         "requests");
    return;
  }
  rq->outbound_calls++;
  pe_outbound_url *u = malloc(sizeof *u);
  transfer_plan *plan = calloc(1, sizeof *plan);
  ob_response resp;
  memset(&resp, 0, sizeof resp);
  if (!u || !plan) {
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
  } else if (parse_and_allow(rq, url_p, url_len, u, plan, shown, out)) {
    req.url = u;
    pe_hc_status code = PE_HC_BACKEND;
    char id[PE_OB_MAX_HOST + 1];
    bool ok = internal_component(u, id)
                  ? pe_svc_http_chain(rq, &req, id, &resp, &code, msg, sizeof msg)
                  : plan_transfer(st, rq, u, guest_timeout, plan, &code, msg, sizeof msg) &&
                        do_transfer(st, &req, plan, &resp, &code, msg, sizeof msg);
    if (!ok)
      fail(rq, out, code, shown, msg);
    else if (!write_reply(out, &resp))
      pe_hc_error(out, PE_HC_BACKEND, "out of memory");
  }
  ob_response_free(&resp);
  free(u);
  free(plan);
}

void pe_svc_http_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                      pe_buf *out) {
  if (!rq->app || !rq->app->http) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "outbound HTTP is not available");
    return;
  }
  if (!strcmp(op, "send")) {
    http_send(rq, in, n, out);
    return;
  }
  pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'http.%.60s'", op);
}

/* ---- connections by other areas (svc_http.h) ------------------------------- */

static bool host_name_ok(const char *h) {
  size_t n = strlen(h);
  if (n == 0 || n > PE_OB_MAX_HOST) return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_') return false;
  return true;
}

bool pe_svc_outbound_check(pe_svc_request *rq, const char *scheme, const char *host, uint16_t port,
                           char addr[PE_OB_ADDR_TEXT], pe_buf *out) {
  pe_outbound_url u;
  memset(&u, 0, sizeof u);
  size_t sl = strlen(scheme), hl = strlen(host);
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') host++, hl -= 2;
  if (sl == 0 || sl >= sizeof u.scheme || hl == 0 || hl > PE_OB_MAX_HOST || port == 0) {
    pe_hc_error(out, PE_HC_INVALID, "the address %.64s://%.*s:%u is not valid", scheme,
                (int)(hl > 64 ? 64 : hl), host, (unsigned)port);
    return false;
  }
  for (size_t i = 0; i < sl; i++) u.scheme[i] = (char)tolower((unsigned char)scheme[i]);
  for (size_t i = 0; i < hl; i++) u.host[i] = (char)tolower((unsigned char)host[i]);
  u.host_is_ip = pe_ob_addr_parse(u.host, &u.ip);
  if (!u.host_is_ip && !host_name_ok(u.host)) {
    pe_hc_error(out, PE_HC_INVALID, "'%.64s' is not a host name or an IP address", u.host);
    return false;
  }
  u.port = port;
  u.port_given = true;
  snprintf(u.target, sizeof u.target, "/");
  char shown[PE_OB_MAX_HOST + 64];
  pe_outbound_url_origin(&u, shown, sizeof shown);

  const pe_outbound_rules *rs = rq->component ? rules_of(rq->app->http, rq->component->id) : NULL;
  bool by_name = rs && pe_outbound_allows(rs, &u);
  if (!by_name && !(rs && !u.host_is_ip && pe_outbound_has_cidr(rs, &u))) {
    deny(rq, rs, shown, &u, NULL, out);
    return false;
  }
  if (u.host_is_ip) {
    snprintf(addr, PE_OB_ADDR_TEXT, "%s", u.host);
    return true;
  }
  /* Resolved here, once: the caller connects to the address that was
   * checked, so a name cannot point elsewhere by the time it connects. */
  char seen[256];
  bool resolved;
  if (resolve_allowed(rs, &u, by_name, addr, seen, sizeof seen, &resolved)) return true;
  if (!resolved)
    pe_hc_error(out, PE_HC_BACKEND, "cannot connect to %s: the name does not resolve", shown);
  else
    deny(rq, rs, shown, &u, seen, out);
  return false;
}
