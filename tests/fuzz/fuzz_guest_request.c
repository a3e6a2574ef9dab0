/*
 * fuzz_guest_request.c -- the request a component receives (serve_request.c):
 * a client's (or a calling component's) headers, then the host's spin-*
 * headers from the router's match.
 *
 * Input: one byte of flags (bit 0: a chained call, matched with
 * pe_router_match_internal; bit 1: add x-user-location), a path, then
 * header (name, value) pieces until the input ends; a header byte of 0xff
 * repeats the previous header 64 times, so a few bytes reach the limit of
 * PE_GUEST_CLIENT_HEADERS.
 *
 * What must hold for every input the router matches:
 *  - the encoding reads back (docs/abi.md) with the method and target given;
 *  - the client's headers come first, in order, minus every spin-* one
 *    (any case), at most PE_GUEST_CLIENT_HEADERS of them, the rest counted
 *    as dropped;
 *  - then each of Spin's seven headers exactly once with the router's
 *    values, one spin-path-match-<name> per capture, and x-user-location
 *    when asked: no client header can take their place or forge them.
 */
#include <strings.h>

#include "fuzz_common.h"
#include "router/pe_router.h"
#include "serve/serve_int.h"

static pe_router *router(void) {
  static pe_router *r;
  if (!r) {
    static const pe_router_route routes[] = {
        {"/exact", false, "a", false, 1},     {"/users/:id/posts/:post_id", false, "a", false, 2},
        {"/files/...", false, "b", false, 3}, {"", true, "secret", false, 4},
        {"/...", false, "c", false, 5},
    };
    char err[256];
    r = pe_router_new(routes, sizeof routes / sizeof *routes, NULL, NULL, NULL, err, sizeof err);
    FZ_CHECK(r != NULL);
  }
  return r;
}

static bool is_spin(const char *name, size_t n) { return n >= 5 && !strncasecmp(name, "spin-", 5); }

static bool same(const uint8_t *p, size_t n, const char *want, size_t wn) {
  return n == wn && (n == 0 || memcmp(p, want, n) == 0);
}

/* The headers the host must add after the client's, in order. */
static size_t host_headers(const pe_router_result *rr, const char *url, const char *client,
                           bool location, pe_abi_header *out, char names[][160]) {
  size_t n = 0;
  out[n++] = (pe_abi_header){"spin-full-url", url, 13, strlen(url)};
  out[n++] = (pe_abi_header){"spin-path-info", rr->path_info, 14, rr->path_info_len};
  out[n++] =
      (pe_abi_header){"spin-matched-route", rr->matched_route, 18, strlen(rr->matched_route)};
  out[n++] = (pe_abi_header){"spin-base-path", rr->base_path, 14, strlen(rr->base_path)};
  out[n++] = (pe_abi_header){"spin-raw-component-route", rr->raw_route, 24, strlen(rr->raw_route)};
  out[n++] =
      (pe_abi_header){"spin-component-route", rr->component_route, 20, strlen(rr->component_route)};
  out[n++] = (pe_abi_header){"spin-client-addr", client, 16, strlen(client)};
  for (size_t i = 0; i < rr->n_captures; i++) {
    FZ_CHECK(pe_router_capture_header(&rr->captures[i], names[i], 160));
    out[n++] = (pe_abi_header){names[i], rr->captures[i].value, strlen(names[i]),
                               rr->captures[i].value_len};
  }
  if (location) out[n++] = (pe_abi_header){"x-user-location", "NZ", 15, 2};
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz f;
  fz_init(&f, data, size);
  uint8_t flags = fz_u8(&f);
  size_t plen;
  char *path = fz_cstr(&f, &plen);
  plen = strlen(path);
  pe_router_result rr;
  bool matched = flags & 1 ? pe_router_match_internal(router(), "secret", path, plen, &rr)
                           : pe_router_match(router(), path, plen, &rr) == PE_ROUTER_MATCH;
  if (!matched) {
    free(path);
    return 0;
  }
  /* the client's headers; `names` and `values` own them */
  enum { MAX_IN = 1024 };
  pe_abi_header *in = calloc(MAX_IN, sizeof *in);
  char **owned = calloc(2 * MAX_IN, sizeof *owned);
  FZ_CHECK(in && owned);
  size_t nin = 0, nowned = 0;
  while (f.left && nin < MAX_IN) {
    if (f.p[0] == 0xff && nin > 0) {
      fz_u8(&f);
      for (int k = 0; k < 64 && nin < MAX_IN; k++, nin++) in[nin] = in[nin - 1];
      continue;
    }
    size_t nl, vl;
    char *name = fz_cstr(&f, &nl), *value = fz_cstr(&f, &vl);
    owned[nowned++] = name;
    owned[nowned++] = value;
    in[nin++] = (pe_abi_header){name, value, nl, vl};
  }
  guest_request *g = malloc(sizeof *g);
  FZ_CHECK(g);
  guest_request_init(g);
  for (size_t i = 0; i < nin; i++)
    guest_request_client_header(g, in[i].name, in[i].name_len, in[i].value, in[i].value_len);
  static const char url[] = "http://h.example/x?y", client[] = "127.0.0.1:0";
  FZ_CHECK(guest_request_spin_headers(g, &rr, url, sizeof url - 1, client));
  bool location = flags & 2;
  if (location) guest_request_host_header(g, "x-user-location", "NZ", 2);
  pe_buf enc = {0};
  FZ_CHECK(guest_request_encode(g, &enc, "GET", path, plen, (const uint8_t *)"b", 1));

  /* read it back */
  fz_abi_reader r = {(const uint8_t *)enc.data, enc.len};
  FZ_CHECK(r.left >= 4 && memcmp(r.p, "PEQ1", 4) == 0);
  r.p += 4, r.left -= 4;
  size_t n;
  const uint8_t *p = fz_abi_bytes(&r, &n);
  FZ_CHECK(same(p, n, "GET", 3));
  p = fz_abi_bytes(&r, &n);
  FZ_CHECK(same(p, n, path, plen));
  size_t nh = fz_abi_u32(&r);
  size_t want_client = 0, nonspin = 0;
  for (size_t i = 0; i < nin; i++) nonspin += !is_spin(in[i].name, in[i].name_len);
  want_client = nonspin < PE_GUEST_CLIENT_HEADERS ? nonspin : PE_GUEST_CLIENT_HEADERS;
  FZ_CHECK(g->dropped == nonspin - want_client);
  pe_abi_header host[PE_GUEST_HOST_HEADERS];
  char names[PE_ROUTER_MAX_CAPTURES][160];
  size_t nhost = host_headers(&rr, url, client, location, host, names);
  FZ_CHECK(nh == want_client + nhost);
  size_t next = 0; /* the next client header that should come */
  for (size_t i = 0; i < nh; i++) {
    size_t hn, hv;
    const uint8_t *name = fz_abi_bytes(&r, &hn), *value = fz_abi_bytes(&r, &hv);
    const pe_abi_header *want;
    if (i < want_client) {
      while (is_spin(in[next].name, in[next].name_len)) next++;
      want = &in[next++];
    } else {
      want = &host[i - want_client];
    }
    FZ_CHECK(same(name, hn, want->name, want->name_len));
    FZ_CHECK(same(value, hv, want->value, want->value_len));
  }
  p = fz_abi_bytes(&r, &n);
  FZ_CHECK(same(p, n, "b", 1) && r.left == 0);

  pe_buf_free(&enc);
  guest_request_free(g);
  free(g);
  for (size_t i = 0; i < nowned; i++) free(owned[i]);
  free(owned);
  free(in);
  free(path);
  return 0;
}
