/*
 * router_build.c -- from a list of trigger routes to a router: compile each
 * route, retire duplicates (the later trigger wins, as in Spin, and a
 * warning names both), warn about routes under the reserved prefix, and
 * sort what is left into precedence order.
 *
 * Duplicates are found by sorting on the routes' keys rather than by
 * comparing every pair, so a manifest with very many triggers still builds
 * in O(n log n).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_int.h"

#define RESERVED_PREFIX "/.well-known/spin/"

static void warnf(pe_router_warn_fn warn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warnf(pe_router_warn_fn warn, void *ctx, const char *fmt, ...) {
  if (!warn) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  warn(ctx, msg);
}

static int by_route_then_index(const void *pa, const void *pb) {
  const router_entry *a = *(router_entry *const *)pa, *b = *(router_entry *const *)pb;
  int c = strcmp(a->key, b->key);
  if (c) return c;
  return (a->index > b->index) - (a->index < b->index);
}

static int by_precedence(const void *pa, const void *pb) {
  const router_entry *a = *(router_entry *const *)pa, *b = *(router_entry *const *)pb;
  int c = router_precedence(a, b);
  if (c) return c;
  return (a->index > b->index) - (a->index < b->index);
}

void pe_router_free(pe_router *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) router_entry_free(&r->entries[i]);
  free(r->entries);
  free(r->order);
  free(r);
}

static bool fill(pe_router *r, const pe_router_route *routes, size_t n, const char *file, char *err,
                 size_t errlen) {
  for (size_t i = 0; i < n; i++) {
    router_entry *e = &r->entries[i];
    r->n = i + 1;
    e->index = i;
    e->is_static = routes[i].is_static;
    e->is_private = routes[i].is_private;
    e->line = routes[i].line;
    e->target = strdup(routes[i].target ? routes[i].target : "");
    if (!e->target) return snprintf(err, errlen, "%s: out of memory", file), false;
    if (e->is_private) continue;
    e->raw = strdup(routes[i].route ? routes[i].route : "");
    if (!e->raw) return snprintf(err, errlen, "%s: out of memory", file), false;
    char why[160];
    if (!router_compile(e, why, sizeof why)) {
      snprintf(err, errlen, "%s:%d: invalid route '%s' for '%s': %s", file, e->line, e->raw,
               e->target, why);
      return false;
    }
  }
  return true;
}

pe_router *pe_router_new(const pe_router_route *routes, size_t n, const char *file,
                         pe_router_warn_fn warn, void *warn_ctx, char *err, size_t errlen) {
  if (errlen) err[0] = 0;
  if (!file) file = "spin.toml";
  pe_router *r = calloc(1, sizeof *r);
  router_entry **sorted = NULL;
  if (!r || !(r->entries = calloc(n ? n : 1, sizeof *r->entries)) ||
      !(r->order = calloc(n ? n : 1, sizeof *r->order)) ||
      !(sorted = calloc(n ? n : 1, sizeof *sorted))) {
    snprintf(err, errlen, "%s: out of memory", file);
    goto fail;
  }
  if (!fill(r, routes, n, file, err, errlen)) goto fail;

  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!r->entries[i].is_private) sorted[m++] = &r->entries[i];
  qsort(sorted, m, sizeof *sorted, by_route_then_index);
  for (size_t i = 0; i + 1 < m; i++) {
    router_entry *a = sorted[i], *b = sorted[i + 1];
    if (strcmp(a->key, b->key) != 0) continue;
    a->shadowed = true;
    warnf(
        warn, warn_ctx,
        "%s:%d: route '%s' for '%s' duplicates the route on line %d for '%s' and will never be used",
        file, a->line, a->raw, a->target, b->line, b->target);
  }
  for (size_t i = 0; i < n; i++) {
    router_entry *e = &r->entries[i];
    if (e->is_private || e->shadowed) continue;
    if (strncmp(e->based, RESERVED_PREFIX, strlen(RESERVED_PREFIX)) == 0)
      warnf(
          warn, warn_ctx,
          "%s:%d: route '%s' for '%s' is under %s, which the runtime handles; it will never be reached",
          file, e->line, e->raw, e->target, RESERVED_PREFIX);
    r->order[r->n_order++] = e;
  }
  qsort(r->order, r->n_order, sizeof *r->order, by_precedence);
  free(sorted);
  return r;
fail:
  free(sorted);
  pe_router_free(r);
  return NULL;
}

pe_router *pe_router_from_manifest(const pe_manifest *m, pe_router_warn_fn warn, void *warn_ctx,
                                   char *err, size_t errlen) {
  pe_router_route *routes = calloc(m->n_triggers ? m->n_triggers : 1, sizeof *routes);
  if (!routes) {
    snprintf(err, errlen, "%s: out of memory", m->file);
    return NULL;
  }
  for (size_t i = 0; i < m->n_triggers; i++) {
    const pe_manifest_trigger *t = &m->triggers[i];
    routes[i] = (pe_router_route){.route = t->route,
                                  .is_private = t->is_private,
                                  .target = t->has_static_response ? t->id : t->component,
                                  .is_static = t->has_static_response,
                                  .line = t->route_line};
  }
  pe_router *r = pe_router_new(routes, m->n_triggers, m->file, warn, warn_ctx, err, errlen);
  free(routes);
  return r;
}

size_t pe_router_count(const pe_router *r) { return r ? r->n_order : 0; }

const char *pe_router_route_at(const pe_router *r, size_t i, const char **target) {
  if (!r || i >= r->n_order) return NULL;
  if (target) *target = r->order[i]->target;
  return r->order[i]->raw;
}
