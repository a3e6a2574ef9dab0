/*
 * router_int.h -- the compiled form of routes shared by router_*.c.
 *
 * A route is compiled once into segments (literal text or a parameter
 * name) plus a wildcard flag, and the strings the spin-* headers need are
 * computed then, so matching is a walk over segments that allocates
 * nothing. Entries own copies of all their strings: a router does not
 * depend on the manifest it was built from.
 */
#ifndef ROUTER_INT_H
#define ROUTER_INT_H

#include "pe_router.h"

typedef struct router_seg {
  const char *text; /* literal text, or the parameter name without ':' */
  size_t len;
  bool param;
} router_seg;

typedef struct router_entry {
  size_t index;
  char *target;
  bool is_static, is_private;
  int line;
  char *raw;             /* as written */
  char *based;           /* normalised: spin-matched-route */
  char *component_route; /* raw minus a trailing "/..." */
  char *key;             /* what makes two routes duplicates (see router_parse.c) */
  router_seg *segs;
  size_t nsegs;
  size_t nparams;
  bool wildcard;
  bool shadowed; /* replaced by a later duplicate */
} router_entry;

struct pe_router {
  router_entry *entries; /* all, in input order (private ones too) */
  size_t n;
  router_entry **order; /* reachable ones in precedence order */
  size_t n_order;
};

/* Compiles e->raw into the other fields; false with a reason in why. */
bool router_compile(router_entry *e, char *why, size_t whylen); /* router_parse.c */
void router_entry_free(router_entry *e);
/* <0 if a goes before b (a takes precedence). */
int router_precedence(const router_entry *a, const router_entry *b);

#endif /* ROUTER_INT_H */
