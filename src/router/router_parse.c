/*
 * router_parse.c -- compiling one route string, and the order in which
 * compiled routes are tried.
 *
 * Normalisation is Spin's: the route gets a leading '/' if it lacks one and
 * loses one trailing '/' (so "/" becomes "", which is also what Spin puts
 * in spin-matched-route); a trailing "/..." (or a final "*" segment)
 * makes it a wildcard route. The rest is split on '/', empty pieces dropped. Refused, as
 * routefinder refuses them: an unnamed ":" and a named "*x"; also refused,
 * because routefinder would only fail later: "*" or "..." before the end.
 *
 * Two routes are duplicates when they match exactly the same paths: same
 * literal segments, parameters in the same places (whatever their names),
 * same wildcard; so "/a/..." and its "*" form, or "/u/:id" and "/u/:name",
 * are duplicates, where Spin would keep both and pick one arbitrarily.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_int.h"

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static bool has_suffix(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool compile_segments(router_entry *e, const char *pat, size_t pl, char *why,
                             size_t whylen) {
  size_t count = 0;
  for (size_t i = 0; i < pl;) {
    size_t j = i;
    while (j < pl && pat[j] != '/') j++;
    if (j > i) count++;
    i = j + 1;
  }
  e->segs = calloc(count ? count : 1, sizeof *e->segs);
  if (!e->segs) return snprintf(why, whylen, "out of memory"), false;
  for (size_t i = 0; i < pl;) {
    size_t j = i;
    while (j < pl && pat[j] != '/') j++;
    size_t n = j - i;
    const char *s = pat + i;
    i = j + 1;
    if (n == 0) continue;
    router_seg *seg = &e->segs[e->nsegs++];
    if (s[0] == ':') {
      if (n == 1) return snprintf(why, whylen, "params must be named"), false;
      if (++e->nparams > PE_ROUTER_MAX_CAPTURES)
        return snprintf(why, whylen, "too many parameters (at most %d)", PE_ROUTER_MAX_CAPTURES),
               false;
      *seg = (router_seg){s + 1, n - 1, true};
    } else if (s[0] == '*' && n > 1) {
      return snprintf(
                 why, whylen,
                 "there can only be one wildcard, so it needs no name: replace '%.*s' with '*'",
                 (int)(n > 64 ? 64 : n), s),
             false;
    } else if ((n == 1 && s[0] == '*') || (n == 3 && memcmp(s, "...", 3) == 0)) {
      return snprintf(why, whylen, "a wildcard ('...' or '*') may only end a route"), false;
    } else {
      *seg = (router_seg){s, n, false};
    }
  }
  return true;
}

/* "/seg/:/seg/..." */
static bool make_key(router_entry *e) {
  size_t n = 1;
  for (size_t i = 0; i < e->nsegs; i++) n += 1 + (e->segs[i].param ? 1 : e->segs[i].len);
  n += e->wildcard ? 4 : 0;
  char *k = malloc(n + 1);
  if (!k) return false;
  size_t o = 0;
  for (size_t i = 0; i < e->nsegs; i++) {
    k[o++] = '/';
    if (e->segs[i].param) {
      k[o++] = ':';
    } else {
      memcpy(k + o, e->segs[i].text, e->segs[i].len);
      o += e->segs[i].len;
    }
  }
  if (e->wildcard) {
    memcpy(k + o, "/...", 4);
    o += 4;
  }
  if (o == 0) k[o++] = '/';
  k[o] = 0;
  e->key = k;
  return true;
}

bool router_compile(router_entry *e, char *why, size_t whylen) {
  const char *raw = e->raw;
  size_t rl = strlen(raw);
  /* based = absolutized raw with one trailing '/' removed */
  bool add_slash = raw[0] != '/';
  size_t bl = rl + add_slash;
  e->based = malloc(bl + 1);
  if (!e->based) return snprintf(why, whylen, "out of memory"), false;
  if (add_slash) e->based[0] = '/';
  memcpy(e->based + add_slash, raw, rl + 1);
  if (bl > 0 && e->based[bl - 1] == '/') e->based[--bl] = 0;

  size_t cl = has_suffix(raw, rl, "/...") ? rl - 4 : rl;
  e->component_route = dup_n(raw, cl);
  if (!e->component_route) return snprintf(why, whylen, "out of memory"), false;

  size_t pl = bl;
  if (has_suffix(e->based, bl, "/...")) {
    e->wildcard = true;
    pl -= 4;
  } else if (has_suffix(e->based, bl, "/*")) {
    e->wildcard = true;
    pl -= 2;
  }
  if (!compile_segments(e, e->based, pl, why, whylen)) return false;
  if (!make_key(e)) return snprintf(why, whylen, "out of memory"), false;
  return true;
}

void router_entry_free(router_entry *e) {
  free(e->key);
  free(e->target);
  free(e->raw);
  free(e->based);
  free(e->component_route);
  free(e->segs);
}

/* literal > parameter > wildcard > end of route */
static int rank(const router_entry *e, size_t i) {
  if (i < e->nsegs) return e->segs[i].param ? 2 : 3;
  return i == e->nsegs && e->wildcard ? 1 : 0;
}

int router_precedence(const router_entry *a, const router_entry *b) {
  size_t na = a->nsegs + a->wildcard, nb = b->nsegs + b->wildcard;
  size_t n = na < nb ? na : nb;
  for (size_t i = 0; i < n; i++) {
    int ra = rank(a, i), rb = rank(b, i);
    if (ra != rb) return rb - ra;
  }
  return (na > nb) - (na < nb);
}
