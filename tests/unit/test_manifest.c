/*
 * test_manifest.c -- loading valid spin.toml manifests into the model.
 *
 * http-py.toml is the shape `spin new http-py` produces; multi.toml
 * exercises several triggers (component, private, static, inline, wagi)
 * and most component fields. Smaller inline documents check defaults, the
 * generated ids and profiles. Data files live in tests/unit/data/manifest/
 * (tests run from the repo root).
 */
#include "pe_test.h"

#include <stdlib.h>
#include <string.h>

#include "manifest/pe_manifest.h"

static pe_manifest *load(const char *path) {
  pe_manifest_error err;
  pe_manifest *m = pe_manifest_load(path, &err);
  if (!m) fail_msg("%s", err.msg);
  return m;
}

static pe_manifest *parse(const char *text) {
  pe_manifest_error err;
  pe_manifest *m = pe_manifest_parse(text, strlen(text), "test.toml", &err);
  if (!m) fail_msg("%s", err.msg);
  return m;
}

static const char *pair(const pe_manifest_pair *p, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(p[i].key, key) == 0) return p[i].value;
  return NULL;
}

static void test_http_py_template(void **state) {
  (void)state;
  pe_manifest *m = load("tests/unit/data/manifest/http-py.toml");
  assert_string_equal(m->file, "tests/unit/data/manifest/http-py.toml");
  assert_string_equal(m->name, "hello-py");
  assert_string_equal(m->version, "0.1.0");
  assert_string_equal(m->description, "Says hello from Python");
  assert_int_equal(m->authors.len, 1);
  assert_string_equal(m->authors.items[0], "Jane Doe <jane@example.com>");
  assert_int_equal(m->n_variables, 0);
  assert_int_equal(m->warnings.len, 0);
  assert_null(m->http_settings);

  assert_int_equal(m->n_triggers, 1);
  const pe_manifest_trigger *t = &m->triggers[0];
  assert_string_equal(t->route, "/...");
  assert_false(t->is_private);
  assert_string_equal(t->component, "hello-py");
  assert_string_equal(t->id, "hello-py-http-trigger");
  assert_false(t->has_static_response);
  assert_int_equal(t->executor, PE_MANIFEST_EXECUTOR_HTTP);
  assert_int_equal(t->line, 9);
  assert_int_equal(t->route_line, 10);

  assert_int_equal(m->n_components, 1);
  const pe_manifest_component *c = pe_manifest_component_by_id(m, "hello-py");
  assert_non_null(c);
  assert_int_equal(c->line, 13);
  assert_false(c->inline_defined);
  assert_int_equal(c->source.kind, PE_MANIFEST_SOURCE_LOCAL);
  assert_string_equal(c->source.path, "app.wasm");
  assert_string_equal(c->description, "");
  assert_true(c->has_build);
  assert_int_equal(c->build.commands.len, 1);
  assert_string_equal(c->build.commands.items[0],
                      "componentize-py -w spin-http componentize app -o app.wasm");
  assert_null(c->build.workdir);
  assert_int_equal(c->build.watch.len, 2);
  assert_string_equal(c->build.watch.items[1], "requirements.txt");
  assert_int_equal(c->n_files, 0);
  assert_int_equal(c->allowed_outbound_hosts.len, 0);
  assert_int_equal(c->key_value_stores.len, 0);
  assert_null(pe_manifest_component_by_id(m, "other"));
  pe_manifest_free(m);
}

static void test_multi_application(void **state) {
  (void)state;
  pe_manifest *m = load("tests/unit/data/manifest/multi.toml");
  assert_string_equal(m->name, "shop");
  assert_int_equal(m->authors.len, 2);
  assert_int_equal(m->targets.len, 1);
  assert_string_equal(m->targets.items[0], "spin-up:3.2");
  assert_non_null(m->http_settings);
  assert_string_equal(pe_toml_cstr(pe_toml_get(m->http_settings, "base")), "/");
  /* the deprecated allowed_http_hosts is kept, with a warning */
  assert_int_equal(m->warnings.len, 1);
  assert_non_null(strstr(m->warnings.items[0],
                         "multi.toml:75: 'allowed_http_hosts' in [component.users] is deprecated"));

  assert_int_equal(m->n_variables, 2);
  const pe_manifest_variable *k = pe_manifest_variable_by_name(m, "api_key");
  assert_non_null(k);
  assert_true(k->required);
  assert_true(k->secret);
  assert_null(k->default_value);
  assert_null(k->description);
  assert_int_equal(k->line, 17);
  const pe_manifest_variable *g = pe_manifest_variable_by_name(m, "greeting");
  assert_false(g->required);
  assert_false(g->secret);
  assert_string_equal(g->default_value, "hello");
  assert_string_equal(g->description, "What to say");
  assert_null(pe_manifest_variable_by_name(m, "nope"));
  pe_manifest_free(m);
}

static void test_multi_triggers(void **state) {
  (void)state;
  pe_manifest *m = load("tests/unit/data/manifest/multi.toml");
  assert_int_equal(m->n_triggers, 6);
  const pe_manifest_trigger *t = m->triggers;

  assert_string_equal(t[0].route, "/cart");
  assert_string_equal(t[0].component, "cart");
  assert_string_equal(t[0].id, "cart-http-trigger");

  assert_string_equal(t[1].id, "users");
  assert_string_equal(t[1].route, "/users/:id/...");
  assert_int_equal(t[1].executor, PE_MANIFEST_EXECUTOR_HTTP);

  assert_true(t[2].is_private);
  assert_null(t[2].route);
  assert_string_equal(t[2].component, "internal-api");
  assert_string_equal(t[2].id, "internal-api-http-trigger");

  assert_true(t[3].has_static_response);
  assert_null(t[3].component);
  assert_int_equal(t[3].status_code, 204);
  assert_int_equal(t[3].n_headers, 1);
  assert_string_equal(pair(t[3].headers, t[3].n_headers, "x-served-by"), "pyedge");
  assert_null(t[3].body);
  assert_string_equal(t[3].id, "http-trigger1");

  /* the inline component is named after its (generated) trigger id */
  assert_string_equal(t[4].id, "http-trigger2");
  assert_string_equal(t[4].component, "http-trigger2-component");
  assert_int_equal(t[4].executor, PE_MANIFEST_EXECUTOR_WAGI);
  assert_string_equal(t[4].wagi_argv, "${SCRIPT_NAME} -v ${ARGS}");
  assert_string_equal(t[4].wagi_entrypoint, "_start");
  const pe_manifest_component *inl = pe_manifest_component_by_id(m, "http-trigger2-component");
  assert_non_null(inl);
  assert_true(inl->inline_defined);
  assert_string_equal(inl->source.path, "legacy.wasm");
  assert_string_equal(pair(inl->environment, inl->n_environment, "MODE"), "cgi");

  assert_string_equal(t[5].route, "/");
  assert_int_equal(t[5].status_code, 200);
  assert_string_equal(t[5].body, "home");
  assert_string_equal(t[5].id, "http-trigger3");
  pe_manifest_free(m);
}

static void test_multi_components(void **state) {
  (void)state;
  pe_manifest *m = load("tests/unit/data/manifest/multi.toml");
  assert_int_equal(m->n_components, 4);
  /* declared ones in document order, then the inline one */
  assert_string_equal(m->components[0].id, "cart");
  assert_string_equal(m->components[1].id, "users");
  assert_string_equal(m->components[2].id, "internal-api");
  assert_string_equal(m->components[3].id, "http-trigger2-component");

  const pe_manifest_component *c = &m->components[0];
  assert_string_equal(c->description, "The cart");
  assert_string_equal(c->source.path, "cart/app.wasm");
  assert_int_equal(c->n_files, 2);
  assert_string_equal(c->files[0].source, "static/**/*");
  assert_null(c->files[0].destination);
  assert_string_equal(c->files[1].source, "assets");
  assert_string_equal(c->files[1].destination, "/assets");
  assert_int_equal(c->exclude_files.len, 1);
  assert_int_equal(c->n_environment, 2);
  assert_string_equal(pair(c->environment, c->n_environment, "WITH SPACE"), "1");
  assert_int_equal(c->allowed_outbound_hosts.len, 3);
  assert_string_equal(c->allowed_outbound_hosts.items[2], "http://users.spin.internal");
  assert_int_equal(c->key_value_stores.len, 2);
  assert_string_equal(c->key_value_stores.items[1], "carts");
  assert_int_equal(c->sqlite_databases.len, 2);
  assert_string_equal(c->sqlite_databases.items[1], "orders_db");
  assert_int_equal(c->ai_models.len, 1);
  assert_int_equal(c->n_variables, 3);
  assert_string_equal(pair(c->variables, c->n_variables, "greeting"), "{{ greeting }}, shopper");
  assert_true(c->has_build);
  assert_int_equal(c->build.commands.len, 2);
  assert_string_equal(c->build.commands.items[0], "pip install -r requirements.txt");
  assert_string_equal(c->build.workdir, "cart");
  assert_int_equal(c->n_profiles, 1);
  assert_string_equal(c->profiles[0].name, "debug");

  const pe_manifest_component *u = &m->components[1];
  assert_int_equal(u->source.kind, PE_MANIFEST_SOURCE_URL);
  assert_string_equal(u->source.url, "https://example.com/users.wasm");
  assert_string_equal(u->source.digest, "sha256:0123abcd");
  assert_int_equal(u->allowed_http_hosts.len, 1);
  assert_false(u->has_build);

  const pe_manifest_component *r = &m->components[2];
  assert_int_equal(r->source.kind, PE_MANIFEST_SOURCE_REGISTRY);
  assert_string_equal(r->source.registry, "ghcr.io");
  assert_string_equal(r->source.package, "acme:internal");
  assert_string_equal(r->source.version, "1.0.0");
  assert_int_equal(r->targets.len, 1);
  /* tool tables are left in the document for whoever wants them */
  const pe_toml_value *tool =
      pe_toml_get(pe_toml_get(pe_toml_get(pe_toml_get(m->toml, "component"), "internal-api"),
                              "tool"),
                  "spin-test");
  assert_string_equal(pe_toml_cstr(pe_toml_get(tool, "source")), "tests.wasm");
  pe_manifest_free(m);
}

static void test_profile(void **state) {
  (void)state;
  pe_manifest *m = load("tests/unit/data/manifest/multi.toml");
  pe_manifest_error err;
  assert_false(pe_manifest_apply_profile(m, "release", &err));
  assert_non_null(strstr(err.msg, "profile 'release' is not defined in this application"));
  assert_true(pe_manifest_apply_profile(m, "debug", &err));
  const pe_manifest_component *c = pe_manifest_component_by_id(m, "cart");
  assert_string_equal(c->source.path, "cart/debug.wasm");
  assert_int_equal(c->n_environment, 3);
  assert_string_equal(pair(c->environment, c->n_environment, "LOG_LEVEL"), "trace");
  assert_string_equal(pair(c->environment, c->n_environment, "EXTRA"), "yes");
  assert_string_equal(pair(c->environment, c->n_environment, "WITH SPACE"), "1");
  assert_int_equal(c->build.commands.len, 1);
  assert_string_equal(c->build.commands.items[0], "make debug");
  assert_string_equal(c->build.workdir, "cart");
  /* other components are untouched */
  assert_int_equal(pe_manifest_component_by_id(m, "users")->source.kind, PE_MANIFEST_SOURCE_URL);
  pe_manifest_free(m);
}

static void test_profile_adds_build(void **state) {
  (void)state;
  pe_manifest *m = parse(
      "spin_manifest_version = 2\n[application]\nname = 'a'\n[[trigger.http]]\nroute = '/'\n"
      "component = 'c'\n[component.c]\nsource = 'c.wasm'\n[component.c.profile.dev.build]\n"
      "command = ['a', 'b']\n");
  assert_false(m->components[0].has_build);
  pe_manifest_error err;
  assert_true(pe_manifest_apply_profile(m, "dev", &err));
  assert_true(m->components[0].has_build);
  assert_int_equal(m->components[0].build.commands.len, 2);
  assert_null(m->components[0].build.workdir);
  pe_manifest_free(m);
}

static void test_minimal_and_defaults(void **state) {
  (void)state;
  pe_manifest *m = parse("spin_manifest_version = 2\n[application]\nname = \"x\"\n[trigger]\n");
  assert_string_equal(m->name, "x");
  assert_string_equal(m->version, "");
  assert_string_equal(m->description, "");
  assert_int_equal(m->authors.len, 0);
  assert_int_equal(m->n_triggers, 0);
  assert_int_equal(m->n_components, 0);
  assert_string_equal(m->file, "test.toml");
  pe_manifest_free(m);
  /* the file name defaults to spin.toml in messages */
  pe_manifest_error err;
  assert_null(pe_manifest_parse("x = 1", 5, NULL, &err));
  assert_non_null(strstr(err.msg, "spin.toml:"));
}

static void test_generated_trigger_ids_avoid_clashes(void **state) {
  (void)state;
  /* "a-http-trigger" is taken explicitly, so the second trigger for a
   * falls back to a counter id, skipping the explicit "http-trigger1" */
  pe_manifest *m = parse(
      "spin_manifest_version = 2\n[application]\nname = 'x'\n"
      "[[trigger.http]]\nid = 'a-http-trigger'\nroute = '/1'\ncomponent = 'a'\n"
      "[[trigger.http]]\nid = 'http-trigger1'\nroute = '/2'\ncomponent = 'a'\n"
      "[[trigger.http]]\nroute = '/3'\ncomponent = 'a'\n"
      "[[trigger.http]]\nroute = '/4'\ncomponent = 'b'\n"
      "[[trigger.http]]\nroute = '/5'\ncomponent = 'b'\n"
      "[component.a]\nsource = 'a.wasm'\n[component.b]\nsource = 'b.wasm'\n");
  assert_string_equal(m->triggers[2].id, "http-trigger2");
  assert_string_equal(m->triggers[3].id, "b-http-trigger");
  assert_string_equal(m->triggers[4].id, "http-trigger3");
  pe_manifest_free(m);
}

/* Spin's redis-trigger template, and the keys around it: app-wide address
 * inherited, a trigger's own address kept, templates kept for the server,
 * ids generated as Spin does (clashes included, across trigger types). */
static void test_redis_triggers(void **state) {
  (void)state;
  pe_manifest *m = parse(
      "spin_manifest_version = 2\n[application]\nname = 'spin-redis'\n"
      "[application.trigger.redis]\naddress = 'redis://localhost:6379'\n"
      "[variables]\nchan = { default = 'x' }\n"
      "[[trigger.redis]]\nchannel = 'messages'\ncomponent = 'echo-message'\n"
      "[[trigger.redis]]\nid = 'echo-message-redis-trigger2'\nchannel = '{{ chan }}'\n"
      "component = 'echo-message'\naddress = 'redis://other:1/2'\n"
      "[[trigger.redis]]\nchannel = 'again'\ncomponent = 'echo-message'\n"
      "[[trigger.http]]\nid = 'redis-trigger1'\nroute = '/'\ncomponent = 'echo-message'\n"
      "[component.echo-message]\nsource = 'app.wasm'\n"
      "[component.echo-message.build]\n"
      "command = 'componentize-py -w spin-redis componentize app -o app.wasm'\n");
  assert_string_equal(m->redis_address, "redis://localhost:6379");
  assert_int_equal(m->n_redis_triggers, 3);
  assert_int_equal(m->n_triggers, 1);
  const pe_manifest_redis_trigger *t = m->redis_triggers;
  assert_string_equal(t[0].id, "echo-message-redis-trigger");
  assert_string_equal(t[0].channel, "messages");
  assert_string_equal(t[0].component, "echo-message");
  assert_string_equal(t[0].address, "redis://localhost:6379");
  assert_int_equal(t[0].line, 8);
  assert_string_equal(t[1].id, "echo-message-redis-trigger2");
  assert_string_equal(t[1].channel, "{{ chan }}");
  assert_string_equal(t[1].address, "redis://other:1/2");
  assert_int_equal(t[1].address_line, 15);
  /* its natural id is taken; "redis-trigger1" is the http trigger's */
  assert_string_equal(t[2].id, "redis-trigger2");
  pe_manifest_free(m);
  /* no app-wide settings: each trigger brings its own address */
  m = parse(
      "spin_manifest_version = 2\n[application]\nname = 'x'\n"
      "[[trigger.redis]]\nchannel = 'c'\ncomponent = 'a'\naddress = 'redis://h'\n"
      "[component.a]\nsource = 'a.wasm'\n");
  assert_null(m->redis_address);
  assert_string_equal(m->redis_triggers[0].address, "redis://h");
  pe_manifest_free(m);
}

static void test_inline_component_ids(void **state) {
  (void)state;
  /* the natural id is taken by a declared component -> inline-component<N>;
   * an explicit trigger id gives a natural inline id */
  pe_manifest *m = parse(
      "spin_manifest_version = 2\n[application]\nname = 'x'\n"
      "[[trigger.http]]\nroute = '/1'\ncomponent = { source = 'one.wasm' }\n"
      "[[trigger.http]]\nid = 'shop'\nroute = '/2'\ncomponent = { source = 'two.wasm' }\n"
      "[[trigger.http]]\nid = 'Not_Kebab'\nroute = '/3'\ncomponent = { source = 'three.wasm' }\n"
      "[component.http-trigger1-component]\nsource = 'taken.wasm'\n");
  assert_string_equal(m->triggers[0].id, "http-trigger1");
  assert_string_equal(m->triggers[0].component, "inline-component1");
  assert_string_equal(m->triggers[1].component, "shop-component");
  assert_string_equal(m->triggers[2].component, "inline-component2");
  assert_string_equal(pe_manifest_component_by_id(m, "inline-component2")->source.path,
                      "three.wasm");
  assert_int_equal(m->n_components, 4);
  pe_manifest_free(m);
}

static void test_upper_case_ids(void **state) {
  (void)state;
  /* Spin allows all-upper words in component ids, and snake_case labels */
  pe_manifest *m = parse(
      "spin_manifest_version = 2\n[application]\nname = 'x'\n"
      "[[trigger.http]]\nroute = '/'\ncomponent = 'API-v2'\n"
      "[component.API-v2]\nsource = 'a.wasm'\nkey_value_stores = ['MY_STORE', 'my-store']\n");
  assert_string_equal(m->triggers[0].component, "API-v2");
  pe_manifest_free(m);
}

static void test_crlf_and_comments(void **state) {
  (void)state;
  pe_manifest *m = parse(
      "# app\r\nspin_manifest_version = 2 # v2\r\n\r\n[application]\r\nname = 'x'\r\n"
      "[[trigger.http]]\r\nroute = '/a'\r\ncomponent = 'c'\r\n[component.c]\r\nsource = 'c.wasm'\r\n");
  assert_int_equal(m->triggers[0].line, 6);
  assert_int_equal(m->components[0].line, 9);
  pe_manifest_free(m);
}

static void test_load_missing_file(void **state) {
  (void)state;
  pe_manifest_error err;
  assert_null(pe_manifest_load("tests/unit/data/manifest/does-not-exist.toml", &err));
  assert_non_null(strstr(err.msg, "does-not-exist.toml: No such file or directory"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http_py_template),
      cmocka_unit_test(test_multi_application),
      cmocka_unit_test(test_multi_triggers),
      cmocka_unit_test(test_multi_components),
      cmocka_unit_test(test_profile),
      cmocka_unit_test(test_profile_adds_build),
      cmocka_unit_test(test_minimal_and_defaults),
      cmocka_unit_test(test_generated_trigger_ids_avoid_clashes),
      cmocka_unit_test(test_inline_component_ids),
      cmocka_unit_test(test_redis_triggers),
      cmocka_unit_test(test_upper_case_ids),
      cmocka_unit_test(test_crlf_and_comments),
      cmocka_unit_test(test_load_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
