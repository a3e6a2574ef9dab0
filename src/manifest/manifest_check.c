/*
 * manifest_check.c -- what needs the whole manifest: generated ids, the
 * link from triggers to components, and variable templates.
 *
 * Ids are generated the way Spin's loader does it, so logs and the
 * spin.internal host names of inline components match Spin's:
 *  - a trigger without `id` is "<component>-http-trigger" if that is free,
 *    else the first free "http-trigger<N>" (N from 1, per trigger type);
 *    redis ones likewise, "<component>-redis-trigger", "redis-trigger<N>";
 *  - an inline component is "<trigger-id>-component" if that is a valid,
 *    unused component id, else the first free "inline-component<N>".
 * Trigger ids must be unique (static responses are looked up by them).
 *
 * Templates: a component variable's value, and a redis trigger's channel
 * and address, may contain `{{ name }}`; the
 * name (trimmed) must be an application variable, and every `{{` needs a
 * `}}`, as in Spin's template parser.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_int.h"

static bool trigger_id_taken(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_triggers; i++)
    if (m->triggers[i].id && strcmp(m->triggers[i].id, id) == 0) return true;
  for (size_t i = 0; i < m->n_redis_triggers; i++)
    if (m->redis_triggers[i].id && strcmp(m->redis_triggers[i].id, id) == 0) return true;
  return false;
}

static bool component_id_taken(const pe_manifest *m, const char *id) {
  for (size_t i = 0; i < m->n_components; i++)
    if (m->components[i].id && strcmp(m->components[i].id, id) == 0) return true;
  return false;
}

/* Trigger i of both types in one numbering: http ones first. */
static const char *any_trigger_id(const pe_manifest *m, size_t i, int *line) {
  if (i < m->n_triggers) {
    *line = m->triggers[i].line;
    return m->triggers[i].id;
  }
  *line = m->redis_triggers[i - m->n_triggers].line;
  return m->redis_triggers[i - m->n_triggers].id;
}

static bool check_unique_trigger_ids(manifest_ctx *c) {
  const pe_manifest *m = c->m;
  size_t n = m->n_triggers + m->n_redis_triggers;
  for (size_t i = 0; i < n; i++) {
    int li, lj;
    const char *a = any_trigger_id(m, i, &li);
    for (size_t j = 0; j < i && a; j++) {
      const char *b = any_trigger_id(m, j, &lj);
      if (b && strcmp(a, b) == 0)
        return manifest_fail(c, li, "duplicate trigger id '%s' (also used on line %d)", a, lj);
    }
  }
  return true;
}

/* As Spin: "<component>-redis-trigger" when free, else "redis-trigger<N>". */
static bool name_redis_triggers(manifest_ctx *c) {
  pe_manifest *m = c->m;
  unsigned counter = 1;
  for (size_t i = 0; i < m->n_redis_triggers; i++) {
    pe_manifest_redis_trigger *t = &m->redis_triggers[i];
    if (t->id) continue;
    char *id = manifest_printf(c, "%s-redis-trigger", t->component);
    if (!id) return false;
    if (!trigger_id_taken(m, id)) {
      t->id = id;
      continue;
    }
    for (;; counter++) {
      char buf[32];
      snprintf(buf, sizeof buf, "redis-trigger%u", counter);
      if (!trigger_id_taken(m, buf)) {
        if (!(t->id = manifest_printf(c, "%s", buf))) return false;
        break;
      }
    }
  }
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
  for (size_t i = 0; i < m->n_redis_triggers; i++) {
    const pe_manifest_redis_trigger *t = &m->redis_triggers[i];
    if (!pe_manifest_component_by_id(m, t->component))
      return manifest_fail(c, t->line,
                           "[[trigger.redis]] '%s' refers to component '%s', which is not defined",
                           t->id, t->component);
  }
  return true;
}

/* `what` names the text in messages: "variable 'x' of component 'y'". */
static bool check_template(manifest_ctx *c, const char *what, const char *text, int line) {
  const char *s = text;
  while ((s = strstr(s, "{{")) != NULL) {
    const char *end = strstr(s + 2, "}}");
    if (!end) return manifest_fail(c, line, "unmatched '{{' in %s", what);
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
      return manifest_fail(c, line, "%s uses '{{ %.*s }}', but [variables] defines no '%.*s'", what,
                           n, a, n, a);
    }
    s = end + 2;
  }
  return true;
}

static bool check_templates(manifest_ctx *c) {
  const pe_manifest *m = c->m;
  char what[320];
  for (size_t i = 0; i < m->n_components; i++)
    for (size_t k = 0; k < m->components[i].n_variables; k++) {
      const pe_manifest_pair *v = &m->components[i].variables[k];
      snprintf(what, sizeof what, "variable '%.100s' of component '%.100s'", v->key,
               m->components[i].id);
      if (!check_template(c, what, v->value, v->line)) return false;
    }
  for (size_t i = 0; i < m->n_redis_triggers; i++) {
    const pe_manifest_redis_trigger *t = &m->redis_triggers[i];
    snprintf(what, sizeof what, "the channel of [[trigger.redis]] '%.100s'", t->id);
    if (!check_template(c, what, t->channel, t->line)) return false;
    snprintf(what, sizeof what, "the address of [[trigger.redis]] '%.100s'", t->id);
    if (!check_template(c, what, t->address, t->address_line)) return false;
  }
  return true;
}

bool manifest_normalize(manifest_ctx *c) {
  return check_unique_trigger_ids(c) && name_triggers(c) && name_redis_triggers(c) &&
         name_inline_components(c) && check_references(c) && check_templates(c);
}
