/*
 * manifest_app.c -- [application] and [variables].
 *
 * [application.trigger.<type>] holds trigger-wide settings whose keys
 * belong to each trigger (Spin passes them through untyped), so only their
 * shape is checked and the http one is kept for the host. [application.tool]
 * is for tools other than the runtime and is ignored, as in Spin.
 *
 * A variable must be `required` or have a `default`, not both and not
 * neither: the same rule Spin applies when it locks the app.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static const char *const app_keys[] = {"name",    "version", "description", "authors",
                                       "targets", "trigger", "tool",        NULL};
static const char *const variable_keys[] = {"description", "default", "required", "secret", NULL};

/* A table whose values must all be tables (trigger settings, tools). */
static bool table_of_tables(manifest_ctx *c, const pe_toml_value *t, const char *key,
                            const char *ctx) {
  if (!t) return true;
  if (pe_toml_type_of(t) != PE_TOML_TABLE) return manifest_type_error(c, t, "a table", key, ctx);
  for (size_t i = 0; i < pe_toml_len(t); i++) {
    const pe_toml_value *v = pe_toml_at(t, i);
    if (pe_toml_type_of(v) != PE_TOML_TABLE) {
      size_t kl;
      const char *k = pe_toml_key_at(t, i, &kl);
      char name[160], kt[96];
      manifest_key_text(k, kl, kt, sizeof kt);
      snprintf(name, sizeof name, "%s.%s", key, kt);
      return manifest_type_error(c, v, "a table", name, ctx);
    }
  }
  return true;
}

bool manifest_read_application(manifest_ctx *c, const pe_toml_value *app) {
  pe_manifest *m = c->m;
  const char *ctx = "[application]";
  if (pe_toml_type_of(app) != PE_TOML_TABLE)
    return manifest_type_error(c, app, "a table", "application", "the manifest");
  if (!manifest_only_keys(c, app, ctx, app_keys)) return false;
  if (!manifest_string(c, app, "name", ctx, true, NULL, &m->name) ||
      !manifest_string(c, app, "version", ctx, false, "", &m->version) ||
      !manifest_string(c, app, "description", ctx, false, "", &m->description) ||
      !manifest_list(c, app, "authors", ctx, &m->authors) ||
      !manifest_list(c, app, "targets", ctx, &m->targets))
    return false;
  const pe_toml_value *trigger = pe_toml_get(app, "trigger");
  if (!table_of_tables(c, trigger, "trigger", ctx) ||
      !table_of_tables(c, pe_toml_get(app, "tool"), "tool", ctx))
    return false;
  m->http_settings = pe_toml_get(trigger, "http");
  const pe_toml_value *redis = pe_toml_get(trigger, "redis");
  static const char *const redis_keys[] = {"address", NULL};
  /* Spin's redis trigger metadata: exactly one key, required */
  return !redis || (manifest_only_keys(c, redis, "[application.trigger.redis]", redis_keys) &&
                    manifest_string(c, redis, "address", "[application.trigger.redis]", true, NULL,
                                    &m->redis_address));
}

static bool read_variable(manifest_ctx *c, const pe_toml_value *vars, size_t i,
                          pe_manifest_variable *out) {
  const pe_toml_value *t = pe_toml_at(vars, i);
  if (!manifest_key(c, vars, i, "[variables]", &out->name)) return false;
  char why[128];
  char kt[96];
  manifest_key_text(out->name, strlen(out->name), kt, sizeof kt);
  if (!manifest_id_ok(out->name, '_', true, why, sizeof why))
    return manifest_fail(c, pe_toml_key_line(t), "invalid variable name '%s' in [variables]: %s",
                         kt, why);
  char ctx[128];
  snprintf(ctx, sizeof ctx, "[variables.%s]", kt);
  if (pe_toml_type_of(t) != PE_TOML_TABLE)
    return manifest_type_error(c, t, "a table", kt, "[variables]");
  out->line = pe_toml_key_line(t);
  if (!manifest_only_keys(c, t, ctx, variable_keys) ||
      !manifest_string(c, t, "description", ctx, false, NULL, &out->description) ||
      !manifest_string(c, t, "default", ctx, false, NULL, &out->default_value) ||
      !manifest_bool(c, t, "required", ctx, &out->required) ||
      !manifest_bool(c, t, "secret", ctx, &out->secret))
    return false;
  if (out->required == (out->default_value != NULL))
    return manifest_fail(c, out->line, "variable '%s' must be `required` OR have a `default`", kt);
  return true;
}

bool manifest_read_variables(manifest_ctx *c, const pe_toml_value *vars) {
  if (!vars) return true;
  if (pe_toml_type_of(vars) != PE_TOML_TABLE)
    return manifest_type_error(c, vars, "a table", "variables", "the manifest");
  size_t n = pe_toml_len(vars);
  pe_manifest_variable *out = manifest_alloc_array(c, n, sizeof *out);
  if (!out) return false;
  for (size_t i = 0; i < n; i++)
    if (!read_variable(c, vars, i, &out[i])) return false;
  c->m->variables = out;
  c->m->n_variables = n;
  return true;
}
