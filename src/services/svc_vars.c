/*
 * svc_vars.c -- application and component variables (see svc_vars.h).
 *
 * Everything is resolved at start-up into immutable tables, so the guest
 * call is a lookup that needs no lock. Messages name variables, never their
 * values: a value may be a secret, and start-up errors end up in logs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_vars.h"

typedef struct var_kv {
  char *name, *value;
  bool secret;
} var_kv;

typedef struct comp_vars {
  const char *component; /* the manifest's id string */
  var_kv *v;
  size_t n;
} comp_vars;

typedef struct vars_state {
  var_kv *app;
  size_t napp;
  comp_vars *comp;
  size_t ncomp;
} vars_state;

const char *pe_svc_vars_name_problem(const char *name, size_t len) {
  if (len == 0) return "must not be empty";
  if (len > 255) return "must not be longer than 255 bytes";
  if (!(name[0] >= 'a' && name[0] <= 'z')) return "must start with a lower-case ASCII letter";
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') return "must be lower-case";
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return "may contain only ASCII letters, digits and '_'";
    if (c == '_' && i + 1 < len && name[i + 1] == '_') return "must not contain '__'";
  }
  if (name[len - 1] == '_') return "must not end with '_'";
  return NULL;
}

static const var_kv *app_var(const vars_state *st, const char *name, size_t len) {
  for (size_t i = 0; st && i < st->napp; i++)
    if (strlen(st->app[i].name) == len && !memcmp(st->app[i].name, name, len)) return &st->app[i];
  return NULL;
}

char *pe_svc_vars_expand(const pe_services *s, const char *tmpl, bool *secret, char *err,
                         size_t errlen) {
  const vars_state *st = s->vars;
  pe_buf b = {0};
  if (secret) *secret = false;
  const char *p = tmpl;
  for (;;) {
    const char *open = strstr(p, "{{");
    if (!open) {
      if (!pe_buf_puts(&b, p)) goto oom;
      break;
    }
    if (!pe_buf_append(&b, p, (size_t)(open - p))) goto oom;
    const char *close = strstr(open + 2, "}}");
    if (!close) {
      snprintf(err, errlen, "unmatched '{{' in '%.200s'", tmpl);
      pe_buf_free(&b);
      return NULL;
    }
    const char *a = open + 2, *z = close;
    while (a < z && isspace((unsigned char)*a)) a++;
    while (z > a && isspace((unsigned char)z[-1])) z--;
    const var_kv *v = app_var(st, a, (size_t)(z - a));
    if (!v) {
      snprintf(err, errlen, "'{{ %.*s }}' names no variable in [variables]",
               (int)(z - a > 100 ? 100 : z - a), a);
      pe_buf_free(&b);
      return NULL;
    }
    if (v->secret && secret) *secret = true;
    if (!pe_buf_puts(&b, v->value)) goto oom;
    p = close + 2;
  }
  if (!pe_buf_append(&b, "", 1)) goto oom; /* NUL */
  return b.data;
oom:
  pe_buf_free(&b);
  snprintf(err, errlen, "out of memory");
  return NULL;
}

const char *pe_svc_vars_component(const pe_services *s, const char *component, const char *name) {
  const vars_state *st = s->vars;
  for (size_t i = 0; st && i < st->ncomp; i++) {
    if (strcmp(st->comp[i].component, component) != 0) continue;
    for (size_t k = 0; k < st->comp[i].n; k++)
      if (!strcmp(st->comp[i].v[k].name, name)) return st->comp[i].v[k].value;
  }
  return NULL;
}

static void redact_one(char *msg, const char *secret) {
  size_t sl = strlen(secret);
  if (sl < 3) return;
  for (char *p = msg, *at; (at = strstr(p, secret)) != NULL; p = at + 3) {
    memcpy(at, "***", 3);
    memmove(at + 3, at + sl, strlen(at + sl) + 1);
  }
}

void pe_svc_vars_redact(const pe_services *s, char *msg) {
  const vars_state *st = s ? s->vars : NULL;
  for (size_t i = 0; st && i < st->napp; i++)
    if (st->app[i].secret) redact_one(msg, st->app[i].value);
  for (size_t i = 0; st && i < st->ncomp; i++)
    for (size_t k = 0; k < st->comp[i].n; k++)
      if (st->comp[i].v[k].secret) redact_one(msg, st->comp[i].v[k].value);
}

/* --variable name=value: the last one for `name`, or NULL. */
static const char *cli_value(const pe_services *s, const char *name) {
  const char *found = NULL;
  size_t nl = strlen(name);
  for (int i = 0; i < s->o.nvariables; i++) {
    const char *kv = s->o.variables[i];
    if (kv && !strncmp(kv, name, nl) && kv[nl] == '=') found = kv + nl + 1;
  }
  return found;
}

static const char *env_value(const char *name) {
  char key[300];
  int n = snprintf(key, sizeof key, "SPIN_VARIABLE_%s", name);
  if (n < 0 || (size_t)n >= sizeof key) return NULL;
  for (char *c = key; *c; c++) *c = (char)toupper((unsigned char)*c);
  return getenv(key);
}

static void free_state(vars_state *st) {
  if (!st) return;
  for (size_t i = 0; i < st->napp; i++) {
    free(st->app[i].name);
    free(st->app[i].value);
  }
  free(st->app);
  for (size_t i = 0; i < st->ncomp; i++) {
    for (size_t k = 0; k < st->comp[i].n; k++) {
      free(st->comp[i].v[k].name);
      free(st->comp[i].v[k].value);
    }
    free(st->comp[i].v);
  }
  free(st->comp);
  free(st);
}

bool pe_svc_vars_open(pe_services *s, char *err, size_t errlen) {
  const pe_manifest *m = s->m;
  vars_state *st = calloc(1, sizeof *st);
  if (!st) goto oom;
  s->vars = st;
  /* --variable names the app does not declare are a likely typo */
  for (int i = 0; i < s->o.nvariables; i++) {
    const char *kv = s->o.variables[i];
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq) continue;
    bool known = false;
    for (size_t k = 0; k < m->n_variables && !known; k++)
      known = strlen(m->variables[k].name) == (size_t)(eq - kv) &&
              !memcmp(m->variables[k].name, kv, (size_t)(eq - kv));
    if (!known)
      fprintf(stderr, "pyedge: warning: --variable %.*s: the app's [variables] has no '%.*s'\n",
              (int)(eq - kv > 100 ? 100 : eq - kv), kv, (int)(eq - kv > 100 ? 100 : eq - kv), kv);
  }
  st->app = calloc(m->n_variables ? m->n_variables : 1, sizeof *st->app);
  if (!st->app) goto oom;
  for (size_t i = 0; i < m->n_variables; i++) {
    const pe_manifest_variable *mv = &m->variables[i];
    const char *v = cli_value(s, mv->name);
    if (!v) v = env_value(mv->name);
    if (!v) v = mv->default_value;
    if (!v) {
      char upper[300];
      snprintf(upper, sizeof upper, "%s", mv->name);
      for (char *c = upper; *c; c++) *c = (char)toupper((unsigned char)*c);
      snprintf(err, errlen,
               "%s:%d: variable '%s' is required but has no value: set it with --variable "
               "%s=VALUE or the environment variable SPIN_VARIABLE_%s",
               m->file ? m->file : "spin.toml", mv->line, mv->name, mv->name, upper);
      return false;
    }
    var_kv *a = &st->app[st->napp];
    a->name = strdup(mv->name);
    a->value = strdup(v);
    a->secret = mv->secret;
    if (!a->name || !a->value) {
      free(a->name);
      free(a->value);
      goto oom;
    }
    st->napp++;
  }
  st->comp = calloc(m->n_components ? m->n_components : 1, sizeof *st->comp);
  if (!st->comp) goto oom;
  for (size_t i = 0; i < m->n_components; i++) {
    const pe_manifest_component *c = &m->components[i];
    comp_vars *cv = &st->comp[st->ncomp++];
    cv->component = c->id;
    cv->v = calloc(c->n_variables ? c->n_variables : 1, sizeof *cv->v);
    if (!cv->v) goto oom;
    for (size_t k = 0; k < c->n_variables; k++) {
      char why[512];
      bool secret = false;
      char *val = pe_svc_vars_expand(s, c->variables[k].value, &secret, why, sizeof why);
      if (!val) {
        snprintf(err, errlen, "%s:%d: variable '%s' of component '%s': %s",
                 m->file ? m->file : "spin.toml", c->variables[k].line, c->variables[k].key, c->id,
                 why);
        return false;
      }
      var_kv *e = &cv->v[cv->n];
      e->name = strdup(c->variables[k].key);
      e->value = val;
      e->secret = secret;
      if (!e->name) {
        free(val);
        goto oom;
      }
      cv->n++;
    }
  }
  return true;
oom:
  snprintf(err, errlen, "out of memory");
  return false;
}

void pe_svc_vars_close(pe_services *s) {
  free_state(s->vars);
  s->vars = NULL;
}

void pe_svc_vars_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n,
                      pe_buf *out) {
  if (strcmp(op, "get") != 0) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'vars.%.60s'", op);
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  const uint8_t *name;
  size_t len;
  if (!pe_hc_blob(&r, &name, &len) || !pe_hc_done(&r)) {
    pe_hc_error(out, PE_HC_INVALID, "vars.get takes one blob: the variable name");
    return;
  }
  const char *why = pe_svc_vars_name_problem((const char *)name, len);
  if (why) {
    /* the name is the guest's own text: show a bounded, printable part */
    char shown[80];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < sizeof shown; i++)
      shown[k++] = name[i] >= 0x20 && name[i] < 0x7f ? (char)name[i] : '?';
    shown[k] = 0;
    pe_hc_error(out, PE_HC_INVALID, "invalid variable name '%s': %s", shown, why);
    return;
  }
  char key[256];
  memcpy(key, name, len);
  key[len] = 0;
  const char *id = rq->component ? rq->component->id : "?";
  const char *v = rq->component ? pe_svc_vars_component(rq->app, id, key) : NULL;
  if (!v) {
    pe_hc_error(out, PE_HC_NOT_FOUND,
                "no variable named '%s' for component '%s' (add it under "
                "[component.%s.variables] in spin.toml)",
                key, id, id);
    return;
  }
  if (!pe_hc_ok(out) || !pe_hc_put_str(out, v)) pe_hc_error(out, PE_HC_BACKEND, "out of memory");
}
