/*
 * pe_router.h -- Spin's HTTP routing: which trigger answers a request path,
 * and the values the host passes to the component as spin-* headers.
 *
 * Rules (compat.md; Spin's spin-http-routes on routefinder 0.5):
 *  - Routes are exact ("/cart"), end in a wildcard ("/users/...", or the
 *    same with a final "*" segment; "/..." matches everything), and may
 *    hold single-segment parameters ("/users/:id/edit"). A route is
 *    normalised as Spin does: a missing leading '/' is added and one
 *    trailing '/' removed.
 *  - Precedence follows routefinder: routes are compared segment by segment
 *    from the left, a literal segment beating a parameter beating the
 *    wildcard; when one route's segments are a prefix of the other's, the
 *    shorter (exact) one goes first. So exact beats wildcard, the longest
 *    matching prefix wins, and "/a/..." beats "/:x/b" for "/a/b".
 *  - Two triggers with the same route: the later one wins and a warning
 *    names both (Spin: "duplicates and will never be used"). Routes are
 *    the same when they match the same paths ("/a" and "a/", "/a/..." and
 *    the "*" form, "/u/:id" and "/u/:name").
 *  - `route = { private = true }` is never matched from outside; such
 *    components are reached with pe_router_match_internal (service chaining
 *    to http://<component>.spin.internal), as is any component with a trigger.
 *  - /.well-known/spin/health and /.well-known/spin/info are answered by the
 *    host, and any other /.well-known/spin/... is 404: they are checked
 *    before app routes, which get a warning when they fall under that prefix.
 *
 * Paths: only the path is matched; a query ("?...") or fragment is ignored.
 * The raw path is matched as it arrives, without percent-decoding, as Spin
 * does (a route must spell "%20" to match it); captures and path info are
 * raw slices of the request path too. Leading and trailing slashes of the
 * path are ignored when matching ("/cart/" matches "/cart"); a "//" segment
 * never matches a literal or a parameter. Matching is case-sensitive.
 *
 * Known differences from routefinder (deliberate, for saner behaviour):
 * '.' is not a separator (":file.txt" is one parameter named "file.txt");
 * duplicates are judged by what routes match, not by their text (Spin keeps
 * "/a" and "/a/" both and picks one arbitrarily); an empty segment never
 * matches a parameter.
 *
 * A router is immutable once built: matching allocates nothing and may run
 * on many threads at once. Match results point into the router and into the
 * caller's path; they are valid while both are.
 */
#ifndef PE_ROUTER_H
#define PE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "manifest/pe_manifest.h"
#include "util/pe_assert.h"

typedef struct pe_router pe_router;

/* One trigger's route, as input to pe_router_new. */
typedef struct pe_router_route {
  const char *route; /* as written; ignored when is_private */
  bool is_private;
  const char *target; /* component id, or the trigger id for a static response */
  bool is_static;
  int line; /* manifest line for messages; 0 if none */
} pe_router_route;

#define PE_ROUTER_MAX_CAPTURES 16

typedef struct pe_router_capture {
  const char *name, *value; /* name: in the router; value: in the path */
  size_t name_len, value_len;
} pe_router_capture;

typedef enum pe_router_kind {
  PE_ROUTER_NOT_FOUND, /* no route: 404 */
  PE_ROUTER_HEALTH,    /* /.well-known/spin/health: 200 "OK" */
  PE_ROUTER_INFO,      /* /.well-known/spin/info: JSON with the app's name and version */
  PE_ROUTER_RESERVED,  /* any other /.well-known/spin/...: 404 */
  PE_ROUTER_MATCH,     /* a trigger answers */
} pe_router_kind;

typedef struct pe_router_result {
  pe_router_kind kind;
  /* the rest is set for PE_ROUTER_MATCH only */
  size_t index;       /* of the route in the input (= manifest trigger index) */
  const char *target; /* component id, or trigger id when is_static */
  bool is_static;
  /* spin-matched-route: the normalised route ("/" becomes "" as in Spin) */
  const char *matched_route;
  /* spin-raw-component-route: the route as written */
  const char *raw_route;
  /* spin-component-route: the route as written minus a trailing "/..." */
  const char *component_route;
  /* spin-path-info: the part matched by the wildcard, with its leading '/'
   * (and a trailing '/' if the path has one); "" for exact routes */
  const char *path_info;
  size_t path_info_len;
  /* spin-base-path */
  const char *base_path;
  /* spin-path-match-<name>, in route order */
  pe_router_capture captures[PE_ROUTER_MAX_CAPTURES];
  size_t n_captures;
} pe_router_result;

/* Receives each warning ("file:line: ..."); may be NULL. */
typedef void (*pe_router_warn_fn)(void *ctx, const char *msg);

/* Builds a router from n routes; `file` names the manifest in messages
 * (NULL: "spin.toml"). Returns NULL with a message in err on an invalid
 * route ("spin.toml:7: invalid route '/a/:' for 'api': ..."). */
pe_router *pe_router_new(const pe_router_route *routes, size_t n, const char *file,
                         pe_router_warn_fn warn, void *warn_ctx, char *err, size_t errlen);
/* The same from a manifest's [[trigger.http]] list. */
pe_router *pe_router_from_manifest(const pe_manifest *m, pe_router_warn_fn warn, void *warn_ctx,
                                   char *err, size_t errlen);
void pe_router_free(pe_router *r);

/* Routes a request target (path, optionally with "?query"). */
pe_router_kind pe_router_match(const pe_router *r, const char *path, size_t len,
                               pe_router_result *out);
/* Service chaining: the request to http://<component>.spin.internal<path>
 * is handled by that component as if matched by "/..." (path info = the
 * whole path). False (kind NOT_FOUND) if no trigger uses the component. */
bool pe_router_match_internal(const pe_router *r, const char *component, const char *path,
                              size_t len, pe_router_result *out);

/* "spin-path-match-<name>", lower-cased with '_' as '-' (Spin's header
 * name for a capture). False if it does not fit. */
PE_MUST_CHECK bool pe_router_capture_header(const pe_router_capture *c, char *out, size_t outlen);

/* Number of routes reachable from outside (private and duplicate ones
 * excluded), and the i-th of them in precedence order (for logs). */
size_t pe_router_count(const pe_router *r);
const char *pe_router_route_at(const pe_router *r, size_t i, const char **target);

#endif /* PE_ROUTER_H */
