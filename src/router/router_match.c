/*
 * router_match.c -- answering a request path, and the service-chaining
 * variant.
 *
 * The path (query and fragment cut off) is first checked against the
 * reserved /.well-known/spin/ names, then tried against each reachable
 * route in precedence order; the first that fits wins, so the answer only
 * depends on the ordering rules in router_parse.c. Everything returned is
 * a slice of the router or of the caller's path; nothing is allocated.
 *
 * Path info follows Spin (which adds back the slashes routefinder trims):
 * for "/foo/..." the paths "/foo", "/foo/", "/foo/bar", "/foo/bar/" give
 * "", "/", "/bar", "/bar/". The character before the wildcard's text is
 * always a '/', and the one after it is a '/' when the path ends with one,
 * so these are plain slices of the request path.
 */
#include <string.h>

#include "router_int.h"

#define RESERVED_PREFIX "/.well-known/spin/"

static bool try_route(const router_entry *e, const char *path, size_t a, size_t b, bool trailing,
                      pe_router_result *out) {
  size_t p = a, ncap = 0;
  for (size_t i = 0; i < e->nsegs; i++) {
    if (i > 0) {
      if (p >= b) return false; /* path[p] is the '/' ending the previous segment */
      p++;
    }
    if (p >= b) return false;
    size_t q = p;
    while (q < b && path[q] != '/') q++;
    const router_seg *s = &e->segs[i];
    if (s->param) {
      if (q == p) return false;
      out->captures[ncap++] = (pe_router_capture){s->text, path + p, s->len, q - p};
    } else if (q - p != s->len || memcmp(path + p, s->text, s->len) != 0) {
      return false;
    }
    p = q;
  }
  size_t s_start, s_end = b;
  if (!e->wildcard) {
    if (p != b) return false;
    out->path_info = "";
    out->path_info_len = 0;
  } else {
    s_start = e->nsegs == 0 ? a : p == b ? b : p + 1;
    if (s_start == s_end) {
      out->path_info = trailing ? "/" : "";
      out->path_info_len = trailing;
    } else {
      out->path_info = path + s_start - 1;
      out->path_info_len = s_end - s_start + 1 + trailing;
    }
  }
  out->n_captures = ncap;
  return true;
}

static void fill(pe_router_result *out, const router_entry *e) {
  out->kind = PE_ROUTER_MATCH;
  out->index = e->index;
  out->target = e->target;
  out->is_static = e->is_static;
  out->matched_route = e->based;
  out->raw_route = e->raw;
  out->component_route = e->component_route;
  out->base_path = "/";
}

static size_t path_len(const char *path, size_t len) {
  size_t n = 0;
  while (n < len && path[n] != '?' && path[n] != '#') n++;
  return n;
}

pe_router_kind pe_router_match(const pe_router *r, const char *path, size_t len,
                               pe_router_result *out) {
  memset(out, 0, sizeof *out);
  out->kind = PE_ROUTER_NOT_FOUND;
  size_t pl = path_len(path, len);
  if (pl == 0 || path[0] != '/') return out->kind;
  const size_t rl = sizeof RESERVED_PREFIX - 1;
  if (pl >= rl && memcmp(path, RESERVED_PREFIX, rl) == 0) {
    const char *rest = path + rl;
    size_t n = pl - rl;
    if (n == 6 && memcmp(rest, "health", 6) == 0)
      out->kind = PE_ROUTER_HEALTH;
    else if (n == 4 && memcmp(rest, "info", 4) == 0)
      out->kind = PE_ROUTER_INFO;
    else
      out->kind = PE_ROUTER_RESERVED;
    return out->kind;
  }
  size_t a = 0, b = pl;
  while (a < b && path[a] == '/') a++;
  while (b > a && path[b - 1] == '/') b--;
  bool trailing = path[pl - 1] == '/';
  for (size_t i = 0; r && i < r->n_order; i++) {
    if (try_route(r->order[i], path, a, b, trailing, out)) {
      fill(out, r->order[i]);
      return out->kind;
    }
  }
  memset(out, 0, sizeof *out);
  out->kind = PE_ROUTER_NOT_FOUND;
  return out->kind;
}

bool pe_router_match_internal(const pe_router *r, const char *component, const char *path,
                              size_t len, pe_router_result *out) {
  memset(out, 0, sizeof *out);
  out->kind = PE_ROUTER_NOT_FOUND;
  const router_entry *found = NULL;
  /* like Spin's map from component to trigger: the last trigger wins */
  for (size_t i = 0; r && component && i < r->n; i++)
    if (!r->entries[i].is_static && strcmp(r->entries[i].target, component) == 0)
      found = &r->entries[i];
  if (!found) return false;
  size_t pl = path_len(path, len);
  fill(out, found);
  out->matched_route = "/...";
  out->raw_route = "/...";
  out->component_route = "";
  out->path_info = pl ? path : "/";
  out->path_info_len = pl ? pl : 1;
  return true;
}

bool pe_router_capture_header(const pe_router_capture *c, char *out, size_t outlen) {
  static const char prefix[] = "spin-path-match-";
  size_t pl = sizeof prefix - 1;
  if (outlen <= pl + c->name_len) return false;
  memcpy(out, prefix, pl);
  for (size_t i = 0; i < c->name_len; i++) {
    char ch = c->name[i];
    out[pl + i] = ch == '_' ? '-' : ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
  }
  out[pl + c->name_len] = 0;
  return true;
}
