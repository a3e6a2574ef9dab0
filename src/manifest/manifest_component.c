/*
 * manifest_component.c -- one [component.<id>] table (also used for a
 * trigger's inline component).
 *
 * Fields that are "one of several shapes" in Spin (source, files entries,
 * build.command) are told apart by their TOML type, and for tables by the
 * key that only one shape has, exactly as Spin's untagged enums do; each
 * shape still refuses keys of its own that it does not know.
 *
 * Checks Spin makes later (when it builds or copies files) are made here,
 * where they can name a line: a build workdir must be relative, a file
 * pattern may not end in "." or "..", store and database labels must be
 * kebab-case or snake_case, component variable names lower_snake_case.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static const char *const component_keys[] = {"source",
                                             "description",
                                             "variables",
                                             "environment",
                                             "files",
                                             "exclude_files",
                                             "allowed_http_hosts",
                                             "allowed_outbound_hosts",
                                             "key_value_stores",
                                             "sqlite_databases",
                                             "ai_models",
                                             "targets",
                                             "build",
                                             "tool",
                                             "dependencies_inherit_configuration",
                                             "dependencies",
                                             "profile",
                                             NULL};
static const char *const build_keys[] = {"command", "workdir", "watch", NULL};
static const char *const profile_keys[] = {"source", "environment", "dependencies", "build", NULL};
static const char *const profile_build_keys[] = {"command", NULL};
static const char *const url_keys[] = {"url", "digest", NULL};
static const char *const registry_keys[] = {"registry", "package", "version", NULL};
static const char *const mount_keys[] = {"source", "destination", NULL};

/* The name of a sub-table for messages: [component.x] -> [component.x.build];
 * anything else (an inline component) -> 'build' of <ctx>. */
static void sub_ctx(char *out, size_t n, const char *ctx, const char *sub) {
  size_t len = strlen(ctx);
  if (len >= 2 && ctx[0] == '[' && ctx[1] != '[' && ctx[len - 1] == ']')
    snprintf(out, n, "%.*s.%s]", (int)(len - 1), ctx, sub);
  else
    snprintf(out, n, "'%s' of %s", sub, ctx);
}

static bool read_source(manifest_ctx *c, const pe_toml_value *v, const char *ctx,
                        pe_manifest_source *out) {
  out->line = pe_toml_key_line(v);
  if (pe_toml_type_of(v) == PE_TOML_STRING) {
    out->kind = PE_MANIFEST_SOURCE_LOCAL;
    return manifest_as_string(c, v, "source", ctx, &out->path);
  }
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a path string or a table", "source", ctx);
  char sub[160];
  snprintf(sub, sizeof sub, "'source' of %s", ctx);
  if (pe_toml_get(v, "url")) {
    out->kind = PE_MANIFEST_SOURCE_URL;
    return manifest_only_keys(c, v, sub, url_keys) &&
           manifest_string(c, v, "url", sub, true, NULL, &out->url) &&
           manifest_string(c, v, "digest", sub, true, NULL, &out->digest);
  }
  if (pe_toml_get(v, "package")) {
    out->kind = PE_MANIFEST_SOURCE_REGISTRY;
    return manifest_only_keys(c, v, sub, registry_keys) &&
           manifest_string(c, v, "registry", sub, false, NULL, &out->registry) &&
           manifest_string(c, v, "package", sub, true, NULL, &out->package) &&
           manifest_string(c, v, "version", sub, true, NULL, &out->version);
  }
  return manifest_fail(
      c, out->line, "expected a path, { url, digest } or { package, version } for 'source' in %s",
      ctx);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool read_files(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                       pe_manifest_component *out) {
  const pe_toml_value *v = pe_toml_get(t, "files");
  if (!v) return true;
  if (pe_toml_type_of(v) != PE_TOML_ARRAY)
    return manifest_type_error(c, v, "an array", "files", ctx);
  size_t n = pe_toml_len(v);
  pe_manifest_files *files = manifest_alloc_array(c, n, sizeof *files);
  if (!files) return false;
  for (size_t i = 0; i < n; i++) {
    const pe_toml_value *item = pe_toml_at(v, i);
    files[i].line = pe_toml_line(item);
    if (pe_toml_type_of(item) == PE_TOML_STRING) {
      const char *pat;
      if (!manifest_as_string(c, item, "files", ctx, &pat)) return false;
      if (strcmp(pat, "..") == 0 || ends_with(pat, "/..") || strcmp(pat, ".") == 0 ||
          ends_with(pat, "/."))
        return manifest_fail(
            c, files[i].line,
            "file pattern '%s' in %s can't end in '.' or '..'; to include a directory, use "
            "{ source = \"dir\", destination = \"/dir\" } or a pattern ending in **/*",
            pat, ctx);
      if (strcmp(pat, "*") == 0 || strcmp(pat, "**/*") == 0)
        manifest_warn(
            c, files[i].line,
            "%s includes the entire application directory%s as files; if that is intended, write "
            "\"./%s\"",
            ctx, pat[0] == '*' && pat[1] ? " tree" : "", pat);
      files[i].source = pat;
    } else if (pe_toml_type_of(item) == PE_TOML_TABLE) {
      char sub[160];
      snprintf(sub, sizeof sub, "'files' of %s", ctx);
      if (!manifest_only_keys(c, item, sub, mount_keys) ||
          !manifest_string(c, item, "source", sub, true, NULL, &files[i].source) ||
          !manifest_string(c, item, "destination", sub, true, NULL, &files[i].destination))
        return false;
    } else {
      return manifest_fail(c, files[i].line,
                           "expected a pattern string or { source, destination } in 'files' of %s",
                           ctx);
    }
  }
  out->files = files;
  out->n_files = n;
  return true;
}

/* `command`: one string or a list run in order. */
static bool read_commands(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                          pe_manifest_list *out) {
  const pe_toml_value *v = pe_toml_get(t, "command");
  if (!v) return manifest_missing(c, t, "command", ctx);
  if (pe_toml_type_of(v) == PE_TOML_STRING) {
    const char **items = manifest_alloc_array(c, 1, sizeof *items);
    if (!items || !manifest_as_string(c, v, "command", ctx, &items[0])) return false;
    out->items = items;
    out->len = 1;
    return true;
  }
  if (pe_toml_type_of(v) != PE_TOML_ARRAY)
    return manifest_type_error(c, v, "a string or an array of strings", "command", ctx);
  return manifest_as_list(c, v, "command", ctx, out);
}

static bool read_build(manifest_ctx *c, const pe_toml_value *t, const char *cctx,
                       pe_manifest_component *out) {
  const pe_toml_value *v = pe_toml_get(t, "build");
  if (!v) return true;
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a table", "build", cctx);
  char ctx[160];
  sub_ctx(ctx, sizeof ctx, cctx, "build");
  pe_manifest_build *b = &out->build;
  b->line = pe_toml_line(v);
  if (!manifest_only_keys(c, v, ctx, build_keys) || !read_commands(c, v, ctx, &b->commands) ||
      !manifest_string(c, v, "workdir", ctx, false, NULL, &b->workdir) ||
      !manifest_list(c, v, "watch", ctx, &b->watch))
    return false;
  if (b->workdir && b->workdir[0] == '/')
    return manifest_fail(c, pe_toml_key_line(pe_toml_get(v, "workdir")),
                         "'workdir' in %s must be a relative path", ctx);
  out->has_build = true;
  return true;
}

/* key_value_stores and sqlite_databases: kebab-case or snake_case labels. */
static bool read_labels(manifest_ctx *c, const pe_toml_value *t, const char *key, const char *ctx,
                        pe_manifest_list *out) {
  if (!manifest_list(c, t, key, ctx, out)) return false;
  for (size_t i = 0; i < out->len; i++) {
    char why[128];
    if (!manifest_id_ok(out->items[i], '-', false, why, sizeof why) &&
        !manifest_id_ok(out->items[i], '_', false, why, sizeof why))
      return manifest_fail(c, pe_toml_line(pe_toml_at(pe_toml_get(t, key), i)),
                           "invalid label '%s' in '%s' of %s: expected kebab-case or snake_case",
                           out->items[i], key, ctx);
  }
  return true;
}

static bool read_variables(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                           pe_manifest_component *out) {
  if (!manifest_pairs(c, t, "variables", ctx, &out->variables, &out->n_variables)) return false;
  for (size_t i = 0; i < out->n_variables; i++) {
    char why[128], kt[96];
    if (!manifest_id_ok(out->variables[i].key, '_', true, why, sizeof why)) {
      manifest_key_text(out->variables[i].key, strlen(out->variables[i].key), kt, sizeof kt);
      return manifest_fail(c, out->variables[i].line, "invalid variable name '%s' in %s: %s", kt,
                           ctx, why);
    }
  }
  return true;
}

static bool read_profiles(manifest_ctx *c, const pe_toml_value *t, const char *cctx,
                          pe_manifest_component *out) {
  const pe_toml_value *v = pe_toml_get(t, "profile");
  if (!v) return true;
  if (pe_toml_type_of(v) != PE_TOML_TABLE)
    return manifest_type_error(c, v, "a table", "profile", cctx);
  size_t n = pe_toml_len(v);
  pe_manifest_profile *profiles = manifest_alloc_array(c, n, sizeof *profiles);
  if (!profiles) return false;
  for (size_t i = 0; i < n; i++) {
    pe_manifest_profile *p = &profiles[i];
    const pe_toml_value *pt = pe_toml_at(v, i);
    if (!manifest_key(c, v, i, cctx, &p->name)) return false;
    char kt[96], sub[128], ctx[256];
    manifest_key_text(p->name, strlen(p->name), kt, sizeof kt);
    snprintf(sub, sizeof sub, "profile.%s", kt);
    sub_ctx(ctx, sizeof ctx, cctx, sub);
    p->line = pe_toml_key_line(pt);
    if (pe_toml_type_of(pt) != PE_TOML_TABLE)
      return manifest_type_error(c, pt, "a table", kt, cctx);
    if (pe_toml_get(pt, "dependencies"))
      return manifest_fail(c, pe_toml_key_line(pe_toml_get(pt, "dependencies")),
                           "component dependencies ('dependencies' in %s) are not supported", ctx);
    if (!manifest_only_keys(c, pt, ctx, profile_keys)) return false;
    const pe_toml_value *src = pe_toml_get(pt, "source");
    if (src) {
      if (!read_source(c, src, ctx, &p->source)) return false;
      p->has_source = true;
    }
    if (!manifest_pairs(c, pt, "environment", ctx, &p->environment, &p->n_environment))
      return false;
    const pe_toml_value *b = pe_toml_get(pt, "build");
    if (b) {
      char bctx[300];
      sub_ctx(bctx, sizeof bctx, ctx, "build");
      if (pe_toml_type_of(b) != PE_TOML_TABLE)
        return manifest_type_error(c, b, "a table", "build", ctx);
      if (!manifest_only_keys(c, b, bctx, profile_build_keys) ||
          !read_commands(c, b, bctx, &p->build_commands))
        return false;
      p->has_build_commands = true;
    }
  }
  out->profiles = profiles;
  out->n_profiles = n;
  return true;
}

bool manifest_read_component(manifest_ctx *c, const pe_toml_value *t, const char *ctx,
                             pe_manifest_component *out) {
  if (pe_toml_type_of(t) != PE_TOML_TABLE)
    return manifest_type_error(c, t, "a table", out->id ? out->id : "component", ctx);
  out->line = pe_toml_key_line(t);
  const pe_toml_value *deps = pe_toml_get(t, "dependencies");
  if (deps)
    return manifest_fail(c, pe_toml_key_line(deps),
                         "component dependencies ('dependencies' in %s) are not supported", ctx);
  if (!manifest_only_keys(c, t, ctx, component_keys)) return false;
  const pe_toml_value *src = pe_toml_get(t, "source");
  if (!src) return manifest_missing(c, t, "source", ctx);
  bool inherit = false;
  if (!read_source(c, src, ctx, &out->source) ||
      !manifest_string(c, t, "description", ctx, false, "", &out->description) ||
      !read_variables(c, t, ctx, out) ||
      !manifest_pairs(c, t, "environment", ctx, &out->environment, &out->n_environment) ||
      !read_files(c, t, ctx, out) ||
      !manifest_list(c, t, "exclude_files", ctx, &out->exclude_files) ||
      !manifest_list(c, t, "allowed_outbound_hosts", ctx, &out->allowed_outbound_hosts) ||
      !manifest_list(c, t, "allowed_http_hosts", ctx, &out->allowed_http_hosts) ||
      !read_labels(c, t, "key_value_stores", ctx, &out->key_value_stores) ||
      !read_labels(c, t, "sqlite_databases", ctx, &out->sqlite_databases) ||
      !manifest_list(c, t, "ai_models", ctx, &out->ai_models) ||
      !manifest_list(c, t, "targets", ctx, &out->targets) || !read_build(c, t, ctx, out) ||
      !manifest_bool(c, t, "dependencies_inherit_configuration", ctx, &inherit) ||
      !read_profiles(c, t, ctx, out))
    return false;
  const pe_toml_value *tool = pe_toml_get(t, "tool");
  if (tool && pe_toml_type_of(tool) != PE_TOML_TABLE)
    return manifest_type_error(c, tool, "a table", "tool", ctx);
  if (out->allowed_http_hosts.len)
    manifest_warn(c, pe_toml_key_line(pe_toml_get(t, "allowed_http_hosts")),
                  "'allowed_http_hosts' in %s is deprecated; use 'allowed_outbound_hosts'", ctx);
  return !c->failed;
}
