/*
 * test_manifest_fuzz.c -- the manifest loader and the router on mutated
 * manifests: each one is either refused with a "file:line: ..." style
 * message or loads into a model whose every trigger can be routed, whose
 * router answers a fixed set of paths, and which frees cleanly.
 *
 * Mutations are deterministic; seeds are the manifests in
 * tests/unit/data/manifest/ (tests run from the repo root).
 */
#include "pe_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/pe_manifest.h"
#include "router/pe_router.h"

static const char *const tokens[] = {"[",
                                     "]",
                                     "{",
                                     "}",
                                     "\"",
                                     "'",
                                     "=",
                                     ".",
                                     ",",
                                     "\n",
                                     "/...",
                                     "/:",
                                     ":x",
                                     "*",
                                     "-",
                                     "_",
                                     "1",
                                     "true",
                                     "{ private = true }",
                                     "component",
                                     "route",
                                     "source",
                                     "{{ ",
                                     " }}",
                                     "static_response = {}",
                                     "[[trigger.http]]\n",
                                     "[component.x]\n",
                                     "\"/a/*\"",
                                     "id = 'a'\n",
                                     "/.well-known/spin/x"};

static unsigned long long rng_state = 0x2545f4914f6cdd1dull;
static unsigned rnd(unsigned n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (unsigned)(rng_state % n);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = malloc(16384);
  assert_non_null(buf);
  *len = fread(buf, 1, 16384, f);
  fclose(f);
  return buf;
}

static void ignore(void *ctx, const char *msg) {
  (void)ctx;
  assert_non_null(strstr(msg, "f.toml:"));
}

static void exercise(const pe_manifest *m) {
  char err[512];
  pe_router *r = pe_router_from_manifest(m, ignore, NULL, err, sizeof err);
  if (!r) {
    assert_non_null(strstr(err, "f.toml:"));
    return;
  }
  static const char *const paths[] = {"/",
                                      "/cart",
                                      "/users/1/x?y",
                                      "/a/b/",
                                      "//",
                                      "/health-check",
                                      "/.well-known/spin/info",
                                      "/legacy/x",
                                      "",
                                      "x"};
  pe_router_result res;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    if (pe_router_match(r, paths[i], strlen(paths[i]), &res) == PE_ROUTER_MATCH) {
      assert_true(res.index < m->n_triggers);
      assert_true(res.path_info_len == 0 || res.path_info[0] == '/');
      assert_true(res.n_captures <= PE_ROUTER_MAX_CAPTURES);
    }
  }
  for (size_t i = 0; i < m->n_redis_triggers; i++) {
    const pe_manifest_redis_trigger *t = &m->redis_triggers[i];
    assert_non_null(t->id);
    assert_true(t->channel[0] && t->address[0]);
    assert_non_null(pe_manifest_component_by_id(m, t->component));
  }
  for (size_t i = 0; i < m->n_triggers; i++) {
    const pe_manifest_trigger *t = &m->triggers[i];
    assert_non_null(t->id);
    assert_true(t->has_static_response || pe_manifest_component_by_id(m, t->component));
    if (t->component) pe_router_match_internal(r, t->component, "/z", 2, &res);
  }
  pe_router_free(r);
}

static void test_mutated_manifests(void **state) {
  (void)state;
  size_t lens[3];
  char *seeds[3] = {slurp("tests/unit/data/manifest/multi.toml", &lens[0]),
                    slurp("tests/unit/data/manifest/http-py.toml", &lens[1]),
                    slurp("tests/unit/data/manifest/redis.toml", &lens[2])};
  static char buf[20000];
  size_t loaded = 0, refused = 0;
  for (int it = 0; it < 6000; it++) {
    int s = (int)rnd(3);
    size_t n = lens[s];
    memcpy(buf, seeds[s], n);
    int muts = 1 + (int)rnd(3);
    for (int k = 0; k < muts; k++) {
      size_t pos = rnd((unsigned)n + 1);
      switch (rnd(3)) {
        case 0:
          if (pos < n) {
            memmove(buf + pos, buf + pos + 1, n - pos - 1);
            n--;
          }
          break;
        case 1: {
          const char *tok = tokens[rnd(sizeof tokens / sizeof tokens[0])];
          size_t tl = strlen(tok);
          if (n + tl <= sizeof buf) {
            memmove(buf + pos + tl, buf + pos, n - pos);
            memcpy(buf + pos, tok, tl);
            n += tl;
          }
          break;
        }
        default:
          if (pos < n) buf[pos] = "abc/:.*-_{}[]\"'=\n 1"[rnd(20)];
      }
    }
    char *doc = malloc(n ? n : 1);
    assert_non_null(doc);
    memcpy(doc, buf, n);
    pe_manifest_error err;
    pe_manifest *m = pe_manifest_parse(doc, n, "f.toml", &err);
    if (m) {
      exercise(m);
      pe_manifest_apply_profile(m, "debug", &err);
      pe_manifest_free(m);
      loaded++;
    } else {
      assert_int_equal(strncmp(err.msg, "f.toml:", 7), 0);
      refused++;
    }
    free(doc);
  }
  free(seeds[0]);
  free(seeds[1]);
  free(seeds[2]);
  assert_true(loaded > 500);
  assert_true(refused > 500);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mutated_manifests),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
