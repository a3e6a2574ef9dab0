/*
 * manifest_profile.c -- `--profile <name>`: each component that defines the
 * profile gets its overrides, with Spin's semantics: `source` and the build
 * commands are replaced (a component without a build section gets one with
 * just the commands), `environment` entries are merged over the component's.
 * A profile no component defines is an error, as in Spin.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static bool merge_environment(manifest_ctx *c, pe_manifest_component *comp,
                              const pe_manifest_profile *p) {
  size_t n = comp->n_environment;
  pe_manifest_pair *env = manifest_alloc_array(c, n + p->n_environment, sizeof *env);
  if (!env && n + p->n_environment) return false;
  if (n) memcpy(env, comp->environment, n * sizeof *env);
  for (size_t i = 0; i < p->n_environment; i++) {
    size_t k = 0;
    while (k < n && strcmp(env[k].key, p->environment[i].key) != 0) k++;
    env[k] = p->environment[i];
    if (k == n) n++;
  }
  comp->environment = env;
  comp->n_environment = n;
  return true;
}

bool pe_manifest_apply_profile(pe_manifest *m, const char *name, pe_manifest_error *err) {
  if (err) memset(err, 0, sizeof *err);
  manifest_ctx c = {.m = m, .file = m->file, .err = err};
  bool defined = false;
  for (size_t i = 0; i < m->n_components; i++) {
    pe_manifest_component *comp = &m->components[i];
    for (size_t k = 0; k < comp->n_profiles; k++) {
      const pe_manifest_profile *p = &comp->profiles[k];
      if (strcmp(p->name, name) != 0) continue;
      defined = true;
      if (p->has_source) comp->source = p->source;
      if (!merge_environment(&c, comp, p)) return false;
      if (p->has_build_commands) {
        if (!comp->has_build) {
          memset(&comp->build, 0, sizeof comp->build);
          comp->build.line = p->line;
          comp->has_build = true;
        }
        comp->build.commands = p->build_commands;
      }
    }
  }
  if (!defined)
    return manifest_fail(&c, 0, "profile '%s' is not defined in this application", name);
  return true;
}
