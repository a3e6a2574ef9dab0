/*
 * test_router.c -- Spin's routing rules and the spin-* header values.
 *
 * Routes are given as (route, target) lists; `expect` routes a path and
 * checks the target (NULL: no match) and, where given, the path info.
 * The cases mirror the rules in pe_router.h one by one, then a manifest
 * (tests/unit/data/manifest/multi.toml) is routed end to end.
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/pe_router.h"

typedef struct {
  char msgs[8][512];
  int n;
} warnings;

static void collect(void *ctx, const char *msg) {
  warnings *w = ctx;
  if (w->n < 8) snprintf(w->msgs[w->n], sizeof w->msgs[w->n], "%s", msg);
  w->n++;
}

/* routes: "route", "target" pairs, NULL-terminated */
static pe_router *build(const char *const *pairs, warnings *w) {
  pe_router_route routes[64];
  size_t n = 0;
  for (; pairs[2 * n]; n++) {
    routes[n] =
        (pe_router_route){.route = pairs[2 * n], .target = pairs[2 * n + 1], .line = (int)n + 1};
  }
  char err[512];
  pe_router *r = pe_router_new(routes, n, "spin.toml", w ? collect : NULL, w, err, sizeof err);
  if (!r) fail_msg("%s", err);
  return r;
}

static void expect(const pe_router *r, const char *path, const char *target,
                   const char *path_info) {
  pe_router_result m;
  pe_router_kind k = pe_router_match(r, path, strlen(path), &m);
  if (!target) {
    if (k != PE_ROUTER_NOT_FOUND) fail_msg("%s: expected no match, got %s", path, m.target);
    return;
  }
  if (k != PE_ROUTER_MATCH) fail_msg("%s: expected %s, got no match", path, target);
  if (strcmp(m.target, target) != 0) fail_msg("%s: expected %s, got %s", path, target, m.target);
  if (path_info) {
    char got[256];
    snprintf(got, sizeof got, "%.*s", (int)m.path_info_len, m.path_info);
    if (strcmp(got, path_info) != 0)
      fail_msg("%s: path info '%s', want '%s'", path, got, path_info);
  }
}

static void test_exact(void **state) {
  (void)state;
  const char *routes[] = {"/foo", "foo", "/foo/bar", "foobar", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/foo", "foo", "");
  expect(r, "/foo/bar", "foobar", "");
  expect(r, "/foo/baz", NULL, NULL);
  expect(r, "/fo", NULL, NULL);
  expect(r, "/foobar", NULL, NULL);
  expect(r, "/", NULL, NULL);
  /* trailing and repeated leading slashes of the path are ignored */
  expect(r, "/foo/", "foo", "");
  expect(r, "//foo", "foo", "");
  /* case-sensitive */
  expect(r, "/FOO", NULL, NULL);
  pe_router_free(r);
}

static void test_route_normalisation(void **state) {
  (void)state;
  /* a missing leading slash is added, one trailing slash dropped */
  const char *routes[] = {"bar", "bar", "/baz/", "baz", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/bar", "bar", "");
  expect(r, "/baz", "baz", "");
  expect(r, "/baz/", "baz", "");
  pe_router_result m;
  pe_router_match(r, "/baz", 4, &m);
  assert_string_equal(m.matched_route, "/baz");
  assert_string_equal(m.raw_route, "/baz/");
  pe_router_free(r);
}

static void test_root_route(void **state) {
  (void)state;
  const char *routes[] = {"/", "root", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/", "root", "");
  expect(r, "//", "root", "");
  expect(r, "/x", NULL, NULL);
  pe_router_result m;
  pe_router_match(r, "/", 1, &m);
  /* Spin strips the base's and the route's trailing slash: "" */
  assert_string_equal(m.matched_route, "");
  assert_string_equal(m.raw_route, "/");
  assert_string_equal(m.component_route, "/");
  assert_string_equal(m.base_path, "/");
  pe_router_free(r);
}

static void test_wildcard_all(void **state) {
  (void)state;
  const char *routes[] = {"/...", "all", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/foo/bar", "all", "/foo/bar");
  expect(r, "/abc/", "all", "/abc/");
  expect(r, "/", "all", "/");
  expect(r, "/this/should/be/captured?abc=def", "all", "/this/should/be/captured");
  pe_router_result m;
  pe_router_match(r, "/x", 2, &m);
  assert_string_equal(m.matched_route, "/...");
  assert_string_equal(m.raw_route, "/...");
  assert_string_equal(m.component_route, "");
  pe_router_free(r);
}

static void test_wildcard_star(void **state) {
  (void)state;
  const char *routes[] = {"/static/*", "files", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/static", "files", "");
  expect(r, "/static/a/b.css", "files", "/a/b.css");
  expect(r, "/staticx", NULL, NULL);
  pe_router_result m;
  pe_router_match(r, "/static/a", 9, &m);
  /* Spin strips only "/..." for spin-component-route */
  assert_string_equal(m.component_route, "/static/*");
  assert_string_equal(m.matched_route, "/static/*");
  pe_router_free(r);
}

static void test_path_info_and_trailing_slashes(void **state) {
  (void)state;
  const char *routes[] = {"/test/...", "t", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/test", "t", "");
  expect(r, "/test/", "t", "/");
  expect(r, "/test/hello", "t", "/hello");
  expect(r, "/test/hello/", "t", "/hello/");
  expect(r, "/test/hello//", "t", "/hello/");
  expect(r, "/test/a/b/c", "t", "/a/b/c");
  expect(r, "/test//x", "t", "//x");
  expect(r, "/testing", NULL, NULL);
  pe_router_free(r);
  const char *one[] = {"/1/...", "c", NULL};
  r = build(one, NULL);
  expect(r, "/1/2/3", "c", "/2/3");
  pe_router_free(r);
}

static void test_longest_prefix_wins(void **state) {
  (void)state;
  const char *a[] = {"/one/...",    "one", "/one/two/...", "onetwo", "/one/two/three/...",
                     "onetwothree", NULL};
  const char *b[] = {
      "/one/two/three/...", "onetwothree", "/one/two/...", "onetwo", "/one/...", "one", NULL};
  for (int k = 0; k < 2; k++) {
    pe_router *r = build(k ? b : a, NULL);
    expect(r, "/one/two/three/four", "onetwothree", "/four");
    expect(r, "/one/two/three", "onetwothree", "");
    expect(r, "/one/two/x", "onetwo", "/x");
    expect(r, "/one/x", "one", "/x");
    expect(r, "/one", "one", "");
    expect(r, "/two", NULL, NULL);
    pe_router_free(r);
  }
}

static void test_exact_beats_wildcard(void **state) {
  (void)state;
  const char *routes[] = {"/...", "wildcard", "/one", "one", "/one/...", "one-wild", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/one", "one", "");
  expect(r, "/one/", "one", "");
  expect(r, "/one/x", "one-wild", "/x");
  expect(r, "/other", "wildcard", "/other");
  expect(r, "/", "wildcard", "/");
  pe_router_free(r);
}

static void test_named_parameters(void **state) {
  (void)state;
  const char *routes[] = {"/1/:two/3", "a", "/x/:two/...", "b", NULL};
  pe_router *r = build(routes, NULL);
  pe_router_result m;
  assert_int_equal(pe_router_match(r, "/1/2/3", 6, &m), PE_ROUTER_MATCH);
  assert_string_equal(m.target, "a");
  assert_int_equal(m.n_captures, 1);
  assert_memory_equal(m.captures[0].name, "two", 3);
  assert_int_equal(m.captures[0].name_len, 3);
  assert_int_equal(m.captures[0].value_len, 1);
  assert_memory_equal(m.captures[0].value, "2", 1);
  assert_int_equal(pe_router_match(r, "/x/2/3/4", 8, &m), PE_ROUTER_MATCH);
  assert_string_equal(m.target, "b");
  assert_int_equal(m.captures[0].value_len, 1);
  assert_memory_equal(m.captures[0].value, "2", 1);
  assert_int_equal(m.path_info_len, 4);
  assert_memory_equal(m.path_info, "/3/4", 4);
  assert_string_equal(m.component_route, "/x/:two");
  /* a parameter is exactly one non-empty segment */
  expect(r, "/1/2/2/3", NULL, NULL);
  expect(r, "/1//3", NULL, NULL);
  expect(r, "/1/3", NULL, NULL);
  pe_router_free(r);
}

static void test_several_parameters(void **state) {
  (void)state;
  const char *routes[] = {"/:a", "1", "/:a/:b", "2", "/:a/:b/:c", "3", "/:p1/specific/:p2",
                          "4",   NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/hi", "1", "");
  expect(r, "/hi/there", "2", "");
  expect(r, "/hi/there/hey", "3", "");
  expect(r, "/hi/specific/anything", "4", "");
  expect(r, "/", NULL, NULL);
  expect(r, "/a/b/c/d", NULL, NULL);
  pe_router_result m;
  pe_router_match(r, "/aaa/bbb/ccc", 12, &m);
  assert_int_equal(m.n_captures, 3);
  assert_memory_equal(m.captures[2].name, "c", 1);
  assert_memory_equal(m.captures[2].value, "ccc", 3);
  pe_router_free(r);
}

static void test_literal_beats_parameter_beats_wildcard(void **state) {
  (void)state;
  const char *routes[] = {"/*",          "1", "/hello",     "2", "/:greeting",          "3",
                          "/hey/:world", "4", "/hey/earth", "5", "/:greeting/:world/*", "6",
                          NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/hello", "2", "");
  expect(r, "/hey", "3", "");
  expect(r, "/hey/earth", "5", "");
  expect(r, "/hey/mars", "4", "");
  expect(r, "/hey/earth/wildcard/stuff", "6", "/wildcard/stuff");
  expect(r, "/", "1", "/");
  /* the listing is in precedence order */
  const char *order[] = {"/hello",     "/hey/earth",          "/hey/:world",
                         "/:greeting", "/:greeting/:world/*", "/*"};
  assert_int_equal(pe_router_count(r), 6);
  for (size_t i = 0; i < 6; i++) assert_string_equal(pe_router_route_at(r, i, NULL), order[i]);
  assert_null(pe_router_route_at(r, 6, NULL));
  pe_router_free(r);
}

static void test_leftmost_segment_decides(void **state) {
  (void)state;
  /* routefinder compares from the left: a literal first segment wins */
  const char *routes[] = {"/:x/b", "param-first", "/a/...", "literal-first", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/a/b", "literal-first", "/b");
  expect(r, "/z/b", "param-first", "");
  pe_router_free(r);
}

static void test_duplicates_later_wins(void **state) {
  (void)state;
  warnings w = {0};
  const char *routes[] = {"/",           "comp-a",    "/foo",   "comp-first", "/foo",
                          "comp-second", "/whee/...", "comp-w", NULL};
  pe_router *r = build(routes, &w);
  expect(r, "/foo", "comp-second", "");
  assert_int_equal(pe_router_count(r), 3);
  assert_int_equal(w.n, 1);
  assert_string_equal(
      w.msgs[0],
      "spin.toml:2: route '/foo' for 'comp-first' duplicates the route on line 3 for "
      "'comp-second' and will never be used");
  pe_router_free(r);
}

static void test_duplicates_reported_faithfully(void **state) {
  (void)state;
  warnings w = {0};
  const char *routes[] = {"/",           "first /",     "/",           "second /",   "/foo",
                          "first /foo",  "/foo",        "second /foo", "/...",       "first /...",
                          "/...",        "second /...", "/whee/...",   "first whee", "/whee/...",
                          "second whee", "/whee/...",   "third whee",  NULL};
  pe_router *r = build(routes, &w);
  assert_int_equal(w.n, 5);
  expect(r, "/", "second /", "");
  expect(r, "/x", "second /...", "/x");
  expect(r, "/whee/x", "third whee", "/x");
  /* each replaced route names the one that replaced it */
  bool seen = false;
  for (int i = 0; i < 5 && i < 8; i++)
    if (strstr(w.msgs[i], "'first whee' duplicates the route on line 8 for 'second whee'"))
      seen = true;
  assert_true(seen);
  assert_int_equal(pe_router_count(r), 4);
  pe_router_free(r);
}

static void test_duplicates_after_normalisation(void **state) {
  (void)state;
  warnings w = {0};
  const char *routes[] = {"/foo",     "a", "foo/",  "b", "/x/...", "c", "/x/*", "d", "/u/:id", "e",
                          "/u/:name", "f", "/v//w", "g", "/v/w",   "h", NULL};
  pe_router *r = build(routes, &w);
  assert_int_equal(w.n, 4);
  expect(r, "/foo", "b", "");
  expect(r, "/x/y", "d", "/y");
  expect(r, "/u/1", "f", "");
  expect(r, "/v/w", "h", "");
  assert_int_equal(pe_router_count(r), 4);
  pe_router_free(r);
}

static void test_private_routes(void **state) {
  (void)state;
  pe_router_route routes[] = {
      {.route = "/...", .target = "public", .line = 1},
      {.is_private = true, .target = "secret", .line = 2},
      {.route = "/s", .target = "static-trigger", .is_static = true, .line = 3},
  };
  char err[256];
  pe_router *r = pe_router_new(routes, 3, NULL, NULL, NULL, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(pe_router_count(r), 2);
  expect(r, "/secret", "public", "/secret");
  pe_router_result m;
  assert_true(pe_router_match_internal(r, "secret", "/a/b?q=1", 8, &m));
  assert_int_equal(m.kind, PE_ROUTER_MATCH);
  assert_string_equal(m.target, "secret");
  assert_int_equal(m.index, 1);
  assert_string_equal(m.matched_route, "/...");
  assert_string_equal(m.raw_route, "/...");
  assert_string_equal(m.component_route, "");
  assert_int_equal(m.path_info_len, 4);
  assert_memory_equal(m.path_info, "/a/b", 4);
  /* public components are reachable internally too; static responses and
   * unknown components are not */
  assert_true(pe_router_match_internal(r, "public", "", 0, &m));
  assert_int_equal(m.path_info_len, 1);
  assert_false(pe_router_match_internal(r, "static-trigger", "/", 1, &m));
  assert_int_equal(m.kind, PE_ROUTER_NOT_FOUND);
  assert_false(pe_router_match_internal(r, "nobody", "/", 1, &m));
  pe_router_free(r);
}

static void test_well_known(void **state) {
  (void)state;
  warnings w = {0};
  const char *routes[] = {"/...", "all", "/.well-known/spin/...", "sneaky", NULL};
  pe_router *r = build(routes, &w);
  assert_int_equal(w.n, 1);
  assert_non_null(strstr(
      w.msgs[0],
      "spin.toml:2: route '/.well-known/spin/...' for 'sneaky' is under /.well-known/spin/"));
  pe_router_result m;
  assert_int_equal(pe_router_match(r, "/.well-known/spin/health", 24, &m), PE_ROUTER_HEALTH);
  assert_int_equal(pe_router_match(r, "/.well-known/spin/info", 22, &m), PE_ROUTER_INFO);
  assert_int_equal(pe_router_match(r, "/.well-known/spin/info?x=1", 26, &m), PE_ROUTER_INFO);
  assert_int_equal(pe_router_match(r, "/.well-known/spin/other", 23, &m), PE_ROUTER_RESERVED);
  assert_int_equal(pe_router_match(r, "/.well-known/spin/health/", 25, &m), PE_ROUTER_RESERVED);
  assert_int_equal(pe_router_match(r, "/.well-known/spin/", 18, &m), PE_ROUTER_RESERVED);
  /* not under the prefix: the app's routes apply (the wildcard route under
   * the prefix still matches its own bare prefix, as in Spin) */
  expect(r, "/.well-known/spin", "sneaky", "");
  expect(r, "/.well-known/spindle/x", "all", NULL);
  expect(r, "/.well-known/spi", "all", NULL);
  pe_router_free(r);
  /* reserved names work without any route */
  r = build((const char *[]){NULL}, NULL);
  assert_int_equal(pe_router_match(r, "/.well-known/spin/health", 24, &m), PE_ROUTER_HEALTH);
  assert_int_equal(pe_router_match(r, "/", 1, &m), PE_ROUTER_NOT_FOUND);
  assert_int_equal(pe_router_count(r), 0);
  pe_router_free(r);
}

static void test_reserved_route_warnings(void **state) {
  (void)state;
  warnings w = {0};
  const char *routes[] = {"/.well-known/spin/fie",
                          "a",
                          "/.well-known/spindle/...",
                          "b",
                          "/.well-known/spin",
                          "c",
                          NULL};
  pe_router *r = build(routes, &w);
  assert_int_equal(w.n, 1);
  assert_non_null(strstr(w.msgs[0], "'a'"));
  pe_router_free(r);
}

static void test_query_and_fragment_ignored(void **state) {
  (void)state;
  const char *routes[] = {"/foo", "foo", "/bar/...", "bar", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/foo?x=1", "foo", "");
  expect(r, "/foo/?x=/y", "foo", "");
  expect(r, "/foo#frag", "foo", "");
  expect(r, "/bar/a?b=/c", "bar", "/a");
  expect(r, "/bar?", "bar", "");
  expect(r, "?/foo", NULL, NULL);
  pe_router_free(r);
}

static void test_raw_percent_encoding(void **state) {
  (void)state;
  const char *routes[] = {"/caf%C3%A9", "encoded", "/a/b", "ab", "/users/:id", "users", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/caf%C3%A9", "encoded", "");
  expect(r, "/café", NULL, NULL);
  expect(r, "/caf%c3%a9", NULL, NULL);
  expect(r, "/a%2Fb", NULL, NULL);
  pe_router_result m;
  assert_int_equal(pe_router_match(r, "/users/a%20b", 12, &m), PE_ROUTER_MATCH);
  assert_int_equal(m.captures[0].value_len, 5);
  assert_memory_equal(m.captures[0].value, "a%20b", 5);
  pe_router_free(r);
}

static void test_bad_paths(void **state) {
  (void)state;
  const char *routes[] = {"/...", "all", NULL};
  pe_router *r = build(routes, NULL);
  pe_router_result m;
  assert_int_equal(pe_router_match(r, "", 0, &m), PE_ROUTER_NOT_FOUND);
  assert_int_equal(pe_router_match(r, "foo", 3, &m), PE_ROUTER_NOT_FOUND);
  assert_int_equal(pe_router_match(r, "*", 1, &m), PE_ROUTER_NOT_FOUND);
  /* the length is respected: no reading past it */
  char *exact = malloc(4);
  memcpy(exact, "/abc", 4);
  assert_int_equal(pe_router_match(r, exact, 4, &m), PE_ROUTER_MATCH);
  assert_int_equal(m.path_info_len, 4);
  free(exact);
  pe_router_free(r);
}

static void test_empty_segments(void **state) {
  (void)state;
  const char *routes[] = {"/a/b", "ab", "/a/:x/c", "axc", "/a//d", "ad", NULL};
  pe_router *r = build(routes, NULL);
  expect(r, "/a//b", NULL, NULL);
  expect(r, "/a//c", NULL, NULL);
  /* empty pieces of a route are dropped */
  expect(r, "/a/d", "ad", "");
  pe_router_free(r);
}

static void test_spin_header_values(void **state) {
  (void)state;
  const char *routes[] = {"/foo/...", "dummy", "/users/:userid/...", "users", NULL};
  pe_router *r = build(routes, NULL);
  pe_router_result m;
  const char *p = "/foo/bar?key1=value1&key2=value2";
  assert_int_equal(pe_router_match(r, p, strlen(p), &m), PE_ROUTER_MATCH);
  assert_string_equal(m.matched_route, "/foo/...");
  assert_string_equal(m.raw_route, "/foo/...");
  assert_string_equal(m.component_route, "/foo");
  assert_string_equal(m.base_path, "/");
  assert_int_equal(m.path_info_len, 4);
  assert_memory_equal(m.path_info, "/bar", 4);
  assert_int_equal(m.n_captures, 0);
  p = "/users/42/bar";
  assert_int_equal(pe_router_match(r, p, strlen(p), &m), PE_ROUTER_MATCH);
  assert_string_equal(m.component_route, "/users/:userid");
  assert_int_equal(m.n_captures, 1);
  char h[64];
  assert_true(pe_router_capture_header(&m.captures[0], h, sizeof h));
  assert_string_equal(h, "spin-path-match-userid");
  assert_memory_equal(m.captures[0].value, "42", 2);
  pe_router_free(r);
}

static void test_capture_header_names(void **state) {
  (void)state;
  pe_router_capture c = {"User_Id", "x", 7, 1};
  char h[64];
  assert_true(pe_router_capture_header(&c, h, sizeof h));
  assert_string_equal(h, "spin-path-match-user-id");
  char small[23];
  assert_false(pe_router_capture_header(&c, small, sizeof small));
  char exact[24];
  assert_true(pe_router_capture_header(&c, exact, sizeof exact));
}

static void expect_invalid(const char *route, const char *msg) {
  pe_router_route rt = {.route = route, .target = "api", .line = 7};
  char err[256];
  pe_router *r = pe_router_new(&rt, 1, "app/spin.toml", NULL, NULL, err, sizeof err);
  if (r) {
    pe_router_free(r);
    fail_msg("accepted '%s'", route);
  }
  if (!strstr(err, msg)) fail_msg("'%s': message '%s' lacks '%s'", route, err, msg);
}

static void test_invalid_routes(void **state) {
  (void)state;
  expect_invalid("/a/:", "app/spin.toml:7: invalid route '/a/:' for 'api': params must be named");
  expect_invalid("/a/:/b", "params must be named");
  expect_invalid("/a/*x", "replace '*x' with '*'");
  expect_invalid("/a/*/b", "may only end a route");
  expect_invalid("/a/.../b", "may only end a route");
  char many[256] = "";
  for (int i = 0; i < 17; i++) sprintf(many + strlen(many), "/:p%d", i);
  expect_invalid(many, "too many parameters (at most 16)");
  /* sixteen are fine */
  many[strlen(many) - 5] = 0;
  pe_router_route rt = {.route = many, .target = "api"};
  char err[256];
  pe_router *r = pe_router_new(&rt, 1, NULL, NULL, NULL, err, sizeof err);
  assert_non_null(r);
  pe_router_free(r);
}

static void test_many_routes(void **state) {
  (void)state;
  /* builds in O(n log n): 20000 routes, half of them duplicates */
  size_t n = 20000;
  pe_router_route *routes = calloc(n, sizeof *routes);
  char(*names)[24] = calloc(n, sizeof *names);
  assert_true(routes && names);
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "/r%zu/...", i % (n / 2));
    routes[i] = (pe_router_route){.route = names[i], .target = names[i], .line = (int)i + 1};
  }
  char err[256];
  warnings w = {0};
  pe_router *r = pe_router_new(routes, n, NULL, collect, &w, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(w.n, (int)(n / 2));
  assert_int_equal(pe_router_count(r), n / 2);
  pe_router_result m;
  assert_int_equal(pe_router_match(r, "/r9999/x", 8, &m), PE_ROUTER_MATCH);
  assert_int_equal(m.index, 19999);
  pe_router_free(r);
  free(routes);
  free(names);
}

static void test_from_manifest(void **state) {
  (void)state;
  pe_manifest_error merr;
  pe_manifest *man = pe_manifest_load("tests/unit/data/manifest/multi.toml", &merr);
  if (!man) fail_msg("%s", merr.msg);
  char err[256];
  warnings w = {0};
  pe_router *r = pe_router_from_manifest(man, collect, &w, err, sizeof err);
  if (!r) fail_msg("%s", err);
  assert_int_equal(w.n, 0);
  assert_int_equal(pe_router_count(r), 5);
  expect(r, "/cart", "cart", "");
  expect(r, "/cart/x", NULL, NULL);
  pe_router_result m;
  assert_int_equal(pe_router_match(r, "/users/42/orders", 16, &m), PE_ROUTER_MATCH);
  assert_string_equal(m.target, "users");
  assert_int_equal(m.index, 1);
  assert_memory_equal(m.captures[0].value, "42", 2);
  assert_int_equal(pe_router_match(r, "/health-check", 13, &m), PE_ROUTER_MATCH);
  assert_true(m.is_static);
  assert_string_equal(m.target, "http-trigger1");
  assert_int_equal(man->triggers[m.index].status_code, 204);
  expect(r, "/legacy/cgi-bin/x", "http-trigger2-component", "/cgi-bin/x");
  expect(r, "/", "http-trigger3", "");
  expect(r, "/nothing", NULL, NULL);
  assert_true(pe_router_match_internal(r, "internal-api", "/v1", 3, &m));
  assert_int_equal(m.index, 2);
  pe_router_free(r);
  pe_manifest_free(man);
}

static void test_from_manifest_bad_route(void **state) {
  (void)state;
  const char *text =
      "spin_manifest_version = 2\n[application]\nname = 'x'\n[[trigger.http]]\n"
      "route = '/a/:'\ncomponent = 'c'\n[component.c]\nsource = 'c.wasm'\n";
  pe_manifest_error merr;
  pe_manifest *man = pe_manifest_parse(text, strlen(text), "spin.toml", &merr);
  assert_non_null(man);
  char err[256];
  assert_null(pe_router_from_manifest(man, NULL, NULL, err, sizeof err));
  assert_string_equal(err, "spin.toml:5: invalid route '/a/:' for 'c': params must be named");
  pe_manifest_free(man);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact),
      cmocka_unit_test(test_route_normalisation),
      cmocka_unit_test(test_root_route),
      cmocka_unit_test(test_wildcard_all),
      cmocka_unit_test(test_wildcard_star),
      cmocka_unit_test(test_path_info_and_trailing_slashes),
      cmocka_unit_test(test_longest_prefix_wins),
      cmocka_unit_test(test_exact_beats_wildcard),
      cmocka_unit_test(test_named_parameters),
      cmocka_unit_test(test_several_parameters),
      cmocka_unit_test(test_literal_beats_parameter_beats_wildcard),
      cmocka_unit_test(test_leftmost_segment_decides),
      cmocka_unit_test(test_duplicates_later_wins),
      cmocka_unit_test(test_duplicates_reported_faithfully),
      cmocka_unit_test(test_duplicates_after_normalisation),
      cmocka_unit_test(test_private_routes),
      cmocka_unit_test(test_well_known),
      cmocka_unit_test(test_reserved_route_warnings),
      cmocka_unit_test(test_query_and_fragment_ignored),
      cmocka_unit_test(test_raw_percent_encoding),
      cmocka_unit_test(test_bad_paths),
      cmocka_unit_test(test_empty_segments),
      cmocka_unit_test(test_spin_header_values),
      cmocka_unit_test(test_capture_header_names),
      cmocka_unit_test(test_invalid_routes),
      cmocka_unit_test(test_many_routes),
      cmocka_unit_test(test_from_manifest),
      cmocka_unit_test(test_from_manifest_bad_route),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
