/*
 * manifest_load.c -- from text (or a file) to a pe_manifest: the top-level
 * table, then each section in dependency order (variables before the
 * templates that use them, components before the triggers that name them),
 * then the whole-manifest checks.
 *
 * The TOML tree stays alive inside the manifest: model strings point into
 * it, and callers may read parts the model does not cover (tool tables,
 * trigger settings) with their original line numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"

static const char *const top_keys[] = {
    "spin_manifest_version", "application", "variables", "trigger", "component", NULL};

static bool read_version(manifest_ctx *c, const pe_toml_value *root) {
  if (pe_toml_get(root, "spin_version"))
    return manifest_fail(
        c, pe_toml_key_line(pe_toml_get(root, "spin_version")),
        "version 1 manifests are not supported; this runtime reads spin_manifest_version = 2");
  const pe_toml_value *v = pe_toml_get(root, "spin_manifest_version");
  if (!v)
    return manifest_fail(c, 0,
                         "missing 'spin_manifest_version' (expected spin_manifest_version = 2)");
  int64_t version;
  const char *s = pe_toml_cstr(v);
  if (s && strcmp(s, "1") == 0)
    return manifest_fail(
        c, pe_toml_key_line(v),
        "spin_manifest_version \"1\" is not supported; this runtime reads version 2 manifests");
  if (!pe_toml_int(v, &version))
    return manifest_type_error(c, v, "the integer 2", "spin_manifest_version", "the manifest");
  if (version != 2)
    return manifest_fail(c, pe_toml_key_line(v),
                         "unsupported spin_manifest_version %lld (expected 2)", (long long)version);
  return true;
}

static bool read_components(manifest_ctx *c, const pe_toml_value *root) {
  pe_manifest *m = c->m;
  const pe_toml_value *comps = pe_toml_get(root, "component");
  if (comps && pe_toml_type_of(comps) != PE_TOML_TABLE)
    return manifest_type_error(c, comps, "a table", "component", "the manifest");
  /* room for the declared components and one inline component per trigger */
  const pe_toml_value *http = pe_toml_get(pe_toml_get(root, "trigger"), "http");
  size_t n_http = pe_toml_type_of(http) == PE_TOML_ARRAY ? pe_toml_len(http) : 0;
  size_t n = pe_toml_len(comps);
  c->components_cap = n + n_http;
  m->components = manifest_alloc_array(c, c->components_cap, sizeof *m->components);
  c->inline_component = manifest_alloc_array(c, n_http, sizeof *c->inline_component);
  if (!m->components || !c->inline_component) return false;
  for (size_t i = 0; i < n; i++) {
    pe_manifest_component *comp = &m->components[i];
    if (!manifest_key(c, comps, i, "[component]", &comp->id)) return false;
    char why[128], kt[96], ctx[128];
    manifest_key_text(comp->id, strlen(comp->id), kt, sizeof kt);
    if (!manifest_id_ok(comp->id, '-', false, why, sizeof why))
      return manifest_fail(c, pe_toml_key_line(pe_toml_at(comps, i)),
                           "invalid component id '%s': %s", kt, why);
    snprintf(ctx, sizeof ctx, "[component.%s]", kt);
    if (!manifest_read_component(c, pe_toml_at(comps, i), ctx, comp)) return false;
    m->n_components = i + 1;
  }
  return true;
}

static bool read_manifest(manifest_ctx *c, const pe_toml_value *root) {
  if (!read_version(c, root) || !manifest_only_keys(c, root, "the top-level table", top_keys))
    return false;
  const pe_toml_value *app = pe_toml_get(root, "application");
  if (!app) return manifest_fail(c, 0, "missing [application]");
  return manifest_read_application(c, app) &&
         manifest_read_variables(c, pe_toml_get(root, "variables")) && read_components(c, root) &&
         manifest_read_triggers(c, pe_toml_get(root, "trigger")) && manifest_normalize(c);
}

pe_manifest *pe_manifest_parse(const char *text, size_t len, const char *file,
                               pe_manifest_error *err) {
  if (err) memset(err, 0, sizeof *err);
  if (!file) file = "spin.toml";
  pe_manifest *m = calloc(1, sizeof *m);
  if (!m) {
    if (err) snprintf(err->msg, sizeof err->msg, "%s: out of memory", file);
    return NULL;
  }
  manifest_ctx c = {.m = m, .file = file, .err = err};
  m->file = manifest_printf(&c, "%s", file);
  if (!m->file) {
    pe_manifest_free(m);
    return NULL;
  }
  c.file = m->file;
  pe_toml_error te;
  pe_toml_value *root = pe_toml_parse(text, len, &te);
  if (!root) {
    if (err) {
      err->line = te.line;
      if (te.line)
        snprintf(err->msg, sizeof err->msg, "%s:%d:%d: %s", file, te.line, te.col, te.msg);
      else
        snprintf(err->msg, sizeof err->msg, "%s: %s", file, te.msg);
    }
    pe_manifest_free(m);
    return NULL;
  }
  m->toml = root;
  if (!read_manifest(&c, root)) {
    pe_manifest_free(m);
    return NULL;
  }
  return m;
}

pe_manifest *pe_manifest_load(const char *path, pe_manifest_error *err) {
  if (err) memset(err, 0, sizeof *err);
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (err) snprintf(err->msg, sizeof err->msg, "%s: %s", path, strerror(errno));
    return NULL;
  }
  /* one byte more than the parser accepts, to tell "too large" apart */
  size_t cap = PE_TOML_MAX_SIZE + 1, len = 0;
  char *buf = malloc(cap);
  if (buf) len = fread(buf, 1, cap, f);
  bool read_error = !buf || ferror(f);
  fclose(f);
  if (read_error) {
    if (err) snprintf(err->msg, sizeof err->msg, "%s: cannot read the file", path);
    free(buf);
    return NULL;
  }
  pe_manifest *m = pe_manifest_parse(buf, len, path, err);
  free(buf);
  return m;
}

void pe_manifest_free(pe_manifest *m) {
  if (!m) return;
  pe_toml_free((pe_toml_value *)m->toml);
  manifest_mem_free(m->mem);
  free(m);
}

const pe_manifest_component *pe_manifest_component_by_id(const pe_manifest *m, const char *id) {
  for (size_t i = 0; m && id && i < m->n_components; i++)
    if (m->components[i].id && strcmp(m->components[i].id, id) == 0) return &m->components[i];
  return NULL;
}

const pe_manifest_variable *pe_manifest_variable_by_name(const pe_manifest *m, const char *name) {
  for (size_t i = 0; m && name && i < m->n_variables; i++)
    if (strcmp(m->variables[i].name, name) == 0) return &m->variables[i];
  return NULL;
}
