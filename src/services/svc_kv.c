/*
 * svc_kv.c -- the "kv" area (svc_kv.h): which stores exist, who may open
 * them, per-request handles, limits, and the wire format. Storage is the
 * backends' business (kv_backend.h).
 *
 * App-wide state is built once in pe_svc_kv_open and only read afterwards,
 * so worker threads share it without a lock (backends lock their own
 * connection pools). A request's handles live in rq->kv, allocated on its
 * first kv.open and dropped by pe_svc_kv_request_end: a handle is an id
 * that only means something inside the request that opened it (ids are
 * never reused, so a closed handle stays invalid), and a sandbox reused
 * for the next request cannot reach the previous one's stores.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_backend.h"
#include "runtime_config.h"
#include "svc_kv.h"
#include "svc_utf8.h"

typedef struct kv_store {
  char *label;
  pe_kv_backend *backend; /* owned by the area's backend list */
} kv_store;

typedef struct kv_shared {
  char *key; /* "spin:<path>", "redis:<url>"; NULL for a private in-memory one */
  pe_kv_backend *backend;
} kv_shared;

typedef struct kv_area {
  kv_store *stores; /* the labels some component was granted (and default when seeded) */
  size_t nstores;
  kv_shared *backends;
  size_t nbackends;
  char **defined; /* every label that exists: "default" and the runtime config's */
  size_t ndefined;
} kv_area;

typedef struct kv_req {
  struct {
    uint64_t id;
    const kv_store *store;
  } open[PE_KV_MAX_OPEN];
  unsigned nopen;
} kv_req;

/* ---- start-up -------------------------------------------------------------- */

static void area_free(kv_area *a) {
  if (!a) return;
  for (size_t i = 0; i < a->nstores; i++) free(a->stores[i].label);
  for (size_t i = 0; i < a->nbackends; i++) {
    free(a->backends[i].key);
    a->backends[i].backend->ops->free(a->backends[i].backend);
  }
  for (size_t i = 0; i < a->ndefined; i++) free(a->defined[i]);
  free(a->stores);
  free(a->backends);
  free(a->defined);
  free(a);
}

static const kv_store *find_store(const kv_area *a, const char *label) {
  for (size_t i = 0; i < a->nstores; i++)
    if (!strcmp(a->stores[i].label, label)) return &a->stores[i];
  return NULL;
}

static bool is_defined(const kv_area *a, const char *label) {
  for (size_t i = 0; i < a->ndefined; i++)
    if (!strcmp(a->defined[i], label)) return true;
  return false;
}

/* <state dir>, made if missing: --state-dir, else <app>/.spin */
static bool state_dir(const pe_services *s, char *out, size_t outlen, char *err, size_t errlen) {
  int n = s->o.state_dir ? snprintf(out, outlen, "%s", s->o.state_dir)
                         : snprintf(out, outlen, "%s/.spin", s->app_dir);
  if (n < 0 || (size_t)n >= outlen) {
    snprintf(err, errlen, "state directory path too long");
    return false;
  }
  return pe_mkdir_p(out, err, errlen);
}

/* The backend for one store: shared with an earlier label on the same
 * file or Redis URL, else opened now. */
static pe_kv_backend *backend_for(kv_area *a, const pe_services *s, const char *label,
                                  const pe_rc_entry *e, char *err, size_t errlen) {
  char path[PATH_MAX + 32];
  const char *file = NULL, *url = NULL;
  if (!e) { /* the default store, not overridden */
    char dir[PATH_MAX];
    if (!state_dir(s, dir, sizeof dir, err, errlen)) return NULL;
    if ((size_t)snprintf(path, sizeof path, "%s/sqlite_key_value.db", dir) >= sizeof path) {
      snprintf(err, errlen, "state directory path too long");
      return NULL;
    }
    file = path;
  } else if (e->kind == PE_RC_SPIN) {
    file = e->path;
  } else {
    url = e->url;
  }
  pe_buf key = {0};
  if ((file || url) && !pe_buf_printf(&key, "%s:%s", file ? "spin" : "redis", file ? file : url)) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  for (size_t i = 0; key.data && i < a->nbackends; i++)
    if (a->backends[i].key && !strcmp(a->backends[i].key, key.data)) {
      pe_buf_free(&key);
      return a->backends[i].backend;
    }
  kv_shared *nb = realloc(a->backends, (a->nbackends + 1) * sizeof *nb);
  if (!nb) {
    pe_buf_free(&key);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  a->backends = nb;
  char why[512];
  pe_kv_backend *b = url ? pe_kv_redis_open(url, why, sizeof why)
                         : pe_kv_sqlite_open(file, why, sizeof why);
  if (!b) {
    pe_buf_free(&key);
    snprintf(err, errlen, "key-value store '%s': %s", label, why);
    return NULL;
  }
  a->backends[a->nbackends].key = key.data; /* NULL for memory: never shared */
  a->backends[a->nbackends].backend = b;
  a->nbackends++;
  return b;
}

static bool add_store(kv_area *a, const pe_services *s, const pe_runtime_config *rc,
                      const char *label, const char *component, char *err, size_t errlen) {
  if (find_store(a, label)) return true;
  const pe_rc_entry *e = pe_runtime_config_kv(rc, label);
  if (!e && strcmp(label, "default") != 0) {
    snprintf(err, errlen,
             "component '%s' uses key-value store '%s', which is not defined: add "
             "[key_value_store.%s] to %s%s",
             component, label, label, rc->file ? "the runtime config file " : "a runtime config file (--runtime-config-file)",
             rc->file ? rc->file : "");
    return false;
  }
  kv_store *ns = realloc(a->stores, (a->nstores + 1) * sizeof *ns);
  if (!ns) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  a->stores = ns;
  pe_kv_backend *b = backend_for(a, s, label, e, err, errlen);
  if (!b) return false;
  if (!(a->stores[a->nstores].label = strdup(label))) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  a->stores[a->nstores].backend = b;
  a->nstores++;
  return true;
}

static bool add_defined(kv_area *a, const char *label) {
  char **nd = realloc(a->defined, (a->ndefined + 1) * sizeof *nd);
  if (!nd) return false;
  a->defined = nd;
  return (a->defined[a->ndefined++] = strdup(label)) != NULL;
}

/* --key-value k=v, into the default store */
static bool seed(kv_area *a, const pe_services *s, char *err, size_t errlen) {
  const kv_store *st = find_store(a, "default");
  for (int i = 0; i < s->o.nkv_seed; i++) {
    const char *kv = s->o.kv_seed[i], *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : 0;
    if (!eq || klen == 0 || klen > PE_KV_MAX_KEY ||
        !pe_svc_utf8_valid((const uint8_t *)kv, klen)) {
      snprintf(err, errlen, "--key-value '%s': expected KEY=VALUE with a key of 1 to %d bytes", kv,
               PE_KV_MAX_KEY);
      return false;
    }
    size_t vlen = strlen(eq + 1);
    if (vlen > PE_KV_MAX_VALUE) {
      snprintf(err, errlen, "--key-value %.*s: the value is larger than 1 MiB", (int)klen, kv);
      return false;
    }
    char why[512];
    if (st->backend->ops->set(st->backend, "default", (const uint8_t *)kv, klen,
                              (const uint8_t *)eq + 1, vlen, why, sizeof why) != PE_HC_OK) {
      snprintf(err, errlen, "--key-value %.*s: %s", (int)klen, kv, why);
      return false;
    }
  }
  return true;
}

bool pe_svc_kv_open(pe_services *s, char *err, size_t errlen) {
  pe_runtime_config rc;
  if (!pe_runtime_config_load(s->o.runtime_config, &rc, err, errlen)) return false;
  kv_area *a = calloc(1, sizeof *a);
  bool ok = a && add_defined(a, "default");
  for (size_t i = 0; ok && i < rc.nkv; i++) ok = add_defined(a, rc.kv[i].label);
  if (!ok) snprintf(err, errlen, "out of memory");
  for (size_t c = 0; ok && c < s->m->n_components; c++) {
    const pe_manifest_component *mc = &s->m->components[c];
    for (size_t i = 0; ok && i < mc->key_value_stores.len; i++)
      ok = add_store(a, s, &rc, mc->key_value_stores.items[i], mc->id, err, errlen);
  }
  if (ok && s->o.nkv_seed > 0) ok = add_store(a, s, &rc, "default", "(--key-value)", err, errlen);
  if (ok) ok = seed(a, s, err, errlen);
  pe_runtime_config_free(&rc);
  if (!ok) {
    area_free(a);
    return false;
  }
  s->kv = a;
  return true;
}

void pe_svc_kv_close(pe_services *s) {
  area_free(s->kv);
  s->kv = NULL;
}

void pe_svc_kv_request_end(pe_svc_request *rq) {
  free(rq->kv);
  rq->kv = NULL;
}

/* ---- calls ----------------------------------------------------------------- */

/* Handle ids come from one counter for the whole process, so an id never
 * means two things: a Store object a reused sandbox kept from an earlier
 * request fails instead of reaching whatever that request opened first. */
static _Atomic uint64_t last_handle;

static bool granted(const pe_manifest_component *mc, const char *label) {
  for (size_t i = 0; mc && i < mc->key_value_stores.len; i++)
    if (!strcmp(mc->key_value_stores.items[i], label)) return true;
  return false;
}

static void op_open(pe_svc_request *rq, kv_area *a, pe_hc_reader *r, pe_buf *out) {
  const uint8_t *p;
  size_t n;
  if (!pe_hc_blob(r, &p, &n) || !pe_hc_done(r)) {
    pe_hc_error(out, PE_HC_INVALID, "kv.open takes one blob: the store label");
    return;
  }
  if (n == 0 || n > 256 || memchr(p, 0, n) || !pe_svc_utf8_valid(p, n)) {
    pe_hc_error(out, PE_HC_INVALID, "a store label is 1 to 256 bytes of UTF-8 without NUL");
    return;
  }
  char label[257];
  memcpy(label, p, n);
  label[n] = 0;
  if (!granted(rq->component, label)) {
    if (!is_defined(a, label))
      pe_hc_error(out, PE_HC_NOT_FOUND, "no key-value store named '%s'", label);
    else
      pe_hc_error(out, PE_HC_DENIED,
                  "component '%s' may not use key-value store '%s' (add it to key_value_stores "
                  "in spin.toml)",
                  rq->component ? rq->component->id : "?", label);
    return;
  }
  const kv_store *st = find_store(a, label);
  if (!st) { /* granted labels were all opened at start-up */
    pe_hc_error(out, PE_HC_NOT_FOUND, "no key-value store named '%s'", label);
    return;
  }
  kv_req *q = rq->kv;
  if (!q && !(q = rq->kv = calloc(1, sizeof *q))) {
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  if (q->nopen == PE_KV_MAX_OPEN) {
    pe_hc_error(out, PE_HC_LIMIT, "too many key-value stores open at once (%d); close some",
                PE_KV_MAX_OPEN);
    return;
  }
  uint64_t id = atomic_fetch_add(&last_handle, 1) + 1;
  q->open[q->nopen].id = id;
  q->open[q->nopen].store = st;
  q->nopen++;
  if (!pe_hc_ok(out) || !pe_hc_put_u64(out, id)) pe_hc_error(out, PE_HC_BACKEND, "out of memory");
}

/* The open store a handle blob names, or NULL after writing the error. */
static const kv_store *handle_store(pe_svc_request *rq, pe_hc_reader *r, unsigned *slot,
                                    pe_buf *out) {
  uint64_t id;
  if (!pe_hc_u64(r, &id)) {
    pe_hc_error(out, PE_HC_INVALID, "expected a store handle (an 8-byte integer) first");
    return NULL;
  }
  kv_req *q = rq->kv;
  for (unsigned i = 0; q && i < q->nopen; i++)
    if (q->open[i].id == id) {
      if (slot) *slot = i;
      return q->open[i].store;
    }
  pe_hc_error(out, PE_HC_INVALID, "no open key-value store with handle %llu in this request",
              (unsigned long long)id);
  return NULL;
}

static bool read_key(pe_hc_reader *r, const uint8_t **k, size_t *klen, pe_buf *out) {
  if (!pe_hc_blob(r, k, klen)) {
    pe_hc_error(out, PE_HC_INVALID, "expected a key");
    return false;
  }
  if (*klen > PE_KV_MAX_KEY) {
    pe_hc_error(out, PE_HC_INVALID, "key is %zu bytes; the limit is %d", *klen, PE_KV_MAX_KEY);
    return false;
  }
  if (!pe_svc_utf8_valid(*k, *klen)) {
    pe_hc_error(out, PE_HC_INVALID, "key is not valid UTF-8");
    return false;
  }
  return true;
}

static void reply(pe_hc_status st, const char *why, pe_buf *out) {
  if (st != PE_HC_OK) pe_hc_error(out, st, "%s", why);
}

void pe_svc_kv_call(pe_svc_request *rq, const char *op, const uint8_t *in, size_t n, pe_buf *out) {
  kv_area *a = rq->app ? rq->app->kv : NULL;
  if (!a) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "key-value stores are not available");
    return;
  }
  pe_hc_reader r;
  pe_hc_reader_init(&r, in, n);
  if (!strcmp(op, "open")) {
    op_open(rq, a, &r, out);
    return;
  }
  bool get = !strcmp(op, "get"), set = !strcmp(op, "set"), del = !strcmp(op, "delete"),
       exists = !strcmp(op, "exists"), keys = !strcmp(op, "get_keys"), close = !strcmp(op, "close");
  if (!(get || set || del || exists || keys || close)) {
    pe_hc_error(out, PE_HC_NO_SERVICE, "no host service named 'kv.%s'", op);
    return;
  }
  unsigned slot = 0;
  const kv_store *st = handle_store(rq, &r, &slot, out);
  if (!st) return;
  const uint8_t *key = NULL, *val = NULL;
  size_t klen = 0, vlen = 0;
  if ((get || set || del || exists) && !read_key(&r, &key, &klen, out)) return;
  if (set && !pe_hc_blob(&r, &val, &vlen)) {
    pe_hc_error(out, PE_HC_INVALID, "kv.set takes a handle, a key and a value");
    return;
  }
  if (!pe_hc_done(&r)) {
    pe_hc_error(out, PE_HC_INVALID, "kv.%s: malformed payload (extra or truncated blobs)", op);
    return;
  }
  if (set && vlen > PE_KV_MAX_VALUE) {
    pe_hc_error(out, PE_HC_LIMIT, "value is %zu bytes; the limit is %u (1 MiB)", vlen,
                PE_KV_MAX_VALUE);
    return;
  }
  if (!pe_hc_ok(out)) {
    pe_hc_error(out, PE_HC_BACKEND, "out of memory");
    return;
  }
  pe_kv_backend *b = st->backend;
  char why[600];
  bool found = false;
  if (get) {
    reply(b->ops->get(b, st->label, key, klen, out, &found, why, sizeof why), why, out);
  } else if (set) {
    reply(b->ops->set(b, st->label, key, klen, val, vlen, why, sizeof why), why, out);
  } else if (del) {
    reply(b->ops->del(b, st->label, key, klen, why, sizeof why), why, out);
  } else if (exists) {
    pe_hc_status s = b->ops->exists(b, st->label, key, klen, &found, why, sizeof why);
    if (s == PE_HC_OK && !pe_hc_put_u64(out, found ? 1 : 0)) {
      s = PE_HC_BACKEND;
      snprintf(why, sizeof why, "out of memory");
    }
    reply(s, why, out);
  } else if (keys) {
    reply(b->ops->keys(b, st->label, out, PE_KV_MAX_KEYS_REPLY, why, sizeof why), why, out);
  } else { /* close */
    kv_req *q = rq->kv;
    q->open[slot] = q->open[--q->nopen];
  }
}
