/*
 * fuzz_manifest.c -- the Spin manifest loader (src/manifest/) from bytes,
 * then the router built from what it loaded.
 *
 * The input is spin.toml. A manifest is refused with a "f.toml:..."
 * message or loads into a model that keeps pe_manifest.h's promises: every
 * string NUL-terminated, valid UTF-8 without U+0000, each trigger naming
 * an existing component or holding a static response, trigger ids unique.
 * The loaded model then gets a router (refused with a message, or built),
 * which routes a fixed set of paths and every component internally, and
 * each profile a component defines is applied; all of it frees cleanly.
 *
 * Then what a manifest drives at start-up: the app's services
 * (pe_services_new over a state directory under /dev/shm; no runtime
 * config, two --variable values) resolve variables and {{ templates }},
 * parse allowed_outbound_hosts and open granted stores, or refuse with a
 * message. Once open, every component variable has a value, and a message
 * holding a secret variable's value comes out of pe_svc_vars_redact
 * without it.
 */
#include "fuzz_common.h"
#include "manifest/pe_manifest.h"
#include "router/pe_router.h"
#include "services/kv/kv_backend.h"
#include "services/pe_services.h"
#include "services/svc_utf8.h"
#include "services/svc_vars.h"

static void check_str(const char *s) {
  if (!s) return;
  FZ_CHECK(pe_svc_utf8_valid((const uint8_t *)s, strlen(s)));
}

static void check_list(const pe_manifest_list *l) {
  for (size_t i = 0; i < l->len; i++) {
    FZ_CHECK(l->items[i]);
    check_str(l->items[i]);
  }
}

static void check_pairs(const pe_manifest_pair *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(p[i].key && p[i].value);
    check_str(p[i].key);
    check_str(p[i].value);
  }
}

static void check_source(const pe_manifest_source *s) {
  check_str(s->path);
  check_str(s->url);
  check_str(s->digest);
  check_str(s->registry);
  check_str(s->package);
  check_str(s->version);
}

static void check_model(const pe_manifest *m) {
  FZ_CHECK(m->name && m->version && m->description);
  check_str(m->name);
  check_str(m->version);
  check_str(m->description);
  check_list(&m->authors);
  check_list(&m->targets);
  check_list(&m->warnings);
  for (size_t i = 0; i < m->n_variables; i++) {
    const pe_manifest_variable *v = &m->variables[i];
    check_str(v->name);
    check_str(v->description);
    check_str(v->default_value);
    FZ_CHECK(v->required != (v->default_value != NULL));
    FZ_CHECK(pe_manifest_variable_by_name(m, v->name) != NULL);
  }
  for (size_t i = 0; i < m->n_components; i++) {
    const pe_manifest_component *c = &m->components[i];
    FZ_CHECK(c->id && c->id[0]);
    check_str(c->id);
    FZ_CHECK(pe_manifest_component_by_id(m, c->id) == c);
    check_str(c->description);
    check_source(&c->source);
    check_pairs(c->variables, c->n_variables);
    check_pairs(c->environment, c->n_environment);
    for (size_t k = 0; k < c->n_files; k++) {
      check_str(c->files[k].source);
      check_str(c->files[k].destination);
    }
    check_list(&c->exclude_files);
    check_list(&c->allowed_outbound_hosts);
    check_list(&c->allowed_http_hosts);
    check_list(&c->key_value_stores);
    check_list(&c->sqlite_databases);
    check_list(&c->ai_models);
    check_list(&c->targets);
    if (c->has_build) {
      check_list(&c->build.commands);
      check_str(c->build.workdir);
      check_list(&c->build.watch);
    }
    for (size_t k = 0; k < c->n_profiles; k++) {
      check_str(c->profiles[k].name);
      check_source(&c->profiles[k].source);
      check_pairs(c->profiles[k].environment, c->profiles[k].n_environment);
      check_list(&c->profiles[k].build_commands);
    }
  }
  for (size_t i = 0; i < m->n_triggers; i++) {
    const pe_manifest_trigger *t = &m->triggers[i];
    FZ_CHECK(t->id);
    check_str(t->id);
    check_str(t->route);
    check_str(t->component);
    check_str(t->body);
    check_pairs(t->headers, t->n_headers);
    FZ_CHECK(t->is_private == (t->route == NULL));
    FZ_CHECK(t->has_static_response || pe_manifest_component_by_id(m, t->component));
    for (size_t k = 0; k < i; k++) FZ_CHECK(strcmp(m->triggers[k].id, t->id) != 0);
  }
  for (size_t i = 0; i < m->n_redis_triggers; i++) {
    const pe_manifest_redis_trigger *t = &m->redis_triggers[i];
    FZ_CHECK(t->id && t->channel && t->channel[0] && t->address && t->address[0]);
    check_str(t->id);
    check_str(t->channel);
    check_str(t->address);
    FZ_CHECK(pe_manifest_component_by_id(m, t->component));
    for (size_t k = 0; k < m->n_triggers; k++) FZ_CHECK(strcmp(m->triggers[k].id, t->id) != 0);
    for (size_t k = 0; k < i; k++) FZ_CHECK(strcmp(m->redis_triggers[k].id, t->id) != 0);
  }
}

/* What serve does with a redis trigger's address and channel: templates
 * resolved, then the address through the URL parser. */
static void redis_addresses(const pe_services *s, const pe_manifest *m) {
  for (size_t i = 0; i < m->n_redis_triggers; i++) {
    char err[1024];
    char *addr = pe_svc_vars_expand(s, m->redis_triggers[i].address, NULL, err, sizeof err);
    char *chan = pe_svc_vars_expand(s, m->redis_triggers[i].channel, NULL, err, sizeof err);
    pe_redis_url u;
    if (addr && pe_redis_url_parse(addr, &u, err, sizeof err)) {
      FZ_CHECK(u.host && u.host[0] && u.port >= 0 && u.port <= 65535);
      pe_redis_url_free(&u);
    }
    free(addr);
    free(chan);
  }
}

static void no_warning(void *ctx, const char *msg) {
  (void)ctx;
  FZ_CHECK(strstr(msg, "f.toml:") != NULL);
}

static void route(const pe_manifest *m) {
  char err[512];
  pe_router *r = pe_router_from_manifest(m, no_warning, NULL, err, sizeof err);
  if (!r) {
    FZ_CHECK(strstr(err, "f.toml:") != NULL);
    return;
  }
  static const char *const paths[] = {"/",  "/cart",  "/users/1/x?y",           "/a/b/",
                                      "//", "/x/...", "/.well-known/spin/info", "",
                                      "x",  "/%20"};
  pe_router_result res;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (pe_router_match(r, paths[i], strlen(paths[i]), &res) == PE_ROUTER_MATCH) {
      FZ_CHECK(res.index < m->n_triggers);
      FZ_CHECK(res.n_captures <= PE_ROUTER_MAX_CAPTURES);
    }
  for (size_t i = 0; i < m->n_components; i++)
    pe_router_match_internal(r, m->components[i].id, "/z", 2, &res);
  for (size_t i = 0; i < pe_router_count(r); i++) {
    const char *target;
    FZ_CHECK(pe_router_route_at(r, i, &target) && target);
  }
  pe_router_free(r);
}

static void services(const pe_manifest *m) {
  static char state[64];
  if (!state[0]) fz_tmpdir(state, "manifest");
  static const char *const vars[] = {"api_key=k3y-value", "greeting=hi"};
  pe_services_options o = {.state_dir = state, .variables = vars, .nvariables = 2};
  char err[1024];
  err[0] = 0;
  pe_services *s = pe_services_new(m, state, &o, err, sizeof err);
  if (!s) {
    FZ_CHECK(err[0]);
    return;
  }
  for (size_t i = 0; i < m->n_components; i++) {
    const pe_manifest_component *c = &m->components[i];
    for (size_t k = 0; k < c->n_variables; k++) {
      char name[256];
      snprintf(name, sizeof name, "%s", c->variables[k].key);
      FZ_CHECK(pe_svc_vars_component(s, c->id, name) != NULL);
    }
  }
  redis_addresses(s, m);
  /* secrets: each value the app resolved, in a message, is scrubbed */
  for (size_t i = 0; i < m->n_variables; i++) {
    const pe_manifest_variable *v = &m->variables[i];
    char tmpl[300];
    snprintf(tmpl, sizeof tmpl, "{{ %s }}", v->name);
    char *value = pe_svc_vars_expand(s, tmpl, NULL, err, sizeof err);
    if (!value) continue;
    if (v->secret && strlen(value) >= 3 && !strchr(value, '*')) {
      char msg[1024];
      snprintf(msg, sizeof msg, "before %s after", value);
      if (strlen(msg) < sizeof msg - 1) {
        pe_svc_vars_redact(s, msg);
        FZ_CHECK(strstr(msg, value) == NULL);
      }
    }
    free(value);
  }
  pe_services_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *doc = (char *)fz_dup(data, size);
  pe_manifest_error err;
  memset(&err, 0, sizeof err);
  pe_manifest *m = pe_manifest_parse(doc, size, "f.toml", &err);
  free(doc); /* nothing in the model may point into the text */
  if (!m) {
    FZ_CHECK(strncmp(err.msg, "f.toml", 6) == 0);
    return 0;
  }
  check_model(m);
  route(m);
  /* each profile (the first of each component), then one nobody defines */
  for (size_t i = 0; i < m->n_components; i++)
    if (m->components[i].n_profiles) {
      char name[256];
      snprintf(name, sizeof name, "%s", m->components[i].profiles[0].name);
      FZ_CHECK(pe_manifest_apply_profile(m, name, &err));
      check_model(m);
    }
  FZ_CHECK(!pe_manifest_apply_profile(m, "no-such-profile-\x01", &err));
  services(m);
  pe_manifest_free(m);
  return 0;
}
