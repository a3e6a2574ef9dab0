/*
 * manifest_check.c -- what needs the whole manifest: generated ids, the
 * link from triggers to components, and variable templates.
 *
 * Ids are generated the way Spin's loader does it, so logs and the
 * spin.internal host names of inline components match Spin's:
 *  - a trigger without `id` is "<component>-http-trigger" if that is free,
 *    else the first free "http-trigger<N>" (N from 1, per trigger type);
 *  - an inline component is "<trigger-id>-component" if that is a valid,
 *    unused component id, else the first free "inline-component<N>".
 * Trigger ids must be unique (static responses are looked up by them).
 *
 * Templates: a component variable's value may contain `{{ name }}`; the
 * name (trimmed) must be an application variable, and every `{{` needs a
 * `}}`, as in Spin's template parser.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static bool trigger_id_taken(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_triggers; i++)
    if (m->triggers[i].id && strcmp(m->triggers[i].id, id) == 0) return true;
  return false;
}

static bool component_id_taken(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_components; i++)
    if (m->components[i].id && strcmp(m->components[i].id, id) == 0) return true;
  return false;
}

static bool check_unique_trigger_ids(manifest_ctx *c) {
  const pe_manifest *m = c->m;
  for (size_t i = 0; i < m->n_triggers; i++)
    for (size_t j = 0; j < i && m->triggers[i].id; j++)
      if (m->triggers[j].id && strcmp(m->triggers[i].id, m->triggers[j].id) == 0)
        return manifest_fail(c, m->triggers[i].line,
                             "duplicate trigger id '%s' (also used on line %d)", m->triggers[i].id,
                             m->triggers[j].line);
  return true;
}

static bool name_triggers(manifest_ctx *c) {
  pe_manifest *m = c->m;
  unsigned counter = 1;
  for (size_t i = 0; i < m->n_triggers; i++) {
    pe_manifest_trigger *t = &m->triggers[i];
    if (t->id) continue;
    if (t->component && c->inline_component[i] < 0) {
      char *id = manifest_printf(c, "%s-http-trigger", t->component);
      if (!id) return false;
      if (!trigger_id_taken(m, id)) {
        t->id = id;
        continue;
      }
    }
    for (;; counter++) {
      char id[32];
      snprintf(id, sizeof id, "http-trigger%u", counter);
      if (!trigger_id_taken(m, id)) {
        t->id = manifest_printf(c, "%s", id);
        if (!t->id) return false;
        break;
      }
    }
  }
  return true;
}

static bool name_inline_components(manifest_ctx *c) {
  pe_manifest *m = c->m;
  unsigned counter = 1;
  for (size_t i = 0; i < m->n_triggers; i++) {
    if (c->inline_component[i] < 0) continue;
    pe_manifest_component *comp = &m->components[c->inline_component[i]];
    char *id = manifest_printf(c, "%s-component", m->triggers[i].id);
    if (!id) return false;
    char why[128];
    if (!manifest_id_ok(id, '-', false, why, sizeof why) || component_id_taken(m, id)) {
      for (;; counter++) {
        char buf[40];
        snprintf(buf, sizeof buf, "inline-component%u", counter);
        if (!component_id_taken(m, buf)) {
          id = manifest_printf(c, "%s", buf);
          if (!id) return false;
          break;
        }
      }
    }
    comp->id = id;
    m->triggers[i].component = id;
  }
  return true;
}

static bool check_references(manifest_ctx *c) {
  const pe_manifest *m = c->m;
  for (size_t i = 0; i < m->n_triggers; i++) {
    const pe_manifest_trigger *t = &m->triggers[i];
    if (t->component && !pe_manifest_component_by_id(m, t->component))
      return manifest_fail(c, t->line,
                           "[[trigger.http]] '%s' refers to component '%s', which is not defined",
                           t->id, t->component);
  }
  return true;
}

static bool check_template(manifest_ctx *c, const pe_manifest_component *comp,
                           const pe_manifest_pair *v) {
  const char *s = v->value;
  while ((s = strstr(s, "{{")) != NULL) {
    const char *end = strstr(s + 2, "}}");
    if (!end)
      return manifest_fail(c, v->line, "unmatched '{{' in variable '%s' of component '%s'", v->key,
                           comp->id);
    const char *a = s + 2, *b = end;
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' || b[-1] == '\r')) b--;
    bool found = false;
    for (size_t i = 0; i < c->m->n_variables && !found; i++) {
      const char *name = c->m->variables[i].name;
      found = strlen(name) == (size_t)(b - a) && memcmp(name, a, (size_t)(b - a)) == 0;
    }
    if (!found) {
      int n = b - a > 64 ? 64 : (int)(b - a);
      return manifest_fail(
          c, v->line,
          "variable '%s' of component '%s' uses '{{ %.*s }}', but [variables] defines no '%.*s'",
          v->key, comp->id, n, a, n, a);
    }
    s = end + 2;
  }
  return true;
}

static bool check_templates(manifest_ctx *c) {
  const pe_manifest *m = c->m;
  for (size_t i = 0; i < m->n_components; i++)
    for (size_t k = 0; k < m->components[i].n_variables; k++)
      if (!check_template(c, &m->components[i], &m->components[i].variables[k])) return false;
  return true;
}

bool manifest_normalize(manifest_ctx *c) {
  return check_unique_trigger_ids(c) && name_triggers(c) && name_inline_components(c) &&
         check_references(c) && check_templates(c);
}
