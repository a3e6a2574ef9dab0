/*
 * fuzz_router.c -- route patterns and matching (src/router/): the patterns
 * come from a manifest, the paths from any client.
 *
 * Input: a count byte (1 to 8 routes), each route a flags byte (private,
 * static, which of four component names) and its pattern, then up to 8
 * request paths. A refused set of routes must say why, naming the
 * manifest. For each path the router's answer is checked against the
 * routes one by one (a router of that route alone): the winner matches
 * alone with the same captures and path info, every other route that
 * matches alone ranks after it (router_precedence), and when nothing
 * matches no reachable route matches alone either. Results must be slices
 * of the path or of the router, and a query or fragment after the path
 * must not change the answer.
 */
#include "fuzz_common.h"
#include "router/router_int.h"

#define MAX_ROUTES 8

static bool within(const char *p, size_t n, const char *base, size_t len) {
  return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static bool same_result(const pe_router_result *a, const pe_router_result *b) {
  if (a->kind != b->kind) return false;
  if (a->kind != PE_ROUTER_MATCH) return true;
  if (a->path_info_len != b->path_info_len || a->n_captures != b->n_captures) return false;
  if (memcmp(a->path_info, b->path_info, a->path_info_len)) return false;
  for (size_t i = 0; i < a->n_captures; i++)
    if (a->captures[i].value_len != b->captures[i].value_len ||
        a->captures[i].name_len != b->captures[i].name_len ||
        memcmp(a->captures[i].value, b->captures[i].value, a->captures[i].value_len) ||
        memcmp(a->captures[i].name, b->captures[i].name, a->captures[i].name_len))
      return false;
  return true;
}

static void check_result(const pe_router_result *res, const char *path, size_t len) {
  if (res->kind != PE_ROUTER_MATCH) return;
  FZ_CHECK(res->target && res->matched_route && res->raw_route && res->component_route &&
           res->base_path && res->path_info);
  FZ_CHECK(res->n_captures <= PE_ROUTER_MAX_CAPTURES);
  if (res->path_info_len > 1 || (res->path_info_len == 1 && res->path_info[0] != '/'))
    FZ_CHECK(within(res->path_info, res->path_info_len, path, len));
  if (res->path_info_len) FZ_CHECK(res->path_info[0] == '/');
  for (size_t i = 0; i < res->n_captures; i++) {
    const pe_router_capture *c = &res->captures[i];
    FZ_CHECK(c->value_len > 0 && within(c->value, c->value_len, path, len));
    FZ_CHECK(!memchr(c->value, '/', c->value_len));
    char hdr[64];
    if (pe_router_capture_header(c, hdr, sizeof hdr)) FZ_CHECK(strlen(hdr) < sizeof hdr);
  }
}

static void warned(void *ctx, const char *msg) {
  (void)ctx;
  FZ_CHECK(msg && msg[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz f;
  fz_init(&f, data, size);
  size_t n = 1 + fz_u8(&f) % MAX_ROUTES;
  pe_router_route routes[MAX_ROUTES];
  char *texts[MAX_ROUTES];
  static const char *const targets[] = {"c0", "c1", "c2", "t-static"};
  for (size_t i = 0; i < n; i++) {
    uint8_t fl = fz_u8(&f);
    size_t tl;
    texts[i] = fz_cstr(&f, &tl);
    routes[i] = (pe_router_route){.route = texts[i],
                                  .is_private = fl & 1,
                                  .is_static = (fl >> 1) & 1,
                                  .target = targets[(fl >> 2) & 3],
                                  .line = (int)i + 1};
  }
  char err[512];
  err[0] = 0;
  pe_router *r = pe_router_new(routes, n, "f.toml", warned, NULL, err, sizeof err);
  if (!r) {
    FZ_CHECK(strstr(err, "f.toml") != NULL);
    goto out;
  }
  FZ_CHECK(pe_router_count(r) <= n);
  /* each reachable route on its own */
  pe_router *alone[MAX_ROUTES] = {0};
  for (size_t i = 0; i < n; i++) {
    if (routes[i].is_private || r->entries[i].shadowed) continue;
    alone[i] = pe_router_new(&routes[i], 1, "f.toml", NULL, NULL, err, sizeof err);
    FZ_CHECK(alone[i] != NULL); /* it compiled as part of the set */
  }
  for (int k = 0; k < 8 && f.left; k++) {
    size_t pl;
    char *path = fz_cstr(&f, &pl);
    char *exact = (char *)fz_dup((const uint8_t *)path, pl);
    pe_router_result res, other;
    pe_router_kind kind = pe_router_match(r, exact, pl, &res);
    FZ_CHECK(kind == res.kind);
    check_result(&res, exact, pl);
    /* a query or a fragment is not part of the path */
    if (!memchr(path, '?', pl) && !memchr(path, '#', pl)) {
      char *q = malloc(pl + 3);
      FZ_CHECK(q);
      memcpy(q, path, pl);
      memcpy(q + pl, "?/x", 3);
      pe_router_match(r, q, pl + 3, &other);
      FZ_CHECK(same_result(&res, &other) && (kind != PE_ROUTER_MATCH || res.index == other.index));
      free(q);
    }
    if (kind == PE_ROUTER_MATCH || kind == PE_ROUTER_NOT_FOUND) {
      for (size_t i = 0; i < n; i++) {
        if (!alone[i]) continue;
        bool m = pe_router_match(alone[i], exact, pl, &other) == PE_ROUTER_MATCH;
        if (kind == PE_ROUTER_NOT_FOUND) {
          FZ_CHECK(!m);
        } else if (i == res.index) {
          FZ_CHECK(m && same_result(&res, &other));
        } else if (m) {
          /* it matches too, so it must not rank before the winner */
          FZ_CHECK(router_precedence(&r->entries[i], &r->entries[res.index]) >= 0);
        }
      }
    }
    free(exact);
    free(path);
  }
  for (size_t i = 0; i < 3; i++) {
    pe_router_result res;
    if (pe_router_match_internal(r, targets[i], "/z?q", 4, &res)) {
      FZ_CHECK(res.kind == PE_ROUTER_MATCH && !res.is_static);
      FZ_CHECK(res.path_info_len == 2);
    }
  }
  for (size_t i = 0; i < pe_router_count(r); i++) {
    const char *target;
    FZ_CHECK(pe_router_route_at(r, i, &target) && target);
  }
  for (size_t i = 0; i < n; i++) pe_router_free(alone[i]);
  pe_router_free(r);
out:
  for (size_t i = 0; i < n; i++) free(texts[i]);
  return 0;
}
