/*
 * svc_labels.c -- labelled resources and per-request handles, the part the
 * "kv" and "sqlite" areas share (svc_labels.h says what and why).
 *
 * Three lists, built at start-up: every label that exists (for telling
 * DENIED from NOT_FOUND), the granted labels with their resource, and the
 * resources themselves keyed by "spin:<file>" or "redis:<url>" so labels on
 * the same place share one (a private in-memory one has no key and is
 * never shared). A request's handle table is one allocation of max_open
 * entries of handle_size bytes.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_labels.h"
#include "svc_utf8.h"

typedef struct shared_res {
  char *key; /* NULL: private, never shared */
  void *res;
} shared_res;

struct pe_svc_labels {
  const pe_svc_label_kind *k;
  pe_svc_label *granted; /* labels some component may open (and default when seeded) */
  size_t ngranted;
  shared_res *res;
  size_t nres;
  char **defined; /* every label that exists */
  size_t ndefined;
};

typedef struct handle_table {
  const pe_svc_label_kind *k;
  unsigned n;
  max_align_t slots[]; /* k->max_open entries of k->handle_size bytes */
} handle_table;

/* ---- start-up -------------------------------------------------------------- */

void pe_svc_labels_free(pe_svc_labels *L) {
  if (!L) return;
  for (size_t i = 0; i < L->ngranted; i++) free(L->granted[i].label);
  for (size_t i = 0; i < L->nres; i++) {
    free(L->res[i].key);
    L->k->free(L->res[i].res);
  }
  for (size_t i = 0; i < L->ndefined; i++) free(L->defined[i]);
  free(L->granted);
  free(L->res);
  free(L->defined);
  free(L);
}

const pe_svc_label *pe_svc_labels_find(const pe_svc_labels *L, const char *label) {
  for (size_t i = 0; i < L->ngranted; i++)
    if (!strcmp(L->granted[i].label, label)) return &L->granted[i];
  return NULL;
}

static bool is_defined(const pe_svc_labels *L, const char *label) {
  for (size_t i = 0; i < L->ndefined; i++)
    if (!strcmp(L->defined[i], label)) return true;
  return false;
}

static bool add_defined(pe_svc_labels *L, const char *label) {
  char **nd = realloc(L->defined, (L->ndefined + 1) * sizeof *nd);
  if (!nd) return false;
  L->defined = nd;
  return (L->defined[L->ndefined++] = strdup(label)) != NULL;
}

static const pe_rc_entry *rc_find(const pe_svc_label_kind *k, const pe_runtime_config *rc,
                                  const char *label) {
  size_t n;
  const pe_rc_entry *e = k->rc_section(rc, &n);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(e[i].label, label)) return &e[i];
  return NULL;
}

pe_svc_labels *pe_svc_labels_new(const pe_svc_label_kind *k, const pe_runtime_config *rc, char *err,
                                 size_t errlen) {
  pe_svc_labels *L = calloc(1, sizeof *L);
  if (L) L->k = k;
  bool ok = L && add_defined(L, "default");
  size_t n = 0;
  const pe_rc_entry *e = k->rc_section(rc, &n);
  for (size_t i = 0; ok && i < n; i++) ok = add_defined(L, e[i].label);
  if (!ok) {
    snprintf(err, errlen, "out of memory");
    pe_svc_labels_free(L);
    return NULL;
  }
  return L;
}

/* <state dir>/<name>, the directory made if missing */
static bool state_file(const pe_services *s, const char *name, char *path, size_t pathlen,
                       char *err, size_t errlen) {
  char dir[PATH_MAX];
  int n = s->o.state_dir ? snprintf(dir, sizeof dir, "%s", s->o.state_dir)
                         : snprintf(dir, sizeof dir, "%s/.spin", s->app_dir);
  if (n < 0 || (size_t)n >= sizeof dir ||
      (size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen) {
    snprintf(err, errlen, "state directory path too long");
    return false;
  }
  return pe_mkdir_p(dir, err, errlen);
}

/* The resource of one label (e NULL: the default one, not redefined):
 * shared with an earlier label on the same file or URL, else opened now. */
static void *resource_for(pe_svc_labels *L, const pe_services *s, const char *label,
                          const pe_rc_entry *e, char *err, size_t errlen) {
  char path[PATH_MAX + 64];
  const char *file = NULL, *url = NULL;
  if (!e) {
    if (!state_file(s, L->k->default_file, path, sizeof path, err, errlen)) return NULL;
    file = path;
  } else if (e->kind == PE_RC_SPIN) {
    file = e->path; /* NULL: in memory */
  } else {
    url = e->url;
  }
  pe_buf key = {0};
  if ((file || url) && !pe_buf_printf(&key, "%s:%s", file ? "spin" : "redis", file ? file : url)) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  for (size_t i = 0; key.data && i < L->nres; i++)
    if (L->res[i].key && !strcmp(L->res[i].key, key.data)) {
      pe_buf_free(&key);
      return L->res[i].res;
    }
  shared_res *nr = realloc(L->res, (L->nres + 1) * sizeof *nr);
  if (!nr) {
    pe_buf_free(&key);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  L->res = nr;
  char why[512];
  void *res = L->k->open(file, url, why, sizeof why);
  if (!res) {
    pe_buf_free(&key);
    snprintf(err, errlen, "%s '%s': %s", L->k->what, label, why);
    return NULL;
  }
  L->res[L->nres].key = key.data; /* NULL for memory: never shared */
  L->res[L->nres].res = res;
  L->nres++;
  return res;
}

static bool grant(pe_svc_labels *L, const pe_services *s, const pe_runtime_config *rc,
                  const char *label, const char *component, char *err, size_t errlen) {
  if (pe_svc_labels_find(L, label)) return true;
  const pe_rc_entry *e = rc_find(L->k, rc, label);
  if (!e && strcmp(label, "default") != 0) {
    snprintf(err, errlen, "component '%s' uses %s '%s', which is not defined: add [%s.%s] to %s%s",
             component, L->k->what, label, L->k->rc_table, label,
             rc->file ? "the runtime config file "
                      : "a runtime config file (--runtime-config-file)",
             rc->file ? rc->file : "");
    return false;
  }
  pe_svc_label *ng = realloc(L->granted, (L->ngranted + 1) * sizeof *ng);
  if (!ng) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  L->granted = ng;
  void *res = resource_for(L, s, label, e, err, errlen);
  if (!res) return false;
  if (!(L->granted[L->ngranted].label = strdup(label))) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  L->granted[L->ngranted].res = res;
  L->ngranted++;
  return true;
}

bool pe_svc_labels_grant(pe_svc_labels *L, const pe_services *s, const pe_runtime_config *rc,
                         const char *default_for, char *err, size_t errlen) {
  bool ok = true;
  for (size_t c = 0; ok && c < s->m->n_components; c++) {
    const pe_manifest_component *mc = &s->m->components[c];
    const pe_manifest_list *l = L->k->grants(mc);
    for (size_t i = 0; ok && i < l->len; i++)
      ok = grant(L, s, rc, l->items[i], mc->id, err, errlen);
  }
  if (ok && default_for) ok = grant(L, s, rc, "default", default_for, err, errlen);
  return ok;
}

/* ---- calls ----------------------------------------------------------------- */

static bool granted_to(const pe_svc_label_kind *k, const pe_manifest_component *mc,
                       const char *label) {
  const pe_manifest_list *l = mc ? k->grants(mc) : NULL;
  for (size_t i = 0; l && i < l->len; i++)
    if (!strcmp(l->items[i], label)) return true;
  return false;
}

static pe_svc_handle *slot(handle_table *t, unsigned i) {
  return (pe_svc_handle *)((unsigned char *)t->slots + (size_t)i * t->k->handle_size);
}

void pe_svc_labels_op_open(const pe_svc_labels *L, const pe_svc_request *rq, void **table,
                           pe_hc_reader *r, pe_buf *out) {
  const pe_svc_label_kind *k = L->k;
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "%s.open takes one blob: the %s", k->area, k->label_name);
    return;
  }
  if (n == 0 || n > 256 || memchr(p, 0, n) || !pe_svc_utf8_valid(p, n)) {
    pe_hc_error(out, PE_HC_INVALID, "a %s is 1 to 256 bytes of UTF-8 without NUL", k->label_name);
    return;
  }
  char label[257];
  memcpy(label, p, n);
  label[n] = 0;
  bool granted = granted_to(k, rq->component, label);
  const pe_svc_label *lab = granted ? pe_svc_labels_find(L, label) : NULL;
  if (!lab) { /* granted labels were all opened at start-up */
    if (!is_defined(L, label) || granted)
      pe_hc_error(out, PE_HC_NOT_FOUND, "no %s named '%s'", k->what, label);
    else
      pe_hc_error(out, PE_HC_DENIED,
                  "component '%s' may not use %s '%s' (add it to %s in spin.toml)",
                  rq->component ? rq->component->id : "?", k->what, label, k->manifest_key);
    return;
  }
  handle_table *t = *table;
  if (!t) {
    if (!(t = calloc(1, sizeof *t + (size_t)k->max_open * k->handle_size))) {
      pe_hc_error(out, PE_HC_BACKEND, "out of memory");
      return;
    }
    t->k = k;
    *table = t;
  }
  if (t->n == k->max_open) {
    pe_hc_error(out, PE_HC_LIMIT, "too many %ss open at once (%u); close some", k->handle_what,
                k->max_open);
    return;
  }
  pe_svc_handle *h = slot(t, t->n++);
  memset(h, 0, k->handle_size);
  h->id = atomic_fetch_add(k->last_id, 1) + 1;
  h->lab = lab;
  if (!pe_hc_ok(out) || !pe_hc_put_u64(out, h->id))
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
}

pe_svc_handle *pe_svc_handle_find(const pe_svc_labels *L, void *table, pe_hc_reader *r,
                                  pe_buf *out) {
  uint64_t id;
  if (!pe_hc_u64(r, &id)) {
    pe_hc_error(out, PE_HC_INVALID, "expected a %s handle (an 8-byte integer) first",
                L->k->handle_name);
    return NULL;
  }
  handle_table *t = table;
  for (unsigned i = 0; t && i < t->n; i++)
    if (slot(t, i)->id == id) return slot(t, i);
  pe_hc_error(out, L->k->stale, "no open %s with handle %llu in this request", L->k->handle_what,
              (unsigned long long)id);
  return NULL;
}

void pe_svc_handle_drop(void *table, pe_svc_handle *h) {
  handle_table *t = table;
  pe_svc_handle *last = slot(t, --t->n);
  if (h != last) memcpy(h, last, t->k->handle_size);
}

void pe_svc_handles_end(void **table, void (*release)(pe_svc_handle *h)) {
  handle_table *t = *table;
  while (t && t->n) {
    if (release) release(slot(t, t->n - 1));
    t->n--;
  }
  free(t);
  *table = NULL;
}
