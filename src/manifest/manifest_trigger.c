/*
 * manifest_trigger.c -- [[trigger.http]] and [[trigger.redis]] entries.
 *
 * A trigger names what answers a route: a component (by id, or written
 * inline) or a static response; exactly one of the two, as Spin requires.
 * The route is a string pattern (checked by the router, which knows the
 * pattern rules) or `{ private = true }`, which only service chaining can
 * reach. Inline components are read here into the component list; their
 * ids are generated afterwards (manifest_check.c), when all trigger ids are
 * known, because Spin derives one from the other.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static const char *const http_keys[] = {"id",    "component",       "components", "dependencies",
                                        "route", "static_response", "executor",   NULL};
static const char *const private_keys[] = {"private", NULL};
static const char *const static_keys[] = {"status_code", "headers", "body", NULL};
static const char *const executor_http_keys[] = {"type", NULL};
static const char *const executor_wagi_keys[] = {"type", "argv", "entrypoint", NULL};

static const char *const trigger_ctx = "[[trigger.http]]";

static bool read_route(manifest_ctx *c, const pe_toml_value *t, pe_manifest_trigger *out) {
  const pe_toml_value *v = pe_toml_get(t, "route");
  if (!v) return manifest_missing(c, t, "route", trigger_ctx);
  out->route_line = pe_toml_key_line(v);
  if (pe_toml_type_of(v) == PE_TOML_STRING)
    return manifest_as_string(c, v, "route", trigger_ctx, &out->route);
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a string or { private = true }", "route", trigger_ctx);
  const char *rctx = "'route' of [[trigger.http]]";
  if (!manifest_only_keys(c, v, rctx, private_keys)) return false;
  const pe_toml_value *p = pe_toml_get(v, "private");
  if (!p)
    return manifest_fail(c, out->route_line,
                         "route must be a string pattern or { private = true }");
  bool priv = false;
  if (!manifest_bool(c, v, "private", rctx, &priv)) return false;
  if (!priv)
    return manifest_fail(
        c, out->route_line,
        "route must be a string pattern or { private = true }, not { private = false }");
  out->is_private = true;
  return true;
}

static bool read_static_response(manifest_ctx *c, const pe_toml_value *v,
                                 pe_manifest_trigger *out) {
  const char *ctx = "'static_response' of [[trigger.http]]";
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a table", "static_response", trigger_ctx);
  if (!manifest_only_keys(c, v, ctx, static_keys)) return false;
  out->has_static_response = true;
  out->status_code = 200;
  const pe_toml_value *s = pe_toml_get(v, "status_code");
  if (s) {
    int64_t code;
    if (!pe_toml_int(s, &code)) return manifest_type_error(c, s, "an integer", "status_code", ctx);
    if (code < 100 || code > 999)
      return manifest_fail(c, pe_toml_key_line(s),
                           "'status_code' in %s must be between 100 and 999, not %lld", ctx,
                           (long long)code);
    out->status_code = (int)code;
  }
  return manifest_pairs(c, v, "headers", ctx, &out->headers, &out->n_headers) &&
         manifest_string(c, v, "body", ctx, false, NULL, &out->body);
}

static bool read_executor(manifest_ctx *c, const pe_toml_value *v, pe_manifest_trigger *out) {
  const char *ctx = "'executor' of [[trigger.http]]";
  out->executor = PE_MANIFEST_EXECUTOR_HTTP;
  if (!v) return true;
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a table", "executor", trigger_ctx);
  const char *type;
  if (!manifest_string(c, v, "type", ctx, true, NULL, &type)) return false;
  if (strcmp(type, "http") == 0 || strcmp(type, "spin") == 0)
    return manifest_only_keys(c, v, ctx, executor_http_keys);
  if (strcmp(type, "wagi") == 0) {
    out->executor = PE_MANIFEST_EXECUTOR_WAGI;
    return manifest_only_keys(c, v, ctx, executor_wagi_keys) &&
           manifest_string(c, v, "argv", ctx, false, "${SCRIPT_NAME} ${ARGS}", &out->wagi_argv) &&
           manifest_string(c, v, "entrypoint", ctx, false, "_start", &out->wagi_entrypoint);
  }
  return manifest_fail(c, pe_toml_key_line(pe_toml_get(v, "type")),
                       "unknown executor type '%s' in %s (expected \"http\", \"spin\" or \"wagi\")",
                       type, ctx);
}

static bool read_component_ref(manifest_ctx *c, const pe_toml_value *v, size_t idx,
                               pe_manifest_trigger *out) {
  if (pe_toml_type_of(v) == PE_TOML_STRING) {
    if (!manifest_as_string(c, v, "component", trigger_ctx, &out->component)) return false;
    char why[128];
    if (!manifest_id_ok(out->component, '-', false, why, sizeof why))
      return manifest_fail(c, pe_toml_key_line(v),
                           "invalid component id '%s' in [[trigger.http]]: %s", out->component,
                           why);
    return true;
  }
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a component id or an inline component table", "component",
                               trigger_ctx);
  pe_manifest *m = c->m;
  if (m->n_components >= c->components_cap)
    return manifest_fail(c, pe_toml_line(v), "internal error: no room");
  size_t ci = m->n_components++;
  pe_manifest_component *comp = &m->components[ci];
  comp->inline_defined = true;
  c->inline_component[idx] = (long)ci;
  return manifest_read_component(c, v, "the inline component of [[trigger.http]]", comp);
}

static bool read_http(manifest_ctx *c, const pe_toml_value *t, size_t idx,
                      pe_manifest_trigger *out) {
  if (pe_toml_type_of(t) != PE_TOML_TABLE)
    return manifest_fail(c, pe_toml_line(t), "expected a table in 'trigger.http' (found %s)",
                         pe_toml_type_name(pe_toml_type_of(t)));
  out->line = pe_toml_key_line(t);
  c->inline_component[idx] = -1;
  const pe_toml_value *unsupported = pe_toml_get(t, "components");
  if (!unsupported) unsupported = pe_toml_get(t, "dependencies");
  if (unsupported)
    return manifest_fail(c, pe_toml_key_line(unsupported),
                         "trigger '%s' in [[trigger.http]] is not supported",
                         pe_toml_get(t, "components") ? "components" : "dependencies");
  if (!manifest_only_keys(c, t, trigger_ctx, http_keys) ||
      !manifest_string(c, t, "id", trigger_ctx, false, NULL, &out->id) || !read_route(c, t, out) ||
      !read_executor(c, pe_toml_get(t, "executor"), out))
    return false;
  if (out->id && !*out->id) out->id = NULL; /* Spin treats "" as absent */
  const pe_toml_value *comp = pe_toml_get(t, "component");
  const pe_toml_value *resp = pe_toml_get(t, "static_response");
  if (!comp == !resp)
    return manifest_fail(
        c, out->line,
        "[[trigger.http]] must have either 'component' or 'static_response' (it has %s)",
        comp ? "both" : "neither");
  if (resp) return read_static_response(c, resp, out);
  return read_component_ref(c, comp, idx, out);
}

static const char *const redis_keys[] = {"id",      "component",    "components", "channel",
                                         "address", "dependencies", NULL};
static const char *const redis_ctx = "[[trigger.redis]]";

/* Spin's redis TriggerConfig: component and channel required, address
 * optional (the app-wide one otherwise); `id` is common to every trigger. */
static bool read_redis(manifest_ctx *c, const pe_toml_value *t, pe_manifest_redis_trigger *out) {
  if (pe_toml_type_of(t) != PE_TOML_TABLE)
    return manifest_fail(c, pe_toml_line(t), "expected a table in 'trigger.redis' (found %s)",
                         pe_toml_type_name(pe_toml_type_of(t)));
  out->line = pe_toml_key_line(t);
  const pe_toml_value *unsupported = pe_toml_get(t, "components");
  if (!unsupported) unsupported = pe_toml_get(t, "dependencies");
  if (unsupported)
    return manifest_fail(c, pe_toml_key_line(unsupported),
                         "trigger '%s' in [[trigger.redis]] is not supported",
                         pe_toml_get(t, "components") ? "components" : "dependencies");
  if (!manifest_only_keys(c, t, redis_ctx, redis_keys) ||
      !manifest_string(c, t, "id", redis_ctx, false, NULL, &out->id) ||
      !manifest_string(c, t, "channel", redis_ctx, true, NULL, &out->channel) ||
      !manifest_string(c, t, "address", redis_ctx, false, NULL, &out->address))
    return false;
  if (out->id && !*out->id) out->id = NULL; /* Spin treats "" as absent */
  if (!*out->channel)
    return manifest_fail(c, pe_toml_key_line(pe_toml_get(t, "channel")),
                         "'channel' in [[trigger.redis]] must not be empty");
  const pe_toml_value *comp = pe_toml_get(t, "component");
  if (!comp) return manifest_missing(c, t, "component", redis_ctx);
  if (pe_toml_type_of(comp) == PE_TOML_TABLE)
    return manifest_fail(c, pe_toml_key_line(comp),
                         "an inline component in [[trigger.redis]] is not supported: define it "
                         "as [component.<id>] and name it");
  if (!manifest_as_string(c, comp, "component", redis_ctx, &out->component)) return false;
  char why[128];
  if (!manifest_id_ok(out->component, '-', false, why, sizeof why))
    return manifest_fail(c, pe_toml_key_line(comp),
                         "invalid component id '%s' in [[trigger.redis]]: %s", out->component, why);
  if (out->address) {
    out->address_line = pe_toml_key_line(pe_toml_get(t, "address"));
  } else if (c->m->redis_address) {
    out->address = c->m->redis_address;
    out->address_line = out->line;
  } else {
    return manifest_fail(c, out->line,
                         "[[trigger.redis]] has no 'address', and [application.trigger.redis] "
                         "sets none");
  }
  if (!*out->address)
    return manifest_fail(c, out->address_line, "the address of [[trigger.redis]] is empty");
  return true;
}

static bool read_redis_triggers(manifest_ctx *c, const pe_toml_value *redis) {
  if (!redis) return true;
  if (pe_toml_type_of(redis) != PE_TOML_ARRAY)
    return manifest_type_error(c, redis, "an array of tables", "trigger.redis", "the manifest");
  size_t n = pe_toml_len(redis);
  pe_manifest_redis_trigger *out = manifest_alloc_array(c, n, sizeof *out);
  if (!out) return false;
  c->m->redis_triggers = out;
  for (size_t i = 0; i < n; i++) {
    if (!read_redis(c, pe_toml_at(redis, i), &out[i])) return false;
    c->m->n_redis_triggers = i + 1;
  }
  return true;
}

static bool read_http_triggers(manifest_ctx *c, const pe_toml_value *http);

bool manifest_read_triggers(manifest_ctx *c, const pe_toml_value *trigger) {
  if (!trigger)
    return manifest_fail(
        c, 0,
        "missing 'trigger': the manifest needs at least one [[trigger.http]] or [[trigger.redis]]");
  if (pe_toml_type_of(trigger) != PE_TOML_TABLE)
    return manifest_type_error(c, trigger, "a table", "trigger", "the manifest");
  for (size_t i = 0; i < pe_toml_len(trigger); i++) {
    size_t kl;
    const char *k = pe_toml_key_at(trigger, i, &kl);
    if ((kl != 4 || memcmp(k, "http", 4) != 0) && (kl != 5 || memcmp(k, "redis", 5) != 0)) {
      char kt[96];
      manifest_key_text(k, kl, kt, sizeof kt);
      return manifest_fail(
          c, pe_toml_key_line(pe_toml_at(trigger, i)),
          "unsupported trigger type '%s': only [[trigger.http]] and [[trigger.redis]] are served",
          kt);
    }
  }
  return read_http_triggers(c, pe_toml_get(trigger, "http")) &&
         read_redis_triggers(c, pe_toml_get(trigger, "redis"));
}

static bool read_http_triggers(manifest_ctx *c, const pe_toml_value *http) {
  if (!http) return true;
  if (pe_toml_type_of(http) != PE_TOML_ARRAY)
    return manifest_type_error(c, http, "an array of tables", "trigger.http", "the manifest");
  size_t n = pe_toml_len(http);
  pe_manifest_trigger *out = manifest_alloc_array(c, n, sizeof *out);
  if (!out) return false;
  c->m->triggers = out;
  for (size_t i = 0; i < n; i++) {
    if (!read_http(c, pe_toml_at(http, i), i, &out[i])) return false;
    c->m->n_triggers = i + 1;
  }
  return true;
}
