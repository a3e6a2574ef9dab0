/*
 * test_kv.c -- the key-value area without a server: the SQLite backend on
 * a temporary file and in memory, the Redis backend with nothing listening,
 * UTF-8 validation, and the "kv.*" services reached through the request
 * dispatcher exactly as the sandbox reaches them (grants, handles, limits,
 * malformed payloads, seeds, start-up refusals). Runs under ASan/UBSan too,
 * so every hostile payload is also a memory-safety check.
 */
#include "pe_test.h"

#include <stdarg.h>

#include "services/kv/kv_backend.h"
#include "services/kv/svc_kv.h"
#include "services/svc_utf8.h"
#include "svc_fixture.h"

static const char *const manifest =
    "spin_manifest_version = 2\n"
    "[application]\nname = \"t\"\n"
    "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n"
    "[[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n"
    "[component.a]\nsource = \"app.wasm\"\nkey_value_stores = [\"default\", \"mem\", \"side\"]\n"
    "[component.b]\nsource = \"app.wasm\"\n";

static const char *const rc =
    "[key_value_store.mem]\ntype = \"spin\"\n"
    "[key_value_store.side]\ntype = \"spin\"\npath = \"side.db\"\n"
    "[key_value_store.locked]\ntype = \"spin\"\npath = \"locked.db\"\n";

/* --- UTF-8 ---------------------------------------------------------------- */

static void test_utf8(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t n;
    bool ok;
  } cases[] = {
      {"", 0, true},
      {"plain", 5, true},
      {"nul\0in", 6, true},
      {"\xc3\xa9", 2, true},         /* é */
      {"\xe2\x9c\x93", 3, true},     /* ✓ */
      {"\xf0\x9d\x84\x9e", 4, true}, /* 𝄞 */
      {"\xf4\x8f\xbf\xbf", 4, true}, /* U+10FFFF */
      {"\xc3", 1, false},            /* truncated */
      {"\xe2\x9c", 2, false},
      {"\xc0\xaf", 2, false},         /* overlong '/' */
      {"\xe0\x80\xaf", 3, false},     /* overlong */
      {"\xf0\x80\x80\xaf", 4, false}, /* overlong */
      {"\xed\xa0\x80", 3, false},     /* surrogate */
      {"\xf4\x90\x80\x80", 4, false}, /* > U+10FFFF */
      {"\xf5\x80\x80\x80", 4, false},
      {"\xff", 1, false},
      {"\x80", 1, false}, /* lone continuation */
      {"\xc3\x28", 2, false},
      {"a\xe2\x28\xa1", 4, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (pe_svc_utf8_valid((const uint8_t *)cases[i].s, cases[i].n) != cases[i].ok)
      fail_msg("case %zu: expected %d", i, cases[i].ok);
}

/* --- backends --------------------------------------------------------------- */

static void exercise_backend(pe_kv_backend *b) {
  char err[512];
  pe_buf out = {0};
  bool found = true;
  const uint8_t k[] = "key", v[] = "value";
  assert_int_equal(b->ops->get(b, "s1", k, 3, &out, &found, err, sizeof err), PE_HC_OK);
  assert_false(found);
  assert_int_equal(out.len, 0);
  assert_int_equal(b->ops->set(b, "s1", k, 3, v, 5, err, sizeof err), PE_HC_OK);
  assert_int_equal(b->ops->set(b, "s2", k, 3, (const uint8_t *)"other", 5, err, sizeof err),
                   PE_HC_OK);
  assert_int_equal(b->ops->get(b, "s1", k, 3, &out, &found, err, sizeof err), PE_HC_OK);
  assert_true(found);
  assert_int_equal(out.len, 4 + 5);
  assert_memory_equal(out.data + 4, "value", 5);
  assert_int_equal(b->ops->exists(b, "s2", k, 3, &found, err, sizeof err), PE_HC_OK);
  assert_true(found);
  /* empty value and NUL inside a key */
  assert_int_equal(b->ops->set(b, "s1", (const uint8_t *)"n\0l", 3, NULL, 0, err, sizeof err),
                   PE_HC_OK);
  out.len = 0;
  assert_int_equal(b->ops->get(b, "s1", (const uint8_t *)"n\0l", 3, &out, &found, err, sizeof err),
                   PE_HC_OK);
  assert_true(found);
  assert_int_equal(out.len, 4);
  out.len = 0;
  assert_int_equal(b->ops->keys(b, "s1", &out, 1 << 20, err, sizeof err), PE_HC_OK);
  assert_int_equal(out.len, 4 + 3 + 4 + 3);
  out.len = 0;
  assert_int_equal(b->ops->keys(b, "s1", &out, 8, err, sizeof err), PE_HC_LIMIT);
  assert_non_null(strstr(err, "more than 8 bytes"));
  assert_int_equal(b->ops->del(b, "s1", k, 3, err, sizeof err), PE_HC_OK);
  assert_int_equal(b->ops->del(b, "s1", k, 3, err, sizeof err), PE_HC_OK);
  assert_int_equal(b->ops->exists(b, "s1", k, 3, &found, err, sizeof err), PE_HC_OK);
  assert_false(found);
  assert_int_equal(b->ops->exists(b, "s2", k, 3, &found, err, sizeof err), PE_HC_OK);
  assert_true(found);
  pe_buf_free(&out);
}

static void test_sqlite_backend_file_and_memory(void **state) {
  (void)state;
  char dir[] = "/tmp/pe-kvb-XXXXXX", path[128], err[512];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/kv.db", dir);
  pe_kv_backend *b = pe_kv_sqlite_open(path, err, sizeof err);
  if (!b) fail_msg("%s", err);
  assert_string_equal(b->ops->type, "spin");
  exercise_backend(b);
  b->ops->free(b);
  /* the data is on disk: a new backend on the same file sees it */
  b = pe_kv_sqlite_open(path, err, sizeof err);
  bool found = false;
  assert_int_equal(b->ops->exists(b, "s2", (const uint8_t *)"key", 3, &found, err, sizeof err),
                   PE_HC_OK);
  assert_true(found);
  b->ops->free(b);
  b = pe_kv_sqlite_open(NULL, err, sizeof err);
  if (!b) fail_msg("%s", err);
  exercise_backend(b);
  b->ops->free(b);
  /* a path that cannot be a database */
  snprintf(path, sizeof path, "%s/no/such/dir/kv.db", dir);
  assert_null(pe_kv_sqlite_open(path, err, sizeof err));
  assert_non_null(strstr(err, "cannot open"));
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_redis_backend_unreachable(void **state) {
  (void)state;
  char err[512];
  assert_null(pe_kv_redis_open("redis://[", err, sizeof err));
  pe_kv_backend *b = pe_kv_redis_open("redis://127.0.0.1:1/0", err, sizeof err);
  if (!b) fail_msg("%s", err);
  assert_string_equal(b->ops->type, "redis");
  pe_buf out = {0};
  bool found;
  assert_int_equal(b->ops->get(b, "x", (const uint8_t *)"k", 1, &out, &found, err, sizeof err),
                   PE_HC_BACKEND);
  assert_non_null(strstr(err, "redis 127.0.0.1:1/0: cannot connect"));
  assert_int_equal(b->ops->set(b, "x", (const uint8_t *)"k", 1, (const uint8_t *)"v", 1, err,
                               sizeof err),
                   PE_HC_BACKEND);
  assert_int_equal(b->ops->keys(b, "x", &out, 100, err, sizeof err), PE_HC_BACKEND);
  b->ops->free(b);
  pe_buf_free(&out);
}

/* --- the area, through the dispatcher --------------------------------------------- */

static uint64_t open_store(fx *f, const char *label) {
  assert_int_equal(fx_call(f, "kv.open", fx_payload(S(label), NULL)), PE_HC_OK);
  return fx_u64(f, 0);
}

static void test_services_roundtrip(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  uint64_t h = open_store(&f, "default"), side = open_store(&f, "side");
  assert_true(h != side);
  uint8_t hb[8], sb[8];
  fx_le64(hb, h);
  fx_le64(sb, side);
  assert_int_equal(fx_call(&f, "kv.set", fx_payload(hb, (size_t)8, S("k"), S("v1"), NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(hb, (size_t)8, S("k"), NULL)), PE_HC_OK);
  assert_int_equal(fx_nblobs(&f), 1);
  const uint8_t *p;
  size_t n;
  assert_true(fx_blob(&f, 0, &p, &n));
  assert_int_equal(n, 2);
  assert_memory_equal(p, "v1", 2);
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(sb, (size_t)8, S("k"), NULL)), PE_HC_OK);
  assert_int_equal(fx_nblobs(&f), 0); /* the other store does not have it */
  assert_int_equal(fx_call(&f, "kv.exists", fx_payload(hb, (size_t)8, S("k"), NULL)), PE_HC_OK);
  assert_int_equal(fx_u64(&f, 0), 1);
  assert_int_equal(fx_call(&f, "kv.get_keys", fx_payload(hb, (size_t)8, NULL)), PE_HC_OK);
  assert_int_equal(fx_nblobs(&f), 1);
  assert_int_equal(fx_call(&f, "kv.delete", fx_payload(hb, (size_t)8, S("k"), NULL)), PE_HC_OK);
  assert_int_equal(fx_call(&f, "kv.exists", fx_payload(hb, (size_t)8, S("k"), NULL)), PE_HC_OK);
  assert_int_equal(fx_u64(&f, 0), 0);
  assert_int_equal(fx_call(&f, "kv.close", fx_payload(sb, (size_t)8, NULL)), PE_HC_OK);
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(sb, (size_t)8, S("k"), NULL)), PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "no open key-value store with handle"));
  /* the next request starts with no handles; ids mean nothing there */
  pe_svc_request_finish(&f.rq);
  fx_request(&f, "a");
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(hb, (size_t)8, S("k"), NULL)), PE_HC_INVALID);
  fx_close(&f);
}

static void test_services_grants(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "b");
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S("default"), NULL)), PE_HC_DENIED);
  assert_non_null(strstr(fx_msg(&f), "component 'b' may not use key-value store 'default'"));
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S("nowhere"), NULL)), PE_HC_NOT_FOUND);
  pe_svc_request_finish(&f.rq);
  fx_request(&f, "a");
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S("locked"), NULL)), PE_HC_DENIED);
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S("nowhere"), NULL)), PE_HC_NOT_FOUND);
  /* a request without a component (defensive) is denied, not crashed */
  pe_svc_request_finish(&f.rq);
  pe_svc_request_init(&f.rq, f.s, NULL);
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S("default"), NULL)), PE_HC_DENIED);
  fx_close(&f);
}

static void test_services_hostile_payloads(void **state) {
  (void)state;
  fx f;
  if (!fx_open(&f, manifest, rc, NULL)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  uint8_t hb[8];
  fx_le64(hb, open_store(&f, "mem"));
  /* raw junk of every short length */
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 'a', 'b', 0, 1, 2};
  for (size_t n = 0; n <= sizeof junk; n++) {
    static const char *const svcs[] = {"kv.open",   "kv.get",      "kv.set",  "kv.delete",
                                       "kv.exists", "kv.get_keys", "kv.close"};
    for (size_t i = 0; i < sizeof svcs / sizeof svcs[0]; i++) {
      int st = fx_call_raw(&f, svcs[i], junk, n);
      assert_true(st == PE_HC_INVALID || st == PE_HC_NOT_FOUND);
    }
  }
  assert_int_equal(fx_call(&f, "kv.open", fx_payload("de\0fault", (size_t)8, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.open", fx_payload("", (size_t)0, NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.open", fx_payload("\xff", (size_t)1, NULL)), PE_HC_INVALID);
  char label[300];
  memset(label, 'x', sizeof label - 1);
  label[sizeof label - 1] = 0;
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S(label), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(hb, (size_t)4, S("k"), NULL)), PE_HC_INVALID);
  char key[258];
  memset(key, 'k', sizeof key - 1);
  key[257] = 0;
  assert_int_equal(fx_call(&f, "kv.set", fx_payload(hb, (size_t)8, S(key), S("v"), NULL)),
                   PE_HC_INVALID);
  assert_non_null(strstr(fx_msg(&f), "key is 257 bytes; the limit is 256"));
  key[256] = 0;
  assert_int_equal(fx_call(&f, "kv.set", fx_payload(hb, (size_t)8, S(key), S("v"), NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "kv.get",
                           fx_payload(hb, (size_t)8, "\xed\xa0\x80", (size_t)3, NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.set", fx_payload(hb, (size_t)8, S("k"), NULL)), PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(hb, (size_t)8, S("k"), S("x"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.get_keys", fx_payload(hb, (size_t)8, S("x"), NULL)),
                   PE_HC_INVALID);
  assert_int_equal(fx_call(&f, "kv.frobnicate", fx_payload(hb, (size_t)8, NULL)), PE_HC_NO_SERVICE);
  /* a value of 1 MiB is fine, one byte more is not */
  size_t big = (1u << 20) + 1;
  char *v = calloc(1, big);
  assert_int_equal(fx_call(&f, "kv.set", fx_payload(hb, (size_t)8, S("big"), v, big - 1, NULL)),
                   PE_HC_OK);
  assert_int_equal(fx_call(&f, "kv.set", fx_payload(hb, (size_t)8, S("big"), v, big, NULL)),
                   PE_HC_LIMIT);
  free(v);
  /* a length prefix that claims more than the payload holds */
  uint8_t lie[12] = {0xf0, 0xff, 0xff, 0xff, 'd', 'e', 'f'};
  assert_int_equal(fx_call_raw(&f, "kv.open", lie, sizeof lie), PE_HC_INVALID);
  /* the table of open stores is bounded; closing makes room */
  for (int i = 1; i < PE_KV_MAX_OPEN; i++) open_store(&f, "default");
  assert_int_equal(fx_call(&f, "kv.open", fx_payload(S("default"), NULL)), PE_HC_LIMIT);
  assert_int_equal(fx_call(&f, "kv.close", fx_payload(hb, (size_t)8, NULL)), PE_HC_OK);
  open_store(&f, "default");
  fx_close(&f);
}

static void test_services_seeds_and_startup(void **state) {
  (void)state;
  fx f;
  pe_services_options o;
  memset(&o, 0, sizeof o);
  const char *seeds[] = {"a=1", "b=x=y", "a=2"};
  o.kv_seed = seeds;
  o.nkv_seed = 3;
  if (!fx_open(&f, manifest, rc, &o)) fail_msg("%s", f.err);
  fx_request(&f, "a");
  uint8_t hb[8];
  fx_le64(hb, open_store(&f, "default"));
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(hb, (size_t)8, S("a"), NULL)), PE_HC_OK);
  const uint8_t *p;
  size_t n;
  assert_true(fx_blob(&f, 0, &p, &n));
  assert_int_equal(n, 1);
  assert_memory_equal(p, "2", 1);
  assert_int_equal(fx_call(&f, "kv.get", fx_payload(hb, (size_t)8, S("b"), NULL)), PE_HC_OK);
  assert_true(fx_blob(&f, 0, &p, &n));
  assert_int_equal(n, 3);
  assert_memory_equal(p, "x=y", 3);
  char db[128];
  snprintf(db, sizeof db, "%s/.spin/sqlite_key_value.db", f.dir);
  assert_int_equal(access(db, F_OK), 0);
  fx_close(&f);

  /* an undefined label stops start-up, naming it and the component */
  assert_null(fx_open(&f, manifest, NULL, NULL));
  assert_non_null(strstr(f.err, "component 'a' uses key-value store 'mem', which is not defined"));
  fx_close(&f);
  /* a bad seed too */
  const char *bad[] = {"=v"};
  o.kv_seed = bad;
  o.nkv_seed = 1;
  assert_null(fx_open(&f, manifest, rc, &o));
  assert_non_null(strstr(f.err, "--key-value '=v'"));
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_sqlite_backend_file_and_memory),
      cmocka_unit_test(test_redis_backend_unreachable),
      cmocka_unit_test(test_services_roundtrip),
      cmocka_unit_test(test_services_grants),
      cmocka_unit_test(test_services_hostile_payloads),
      cmocka_unit_test(test_services_seeds_and_startup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
